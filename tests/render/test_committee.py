"""Reading the §7 document for the committee formats: v2 keys first, v1 fallbacks."""

from __future__ import annotations

from grader.render.committee import letter, read_document


def test_a_v1_document_gets_the_contracts_statements(v1_document):
    data = read_document(v1_document)
    assert data.version == 1
    by_id = {p.position_id: p for p in data.positions}
    assert by_id["drug-works"].statement == "This is probably true."
    assert by_id["drug-harms"].statement == "The evidence shows this is not true."
    assert by_id["only-opinion"].statement == "Only opinion is cited."
    assert all(p.judged == "graded" and p.body is None for p in data.positions)
    assert all(c.upgrades and not c.upgrades.known_applied for c in data.citations)
    assert [c.study_id for c in by_id["drug-works"].best_evidence()] == ["Trial2020"]


def test_the_seed_document_reads(seed_document):
    data = read_document(seed_document)
    assert data.positions and all(p.statement for p in data.positions)
    assert len(data.studies) == len(seed_document["studies"])


def test_a_v2_document_keeps_its_own_words_and_sources(v2_document):
    data = read_document(v2_document)
    assert data.version == 2
    works = data.positions[0]
    assert works.statement == "Drug X probably prevents relapse."
    assert works.body and works.body.domains["imprecision"].text == "? not assessed"
    assert [c.study_id for c in works.best_evidence()] == ["Trial2020"]
    checked = next(p for p in data.positions if p.checked)
    assert checked.citations[0].domains is None
    withheld = data.positions[-1].body.upgrades
    assert withheld.withheld == ["large_effect", "dose_response"] and withheld.applied == []


def test_fallback_statements_follow_the_contract_wording(v2_document):
    for p in v2_document["positions"]:
        del p["statement"]
    words = {p.position_id: p.statement for p in read_document(v2_document).positions}
    assert words["drug-works"] == "This is probably true."
    assert words["drug-harms"] == "The evidence shows this is not true."
    assert words["drug_is_contested"] == ("The evidence conflicts (low certainty, leaning "
                                          "towards the claim).")
    assert words["drug-approved"] == "checked: confirmed by FDA2009 (regulatory review)"


def test_footnote_letters_run_past_z():
    assert [letter(i) for i in (0, 25, 26, 27)] == ["a", "z", "aa", "ab"]
