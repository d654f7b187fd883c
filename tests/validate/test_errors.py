"""Invalid input: every problem listed as FILE:LINE: column: message, exit 1, no traceback."""

from __future__ import annotations

import json
import re

import pytest

from grader.cli import main

# Spreadsheet rows: the header is row 1; a quoted cell spanning several physical lines
# is still one row; a blank line is a (skipped) row of its own.
MANY_PROBLEMS = (
    "position_id,position,advocate,study_id,citation,design,stance,n,claimed_certainty,notes\n"
    "p1,The drug works.,Smith,Doe2020,Doe J. 2020.,rct,supports,100,,\n"          # row 2
    'Bad ID,Claim.,Smith,Roe2021,"Roe K,\nsecond line",rct,maybe,,,\n'             # row 3
    "\n"                                                                            # row 4
    'p1,,,Kim2019,"Kim, multi\nline\ncitation",cohort,opposes,,,"a, b\nc"\n'       # row 5
    "p2,Other.,Jones,Lee2018,Lee.,banana,supports,-3,certain,\n"                    # row 6
    "p1,,,Doe2020,,,opposes,,,\n"                                                   # row 7
    "p2,,,Park2017,Park.,rct,supports,,,,surplus\n"                                 # row 8
    "p2,,,Doe2020,,,supports,120,,\n"                                               # row 9
)
EXPECTED = [
    (3, "position_id"), (3, "stance"),
    (6, "claimed_certainty"), (6, "design"), (6, "n"),
    (7, "study_id"),
    (8, None),
    (9, "n"),
]
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?:(?P<column>[a-z_]+): )?(?P<message>.+)$")


@pytest.fixture
def bad_csv(write_csv):
    return write_csv(MANY_PROBLEMS, name="bad.csv")


def test_every_problem_is_listed_with_its_spreadsheet_line(runner, bad_csv):
    result = runner.invoke(main, ["check", str(bad_csv)])
    assert result.exit_code == 1
    assert result.stdout == ""
    found = []
    for line in result.stderr.splitlines():
        match = LINE.match(line)
        assert match, line
        assert match["file"] == str(bad_csv)
        found.append((int(match["line"]), match["column"]))
    assert found == EXPECTED


def test_messages_say_what_is_wrong_and_what_is_allowed(runner, bad_csv):
    stderr = runner.invoke(main, ["check", str(bad_csv)]).stderr
    for expected in [
        f"{bad_csv}:3: stance: 'maybe' is not allowed; use one of: supports, opposes",
        f"{bad_csv}:3: position_id: 'Bad ID' is not a valid id",
        f"{bad_csv}:6: design: 'banana' is not a known design; `grader designs` lists the",
        f"{bad_csv}:6: claimed_certainty: 'certain' is not allowed; use one of: high, "
        "moderate, low, very_low",
        f"{bad_csv}:6: n: '-3' is negative",
        f"{bad_csv}:7: study_id: Doe2020 is already cited on position p1 (line 2)",
        f"{bad_csv}:8: row has 11 cells but the header has 10",
        f"{bad_csv}:9: n: '120' conflicts with '100' on line 2 for study Doe2020",
    ]:
        assert expected in stderr


@pytest.mark.parametrize("command", [["check"], ["score"], ["score", "--format", "json"],
                                     ["score", "--format", "csv"]])
def test_invalid_input_exits_1_without_traceback(runner, bad_csv, command):
    result = runner.invoke(main, [command[0], str(bad_csv), *command[1:]])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == len(EXPECTED)


def test_problems_as_json_records(runner, bad_csv):
    result = runner.invoke(main, ["check", str(bad_csv), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert [(p["line"], p["column"]) for p in data["problems"]] == EXPECTED
    assert all(p["path"] == str(bad_csv) for p in data["problems"])


def test_lines_count_crlf_files_the_same(runner, write_csv):
    path = write_csv(MANY_PROBLEMS.replace("\n", "\r\n"), name="crlf.csv")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert [int(LINE.match(x)["line"]) for x in result.stderr.splitlines()] == [
        line for line, _ in EXPECTED]


def test_missing_required_columns_are_named(runner, write_csv):
    path = write_csv("position_id,study_id,design\np1,Doe2020,rct\n")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:1: {column}: required column is missing from the header"
        for column in ("advocate", "citation", "position", "stance")]


def test_blank_required_cells_name_the_column(runner, write_csv):
    path = write_csv("position_id,position,advocate,study_id,citation,design,stance\n"
                     "p1,Claim.,Smith,Doe2020,Doe.,rct,\n"
                     ",Claim.,Smith,Roe2021,Roe.,rct,supports\n")
    lines = runner.invoke(main, ["check", str(path)]).stderr.splitlines()
    assert f"{path}:2: stance: required on every row; this cell is blank" in lines
    assert f"{path}:3: position_id: required on every row; this cell is blank" in lines


def test_unclosed_quote_names_its_line(runner, write_csv):
    path = write_csv("position_id,position,advocate,study_id,citation,design,stance\n"
                     "p1,Claim.,Smith,Doe2020,Doe.,rct,supports\n"
                     'p1,Claim.,Smith,Roe2021,"Roe. never closed,rct,supports\n')
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:3: ")
    assert "never closed" in result.stderr or "quote" in result.stderr


def test_undecodable_file_is_invalid_input(runner, write_csv):
    # 0x81 is undefined in both UTF-8 (as a lead byte) and Windows-1252.
    path = write_csv(b"position_id,position\np1,\x81\n")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}")
    assert "UTF-8" in result.stderr
    assert "Traceback" not in result.output


def test_windows_1252_file_is_read_with_a_warning(runner, write_csv):
    text = ("position_id,position,advocate,study_id,citation,design,stance\n"
            "p1,Claim.,Schätzberg,Doe2020,Doe.,rct,supports\n")
    path = write_csv(text.encode("cp1252"))
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0
    assert f"{path}:2: warning: " in result.stderr
    assert json.loads(result.stdout)["positions"][0]["advocate"] == "Schätzberg"


def test_header_after_blank_rows_keeps_its_spreadsheet_line(runner, write_csv):
    path = write_csv("\n\nposition_id,position,advocate,study_id,citation,design,stance,colour\n"
                     "p1,Claim.,Smith,Doe2020,Doe.,rct,maybe,blue\n")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:3: colour: warning: unknown column, ignored",
        f"{path}:4: stance: 'maybe' is not allowed; use one of: supports, opposes"]


def test_messages_quote_the_cell_as_typed(runner, write_csv):
    path = write_csv("position_id,position,advocate,study_id,citation,design,stance,blinded\n"
                     "p1,Claim,Smith,S1,Cite,RCTT,Supports,Triple blind\n")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: design: 'RCTT' is not a known design" in result.stderr
    assert f"{path}:2: blinded: 'Triple blind' is not allowed" in result.stderr
    assert "stance" not in result.stderr  # 'Supports' is a valid spelling
