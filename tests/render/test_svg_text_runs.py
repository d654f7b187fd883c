"""svg_text_in_runs: plain SVG text laid out and drawn as one run, the rest letter by letter."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest

from grader.render import pdf as pdf_module

weasyprint = pytest.importorskip("weasyprint")
needs_adapter = pytest.mark.skipif(weasyprint.__version__ not in pdf_module.SVG_TEXT_RUNS_FOR,
                                   reason="the adapter is for WeasyPrint 70 only")

PLAIN = '<text x="3" y="20" font-size="9" text-anchor="start">Bonaventura2021</text>'
CENTRED = '<text x="150" y="40" font-size="9" text-anchor="middle">Very low</text>'
ROTATED = '<text x="3" y="60" font-size="9" rotate="10">Tilted</text>'
PLACED = '<text x="3 12 21" y="80" font-size="9">abc</text>'


def _pdf(*texts: str) -> bytes:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100">'
           + "".join(texts) + "</svg>")
    src = base64.b64encode(svg.encode()).decode()
    return weasyprint.HTML(string=f'<img src="data:image/svg+xml;base64,{src}">').write_pdf(
        uncompressed_pdf=True)


def _text_operators(data: bytes) -> int:
    return len(re.findall(rb"\]\s*TJ|\)\s*Tj|>\s*Tj", data))


def _words(data: bytes, tmp_path) -> str:
    path = tmp_path / "svg.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout.split()


@needs_adapter
def test_plain_text_is_one_run_and_reads_the_same(tmp_path):
    stock = _pdf(PLAIN, CENTRED)
    with pdf_module.svg_text_in_runs() as installed:
        runs = _pdf(PLAIN, CENTRED)
    assert installed
    assert _text_operators(stock) == len("Bonaventura2021" "Verylow")  # a space shows nothing
    assert _text_operators(runs) == 2
    assert _words(runs, tmp_path) == _words(stock, tmp_path) == ["Bonaventura2021", "Very",
                                                                 "low"]


@needs_adapter
def test_letters_placed_one_by_one_keep_weasyprints_path():
    with pdf_module.svg_text_in_runs():
        assert _text_operators(_pdf(ROTATED, PLACED)) == len("Tilted") + len("abc")


@needs_adapter
@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_text_with_a_line_break_keeps_every_letter(separator, tmp_path):
    broken = f'<text x="3" y="20" font-size="9">Smith{separator}2020 end</text>'
    with pdf_module.svg_text_in_runs():
        runs = _pdf(broken)
    assert "".join(_words(runs, tmp_path)) == "Smith2020end"


@needs_adapter
def test_the_drawing_functions_are_put_back_even_after_an_exception():
    from weasyprint import svg

    original = svg.text
    tags = dict(svg.TAGS)
    with pytest.raises(RuntimeError), pdf_module.svg_text_in_runs():
        assert svg.text is not original and svg.TAGS["tspan"] is svg.text
        raise RuntimeError
    assert svg.text is original and svg.TAGS == tags


def test_other_weasyprint_versions_draw_as_they_do(monkeypatch):
    from weasyprint import svg

    monkeypatch.setattr(pdf_module, "SVG_TEXT_RUNS_FOR", {"0.0"})
    original = svg.text
    with pdf_module.svg_text_in_runs() as installed:
        assert not installed and svg.text is original


def test_the_brief_is_written_with_the_adapter(monkeypatch):
    seen = []
    real = pdf_module.svg_text_in_runs

    def spy():
        seen.append(True)
        return real()

    monkeypatch.setattr(pdf_module, "svg_text_in_runs", spy)
    templates = Path(str(pdf_module.font_folders()[1])).parent
    pdf_module.render_pdf("<html lang=\"en\"><body><p>x</p></body></html>", base_dir=templates,
                          allowed=[templates], attachment=b"a\n", attachment_name="e.csv",
                          date="2026-05-28")
    assert seen == [True]
