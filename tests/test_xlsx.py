"""Spreadsheet input: an .xlsx is read like the CSV, and errors name spreadsheet rows."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pypdf

from grader.build import BuildOptions, build_brief
from grader.cli import main
from grader.pipeline import assess
from grader.scaffold import starter_csv

ROWS = list(csv.reader(io.StringIO(starter_csv())))
HEADER = ROWS[0]


def _typed(cell: str):
    """Cells as a spreadsheet program stores them: numbers as numbers, blanks empty."""
    if cell.isdigit():
        return int(cell)
    return cell or None


def write_xlsx(path, rows, *, sheets=None, first_row: int = 1, title: str = "Evidence"):
    """An .xlsx whose sheet `title` holds rows from first_row; sheets: earlier sheets."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, cells in (sheets or {}).items():
        sheet = book.create_sheet(name)
        for row in cells:
            sheet.append(row)
    sheet = book.create_sheet(title)
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            value = _typed(value) if isinstance(value, str) else value
            if value is not None:
                sheet.cell(row=first_row + offset, column=column, value=value)
    book.save(path)
    return path


def test_xlsx_is_read_like_the_csv(runner, tmp_path):
    (tmp_path / "evidence.csv").write_text(starter_csv(), encoding="utf-8")
    book = write_xlsx(tmp_path / "evidence.xlsx", ROWS)
    from_csv = json.loads(runner.invoke(main, ["score", str(tmp_path / "evidence.csv"),
                                               "--format", "json"]).stdout)
    result = runner.invoke(main, ["score", str(book), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    from_xlsx = json.loads(result.stdout)
    assert from_xlsx["input"]["path"] == str(book)
    for key in ("studies", "citations", "positions"):
        assert from_xlsx[key] == from_csv[key]


def test_number_and_boolean_cells(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][HEADER.index("n")] = 240.0  # a float that is a whole number
    rows[1][HEADER.index("stopped_early")] = False  # a real boolean cell
    rows[1][HEADER.index("year")] = 2020
    a = assess(write_xlsx(tmp_path / "e.xlsx", rows))
    trial = a.citations[a.citations["study_id"] == "Trial2020"].iloc[0]
    # A boolean cell reads as stopped_early "no" (a reason since contract v2).
    assert (trial["n"], trial["stopped_early"], trial["year"]) == (240, "no", 2020)


def test_errors_name_spreadsheet_rows(runner, tmp_path):
    # Two blank rows above the header, a blank row inside the table, then a bad cell.
    rows = [ROWS[0], ROWS[1], ROWS[2], [], list(ROWS[3]), ROWS[4]]
    rows[4][HEADER.index("stance")] = "agrees"
    book = write_xlsx(tmp_path / "evidence.xlsx", rows, first_row=3)
    result = runner.invoke(main, ["check", str(book)])
    assert result.exit_code == 1
    assert result.stderr == (f"{book}:7: stance: 'agrees' is not allowed; "
                             "use one of: supports, opposes\n")


def test_every_problem_is_listed_with_its_row(runner, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[2][HEADER.index("design")] = "cohrot"
    rows[4][HEADER.index("year")] = "twenty"
    book = write_xlsx(tmp_path / "evidence.xlsx", rows)
    result = runner.invoke(main, ["check", str(book)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(": ")[0:2] for line in lines] == [[f"{book}:3", "design"],
                                                         [f"{book}:5", "year"]]


def test_first_sheet_is_read_by_default(runner, tmp_path):
    book = write_xlsx(tmp_path / "evidence.xlsx", ROWS,
                      sheets={"Read me": [["This workbook holds the evidence table."]]})
    result = runner.invoke(main, ["check", str(book)])
    assert result.exit_code == 1
    assert f"{book}:1: position_id: required column is missing from the header" \
        in result.stderr.splitlines()


def test_sheet_option_picks_the_worksheet(runner, tmp_path):
    book = write_xlsx(tmp_path / "evidence.xlsx", ROWS,
                      sheets={"Read me": [["This workbook holds the evidence table."]]})
    result = runner.invoke(main, ["check", str(book), "--sheet", "Evidence"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{book}: ok: 4 citations of 3 studies on 2 positions\n"


def test_unknown_sheet_lists_the_sheets(runner, tmp_path):
    book = write_xlsx(tmp_path / "evidence.xlsx", ROWS, sheets={"Read me": [["x"]]})
    result = runner.invoke(main, ["check", str(book), "--sheet", "Evidense"])
    assert result.exit_code == 1
    assert result.stderr == (f"{book}: no sheet named 'Evidense'; the sheets are: "
                             "Read me, Evidence\n")


def test_damaged_workbook_is_invalid_input(runner, tmp_path):
    path = tmp_path / "evidence.xlsx"
    path.write_bytes(b"position_id,study_id\n")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}: cannot open as an .xlsx workbook (")


def test_build_from_xlsx_attaches_the_workbook_and_diffs_against_the_csv(runner, tmp_path):
    book = write_xlsx(tmp_path / "evidence.xlsx", ROWS,
                      sheets={"Read me": [["notes"]]})
    result = build_brief(BuildOptions(csv=book, out_dir=tmp_path / "out",
                                      formats=("pdf", "json"), sheet="Evidence"))
    assert not result.skipped
    pdf = tmp_path / "out" / "brief.pdf"
    [attached] = pypdf.PdfReader(pdf).attachment_list
    assert (attached.name, attached.content) == ("evidence.xlsx", book.read_bytes())
    (tmp_path / "evidence.csv").write_text(starter_csv(), encoding="utf-8")
    diff = runner.invoke(main, ["diff", str(pdf), str(tmp_path / "evidence.csv"),
                                "--sheet", "Evidence"])
    assert diff.exit_code == 0, diff.stderr
    assert diff.stdout.endswith("No study or position changed.\n")


def test_diff_between_two_workbooks(runner, tmp_path):
    rows = [list(r) for r in ROWS]
    old = write_xlsx(tmp_path / "old.xlsx", rows)
    rows[1][HEADER.index("n")] = "8"
    new = write_xlsx(tmp_path / "new.xlsx", rows)
    result = runner.invoke(main, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["studies"] == [
        {"study_id": "Trial2020", "change": "changed", "before": "moderate", "after": "low",
         "fields": ["n"]}]
