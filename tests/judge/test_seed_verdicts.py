"""The verdicts the v2 rubric must give on the seed (contract v2, §4, §5, §7).

These run `grader score evidence.csv --format json` and read the §7 keys. They need the v2
engine (question types fact/definition/prognosis/values, checked positions, the new
columns, body-of-evidence grading); until it lands they fail at the first step, where the v1
validator rejects the v2 values. What they assume of the rubric:

- checked positions (fact, definition): every non-retracted citation counts, whatever its
  design; supporting only → confirmed, opposing only → refuted, both → disputed; certainty
  "not_applicable", score/body null; citations with certainty "not_applicable" (§5);
- a case series starts very low and n < 10 is very serious imprecision, so it stays very low;
- a randomised blinded trial stopped early for benefit has serious risk of bias, and n = 12
  is serious (not very serious) imprecision, so Williams 2018 ends low on its mechanism
  position, above the case series (§4.1);
- explicit judgments in the CSV win over derived ones;
- a position whose only citations are opinion designs is "unsupported", certainty not_rated;
- cited_in_exchange is carried to the JSON citation as a boolean (§7).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

SEED = Path(__file__).resolve().parents[2] / "evidence.csv"

# studies the brief's authors added (every citation of them carries the badge)
ADDED = {"Rush2006", "FDA2019", "Gaynes2020", "Bonaventura2021b", "McIntyre2021b"}
CHECKED = {
    "krystal-case-series-significant-effects": "refuted",
    "krystal-no-significance-reported": "confirmed",
    "krystal-pilot-uncontrolled": "confirmed",
    "krystal-williams-false-equivalence": "confirmed",
    "krystal-baseline-and-dropouts": "confirmed",
    "ofc-fda-approved-trd": "confirmed",
    "only-ofc-fda-approved-trd": "refuted",
    "trd-definition-two-failed-trials": "confirmed",
}
LEVELS = {"very_low": 1, "low": 2, "moderate": 3, "high": 4}


@pytest.fixture(scope="module")
def scored() -> dict:
    result = CliRunner().invoke(main, ["score", str(SEED), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def positions(scored) -> dict[str, dict]:
    return {p["position_id"]: p for p in scored["positions"]}


@pytest.fixture(scope="module")
def studies(scored) -> dict[str, dict]:
    return {s["study_id"]: s for s in scored["studies"]}


def _citation(scored, position_id, study_id) -> dict:
    [c] = [c for c in scored["citations"]
           if c["position_id"] == position_id and c["study_id"] == study_id]
    return c


# --- checked positions ---------------------------------------------------------------

def test_only_ofc_claim_refuted_or_disputed_and_not_graded(positions):
    only = positions["only-ofc-fda-approved-trd"]
    assert only["question"] == "fact" and only["judged"] == "checked"
    assert only["verdict"] in {"refuted", "disputed"}
    assert (only["certainty"], only["score"], only["body"]) == ("not_applicable", None, None)
    assert "FDA2019" in only["opposing"]


def test_trd_definition_confirmed(positions):
    definition = positions["trd-definition-two-failed-trials"]
    assert (definition["judged"], definition["verdict"], definition["certainty"]) == (
        "checked", "confirmed", "not_applicable")
    assert {"McIntyre2014", "FDA2009", "FDA2019", "Gaynes2020"} <= set(definition["supporting"])
    assert definition["not_rated"] == []  # every citation of a checked position counts


def test_case_series_significance_claim_refuted_by_the_paper_itself(positions):
    claim = positions["krystal-case-series-significant-effects"]
    assert (claim["judged"], claim["verdict"], claim["certainty"]) == (
        "checked", "refuted", "not_applicable")
    assert claim["opposing"] == ["Yoon2019"] and claim["supporting"] == []


@pytest.mark.parametrize("position_id", sorted(CHECKED))
def test_checked_positions_get_their_verdict_and_no_grade(scored, positions, position_id):
    position = positions[position_id]
    assert position["judged"] == "checked"
    assert position["verdict"] == CHECKED[position_id]
    assert (position["certainty"], position["score"], position["body"]) == (
        "not_applicable", None, None)
    for c in scored["citations"]:
        if c["position_id"] == position_id:
            assert (c["certainty"], c["score"], c["start"], c["domains"]) == (
                "not_applicable", None, None, None)


# --- the badge ------------------------------------------------------------------------

def test_no_position_rests_on_an_added_study_without_the_badge(scored, positions):
    for c in scored["citations"]:
        if c["study_id"] in ADDED:
            assert c["cited_in_exchange"] is False, (c["position_id"], c["study_id"])
    for pid, position in positions.items():
        for sid in position["supporting"] + position["opposing"] + position["not_rated"]:
            if sid in ADDED:
                assert _citation(scored, pid, sid)["cited_in_exchange"] is False, (pid, sid)


def test_letter_references_keep_cited_in_exchange_true(scored):
    for c in scored["citations"]:
        if c["study_id"] in {"Williams2018", "Daly2019", "Dold2020", "Carter2020"}:
            assert c["cited_in_exchange"] is True, (c["position_id"], c["study_id"])


# --- graded positions -----------------------------------------------------------------

def test_case_series_of_five_is_very_low(scored, studies):
    yoon = studies["Yoon2019"]
    assert (yoon["n"], yoon["certainty"], yoon["score"]) == (5, "very_low", 1)
    graded = [c for c in scored["citations"]
              if c["study_id"] == "Yoon2019" and c["certainty"] != "not_applicable"]
    assert graded and {c["certainty"] for c in graded} == {"very_low"}


def test_crossover_trial_outranks_the_case_series(scored, studies):
    assert studies["Williams2018"]["score"] > studies["Yoon2019"]["score"]
    pid = "naltrexone-blocks-ketamine-antidepressant-effect"
    williams, yoon = _citation(scored, pid, "Williams2018"), _citation(scored, pid, "Yoon2019")
    assert williams["certainty"] == "low"
    assert williams["score"] > yoon["score"]


def test_significant_effects_wording_is_overstated_for_the_case_series(scored):
    c = _citation(scored, "krystal-ketamine-naltrexone-antidepressant-effect", "Yoon2019")
    assert (c["stance"], c["claimed_certainty"], c["certainty"], c["overstated"]) == (
        "supports", "high", "very_low", True)


def test_esketamine_vs_antipsychotic_effect_size_no_higher_than_low(positions):
    position = positions["esketamine-larger-effect-than-antipsychotics"]
    assert position["judged"] == "graded"
    assert position["certainty"] in {"low", "very_low"}
    assert position["score"] <= LEVELS["low"]
    assert set(position["body"]["studies"]) == {"Carter2020", "Dold2020"}


def test_uncited_and_opinion_only_claims_show_only_opinion(positions):
    for pid in ("antipsychotic-evidence-mostly-acute", "augmentation-suboptimal-efficacy-trd",
                "ketamine-safe-use-framework"):
        position = positions[pid]
        assert position["verdict"] == "unsupported", pid
        assert position["certainty"] == "not_rated", pid
        assert position["supporting"] == [] and position["opposing"] == [], pid


def test_prognosis_and_values_evidence_starts_high(scored):
    assert _citation(scored, "stard-remission-below-15pct", "Rush2006")["start"] == "high"
    survey = _citation(scored, "low-remission-unacceptable-to-patients", "Rosenblat2018")
    assert survey["start"] == "high"


def test_gastaldon_counts_against_documented_long_term_safety(positions):
    safety = positions["esketamine-long-term-safety"]
    assert "Gastaldon2021" in safety["opposing"] or "Gastaldon2021" in safety["lower_tier"]


def test_concessions_reach_the_json(positions):
    for pid in ("mk801-greater-nmda-affinity", "mu-opioid-role-not-excluded",
                "krystal-no-significance-reported", "krystal-pilot-uncontrolled",
                "krystal-williams-false-equivalence"):
        assert positions[pid]["conceded_by"] == "McIntyre et al.", pid
    assert positions["ketamine-strong-nmda-weak-mu"]["conceded_by"] is None


def test_results_reach_the_json(scored):
    c = _citation(scored, "esketamine-long-term-efficacy", "Daly2019")
    assert "HR 0.49 (95% CI 0.29–0.84)" in c["result"]
