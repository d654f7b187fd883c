"""The score CSV's writer quotes and joins exactly as csv.writer writes (issue 18)."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.report import csv_field, csv_rows

TEXT = st.text(st.sampled_from(['a', ' ', ',', '"', '\n', '\r', ';', "'", '=', 'é', '\t']),
               max_size=6)


def _csv_writer(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.integers(2, 4).flatmap(lambda width: st.tuples(
    st.lists(TEXT, min_size=width, max_size=width),
    st.lists(st.lists(TEXT, min_size=width, max_size=width), max_size=5))))
def test_quoted_fields_joined_are_what_csv_writer_writes(table):
    header, rows = table
    columns = [[csv_field(row[i]) for row in rows] for i in range(len(header))]
    assert csv_rows([csv_field(h) for h in header], columns) == _csv_writer(header, rows)


def test_a_field_is_quoted_only_when_it_must_be():
    assert csv_field("plain text; with 'quotes'") == "plain text; with 'quotes'"
    assert csv_field('say "no"') == '"say ""no"""'
    assert csv_field("a,b") == '"a,b"'
    assert csv_field("two\nlines") == '"two\nlines"'
