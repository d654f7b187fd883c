"""The seed brief as a document: structure, archival PDF, provenance, page 1, HTML, Markdown."""

from __future__ import annotations

import re
from pathlib import Path

import cssselect2
import numpy as np
import pypdf
import pytest
import tinyhtml5

from grader.build import BuildOptions, build_brief

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "evidence.csv"
EPOCH = "1780000000"  # 2026-05-28 UTC
DATE = "2026-05-28"


def _build(out: Path, formats=("pdf", "html", "json", "md")):
    return build_brief(BuildOptions(csv=SEED, out_dir=out, formats=formats, force=True))


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    """The seed brief in every format, built once with a fixed date."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path_factory.mktemp("brief")
    _build(out)
    yield out
    mp.undo()


@pytest.fixture(scope="module")
def reader(brief):
    return pypdf.PdfReader(brief / "brief.pdf")


@pytest.fixture(scope="module")
def page_texts(reader):
    return [page.extract_text() for page in reader.pages]


def test_pdf_is_pdfa3a_in_its_metadata(reader):
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp)
    assert re.search(r"pdfaid:conformance(>|=\")A", xmp)


def test_pdf_is_tagged_with_language_and_title(reader):
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert str(root["/Lang"]).startswith("en")
    assert "Ketamine" in reader.metadata.title


def test_pdf_attaches_the_input_csv_byte_for_byte(reader):
    attachments = reader.attachments
    assert list(attachments) == ["evidence.csv"]
    assert attachments["evidence.csv"][0] == SEED.read_bytes()


def test_bookmarks_cover_every_section(reader):
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    for section in ("Evidence map", "Appendix: evidence profile", "Methods"):
        assert section in titles
    assert sum(t.startswith("P") and t[1].isdigit() for t in titles) >= 10


def test_every_page_footer_carries_provenance(page_texts):
    import hashlib

    sha12 = hashlib.sha256(SEED.read_bytes()).hexdigest()[:12]
    total = len(page_texts)
    for number, text in enumerate(page_texts, start=1):
        assert f"page {number} of {total}" in text
        assert f"evidence.csv · sha256 {sha12} · rubric 2.0.0 · built {DATE}" in text


def test_page_one_answers_the_question(page_texts):
    first = page_texts[0]
    assert "Bottom line" in first
    for word in ("Claim, and who argues it", "Verdict and certainty", "Best evidence"):
        assert word in first
    assert "Schatzberg" in first and "McIntyre et al." in first
    assert "⊕" in first
    assert "10.1176/appi.ajp.2021.21060653" in first


def _flat(text: str) -> str:
    """Whitespace collapsed, and no break after a dash (text extraction splits lines there)."""
    return re.sub(r"([–-]) ", r"\1", " ".join(text.split()))


@pytest.fixture(scope="module")
def doc(brief):
    import json

    return json.loads((brief / "brief.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def front(page_texts):
    """Page 1 and its continuation: the pages before the evidence map."""
    pages = []
    for text in page_texts:
        if "Each citation placed by its certainty" in text:  # the evidence map's lede
            break
        pages.append(text)
    return _flat(" ".join(pages))


def test_every_claim_is_printed_whole_on_page_one_or_its_continuation(doc, front):
    for p in doc["positions"]:
        assert _flat(p["position"]) in front, p["position_id"]


def test_every_verdict_is_said_in_words_beside_it(doc, front):
    for p in doc["positions"]:
        assert _flat(p["statement"]) in front, p["position_id"]
    assert "Checked: refuted by FDA2019" in front


def test_best_evidence_shows_its_finding_on_both_sides(doc, front):
    for p in doc["positions"]:
        cited = [c for c in doc["citations"] if c["position_id"] == p["position_id"]
                 and c["counted"]]
        sides = {"supported": ["supports"], "confirmed": ["supports"],
                 "contradicted": ["opposes"], "refuted": ["opposes"],
                 "contested": ["supports", "opposes"]}.get(p["verdict"], [])
        for stance in sides:  # the best on each side: in the body first, then the grade
            best = max((c for c in cited if c["stance"] == stance),
                       key=lambda c: (c["in_body"], c["score"] or 0))
            if best["result"]:
                assert _flat(best["result"])[:40] in front, (p["position_id"], stance)


def test_badges_are_words_on_page_one(front):
    for badge in ("conceded by McIntyre et al.", "added by the brief's authors",
                  "checked fact", "checked definition"):
        assert badge in front


def test_markdown_reference_list_is_complete(brief, doc):
    md = (brief / "brief.md").read_text(encoding="utf-8")
    references = md.split("## References", 1)[1].split("\n## ", 1)[0]
    for study in doc["studies"]:
        assert f"**{study['study_id']}**" in references
        if study["doi"]:
            assert f"doi:{study['doi']}" in references


def test_markdown_sections_show_start_upgrades_and_findings(brief):
    md = (brief / "brief.md").read_text(encoding="utf-8")
    assert "| Study | Design | n | Stance | Starts | Risk of bias | Inconsistency | " \
           "Indirectness | Imprecision | Publication bias | Upgrades | Certainty | Finding |" in md
    assert "| **Body of evidence** |" in md
    assert "relapse" in md.lower()  # Daly2019's finding


CHAPTERS = ("Evidence map", "Changes since the previous version", "Appendix: evidence profile",
            "References", "Methods")


def test_no_near_empty_page_unless_a_chapter_follows(brief, page_texts):
    """No page but the last is under a quarter full, unless a chapter starts on the next."""
    import pypdfium2 as pdfium  # a test dependency
    pdf = pdfium.PdfDocument(str(brief / "brief.pdf"))
    try:
        for number in range(len(pdf) - 1):
            pixels = np.asarray(pdf[number].render(scale=0.5).to_pil().convert("L"))
            height = pixels.shape[0]
            body = pixels[int(height * 0.07):int(height * 0.92)]  # inside header and footer
            inked = np.flatnonzero(body.min(axis=1) < 160)
            filled = (inked.max() + 1) / body.shape[0] if len(inked) else 0
            following = page_texts[number + 1]
            starts_chapter = any(c in following[:400] for c in CHAPTERS)
            assert filled >= 0.25 or starts_chapter, f"page {number + 1} is {filled:.0%} full"
    finally:
        pdf.close()


def test_sections_are_all_present(page_texts):
    text = "\n".join(page_texts)
    for heading in ("Evidence map", "Claimed versus graded", "Opinion cited (not rated",
                    "Appendix: evidence profile", "Methods", "Where grader simplifies GRADE",
                    "What each level means"):
        assert heading in text


def test_fonts_are_embedded_packaged_fonts(reader):
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] \
                if "/DescendantFonts" in font else font["/FontDescriptor"]
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            names.add(str(font["/BaseFont"]).split("+")[-1])
    # Only the packaged faces (Source Sans Pro as "Grader Text", the DejaVu subset as
    # "Grader Symbols"): nothing taken from whatever the machine has installed.
    assert any(n.startswith("Grader-Text") for n in names)
    assert any(n.startswith("Grader-Symbols") for n in names)
    assert all(n.startswith(("Grader-Text", "Grader-Symbols")) for n in names), names


def test_page_one_renders_with_ink_from_masthead_to_table(brief):
    """Page 1 is drawn, not blank: ink from the masthead down through most of the page."""
    import pypdfium2 as pdfium  # a test dependency
    pdf = pdfium.PdfDocument(str(brief / "brief.pdf"))
    pixels = np.asarray(pdf[0].render(scale=0.5).to_pil().convert("L"))
    pdf.close()
    rows = pixels.min(axis=1) < 128
    inked = np.flatnonzero(rows)
    assert len(inked) and inked[0] < len(rows) * 0.12  # the masthead at the top
    assert inked[-1] > len(rows) * 0.85  # the table runs down to the footer
    assert rows.sum() > len(rows) * 0.2  # and lines of text all the way


def test_same_input_and_date_give_identical_pdf(brief, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    _build(tmp_path, ("pdf",))
    assert (tmp_path / "brief.pdf").read_bytes() == (brief / "brief.pdf").read_bytes()


def _html(brief):
    document = tinyhtml5.parse((brief / "brief.html").read_text(encoding="utf-8"))
    return cssselect2.ElementWrapper.from_html_root(document)


def test_html_is_self_contained(brief):
    html = (brief / "brief.html").read_text(encoding="utf-8")
    assert "<style>" in html and "@font-face" in html
    assert not re.search(r"""(src|href)=["'](?!#|https://doi\.org/)""", html)
    assert not re.search(r"url\((?!data:)", html)


