"""pandas' tokeniser (the fast path for large files) reads exactly what the csv module reads."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import read
from grader.errors import InvalidInput


def _slow(text: str):
    """The csv-module reading of text, or the InvalidInput it raises."""
    original = read._read_well_formed
    read._read_well_formed = lambda *args: None
    try:
        return read.read_csv_bytes(text.encode(), "t.csv")
    except InvalidInput as exc:
        return exc
    finally:
        read._read_well_formed = original


def _cells(table) -> tuple:
    width = len(table.header)
    if table.body is not None:
        rows = table.body.to_numpy(dtype=object).tolist()
    else:
        rows = table.records
    return (table.header, list(table.lines), table.header_line,
            [list(r[:width]) + [""] * (width - len(r)) for r in rows])


def _agrees(text: str) -> None:
    fast = read._read_well_formed(text, read._sniff_delimiter(text), "t.csv", [])
    slow = _slow(text)
    if fast is None:
        return  # the csv path reads it: nothing to compare
    assert not isinstance(slow, InvalidInput), (text, slow)
    assert all(len(r) <= len(slow.header) for r in slow.records)
    assert _cells(fast) == _cells(slow), text


@pytest.mark.parametrize("text", [
    "a,b\n1,2\n",
    "a,b\r\n1,2\r\n\r\n3,4\r\n",
    "a,b\r1,2\r",
    'a,b\n"x, y","say ""hi"""\n',
    'a,b\n"multi\nline",2\n',
    "a,b\n1\n",
    "a,b\n ,  \n1,2\n",
    'a,b\nab"c,d\n',
    'a;b\n"x;y";2\n',
    "a,b\n\n\n",
    "a,b",
    'a,b\n"",""\n',
])
def test_fast_path_agrees_on_examples(text):
    _agrees(text)


@pytest.mark.parametrize("text", [
    'a,b\n"ab"c,d\n',  # text after a closing quote: csv rejects it
    'a,b\n"x" ,d\n',
    'a,b\n"open,d\n',  # never closed
    "a,b\n1,2,3\n",  # ragged
    "\n\na,b\n1,2\n",  # blank rows before the header
    "",
])
def test_fast_path_leaves_hard_files_to_csv(text):
    assert read._read_well_formed(text, ",", "t.csv", []) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab,;" \r\n', max_size=40))
def test_fast_path_agrees_on_any_text(text):
    _agrees(text)
