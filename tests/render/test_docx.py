"""brief.docx: real Word tables and headings, read back with python-docx; reproducible bytes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import pytest
from docx.oxml.ns import qn

from grader.render.committee import read_document
from grader.render.docx import SYMBOL_FONT, docx_bytes

BUILT = dt.date(2026, 1, 2)
SYMBOL_WORDS = {"high": ("⊕⊕⊕⊕", "High"), "moderate": ("⊕⊕⊕◯", "Moderate"),
                "low": ("⊕⊕◯◯", "Low"), "very_low": ("⊕◯◯◯", "Very low")}
VERDICTS = {"supported": "Supported", "contested": "Contested",
            "contradicted": "Contradicted", "unsupported": "Unsupported",
            "confirmed": "Confirmed", "refuted": "Refuted", "disputed": "Disputed",
            "unchecked": "Not checked"}


def _open(data: bytes):
    return docx.Document(io.BytesIO(data))


def _glance(word) -> list[list[str]]:
    table = word.tables[0]
    return [[cell.text for cell in row.cells] for row in table.rows]


def _section_tables(word):
    return word.tables[1:]


@pytest.fixture
def v2_word(v2_document, settings):
    return _open(docx_bytes(v2_document, settings, BUILT))


def test_front_page_has_title_exchange_and_a_row_per_position(v2_word, v2_document, settings):
    texts = [p.text for p in v2_word.paragraphs]
    assert v2_word.paragraphs[0].text == settings["title"]
    assert settings["exchange"] in texts
    rows = _glance(v2_word)
    assert rows[0] == ["#", "Claim", "Advocate", "Verdict", "Certainty", "Best evidence"]
    assert len(rows) == 1 + len(v2_document["positions"])
    for row, position in zip(rows[1:], v2_document["positions"], strict=True):
        assert row[1] == position["position"]
        assert row[2] == position["advocate"]
        assert row[3].startswith(VERDICTS[position["verdict"]])
        assert position["statement"] in row[3]  # the document's own statement, verbatim
        if position["certainty"] in SYMBOL_WORDS:
            marks, words = SYMBOL_WORDS[position["certainty"]]
            assert row[4].startswith(f"{marks} {words}")


def test_checked_position_shows_its_check_and_no_grade(v2_word):
    row = next(r for r in _glance(v2_word) if r[1] == "Drug X is approved for Y.")
    assert "checked: confirmed by FDA2009" in row[3]
    assert "⊕" not in row[4] and row[4] == "Checked, not graded"
    table = next(t for t in _section_tables(v2_word) if t.rows[1].cells[0].text == "FDA2009")
    assert [c.text for c in table.rows[0].cells] == ["Study", "Design", "Stance", "Finding"]
    assert "Risk of bias" not in {c.text for c in table.rows[0].cells}


def test_best_evidence_carries_the_finding_and_both_sides_when_contested(v2_word):
    rows = {r[1]: r for r in _glance(v2_word)}
    assert "HR 0.49 (95% CI 0.29–0.84)" in rows["Drug X prevents relapse."][5]
    contested = rows["Drug X improves response."][5]
    assert "For: Trial2020" in contested and "Against: Trial2021" in contested
    assert "RR 1.01" in contested
    assert rows["Drug X is the best drug."][5] == "only opinion cited"


def test_every_position_has_a_heading_2_section(v2_word, v2_document):
    headings = [p.text for p in v2_word.paragraphs if p.style.name == "Heading 2"]
    assert headings == [f"P{i}. {p['position']}"
                        for i, p in enumerate(v2_document["positions"], start=1)]
    assert {p.style.name for p in v2_word.paragraphs} >= {"Title", "Heading 1", "Heading 2"}
    ones = [p.text for p in v2_word.paragraphs if p.style.name == "Heading 1"]
    assert ones == ["Positions at a glance", "Positions", "Methods", "References"]


def test_tables_are_word_tables_with_a_repeating_header_row(v2_word):
    assert len(v2_word.tables) >= 2
    for table in v2_word.tables:
        assert table.style.name == "Table Grid"
        header = table.rows[0]._tr
        flags = header.findall(f"{qn('w:trPr')}/{qn('w:tblHeader')}")
        assert flags and flags[0].get(qn("w:val")) == "true"
        assert not table.rows[1]._tr.findall(f"{qn('w:trPr')}/{qn('w:tblHeader')}")


def _sof(word, study_first: str):
    return next(t for t in _section_tables(word)
                if len(t.columns) == 11 and t.rows[1].cells[0].text.startswith(study_first))


def test_summary_of_findings_rows_show_domains_upgrades_certainty_and_finding(v2_word):
    table = _sof(v2_word, "Trial2020")
    header = [c.text.replace("\u00ad", "") for c in table.rows[0].cells]
    assert header == ["Study", "Design", "n", "Risk of bias", "Inconsistency", "Indirectness",
                      "Imprecision", "Publication bias", "Upgrades", "Certainty", "Finding"]
    trial = [c.text for c in table.rows[1].cells]
    assert trial[2] == "400"
    assert trial[3] == "seriousa"  # the downgrade and its footnote letter
    assert trial[6] == "? not assessed"  # never shown as "not serious"
    assert trial[9].startswith("⊕⊕⊕◯ Moderate") and "claimed high" in trial[9]
    assert trial[10] == "relapse 26.7% vs 45.3%; HR 0.49 (95% CI 0.29–0.84)"
    cohort = [c.text for c in table.rows[2].cells]
    assert "lower tier" in cohort[0] and "added by the brief" in cohort[0]
    body = [c.text for c in table.rows[-1].cells]
    assert body[0].startswith("Body of evidence") and body[9] == "⊕⊕⊕◯ Moderate"
    assert body[6] == "? not assessed"


def test_every_downgrade_has_a_letter_and_its_reason_below(v2_word):
    table = _sof(v2_word, "Trial2020")
    cell = table.rows[1].cells[3].paragraphs[0]
    assert [r.text for r in cell.runs if r.font.superscript] == ["a"]
    texts = [p.text for p in v2_word.paragraphs]
    assert "a Risk of bias, serious: Not blinded on a subjective outcome." in texts
    assert "b Risk of bias, serious: Most of the weight is unblinded." in texts


def test_withheld_upgrades_and_explicit_judgments_are_footnoted(v2_word):
    table = _sof(v2_word, "Cohort_2019")
    row = [c.text for c in table.rows[1].cells]
    assert "large effect (withheld)" in row[8] and "dose–response (withheld)" in row[8]
    assert row[6].startswith("serious") and "explicit" in row[6]
    texts = " ".join(p.text for p in v2_word.paragraphs)
    assert ("Upgrade withheld (large effect, dose–response): not applied: imprecision is "
            "rated down") in texts
    assert "judged in the evidence table (Cohort_2019’s note): Wide interval" in texts


def test_retracted_opinion_and_overstated_citations_are_listed(v2_word):
    texts = [p.text for p in v2_word.paragraphs]
    assert "Retracted, listed and never counted: Fraud2020 (rct, supports)" in texts
    assert any(t.startswith("Not rated (opinion, ineligible for GRADE): O'Brien2020")
               for t in texts)
    assert any(t.startswith("Claimed versus graded: Trial2020 is described as “definitive "
                            "proof”") for t in texts)
    assert "Conceded by" in " ".join(texts)


def test_references_list_every_study_with_its_doi(v2_word, v2_document):
    start = next(i for i, p in enumerate(v2_word.paragraphs) if p.text == "References")
    references = "\n".join(p.text for p in v2_word.paragraphs[start + 1:])
    for study in v2_document["studies"]:
        assert study["study_id"] in references and study["citation"] in references
        if study["doi"]:
            assert f"doi:{study['doi']}" in references
    assert "Fraud2020. Fake F. Retracted trial. Lancet 2020. doi:10.1016/retracted " \
           "[retracted]" in references


def test_methods_summary_names_the_rubric_and_the_arithmetic(v2_word):
    start = next(i for i, p in enumerate(v2_word.paragraphs) if p.text == "Methods")
    methods = " ".join(p.text for p in v2_word.paragraphs[start + 1:start + 6])
    assert "grader default rubric (GRADE-like), version 2.0.0" in methods
    assert "certainty = start − downgrades + upgrades" in methods
    assert "body of evidence" in methods
    assert "1 not assessed" in methods  # Trial2020's imprecision on drug-works


def test_certainty_symbols_are_set_in_a_widely_available_font(v2_word):
    runs = [r for p in v2_word.paragraphs for r in p.runs if "⊕" in r.text]
    runs += [r for t in v2_word.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs if "⊕" in r.text]
    assert runs
    for run in runs:
        fonts = run._element.rPr.rFonts
        assert {fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia", "cs")} == \
            {SYMBOL_FONT}


def test_same_inputs_give_the_same_bytes(v2_document, settings):
    first = docx_bytes(v2_document, settings, BUILT, 1767312000)
    assert first == docx_bytes(v2_document, settings, BUILT, 1767312000)
    assert first != docx_bytes(v2_document, settings, BUILT, 1767398400)
    package = zipfile.ZipFile(io.BytesIO(first))
    assert package.namelist()[0] == "[Content_Types].xml"
    assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = _open(first).core_properties
    assert props.created == dt.datetime(2026, 1, 2, tzinfo=dt.UTC) == props.modified
    assert props.revision == 1 and props.last_modified_by == "grader"


@pytest.mark.parametrize("which", ["seed", "v1"])
def test_seed_and_v1_documents_read_back(which, seed_document, v1_document, settings):
    document = seed_document if which == "seed" else v1_document
    word = _open(docx_bytes(document, settings, BUILT))
    rows = _glance(word)
    data = read_document(document)
    assert len(rows) == 1 + len(data.positions)
    for row, position in zip(rows[1:], data.positions, strict=True):
        assert row[1] == position.claim
        assert row[3].startswith(VERDICTS[position.verdict])
        if position.certainty in SYMBOL_WORDS:
            assert row[4].startswith(" ".join(SYMBOL_WORDS[position.certainty]))
    text = "\n".join(p.text for p in word.paragraphs)
    for study in document["studies"]:
        assert study["study_id"] in text
        if study.get("doi"):
            assert study["doi"] in text


def test_an_empty_document_still_makes_a_brief(settings):
    word = _open(docx_bytes({"positions": [], "studies": [], "citations": []}, settings,
                            BUILT))
    assert "The evidence file holds no positions." in [p.text for p in word.paragraphs]
