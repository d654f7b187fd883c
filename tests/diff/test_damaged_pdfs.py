"""extract and diff on damaged briefs: one line `FILE: what is wrong`; big attachments work."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner

from grader.cli import main

ROW = b"p1,Claim.,Smith,S1,Cite.,rct,supports\n"
HEADER = b"position_id,position,advocate,study_id,citation,design,stance\n"


def brief_with(data: bytes, name: str = "evidence.csv") -> bytes:
    """A PDF carrying data as a Flate-compressed attachment, as WeasyPrint writes it."""
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.add_attachment(name, data)
    for number, obj in enumerate(writer._objects):
        if hasattr(obj, "get") and obj.get("/Type") == "/EmbeddedFile":
            writer._objects[number] = obj.flate_encode(level=9)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def big_brief(tmp_path_factory):
    """An 80 MB attachment: over pypdf's own 75 MB limit, inside grader's 200 MB one."""
    data = HEADER + ROW * (80_000_000 // len(ROW))
    path = tmp_path_factory.mktemp("big") / "brief.pdf"
    path.write_bytes(brief_with(data))
    assert path.stat().st_size < 1_000_000
    return path, data


def _one_line(result, path, message):
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(rf"{re.escape(str(path))}: {message}", lines[0]), lines[0]
    assert "Traceback" not in result.output


def test_a_real_brief_attachment_up_to_the_input_limit_extracts(big_brief, tmp_path):
    path, data = big_brief
    result = CliRunner().invoke(main, ["extract", str(path), "-o", str(tmp_path / "e.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "e.csv").read_bytes() == data


@pytest.mark.parametrize("command", ["extract", "diff"])
def test_an_attachment_over_the_limit_is_one_line(big_brief, tmp_path, command):
    path, _ = big_brief
    args = (["extract", str(path), "-o", str(tmp_path / "e.csv")] if command == "extract"
            else ["diff", str(path), str(path)])
    result = CliRunner().invoke(main, [*args, "--max-size", "10"])
    _one_line(result, path, r"its attached file is larger than the 10\.0 MB limit; pass "
                            r"--max-size MB to raise it")
    assert not (tmp_path / "e.csv").exists()


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.9])
@pytest.mark.parametrize("command", ["extract", "diff"])
def test_a_truncated_pdf_is_one_line_without_pypdf_messages(tmp_path, command, cut):
    whole = brief_with(HEADER + ROW * 50)
    path = tmp_path / "brief.pdf"
    path.write_bytes(whole[: int(len(whole) * cut)])
    good = tmp_path / "good.csv"
    good.write_bytes(HEADER + ROW)
    args = (["extract", str(path), "-o", str(tmp_path / "e.csv")] if command == "extract"
            else ["diff", str(path), str(good)])
    result = CliRunner().invoke(main, args)
    _one_line(result, path, r"(cannot read this PDF \(.*\); it is damaged or truncated: "
                            r"rebuild it, or use the evidence file itself|has no attached "
                            r"evidence file; .*)")
    assert "EOF marker" not in result.stderr
