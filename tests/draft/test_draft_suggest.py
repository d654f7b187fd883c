"""Design suggestion: right or blank on real lists, precedence, conflicts, flags, n."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.draft import draft
from grader.draft.records import Reference
from grader.draft.suggest import load_cues, suggest
from grader.errors import InvalidInput
from grader.rubric import load_rubric

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed_letters.txt"  # a copy of ../shared/seed/000_3bd15740a826bf50.txt

# What each study is, from ../shared/domain/cited-studies.md (a set where two are right).
SEED_TRUTH = {
    "McIntyre2021": {"expert_opinion", "narrative_review"},
    "Bonaventura2021": {"animal", "in_vitro"}, "Pacheco2014": {"animal"},
    "Williams2018": {"crossover_rct"}, "Yoon2019": {"case_series"},
    "Heifets2019": {"letter"}, "Rush2020": {"narrative_review"}, "Rosenblat2018": {"survey"},
    "FDA2009": {"regulatory_review"}, "Mohamed2017": {"rct"},
    "Carbon2018": {"meta_analysis"}, "Cha2012": {"narrative_review"},
    "Wajs2020": {"single_arm_trial"}, "Daly2019": {"randomized_withdrawal"},
    "Carter2020": {"network_meta_analysis"}, "Dold2020": {"meta_analysis"},
    "Gastaldon2021": {"pharmacovigilance"}, "Freedman2018": {"editorial"},
    "McIntyre2014": {"narrative_review"},
}
# The hydroxychloroquine debate (the fixtures), from the papers' abstracts and PubMed.
HCQ_TRUTH = {
    "Horby2020": "rct", "Boulware2020": "rct", "Gautret2020": "nonrandomized_controlled",
    "Mehra2020": "cohort", "Geleris2020": "cohort", "Skipper2020": "rct",
    "Cavalcanti2020": "rct", "Pan2021": "rct", "Self2020": "rct", "Rosenberg2020": "cohort",
    "Chen2020": "rct", "Yao2020": "in_vitro", "Wang2020": "in_vitro",
    "Fiolet2021": "meta_analysis", "Axfors2021": "meta_analysis", "Bhimraj2020": "guideline",
    "FDA": "",  # a URL with no year in it
}


@pytest.fixture(scope="module")
def table():
    return load_cues(load_rubric())


def _rows(path: Path) -> dict[str, dict]:
    return {s.row["study_id"]: s.row for s in draft(path).studies}


def test_seed_every_design_right_or_blank():
    rows = _rows(SEED)
    assert set(rows) == set(SEED_TRUTH)
    for sid, row in rows.items():
        assert row["design"] in SEED_TRUTH[sid] | {""}, (sid, row["design"], row["notes"])
    drafted = {sid for sid, row in rows.items() if row["design"]}
    # the titles that say what the study is
    assert drafted == {"McIntyre2021", "Yoon2019", "Rosenblat2018", "FDA2009", "Mohamed2017",
                       "Carbon2018", "Daly2019", "Carter2020", "Gastaldon2021"}


def test_seed_notes_say_where_the_design_came_from():
    rows = _rows(SEED)
    assert rows["Yoon2019"]["notes"] == ("drafted from seed_letters.txt:18 (also at "
                                         "line 76); design from title words 'case series'; "
                                         "check n")
    assert "design: no cue in the title, type or abstract; fill it in" in rows[
        "Williams2018"]["notes"]
    assert "an FDA approval package" in rows["FDA2009"]["notes"]


@pytest.mark.parametrize("name", ["hcq.ris", "hcq.bib", "hcq.nbib", "hcq_pubmed.xml",
                                  "hcq_endnote.xml", "hcq.json", "hcq.txt"])
def test_hcq_every_design_right_or_blank(name):
    rows = _rows(FIXTURES / name)
    assert len(rows) >= 12
    for sid, row in rows.items():
        assert row["design"] in {HCQ_TRUTH[sid], ""}, (sid, row["design"], row["notes"])
        assert row["notes"].startswith(f"drafted from {name}")


@pytest.mark.parametrize("name", ["hcq.nbib", "hcq_pubmed.xml", "hcq.ris", "hcq_endnote.xml"])
def test_hcq_with_publication_types_all_but_one_drafted(name):
    rows = _rows(FIXTURES / name)
    blank = {sid for sid, row in rows.items() if not row["design"]}
    assert blank == {"Geleris2020"}  # 'Observational Study' names no single design
    assert "observational study: choose cohort, case_control or cross_sectional" in rows[
        "Geleris2020"]["notes"]
    assert rows["Cavalcanti2020"]["notes"].endswith(
        "design from PubMed publication type 'Randomized Controlled Trial'; check randomized, "
        "blinded, control, n and stopped_early")


@pytest.mark.parametrize("name", ["hcq.nbib", "hcq_pubmed.xml", "hcq.ris", "hcq_endnote.xml",
                                  "hcq.txt", "hcq.bib", "hcq.json"])
def test_retracted_flag(name):
    rows = _rows(FIXTURES / name)
    assert rows["Mehra2020"]["retracted"] == "yes"
    assert all(r["retracted"] == "" for sid, r in rows.items() if sid != "Mehra2020")


@pytest.mark.parametrize("name", ["hcq.ris", "hcq_endnote.xml", "hcq.bib", "hcq.json",
                                  "hcq.txt"])
def test_preprint_is_not_peer_reviewed(name):
    rows = _rows(FIXTURES / name)
    assert rows["Chen2020"]["peer_reviewed"] == "no"
    assert all(r["peer_reviewed"] == "" for sid, r in rows.items() if sid != "Chen2020")


def test_study_cue_beats_letter_type_and_says_so():
    rows = _rows(FIXTURES / "hcq.nbib")
    assert rows["Wang2020"]["design"] == "in_vitro"
    assert "outranked: PubMed publication type 'Letter' (letter)" in rows["Wang2020"]["notes"]


# ------------------------------------------------------------------ precedence, unit level


def _suggest(table, **fields):
    return suggest(Reference(**fields), table)


def test_research_letter_reporting_a_case_series(table):
    found = _suggest(table, title="Association of naltrexone and ketamine with depressive "
                     "symptoms in a case series of patients", publication_types=("Letter",))
    assert found.design == "case_series"


def test_comment_outranks_the_title_it_repeats(table):
    found = _suggest(table, title="A randomized trial of hydroxychloroquine as postexposure "
                     "prophylaxis", publication_types=("Letter", "Comment"))
    assert found.design == "letter"
    assert "outranked: title words 'randomized trial' (rct)" in found.notes


def test_synthesis_outranks_the_designs_it_pools(table):
    found = _suggest(table, title="Tardive dyskinesia in comparative randomized controlled "
                     "trials: a meta-analysis")
    assert found.design == "meta_analysis"


def test_refinement_across_tiers(table):
    found = _suggest(table, title="Ketamine and naltrexone",
                     abstract="In this double-blind crossover trial of 14 adults ...",
                     publication_types=("Randomized Controlled Trial",))
    assert found.design == "crossover_rct"
    assert found.values["blinded"] == "double"
    assert any("refined to crossover_rct by abstract words 'crossover trial'" in n
               for n in found.notes)


def test_conflict_in_one_tier_leaves_blank_naming_both(table):
    found = _suggest(table, title="A cohort study and a case-control study of statin use")
    assert found.design == ""
    assert ("design left blank: title words 'cohort' (cohort) and title words "
            "'case-control' (case_control) disagree; choose one") in found.notes


def test_non_randomized_is_not_randomized(table):
    assert _suggest(table, title="An open-label non-randomized clinical trial").design == (
        "nonrandomized_controlled")
    assert _suggest(table, title="A nonrandomized study of X").design == (
        "nonrandomized_controlled")


def test_fda_url_without_a_review_cue_is_blank_with_a_note(table):
    found = _suggest(table, url="https://www.fda.gov/drugs/drug-safety-and-availability/x")
    assert found.design == ""
    assert any("not an approval package" in n for n in found.notes)


@pytest.mark.parametrize(("text", "n"), [
    ("Naltrexone and ketamine in 80 patients with depression", "80"),
    ("Open-label case series (n = 5)", "5"),
    ("We enrolled 1,522 participants at 35 centres.", "1522"),
])
def test_n_when_stated_plainly(table, text, n):
    found = _suggest(table, title="A study", abstract=text)
    assert found.values["n"] == n
    assert any(n_note.startswith("n from '") for n_note in found.notes)


def test_n_not_drafted_when_two_numbers_are_stated(table):
    found = _suggest(table, title="A study",
                     abstract="Of 1446 consecutive patients, 70 were excluded. Of the "
                              "remaining 1376 patients, 811 received the drug.")
    assert "n" not in found.values
    assert any(n.startswith("n not drafted: several numbers stated") for n in found.notes)


def test_n_not_drafted_from_numbers_of_other_things(table):
    found = _suggest(table, title="Outcomes in 25 hospitals over 12 weeks")
    assert "n" not in found.values


# ------------------------------------------------------------------ the table as data


def test_table_cue_with_unknown_design_is_reported_and_ignored(tmp_path):
    cues = tmp_path / "cues.toml"
    cues.write_text('precedence = ["title"]\n[[cue]]\nsource = "title"\nmatch = "trial"\n'
                    'design = "rtc"\ntier = "title"\n')
    table = load_cues(load_rubric(), cues)
    assert table.cues == ()
    assert str(table.warnings[0]).startswith(
        f"{cues}: cue 1 ('trial'): warning: design 'rtc' is not in the rubric (rct, ")


def test_table_errors_are_collected(tmp_path):
    cues = tmp_path / "cues.toml"
    cues.write_text('precedence = ["title"]\n'
                    '[[cue]]\nsource = "tittle"\nmatch = "x"\ntier = "title"\n'
                    '[[cue]]\nsource = "title"\nmatch = "("\ntier = "title"\n'
                    '[[cue]]\nsource = "title"\nmatch = "x"\ntier = "top"\n')
    with pytest.raises(InvalidInput) as exc:
        load_cues(load_rubric(), cues)
    assert len(exc.value.problems) == 3


def test_builtin_table_names_only_rubric_designs():
    table = load_cues(load_rubric())
    assert table.warnings == ()
    designs = set(load_rubric().designs)
    assert {c.design for c in table.cues if c.design} <= designs
    assert set(table.check) <= designs


def test_editorial_outranks_the_trial_it_discusses(table):
    found = _suggest(table, title="Hydroxychloroquine: a randomized trial at last",
                     publication_types=("Editorial",))
    assert found.design == "editorial"


def test_review_outranks_study_words_but_not_synthesis_words(table):
    review = _suggest(table, title="Ketamine's actions in rodent models",
                      publication_types=("Review",))
    assert review.design == "narrative_review"
    synthesis = _suggest(table, title="Ketamine for depression: a systematic review",
                         publication_types=("Review",))
    assert synthesis.design == "systematic_review"


def test_a_call_for_trials_is_not_a_trial(table):
    found = _suggest(table, title="Statins and dementia",
                     abstract="A randomized clinical trial is needed to confirm this.")
    assert found.design == ""


# ------------------------------------------------------------------ held out
# Written after the cue table was final and never used to tune it; the figures are
# reported in the README. (Its first run found a parser bug: an entry starting with a
# surname particle, "de Melo GD", was glued to the entry before; fixed in plaintext.py.)
HELDOUT_TRUTH = {
    "Caly2020": "in_vitro", "Lopez-Medina2021": "rct", "Reis2022": "rct",
    "Bryant2021": "meta_analysis", "Popp2021": "meta_analysis", "Elgazzar2020": "rct",
    "Hill2021": "meta_analysis", "Chaccour2020": "editorial", "Vallejos2021": "rct",
    "Behera2021": "case_control", "DeMelo2021": "animal", "FDA": "",
}


@pytest.mark.parametrize(("name", "found", "right"), [("heldout_ivermectin.txt", 12, 6),
                                                     ("heldout_ivermectin.ris", 10, 8)])
def test_heldout_list_right_or_blank(name, found, right):
    rows = _rows(FIXTURES / name)
    assert len(rows) == found
    wrong = {sid: r["design"] for sid, r in rows.items()
             if r["design"] not in {HELDOUT_TRUTH[sid], ""}}
    assert wrong == {}
    assert sum(r["design"] == HELDOUT_TRUTH[sid] != "" for sid, r in rows.items()) == right
