"""The default input, evidence.csv: key facts of the encoded letters exchange.

Schatzberg's letter and McIntyre et al.'s reply (Am J Psychiatry 2021; 178:1130–1132).
Scores come from the CLI (`grader score evidence.csv --format json`), so these tests pin
the encoding as the default rubric reads it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

SEED = Path(__file__).parent.parent / "evidence.csv"

# Every reference either letter cites, plus STAR*D (Rush2006), which the reply's
# "<15% remission" rests on: study id -> design.
DESIGNS = {
    "McIntyre2021": "expert_opinion",
    "Bonaventura2021": "animal",
    "Pacheco2014": "animal",
    "Williams2018": "crossover_rct",
    "Yoon2019": "case_series",
    "Heifets2019": "letter",
    "Rush2020": "narrative_review",
    "Rush2006": "rct",
    "Rosenblat2018": "survey",
    "FDA2009": "regulatory_review",
    "Mohamed2017": "rct",
    "Carbon2018": "meta_analysis",
    "Cha2012": "narrative_review",
    "Wajs2020": "single_arm_trial",
    "Daly2019": "randomized_withdrawal",
    "Carter2020": "network_meta_analysis",
    "Dold2020": "meta_analysis",
    "Gastaldon2021": "pharmacovigilance",
    "Freedman2018": "editorial",
    "McIntyre2014": "narrative_review",
}

OPINION = ("McIntyre2021", "Heifets2019", "Freedman2018", "Cha2012", "McIntyre2014", "Rush2020")

MECHANISM_POSITIONS = {
    "ketamine-strong-nmda-weak-mu",
    "ketamine-similar-receptor-affinities",
    "mk801-greater-nmda-affinity",
    "ketamine-endogenous-opioid-release",
    "naltrexone-blocks-ketamine-antidepressant-effect",
    "mu-opioid-role-not-excluded",
}

KRYSTAL_POSITION = "krystal-case-series-significant-effects"


@pytest.fixture(scope="module")
def scored() -> dict:
    result = CliRunner().invoke(main, ["score", str(SEED), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    text = SEED.read_bytes().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _studies(scored: dict) -> dict[str, dict]:
    return {s["study_id"]: s for s in scored["studies"]}


def _citations(scored: dict, study_id: str) -> list[dict]:
    return [c for c in scored["citations"] if c["study_id"] == study_id]


def test_file_is_utf8_lf_and_rectangular():
    raw = SEED.read_bytes()
    text = raw.decode("utf-8")  # strict: raises on any invalid byte
    assert "\r" not in text, "line endings must be LF"
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, body = records[0], records[1:]
    assert {"position_id", "position", "advocate", "question", "study_id", "citation",
            "design", "stance", "characterization", "claimed_certainty", "notes"} <= set(header)
    assert body, "no citation rows"
    for number, record in enumerate(body, start=2):
        assert len(record) == len(header), f"record {number}: {len(record)} fields"


def test_check_accepts_the_seed():
    result = CliRunner().invoke(main, ["check", str(SEED)])
    assert result.exit_code == 0, result.output


def test_every_reference_present_with_its_design(scored):
    assert {sid: s["design"] for sid, s in _studies(scored).items()} == DESIGNS


def test_case_series_of_five_is_very_low(scored):
    yoon = _studies(scored)["Yoon2019"]
    assert (yoon["n"], yoon["certainty"], yoon["score"]) == (5, "very_low", 1)
    assert {c["certainty"] for c in _citations(scored, "Yoon2019")} == {"very_low"}


def test_crossover_rct_outranks_the_case_series(scored):
    studies = _studies(scored)
    assert studies["Williams2018"]["score"] > studies["Yoon2019"]["score"]
    # ...on every position where both are cited, too.
    williams = {c["position_id"]: c["score"] for c in _citations(scored, "Williams2018")}
    yoon = {c["position_id"]: c["score"] for c in _citations(scored, "Yoon2019")}
    shared = williams.keys() & yoon.keys()
    assert shared
    for position_id in shared:
        assert williams[position_id] > yoon[position_id], position_id


@pytest.mark.parametrize("study_id", OPINION)
def test_opinion_pieces_are_not_rated(scored, study_id):
    study = _studies(scored)[study_id]
    assert (study["certainty"], study["score"]) == ("not_rated", 0)
    citations = _citations(scored, study_id)
    assert citations
    assert all((c["certainty"], c["score"]) == ("not_rated", 0) for c in citations)
    positions = {p["position_id"]: p for p in scored["positions"]}
    for c in citations:
        position = positions[c["position_id"]]
        assert study_id in position["not_rated"]
        assert study_id not in position["supporting"] + position["opposing"]


def test_significant_effects_claim_for_case_series_is_overstated(scored, rows):
    [row] = [r for r in rows
             if r["position_id"] == KRYSTAL_POSITION and r["study_id"] == "Yoon2019"]
    assert row["characterization"] == "significant antidepressant effects"
    [citation] = [c for c in _citations(scored, "Yoon2019") if c["position_id"] == KRYSTAL_POSITION]
    assert citation["stance"] == "supports"
    assert citation["claimed_certainty"] == "high"
    assert citation["overstated"] is True


def test_both_advocates_hold_positions(scored):
    assert {p["advocate"] for p in scored["positions"]} == {"Schatzberg", "McIntyre et al."}


def test_every_position_has_text_and_advocate(scored):
    assert scored["positions"]
    for position in scored["positions"]:
        assert position["position"].strip(), position["position_id"]
        assert position["advocate"].strip(), position["position_id"]


def test_mechanism_positions_are_marked_mechanism(rows):
    questions: dict[str, set[str]] = {}
    for row in rows:
        questions.setdefault(row["position_id"], set()).add(row["question"].strip().lower())
    assert MECHANISM_POSITIONS <= questions.keys()
    for position_id in MECHANISM_POSITIONS:
        assert questions[position_id] <= {"mechanism", ""}, position_id
        assert "mechanism" in questions[position_id], position_id
    marked = {p for p, q in questions.items() if "mechanism" in q}
    assert marked == MECHANISM_POSITIONS
