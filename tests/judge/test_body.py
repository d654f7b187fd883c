"""The body of evidence of a position (contract v2 §4.2) and checked positions (§5)."""

from __future__ import annotations

import pytest
from conftest import assess_rows, make_rows

from grader import report
from grader.judge import graded_statement
from grader.pipeline import assess
from grader.rubric import default_rubric_text, load_rubric

TRIAL = {"design": "rct", "blinded": "double", "stopped_early": "no", "n": "1000"}
SMALL_TRIAL = {**TRIAL, "n": "100"}
COHORT = {"design": "cohort", "n": "1000"}
SERIES = {"design": "case_series", "n": "1000"}
OPINION = {"design": "expert_opinion"}


def judged(tmp_path, *cited, rubric_text: str | None = None, **position):
    """Rate one position cited by rows (dicts of study columns with a stance); its JSON."""
    rows = [{"position_id": "p1", "study_id": f"S{i}", **position, **row}
            for i, row in enumerate(cited)]
    doc = report.to_json(assess_rows(tmp_path, rows, rubric_text))
    return doc["positions"][0], {c["study_id"]: c for c in doc["citations"]}


def edited(old: str, new: str) -> str:
    text = default_rubric_text()
    assert old in text, old
    return text.replace(old, new, 1)


# --- 1. counted citations, 2. the body (highest start tier) -------------------------

def test_body_is_the_highest_tier_and_lower_tiers_are_listed_apart(tmp_path):
    p, c = judged(tmp_path, {**TRIAL, "stance": "supports"},
                  {**COHORT, "stance": "opposes"}, {**SERIES, "stance": "opposes"})
    assert p["body"]["studies"] == ["S0"] and p["body"]["start"] == "high"
    assert p["verdict"] == "supported"  # the opposing cohort is lower-tier: no change
    assert sorted(p["lower_tier"]) == ["S1", "S2"]
    assert p["opposing"] == ["S1", "S2"]  # still counted and listed on its side
    assert (c["S0"]["in_body"], c["S1"]["in_body"], c["S1"]["counted"]) == (True, False, True)


def test_opinion_and_retracted_studies_are_never_counted(tmp_path):
    p, c = judged(tmp_path, {**OPINION, "stance": "opposes"},
                  {**TRIAL, "stance": "opposes", "retracted": "yes"},
                  {**COHORT, "stance": "supports"})
    assert p["retracted"] == ["S1"] and p["not_rated"] == ["S0"]
    assert p["body"]["studies"] == ["S2"] and p["verdict"] == "supported"
    assert c["S1"]["counted"] is False and p["opposing"] == []


def test_only_opinion_is_unsupported(tmp_path):
    p, _ = judged(tmp_path, {**OPINION, "stance": "supports"})
    assert (p["verdict"], p["certainty"], p["score"], p["body"]) == (
        "unsupported", "not_rated", 0, None)
    assert p["statement"] == "Only opinion is cited."


# --- 3. weights ------------------------------------------------------------------

def test_weight_is_n_when_every_body_citation_has_one(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "stance": "supports"},
                  {**TRIAL, "n": "3000", "stance": "opposes"})
    assert p["body"]["weight"] == "n"
    assert p["body"]["weights"] == {"S0": 1000.0, "S1": 3000.0}
    assert (p["verdict"], p["leaning"]) == ("contested", "opposes")


def test_weight_is_equal_when_some_n_is_unknown(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "stance": "supports"},
                  {**TRIAL, "n": "", "stance": "supports"})
    assert p["body"]["weight"] == "equal"
    assert p["body"]["weights"] == {"S0": 1.0, "S1": 1.0}


def test_equal_weight_setting_ignores_n(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "stance": "supports"},
                  {**TRIAL, "n": "3000", "stance": "opposes"},
                  rubric_text=edited('weight = "n"', 'weight = "equal"'))
    assert p["body"]["weight"] == "equal" and p["leaning"] == "neither"


# --- 4. body judgments -------------------------------------------------------------

def test_risk_of_bias_follows_the_majority_of_the_weight(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "n": "3000", "blinded": "none", "stance": "supports"},
                  {**TRIAL, "stance": "supports"})
    rob = p["body"]["domains"]["risk_of_bias"]
    assert rob["judgment"] == "serious" and "75%" in rob["reason"]
    assert p["certainty"] == "moderate"


def test_risk_of_bias_minority_does_not_rate_down(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "blinded": "none", "stance": "supports"},
                  {**TRIAL, "n": "3000", "stance": "supports"})
    assert p["body"]["domains"]["risk_of_bias"]["judgment"] == "not_serious"
    assert p["certainty"] == "high"


