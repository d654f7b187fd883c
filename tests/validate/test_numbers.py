"""Number cells: digit groups, ambiguous marks, dates in a year cell (issue 14, item 4)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader import numbers
from grader.cli import main


@pytest.mark.parametrize(("cells", "text", "read"), [
    ([], "4 716", "4716"), ([], "4\u00a0716", "4716"), ([], "4\u202f716", "4716"),
    ([], "1'522", "1522"), ([], "1,522", "1522"), ([], "1,234,567", "1234567"),
    ([], "1.234.567", "1234567"), ([], "1.376", "1.376"), (["12,5"], "1,376", "1,376"),
    (["1.234.567"], "1.376", "1376"), (["1.234,5"], "1.376", "1376"),
    (["0.5"], "1,234,567", "1234567"), ([], "12.5", "12.5"), ([], "1,37", "1,37")])
def test_thousands_are_joined_only_when_the_file_is_unambiguous(cells, text, read):
    assert numbers.whole_number(text, numbers.file_marks([*cells, text])) == read


_NUMBER_TEXT = st.text(alphabet="0123456789,.x" + numbers.SPACE_MARKS, max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(_NUMBER_TEXT, max_size=4), _NUMBER_TEXT)
@example([], "1 234").via("a space mark")
@example([], "1\u00a0234").via("a non-breaking space")
@example([], "1\u202f234").via("a narrow no-break space")
@example([], "1\u2009234").via("a thin space")
@example([], "1'234").via("an apostrophe")
@example([], "1_234").via("an underscore")
@example([], "1,234,567").via("comma groups")
@example(["1.234.567"], "1.376").via("point groups elsewhere in the file")
@example(["12,5"], "1,376").via("a decimal comma elsewhere")
@example(["0.75"], "1.376").via("a decimal point elsewhere")
@example(["1.234,5"], "1.376").via("points group, a comma is decimal")
def test_the_no_mark_shortcut_reads_every_cell_as_the_patterns_do(cells, text):
    fast = numbers.file_marks([*cells, text])
    with pytest.MonkeyPatch.context() as patched:  # the shortcut off: patterns only
        patched.setattr(numbers, "_has_mark", lambda text, marks: True)
        slow = numbers.file_marks([*cells, text])
        slow_read = numbers.whole_number(text, slow)
    assert fast == slow
    assert numbers.whole_number(text, fast) == slow_read


@pytest.mark.parametrize(("text", "year"), [
    ("2020-03-01", "2020"), ("2020-03-01 00:00:00", "2020"), ("2020-3-1T10:00", "2020"),
    ("01/03/2020", "2020"), ("2020", None), ("March 2020", None)])
def test_date_year(text, year):
    assert numbers.date_year(text) == year


def test_visible_shows_invisible_characters():
    assert numbers.visible("4\u00a0716") == "4<U+00A0>716"
    assert numbers.visible("a b") == "a b"


def _check(runner, write_csv, rows, *cells):
    path = write_csv(rows(*cells))
    return path, runner.invoke(main, ["check", str(path)])


def test_a_point_group_is_ambiguous_and_names_both_readings(runner, write_csv, rows):
    path, result = _check(runner, write_csv, rows, {"n": "1.376"})
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:2: n: '1.376' could be read two ways: 1376 (with '.' separating "
        "thousands) or 1.376 (with '.' as the decimal mark); write the number as digits "
        "only (e.g. 1376) or leave the cell blank\n")


def test_a_comma_group_is_ambiguous_in_a_file_with_decimal_commas(runner, write_csv, rows):
    path, result = _check(runner, write_csv, rows, {"n": "1,376"},
                          {"study_id": "B2020", "n_studies": "2,5", "design": "cohort"})
    assert f"{path}:2: n: '1,376' could be read two ways: 1376" in result.stderr


@pytest.mark.parametrize("typed", ["1,522", "4 716", "4\u00a0716"])
def test_unambiguous_groups_are_read_as_thousands(runner, write_csv, rows, typed):
    path = write_csv(rows({"n": typed}))
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert '"n": ' + typed.replace(",", "").replace(" ", "").replace("\u00a0", "") \
        in result.stdout


def test_messages_show_invisible_characters_visibly(runner, write_csv, rows):
    _, result = _check(runner, write_csv, rows, {"n": "4\u00a07166"})
    assert "'4<U+00A0>7166'" in result.stderr
    assert "\\xa0" not in result.stderr


def test_no_message_tells_the_user_to_round_a_count(runner, write_csv, rows):
    _, result = _check(runner, write_csv, rows, {"n": "12.5"}, {"study_id": "B", "n": "1.376",
                                                               "design": "cohort"})
    assert result.exit_code == 1
    assert "round" not in result.stderr


@pytest.mark.parametrize("typed", ["2020-03-01", "2020-03-01 00:00:00"])
def test_a_date_in_a_year_cell_is_read_as_its_year_with_a_warning(runner, write_csv, rows,
                                                                  typed):
    path = write_csv(rows({"year": typed}))
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert '"year": 2020' in result.stdout
    assert result.stderr == (f"{path}:2: year: warning: '{typed}' is a date; read as its "
                             "year, 2020 (type the year alone, or format the cell as a "
                             "number, to silence this)\n")
