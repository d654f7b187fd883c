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
    trial = a.ratings[a.ratings["study_id"] == "Trial2020"].iloc[0]
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


def test_the_sheet_holding_the_required_columns_is_read_and_named(runner, tmp_path):
    book = write_xlsx(tmp_path / "evidence.xlsx", ROWS,
                      sheets={"Read me": [["This workbook holds the evidence table."]]})
    result = runner.invoke(main, ["check", str(book)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (f"{book}: warning: read sheet 'Evidence', whose header holds "
                             "the required columns; pass --sheet NAME to read another (the "
                             "sheets are: Read me, Evidence)\n")


def test_without_a_complete_sheet_the_closest_is_read_and_named(runner, tmp_path):
    book = write_xlsx(tmp_path / "evidence.xlsx", [r[:3] for r in ROWS],
                      sheets={"Read me": [["This workbook holds the evidence table."]]})
    lines = runner.invoke(main, ["check", str(book)]).stderr.splitlines()
    assert lines[0].startswith(f"{book}: warning: no sheet's header holds every required "
                               "column (position_id, position, advocate, study_id, citation, "
                               "design, stance); read sheet 'Evidence', the closest; pass "
                               "--sheet NAME")
    assert f"{book}:1: study_id: required column is missing from the header" in lines


def test_sheet_option_matches_case_insensitively(runner, tmp_path):
    book = write_xlsx(tmp_path / "evidence.xlsx", ROWS, sheets={"Read me": [["x"]]})
    result = runner.invoke(main, ["check", str(book), "--sheet", "evidence"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_sheet_option_on_a_csv_is_wrong_usage(runner, tmp_path):
    path = tmp_path / "evidence.csv"
    path.write_text(starter_csv(), encoding="utf-8")
    result = runner.invoke(main, ["check", str(path), "--sheet", "Evidence"])
    assert result.exit_code == 2
    assert "--sheet 'Evidence' applies to .xlsx workbooks" in result.stderr


def test_a_chart_sheet_is_refused_with_the_sheets_that_hold_cells(runner, tmp_path):
    import openpyxl
    from openpyxl.chart import BarChart

    book = openpyxl.Workbook()
    book.active.title = "Evidence"
    for row in ROWS:
        book.active.append(row)
    chart = book.create_chartsheet("Chart")
    chart.add_chart(BarChart())
    path = tmp_path / "evidence.xlsx"
    book.save(path)
    result = runner.invoke(main, ["check", str(path), "--sheet", "chart"])
    assert result.exit_code == 1
    assert result.stderr == (f"{path}: sheet 'Chart' is a chart, with no cells to read; pass "
                             "--sheet with one of the sheets that hold cells: Evidence\n")


def test_a_formula_without_a_stored_value_is_an_error_naming_the_cell(runner, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][HEADER.index("n")] = "=120*2"  # openpyxl stores the formula, no value
    book = write_xlsx(tmp_path / "evidence.xlsx", rows)
    result = runner.invoke(main, ["check", str(book)])
    assert result.exit_code == 1
    column = chr(ord("A") + HEADER.index("n"))
    assert result.stderr == (
        f"{book}:2: n: cell Evidence!{column}2 holds a formula whose value is not stored in "
        "the file; open and save the file in your spreadsheet program so the values are "
        "stored (or type the value)\n")


def _zip_sheet(path, sheet_xml: str, shared: str | None = None):
    """A minimal workbook whose one sheet is sheet_xml (and shared strings, if given)."""
    import zipfile

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    types = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
             '2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
             'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
             'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
             'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
             '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
             + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                if shared is not None else "") + '</Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://'
                   f'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                   f'Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}">'
                   '<sheets><sheet name="Evidence" sheetId="1" r:id="rId1"/></sheets>'
                   '</workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships '
                   'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/worksheet" '
                   'Target="worksheets/sheet1.xml"/>' +
                   (f'<Relationship Id="rId2" Type="{rel}/sharedStrings" '
                    'Target="sharedStrings.xml"/>' if shared is not None else "") +
                   '</Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet {ns}>'
                   f'{sheet_xml}</worksheet>')
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {ns} count="1" '
                       f'uniqueCount="1"><si><t>{shared}</t></si></sst>')
    return path


def test_a_declared_dimension_is_not_used_to_pad_the_sheet(runner, tmp_path):
    import time

    path = _zip_sheet(tmp_path / "evidence.xlsx",
                      '<dimension ref="A1:XFD1048576"/><sheetData><row r="1048576">'
                      '<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
                      '</sheetData>')
    assert path.stat().st_size < 4000
    started = time.perf_counter()
    result = runner.invoke(main, ["check", str(path)])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 1
    assert "required column is missing" in result.stderr


def test_a_shared_string_over_the_cell_limit_is_refused(runner, tmp_path):
    path = _zip_sheet(tmp_path / "evidence.xlsx",
                      '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>',
                      shared="x" * 1_000_001)
    assert path.stat().st_size < 20_000
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:1: cell Evidence!A1 is longer than 1,000,000 "
                             "characters; shorten it\n")


def test_the_size_limit_applies_to_what_a_workbook_unzips_to(runner, tmp_path):
    path = _zip_sheet(tmp_path / "evidence.xlsx",
                      '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>',
                      shared="x" * 3_000_000)
    result = runner.invoke(main, ["check", str(path), "--max-size", "1"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}: unzips to 3.0 MB (xl/sharedStrings.xml), "
                                    "over the 1.0 MB limit; pass --max-size MB")


def test_a_date_formatted_year_is_read_as_its_year(runner, tmp_path):
    import datetime as dt

    rows = [list(r) for r in ROWS]
    rows[1][HEADER.index("year")] = dt.datetime(2020, 3, 1)
    book = write_xlsx(tmp_path / "evidence.xlsx", rows)
    result = runner.invoke(main, ["check", str(book)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (f"{book}:2: year: warning: '2020-03-01 00:00:00' is a date; "
                             "read as its year, 2020 (type the year alone, or format the "
                             "cell as a number, to silence this)\n")


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
         "fields": ["n"], "values": {"n": [240, 8]}}]


def test_nfc_and_nfd_spellings_in_a_workbook_are_one_value(tmp_path):
    import unicodedata

    nfc = "Schätzberg"
    rows = [list(r) for r in ROWS]
    rows[1][HEADER.index("advocate")] = nfc
    rows[2][HEADER.index("advocate")] = unicodedata.normalize("NFD", nfc)
    rows[2][HEADER.index("position_id")] = rows[1][HEADER.index("position_id")]
    a = assess(write_xlsx(tmp_path / "e.xlsx", rows))  # no conflict between the spellings
    works = a.ratings[a.ratings["position_id"] == rows[1][HEADER.index("position_id")]]
    assert set(works["advocate"]) == {nfc}
