"""Fixtures for the committee formats: a hand-built v2 §7 document and the seed's document."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _domains(**overrides) -> dict:
    out = {d: {"judgment": "not_serious", "source": "derived", "reason": f"No concern ({d})."}
           for d in ("risk_of_bias", "inconsistency", "indirectness", "imprecision",
                     "publication_bias")}
    for name, value in overrides.items():
        judgment, source, reason = value
        out[name] = {"judgment": judgment, "source": source, "reason": reason}
    return out


NO_UPGRADES = {"large_effect": "no", "dose_response": False, "plausible_confounding": False,
               "withheld": [], "reason": None}
LONG_ID = "a-very-long-position-id-that-goes-on-and-on-well-past-the-sixty-four-character-limit"

STUDIES = [
    {"study_id": "Trial2020", "design": "rct", "n": 400, "retracted": False,
     "certainty": "moderate", "score": 3, "citation": "Doe J, et al. A big trial. NEJM 2020.",
     "year": 2020, "doi": "10.1056/trial2020"},
    {"study_id": "Trial2021", "design": "crossover_rct", "n": 150, "retracted": False,
     "certainty": "high", "score": 4, "citation": "Roe R. A crossover trial. BMJ 2021.",
     "year": 2021, "doi": "10.1136/trial2021"},
    {"study_id": "Cohort_2019", "design": "cohort", "n": 5000, "retracted": False,
     "certainty": "low", "score": 2, "citation": "Poe P. A cohort. Lancet 2019.",
     "year": 2019, "doi": None},
    {"study_id": "O'Brien2020", "design": "expert_opinion", "n": None, "retracted": False,
     "certainty": "not_rated", "score": 0, "citation": "O'Brien K. My view. JAMA 2020.",
     "year": 2020, "doi": "10.1001/view"},
    {"study_id": "Fraud2020", "design": "rct", "n": 96000, "retracted": True,
     "certainty": "moderate", "score": 3, "citation": "Fake F. Retracted trial. Lancet 2020.",
     "year": 2020, "doi": "10.1016/retracted"},
    {"study_id": "FDA2009", "design": "regulatory_review", "n": None, "retracted": False,
     "certainty": "not_applicable", "score": None,
     "citation": "FDA. Label of drug X. 2009.", "year": 2009, "doi": None},
]


def _citation(position, study, stance, certainty, score, **extra) -> dict:
    out = {"position_id": position, "study_id": study, "stance": stance, "start": "high",
           "counted": True, "in_body": True, "domains": _domains(),
           "upgrades": dict(NO_UPGRADES), "certainty": certainty, "score": score,
           "result": None, "cited_in_exchange": True, "claimed_certainty": None,
           "overstated": False, "characterization": None, "notes": None}
    out.update(extra)
    return out


CITATIONS = [
    _citation("drug-works", "Trial2020", "supports", "moderate", 3,
              domains=_domains(risk_of_bias=("serious", "derived",
                                             "Not blinded on a subjective outcome."),
                               imprecision=("not_serious", "not_assessed",
                                            "No rule applies: n is known but no threshold.")),
              result="relapse 26.7% vs 45.3%; HR 0.49 (95% CI 0.29–0.84)",
              claimed_certainty="high", overstated=True,
              characterization="definitive proof"),
    _citation("drug-works", "Cohort_2019", "supports", "low", 2, start="low", in_body=False,
              cited_in_exchange=False, result="adjusted OR 0.70 (0.55–0.89)"),
    _citation("drug-works", "O'Brien2020", "supports", "not_rated", 0, start="not_rated",
              counted=False, in_body=False),
    _citation("drug_is_contested", "Trial2020", "supports", "moderate", 3,
              result="response 40% vs 30%"),
    _citation("drug_is_contested", "Trial2021", "opposes", "high", 4,
              result="no difference, RR 1.01 (0.90–1.12)"),
    _citation("drug-harms", "Trial2021", "opposes", "high", 4, result="no excess harm"),
    _citation("drug-harms", "Fraud2020", "supports", "moderate", 3, counted=False,
              in_body=False),
    _citation("only-opinion", "O'Brien2020", "supports", "not_rated", 0, start="not_rated",
              counted=False, in_body=False, claimed_certainty="moderate", overstated=True),
    _citation("drug-approved", "FDA2009", "supports", "not_applicable", None, start=None,
              domains=None, upgrades=None, in_body=None,
              result="the label lists indication Y"),
    _citation(LONG_ID, "Cohort_2019", "supports", "very_low", 1, start="low",
              domains=_domains(imprecision=("serious", "explicit", "")),
              upgrades={"large_effect": "no", "dose_response": False,
                        "plausible_confounding": False,
                        "withheld": ["large_effect", "dose_response"],
                        "reason": "not applied: imprecision is rated down"},
              notes="Wide interval around a small number of events."),
]


def _position(pid, claim, verdict, certainty, score, statement, body, **extra) -> dict:
    out = {"position_id": pid, "position": claim, "advocate": "Smith", "question": "efficacy",
           "judged": "graded", "verdict": verdict, "leaning": None, "certainty": certainty,
           "score": score, "statement": statement, "body": body, "supporting": [],
           "opposing": [], "lower_tier": [], "not_rated": [], "retracted": [],
           "conceded_by": None}
    out.update(extra)
    return out


POSITIONS = [
    _position("drug-works", "Drug X prevents relapse.", "supported", "moderate", 3,
              "Drug X probably prevents relapse.",
              {"start": "high", "weight": "n", "studies": ["Trial2020"],
               "domains": _domains(
                   risk_of_bias=("serious", "derived", "Most of the weight is unblinded."),
                   imprecision=("not_serious", "not_assessed", "No n-based rule applies.")),
               "upgrades": dict(NO_UPGRADES)},
              supporting=["Trial2020", "Cohort_2019"], lower_tier=["Cohort_2019"],
              not_rated=["O'Brien2020"], conceded_by="Jones et al."),
    _position("drug_is_contested", "Drug X improves response.", "contested", "low", 2,
              "The evidence conflicts (low certainty, leaning towards the claim).",
              {"start": "high", "weight": "n", "studies": ["Trial2020", "Trial2021"],
               "domains": _domains(
                   inconsistency=("serious", "derived",
                                  "Trial2020 supports and Trial2021 opposes."),
                   risk_of_bias=("serious", "derived", "Most of the weight is unblinded.")),
               "upgrades": dict(NO_UPGRADES)},
              leaning="supports", supporting=["Trial2020"], opposing=["Trial2021"],
              advocate="Jones et al."),
    _position("drug-harms", "Drug X causes harm.", "contradicted", "high", 4,
              "The evidence shows this is not true.",
              {"start": "high", "weight": "n", "studies": ["Trial2021"],
               "domains": _domains(), "upgrades": dict(NO_UPGRADES)},
              opposing=["Trial2021"], retracted=["Fraud2020"], question="safety"),
    _position("only-opinion", "Drug X is the best drug.", "unsupported", "not_rated", 0,
              "Only opinion is cited.", None, not_rated=["O'Brien2020"]),
    _position("drug-approved", "Drug X is approved for Y.", "confirmed", "not_applicable",
              None, "checked: confirmed by FDA2009 (regulatory review)", None,
              judged="checked", question="fact", supporting=["FDA2009"]),
    _position(LONG_ID, "Drug X halves mortality in cohorts.", "supported", "very_low", 1,
              "The evidence is very uncertain.",
              {"start": "low", "weight": "n", "studies": ["Cohort_2019"],
               "domains": _domains(imprecision=("serious", "explicit",
                                                "Wide interval around few events.")),
               "upgrades": {"large_effect": "no", "dose_response": False,
                            "plausible_confounding": False,
                            "withheld": ["large_effect", "dose_response"],
                            "reason": "not applied: imprecision is rated down"}},
              supporting=["Cohort_2019"], question="prognosis"),
]

V2_DOCUMENT = {
    "input": {"path": "evidence.csv", "sha256": "ab" * 32},
    "rubric": {"name": "grader default rubric (GRADE-like)", "version": "2.0.0"},
    "studies": STUDIES, "citations": CITATIONS, "positions": POSITIONS,
}
SETTINGS = {"title": "Drug X: how strong is the evidence?", "exchange": "Smith vs Jones",
            "journal": "J Test 2026; 1:1", "doi": "10.1000/exchange", "language": "en"}


@pytest.fixture
def v2_document() -> dict:
    """A hand-built version 2 §7 document covering every kind of position."""
    return copy.deepcopy(V2_DOCUMENT)


@pytest.fixture
def settings() -> dict:
    return dict(SETTINGS)


@pytest.fixture(scope="session")
def seed_document() -> dict:
    """The seed evidence.csv through `grader score --format json` (whatever version main has)."""
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["score", "--format", "json",
                                       str(ROOT / "evidence.csv")])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def as_version_1(document: dict) -> dict:
    """The v2 fixture in the shape grader wrote before rubric 2.0: no body, statement,
    judged, sources of not_assessed, withheld upgrades, results or checked positions."""
    v1 = copy.deepcopy(document)
    v1["rubric"]["version"] = "1.0.0"
    v1["positions"] = [p for p in v1["positions"] if p.get("judged") != "checked"]
    kept = {p["position_id"] for p in v1["positions"]}
    v1["citations"] = [c for c in v1["citations"] if c["position_id"] in kept]
    for p in v1["positions"]:
        for key in ("judged", "statement", "body", "leaning", "lower_tier", "retracted",
                    "conceded_by"):
            p.pop(key, None)
    for c in v1["citations"]:
        for key in ("counted", "in_body", "result", "cited_in_exchange"):
            c.pop(key, None)
        for key in ("withheld", "reason"):
            c["upgrades"].pop(key, None)
        for domain in c["domains"].values():
            if domain["source"] == "not_assessed":
                domain["source"] = "derived"
    for s in v1["studies"]:
        s.pop("retracted", None)
    return v1


@pytest.fixture
def v1_document() -> dict:
    """The hand-built document as a version 1 engine would have written it."""
    return as_version_1(V2_DOCUMENT)