def test_a_tie_goes_to_the_most_severe_judgment(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "blinded": "none", "stance": "supports"},
                  {**TRIAL, "stance": "supports"})
    rob = p["body"]["domains"]["risk_of_bias"]
    assert rob["judgment"] == "serious" and "tie" in rob["reason"]


def test_the_tie_rule_is_a_rubric_setting(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "blinded": "none", "stance": "supports"},
                  {**TRIAL, "stance": "supports"},
                  rubric_text=edited('tie = "most_severe"', 'tie = "least_severe"'))
    assert p["body"]["domains"]["risk_of_bias"]["judgment"] == "not_serious"


def test_not_assessed_is_the_least_severe_in_a_tie(tmp_path):
    # S1 has blank blinding: its risk of bias is not assessed; S0's is derived not serious.
    p, _ = judged(tmp_path, {**TRIAL, "stance": "supports"},
                  {**TRIAL, "blinded": "", "stance": "supports"})
    rob = p["body"]["domains"]["risk_of_bias"]
    assert (rob["judgment"], rob["source"]) == ("not_serious", "derived")


def test_not_assessed_holding_most_weight_stays_not_assessed(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "stance": "supports"},
                  {**TRIAL, "blinded": "", "n": "5000", "stance": "supports"})
    rob = p["body"]["domains"]["risk_of_bias"]
    assert (rob["judgment"], rob["source"]) == ("not_serious", "not_assessed")


def test_a_body_of_one_takes_its_citations_judgments(tmp_path):
    p, c = judged(tmp_path, {**SMALL_TRIAL, "stance": "supports"})
    assert p["body"]["domains"] == c["S0"]["domains"]
    assert p["certainty"] == c["S0"]["certainty"] == "moderate"


def test_supporting_and_opposing_in_the_body_is_serious_inconsistency(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "stance": "supports"}, {**TRIAL, "stance": "opposes"})
    inc = p["body"]["domains"]["inconsistency"]
    assert (inc["judgment"], inc["source"]) == ("serious", "derived")
    assert "S0" in inc["reason"] and "S1" in inc["reason"]
    assert (p["verdict"], p["leaning"], p["certainty"]) == ("contested", "neither", "moderate")


def test_between_study_inconsistency_is_never_very_serious_unless_explicit(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "stance": "supports", "inconsistency": "very_serious"},
                  {**TRIAL, "stance": "opposes", "inconsistency": "very_serious"})
    assert p["body"]["domains"]["inconsistency"]["judgment"] == "very_serious"
    p, _ = judged(tmp_path, {**TRIAL, "stance": "supports"}, {**TRIAL, "stance": "opposes"})
    assert p["body"]["domains"]["inconsistency"]["judgment"] == "serious"


def test_imprecision_is_judged_on_the_pooled_n(tmp_path):
    # Each trial alone is small (serious); together they pass the rubric's threshold.
    threshold = next(r for r in load_rubric().rules
                     if r.id == "imprecision-small-sample").when["n_below"]
    half = str(threshold // 2 + 1)
    p, c = judged(tmp_path, {**TRIAL, "n": half, "stance": "supports"},
                  {**TRIAL, "n": half, "stance": "supports"})
    assert c["S0"]["domains"]["imprecision"]["judgment"] == "serious"
    imp = p["body"]["domains"]["imprecision"]
    assert (imp["judgment"], imp["source"]) == ("not_serious", "derived")
    assert str(2 * int(half)) in imp["reason"]
    assert p["certainty"] == "high"


def test_pooled_imprecision_without_any_n_is_not_assessed(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "n": "", "stance": "supports"},
                  {**TRIAL, "n": "", "stance": "supports"})
    assert p["body"]["domains"]["imprecision"]["source"] == "not_assessed"


def test_explicit_imprecision_in_the_body_is_weighed_like_risk_of_bias(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "n": "3000", "imprecision": "serious",
                             "stance": "supports"}, {**TRIAL, "stance": "supports"})
    assert p["body"]["domains"]["imprecision"]["judgment"] == "serious"


def test_pharmacovigilance_report_counts_are_not_pooled_as_participants(tmp_path):
    pv = {"design": "pharmacovigilance", "n": "900"}
    p, _ = judged(tmp_path, {**pv, "stance": "supports"}, {**SERIES, "n": "5",
                                                           "stance": "supports"})
    imp = p["body"]["domains"]["imprecision"]
    assert imp["judgment"] == "very_serious" and "5 participants" in imp["reason"]


# --- upgrades ----------------------------------------------------------------------