def test_html_has_summary_row_per_position(brief):
    import json

    root = _html(brief)
    data = json.loads((brief / "brief.json").read_text(encoding="utf-8"))
    rows = list(root.query_all("table.summary tbody tr"))
    assert len(rows) == len(data["positions"])
    badges = [el.etree_element.text for el in root.query_all("table.summary .badge")]
    assert badges == [p["verdict"].capitalize() for p in data["positions"]]
    statements = [" ".join("".join(el.etree_element.itertext()).split())
                  for el in root.query_all("table.summary .statement")]
    assert statements == [p["statement"] for p in data["positions"]]
    sections = list(root.query_all("article.position"))
    assert len(sections) == len(data["positions"])


def test_html_footnotes_every_downgrade(brief):
    root = _html(brief)
    for cell in root.query_all("table.sof td.j.serious, table.sof td.j.very_serious"):
        assert cell.etree_element.find("{http://www.w3.org/1999/xhtml}sup") is not None


def test_markdown_has_the_positions_table(brief):
    md = (brief / "brief.md").read_text(encoding="utf-8")
    assert md.startswith("# Ketamine")
    assert "| # | Claim | Argued by | Verdict | Certainty | Best evidence and its finding |" in md
    assert "## Methods" in md
    assert "Claimed versus graded, Williams2018" in md
