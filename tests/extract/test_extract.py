"""`grader extract`: the evidence file attached to a brief, byte for byte."""

from __future__ import annotations

import pypdf
import pytest

from grader.build import BuildOptions, build_brief
from grader.cli import main
from grader.scaffold import starter_csv

# A byte-order mark, CRLF line ends and non-ASCII text: all must survive the round trip.
SOURCE = ("\ufeff" + starter_csv().replace("Registry", "Registre").replace("\n", "\r\n")
          .replace("a definitive trial", "« un essai définitif »")).encode("utf-8")


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brief")
    (folder / "débat.csv").write_bytes(SOURCE)
    build_brief(BuildOptions(csv=folder / "débat.csv", out_dir=folder / "out"))
    return folder / "out" / "brief.pdf"


def _blank_pdf(path, attach: dict[str, bytes] | None = None):
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    for name, data in (attach or {}).items():
        writer.add_attachment(name, data)
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def test_extract_writes_the_attached_csv_byte_for_byte(runner, brief, tmp_path):
    out = tmp_path / "as-built.csv"
    result = runner.invoke(main, ["extract", str(brief), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == SOURCE
    assert result.stderr == f"{brief}: wrote débat.csv ({len(SOURCE):,} bytes) to {out}\n"
    assert result.stdout == ""


def test_extract_to_standard_output(runner, brief):
    result = runner.invoke(main, ["extract", str(brief), "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == SOURCE


def test_extract_replaces_the_file_atomically(runner, brief, tmp_path):
    out = tmp_path / "evidence.csv"
    out.write_text("old contents\n")
    inode = out.stat().st_ino
    with open(out, "rb") as reader:  # a reader of the old file keeps seeing it whole
        assert runner.invoke(main, ["extract", str(brief), "-o", str(out)]).exit_code == 0
        assert reader.read() == b"old contents\n"
    assert out.read_bytes() == SOURCE
    assert out.stat().st_ino != inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.csv"]


def test_extracted_csv_builds_the_same_brief(runner, brief, tmp_path):
    out = tmp_path / "again.csv"
    runner.invoke(main, ["extract", str(brief), "-o", str(out)])
    result = runner.invoke(main, ["diff", str(brief), str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("No study or position changed.\n")


def test_pdf_without_attachment_is_invalid_input(runner, tmp_path):
    bare = _blank_pdf(tmp_path / "other.pdf")
    out = tmp_path / "out.csv"
    result = runner.invoke(main, ["extract", str(bare), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr == (f"{bare}: has no attached evidence file; only briefs built by "
                             "`grader build` (PDF format) carry their CSV\n")
    assert not out.exists()


def test_pdf_with_several_attachments_picks_the_evidence_file(runner, tmp_path):
    pdf = _blank_pdf(tmp_path / "x.pdf", {"logo.png": b"\x89PNG", "evidence.csv": b"a,b\n"})
    result = runner.invoke(main, ["extract", str(pdf), "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == b"a,b\n"


def test_pdf_with_several_evidence_files_is_ambiguous(runner, tmp_path):
    pdf = _blank_pdf(tmp_path / "x.pdf", {"a.csv": b"1", "b.csv": b"2"})
    result = runner.invoke(main, ["extract", str(pdf), "-o", "-"])
    assert result.exit_code == 1
    assert result.stderr == (f"{pdf}: has 2 attached files (a.csv, b.csv); "
                             "expected one evidence file\n")


@pytest.mark.parametrize("content", [b"position_id,study_id\n", b"", b"\x89PNG\r\n\x1a\n"])
def test_not_a_pdf_is_invalid_input(runner, tmp_path, content):
    path = tmp_path / "brief.pdf"
    path.write_bytes(content)
    result = runner.invoke(main, ["extract", str(path), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert result.stderr == (f"{path}: not a PDF file; give a brief built by "
                             "`grader build`\n")
    assert "Traceback" not in result.stderr


def test_damaged_pdf_is_invalid_input(runner, tmp_path):
    path = tmp_path / "brief.pdf"
    path.write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    result = runner.invoke(main, ["extract", str(path), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}: cannot read this PDF (")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("args", [["extract"], ["extract", "BRIEF", "-o"],
                                  ["extract", "missing.pdf", "-o", "x.csv"],
                                  ["extract", "BRIEF", "-o", "FOLDER"]])
def test_wrong_usage_exits_2(runner, brief, tmp_path, args):
    args = [str(brief) if a == "BRIEF" else str(tmp_path) if a == "FOLDER" else a
            for a in args]
    assert runner.invoke(main, args).exit_code == 2
