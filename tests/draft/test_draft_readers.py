"""Readers: every format gives the same references; plain-text lists; bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.draft.readers import detect_format, read_references
from grader.draft.rows import merge_duplicates
from grader.errors import InvalidInput

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed_letters.txt"  # a copy of ../shared/seed/000_3bd15740a826bf50.txt
FORMATS = {"hcq.ris": "ris", "hcq.bib": "bibtex", "hcq.nbib": "medline",
           "hcq_pubmed.xml": "pubmed_xml", "hcq_endnote.xml": "endnote_xml",
           "hcq.json": "csl_json", "hcq.txt": "text"}
IN_PUBMED = 15  # the preprint (Chen 2020) has no PubMed record


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_is_detected_and_read(name):
    fmt, refs, _ = read_references(FIXTURES / name)
    assert fmt == FORMATS[name]
    expected = IN_PUBMED if fmt in ("medline", "pubmed_xml") else 16
    expected += 1 if fmt == "text" else 0  # the FDA URL
    assert len(refs) == expected
    boulware = next(r for r in refs if r.first_author_surname == "Boulware")
    assert boulware.year == 2020
    assert boulware.doi == "10.1056/nejmoa2016638"
    assert boulware.title.startswith("A Randomized Trial of Hydroxychloroquine")
    assert boulware.journal in ("N Engl J Med", "The New England journal of medicine")
    assert boulware.volume == "383" and boulware.pages.startswith("517")
    assert boulware.pmid == ("" if fmt == "text" else "32492293")


@pytest.mark.parametrize("name", ["hcq.nbib", "hcq_pubmed.xml", "hcq.ris", "hcq_endnote.xml"])
def test_publication_types_are_kept(name):
    _, refs, _ = read_references(FIXTURES / name)
    mehra = next(r for r in refs if r.first_author_surname == "Mehra")
    assert "Retracted Publication" in mehra.publication_types


def test_collective_authors_in_pubmed_xml_come_after_people():
    _, refs, _ = read_references(FIXTURES / "hcq_pubmed.xml")
    assert refs[0].authors[0] == "Horby P"
    assert "RECOVERY Collaborative Group" in refs[0].authors


def test_detection_by_content_not_extension(tmp_path):
    ris = tmp_path / "export.txt"
    ris.write_text((FIXTURES / "hcq.ris").read_text())
    assert detect_format(ris, ris.read_text()) == "ris"
    nbib = tmp_path / "pubmed-hcq.txt"
    nbib.write_text((FIXTURES / "hcq.nbib").read_text())
    assert read_references(nbib)[0] == "medline"


def test_detection_falls_back_to_extension(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('[{"title": "x",\n  "author": }]')
    with pytest.raises(InvalidInput) as exc:
        read_references(bad)
    assert str(exc.value) == f"{bad}:2: not valid JSON: Expecting value"


def test_bad_xml_names_the_line(tmp_path):
    bad = tmp_path / "pubmed.xml"
    bad.write_text("<?xml version='1.0'?>\n<PubmedArticleSet>\n<PubmedArticle>\n</Oops>\n")
    with pytest.raises(InvalidInput) as exc:
        read_references(bad)
    assert str(exc.value).startswith(f"{bad}:4: not valid XML: mismatched tag")


def test_empty_and_non_utf8_files(tmp_path):
    empty = tmp_path / "refs.ris"
    empty.write_text("  \n")
    with pytest.raises(InvalidInput, match=r"refs.ris: the file is empty"):
        read_references(empty)
    latin = tmp_path / "refs.txt"
    latin.write_bytes(b"1. M\xfcller A. A title. J 2020;1:1-2\n")
    with pytest.raises(InvalidInput, match=r"refs.txt:1: not UTF-8 text"):
        read_references(latin)


def test_text_without_references(tmp_path):
    prose = tmp_path / "letter.txt"
    prose.write_text("Dear editor,\n\nwe write about nothing in particular.\n")
    with pytest.raises(InvalidInput, match="no references found"):
        read_references(prose)


# ------------------------------------------------------------------ the seed's two lists


def test_seed_every_reference_once_duplicates_merged():
    fmt, refs, _ = read_references(SEED)
    assert fmt == "text"
    assert len(refs) == 6 + 17  # the letter's list, then the reply's
    merged = merge_duplicates(refs)
    surnames = [(r.first_author_surname, r.year) for r in merged]
    assert len(merged) == 19
    assert len(set(surnames)) == 19
    # the reply re-cites four of the letter's references, spelt differently
    by_name = {(r.first_author_surname, r.year): r for r in merged}
    assert by_name[("Bonaventura", 2021)].also_lines == (75,)
    assert by_name[("Williams", 2018)].also_lines == (77,)
    assert by_name[("Yoon", 2019)].also_lines == (76,)
    assert by_name[("McIntyre", 2021)].also_lines == (61,)


def test_seed_entry_broken_across_lines_and_bullets():
    _, refs, _ = read_references(SEED)
    bonaventura = refs[1]
    assert bonaventura.title == ("Pharmacological and behavioral divergence of ketamine "
                                 "enantiomers; Implications for abuse liability")
    assert bonaventura.journal == "Mol Psychiatry" and bonaventura.year == 2021
    rush = refs[7]  # the reply's list starts with bullets
    assert rush.authors == ("Rush AJ", "Thase ME") and rush.pages == "244-254"


def test_seed_url_reference():
    _, refs, _ = read_references(SEED)
    fda = next(r for r in refs if r.url)
    assert fda.url == ("https://www.accessdata.fda.gov/drugsatfda_docs/nda/2009/"
                       "021520Orig1s012.pdf")
    assert fda.year == 2009 and not fda.title


def test_bracketed_and_parenthesised_numbers(tmp_path):
    refs = tmp_path / "refs.txt"
    refs.write_text("References\n"
                    "[1] Smith J, Doe A. Aspirin in 80 patients: a cohort study. Lancet. "
                    "2019;393:1-9.\n"
                    "2) Jones B. Another title\n   broken over two lines. BMJ. 2020;368:m1.\n")
    _, found, _ = read_references(refs)
    assert [r.title for r in found] == ["Aspirin in 80 patients: a cohort study",
                                        "Another title broken over two lines"]
    assert found[1].journal == "BMJ" and found[1].line == 3
