"""`grader extract` without -o: the attached file's own name, never overwritten (issue 14)."""

from __future__ import annotations

import pytest

from grader.cli import main


@pytest.fixture(scope="module")
def xlsx_brief(tmp_path_factory):
    import openpyxl
    from conftest import make_rows

    from grader.build import BuildOptions, build_brief

    folder = tmp_path_factory.mktemp("xbrief")
    book = openpyxl.Workbook()
    for line in make_rows().splitlines():
        book.active.append(line.split(","))
    book.save(folder / "evidence.xlsx")
    build_brief(BuildOptions(csv=folder / "evidence.xlsx", out_dir=folder / "out"))
    return folder / "out" / "brief.pdf", (folder / "evidence.xlsx").read_bytes()


def test_extract_without_o_writes_the_attached_name_and_never_overwrites(
        runner, xlsx_brief, tmp_path, monkeypatch):
    brief, data = xlsx_brief
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["extract", str(brief)])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "evidence.xlsx").read_bytes() == data
    again = runner.invoke(main, ["extract", str(brief)])
    assert again.exit_code == 1
    assert again.stderr.startswith("evidence.xlsx: already exists; not overwritten (pass "
                                   "--force")
    assert runner.invoke(main, ["extract", str(brief), "--force"]).exit_code == 0


def test_extract_refuses_an_xlsx_attachment_into_a_csv_name(runner, xlsx_brief, tmp_path):
    brief, _ = xlsx_brief
    result = runner.invoke(main, ["extract", str(brief), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert result.stderr == (f"{brief}: the attached file evidence.xlsx is an .xlsx "
                             f"workbook, but {tmp_path / 'x.csv'} names a text (CSV) file; "
                             f"write it as -o {tmp_path / 'x.xlsx'}\n")
    assert not (tmp_path / "x.csv").exists()