def test_body_upgrade_is_the_smallest_every_citation_holds(tmp_path):
    p, _ = judged(tmp_path, {**COHORT, "large_effect": "very_large", "stance": "supports",
                             "risk_of_bias": "not_serious"},
                  {**COHORT, "large_effect": "large", "stance": "supports",
                   "risk_of_bias": "not_serious"})
    assert p["body"]["upgrades"]["large_effect"] == "large"
    assert p["certainty"] == "moderate"


def test_upgrades_are_withheld_when_a_domain_is_rated_down(tmp_path):
    p, c = judged(tmp_path, {**COHORT, "n": "50", "large_effect": "large",
                             "stance": "supports"})
    up = c["S0"]["upgrades"]
    assert up["large_effect"] == "no" and up["withheld"] == ["large_effect"]
    assert "imprecision" in up["reason"]
    assert c["S0"]["certainty"] == "very_low"
    assert p["body"]["upgrades"]["withheld"] == ["large_effect"]


def test_upgrade_despite_downgrades_setting(tmp_path):
    text = edited("upgrade_despite_downgrades = false", "upgrade_despite_downgrades = true")
    p, c = judged(tmp_path, {**COHORT, "n": "50", "large_effect": "large",
                             "stance": "supports"}, rubric_text=text)
    assert c["S0"]["upgrades"]["withheld"] == [] and c["S0"]["certainty"] == "low"
    assert p["certainty"] == "low"


# --- 5-7. certainty, verdicts, statements -----------------------------------------

@pytest.mark.parametrize(("verdict", "certainty", "words"), [
    ("supported", "high", "the evidence shows this is true"),
    ("supported", "moderate", "probably true"),
    ("supported", "low", "may be true"),
    ("contradicted", "high", "the evidence shows this is not true"),
    ("contradicted", "moderate", "probably not true"),
    ("contradicted", "low", "may not be true"),
    ("supported", "very_low", "the evidence is very uncertain"),
    ("contradicted", "very_low", "the evidence is very uncertain"),
    ("contested", "low", "the evidence conflicts"),
])
def test_statements_carry_the_fixed_words(verdict, certainty, words):
    text = graded_statement(verdict, certainty, "supports" if verdict == "contested" else None)
    assert words in text.lower()


def test_contradicted_high_certainty_never_reads_as_a_certain_claim(tmp_path):
    p, _ = judged(tmp_path, {**TRIAL, "stance": "opposes"})
    assert (p["verdict"], p["certainty"]) == ("contradicted", "high")
    assert "not true" in p["statement"]


# --- §5 checked positions --------------------------------------------------------

@pytest.mark.parametrize(("stances", "verdict"), [
    (["supports"], "confirmed"), (["opposes"], "refuted"),
    (["supports", "opposes"], "disputed"), ([], "unchecked")])
def test_checked_verdicts(tmp_path, stances, verdict):
    cited = [{"design": "regulatory_review", "stance": s} for s in stances]
    if not stances:  # only a retracted source: nothing is left to check against
        cited = [{"design": "guideline", "stance": "supports", "retracted": "yes"}]
    p, c = judged(tmp_path, *cited, question="fact")
    assert (p["judged"], p["verdict"], p["certainty"], p["score"], p["body"]) == (
        "checked", verdict, "not_applicable", None, None)
    for citation in c.values():
        assert (citation["certainty"], citation["score"], citation["start"],
                citation["domains"], citation["upgrades"]) == (
            "not_applicable", None, None, None, None)
    assert p["statement"].lower().startswith("checked" if stances else "not checked")


def test_a_definition_is_checked_and_opinion_designs_count_there(tmp_path):
    p, _ = judged(tmp_path, {**OPINION, "stance": "supports"},
                  {"design": "guideline", "stance": "supports"}, question="definition")
    assert (p["verdict"], p["supporting"], p["not_rated"]) == (
        "confirmed", ["S0", "S1"], [])
    assert "confirmed by S0 and S1" in p["statement"]


def test_a_study_cited_only_on_checked_positions_is_not_applicable(tmp_path):
    path = tmp_path / "evidence.csv"
    path.write_text(make_rows(
        {"position_id": "fact", "question": "fact", "study_id": "FDA", "design": "letter"},
        {"position_id": "works", "study_id": "RCT", **TRIAL}), encoding="utf-8")
    studies = {s["study_id"]: s for s in report.to_json(assess(path))["studies"]}
    assert (studies["FDA"]["certainty"], studies["FDA"]["score"]) == ("not_applicable", None)
    assert studies["RCT"]["certainty"] == "high"
