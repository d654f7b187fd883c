"""Position verdicts and the overstated flag (contract §4)."""

from __future__ import annotations

import pytest
from conftest import make_rows

from grader import report
from grader.pipeline import assess

# Study columns that make a citation come out at each level under the default rubric.
LEVEL = {
    "high": {"design": "rct", "n": "1000", "blinded": "double", "stopped_early": "no"},
    "moderate": {"design": "rct", "n": "1000", "blinded": "double", "stopped_early": "no",
                 "imprecision": "serious"},
    "low": {"design": "cohort", "n": "1000"},
    "very_low": {"design": "case_series", "n": "1000"},
    "not_rated": {"design": "expert_opinion"},
}

# position → its citations as (stance, level[, claimed_certainty])
POSITIONS = {
    "only-opinion": [("supports", "not_rated"), ("opposes", "not_rated")],
    "nothing-graded-supports": [("supports", "not_rated")],
    "opposed-only": [("opposes", "low")],
    "opposed-only-and-opinion": [("opposes", "very_low"), ("supports", "not_rated")],
    "opposition-stronger": [("supports", "low"), ("opposes", "high")],
    "opposition-one-above": [("supports", "moderate"), ("opposes", "high")],
    "tie-high": [("supports", "high"), ("opposes", "high")],
    "tie-moderate": [("supports", "moderate"), ("opposes", "moderate")],
    "tie-low": [("supports", "low"), ("opposes", "low")],
    "tie-very-low": [("supports", "very_low"), ("opposes", "very_low")],
    "tie-on-best": [("supports", "low"), ("supports", "moderate"), ("opposes", "moderate"),
                    ("opposes", "very_low")],
    "support-alone": [("supports", "moderate")],
    "support-stronger": [("supports", "high"), ("opposes", "very_low")],
    "support-best-counts": [("supports", "very_low"), ("supports", "high"),
                            ("opposes", "moderate")],
    "opinion-against-support": [("supports", "low"), ("opposes", "not_rated")],
    "opinion-cannot-tip": [("supports", "very_low"), ("supports", "not_rated"),
                           ("opposes", "not_rated")],
    "claims": [("supports", "low", "high"), ("supports", "moderate", "moderate"),
               ("opposes", "high", "low"), ("opposes", "very_low", ""),
               ("supports", "not_rated", "very_low"), ("opposes", "not_rated", ""),
               ("supports", "very_low", "low")],
}

# Contract v2 (§4.2): a position is judged on its body of evidence, the counted citations
# of the highest starting tier, not on its single best citation. Where the two rules
# differ (marked v2), supporting and opposing trials of the same tier make the position
# contested, rated down for inconsistency.
EXPECTED = {  # position → (verdict, certainty, score)
    "only-opinion": ("unsupported", "not_rated", 0),
    "nothing-graded-supports": ("unsupported", "not_rated", 0),
    "opposed-only": ("contradicted", "low", 2),
    "opposed-only-and-opinion": ("contradicted", "very_low", 1),
    "opposition-stronger": ("contradicted", "high", 4),
    "opposition-one-above": ("contested", "low", 2),  # v2: both trials are the body
    "tie-high": ("contested", "moderate", 3),
    "tie-moderate": ("contested", "low", 2),
    "tie-low": ("contested", "very_low", 1),
    "tie-very-low": ("contested", "very_low", 1),
    "tie-on-best": ("contested", "low", 2),
    "support-alone": ("supported", "moderate", 3),
    "support-stronger": ("supported", "high", 4),
    "support-best-counts": ("contested", "low", 2),  # v2: the trials on both sides
    "opinion-against-support": ("supported", "low", 2),
    "opinion-cannot-tip": ("supported", "very_low", 1),
}


def _study(position: str, i: int) -> str:
    return "S" + position.replace("-", "_") + f"_{i}"


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """(positions by id, citations by (position_id, study_id)) for all of POSITIONS."""
    rows = []
    for position, cited in POSITIONS.items():
        for i, (stance, level, *claimed) in enumerate(cited):
            rows.append({"position_id": position, "position": f"Claim {position}.",
                         "advocate": "Advocate", "study_id": _study(position, i),
                         "stance": stance, "claimed_certainty": claimed[0] if claimed else "",
                         **LEVEL[level]})
    path = tmp_path_factory.mktemp("judge") / "evidence.csv"
    path.write_text(make_rows(*rows), encoding="utf-8")
    result = assess(path)
    positions = {p["position_id"]: p for p in report.positions(result)}
    citations = {(c["position_id"], c["study_id"]): c for c in report.citations(result)}
    return positions, citations


def test_levels_used_here_come_out_as_named(judged):
    _, citations = judged
    for position, cited in POSITIONS.items():
        for i, (_, level, *_) in enumerate(cited):
            assert citations[(position, _study(position, i))]["certainty"] == level


@pytest.mark.parametrize("position", EXPECTED)
def test_verdict(judged, position):
    got = judged[0][position]
    assert (got["verdict"], got["certainty"], got["score"]) == EXPECTED[position]


@pytest.mark.parametrize("position", POSITIONS)
def test_sides_list_graded_citations_and_opinion_apart(judged, position):
    got = judged[0][position]
    cited = POSITIONS[position]
    ids = {side: sorted(_study(position, i) for i, (stance, level, *_) in enumerate(cited)
                        if level != "not_rated" and stance == side)
           for side in ("supports", "opposes")}
    opinion = sorted(_study(position, i) for i, (_, level, *_) in enumerate(cited)
                     if level == "not_rated")
    assert sorted(got["supporting"]) == ids["supports"]
    assert sorted(got["opposing"]) == ids["opposes"]
    assert sorted(got["not_rated"]) == opinion


def test_supporting_lists_strongest_first(judged):
    got = judged[0]["support-best-counts"]
    assert got["supporting"] == [_study("support-best-counts", 1),
                                 _study("support-best-counts", 0)]


@pytest.mark.parametrize(("index", "overstated"), [
    (0, True),    # claimed high, graded low
    (1, False),   # claimed moderate, graded moderate
    (2, False),   # claimed low, graded high
    (3, False),   # nothing claimed
    (4, True),    # opinion with a claimed certainty
    (5, False),   # opinion, nothing claimed
    (6, True),    # claimed low, graded very low: one level is enough
], ids=["above", "equal", "below", "blank", "opinion-claimed", "opinion-blank",
        "one-level-above"])
def test_overstated(judged, index, overstated):
    citation = judged[1][("claims", _study("claims", index))]
    assert citation["overstated"] is overstated
    assert citation["claimed_certainty"] == (POSITIONS["claims"][index][2] or None)


def test_overstated_citations_still_count_at_their_graded_level(judged):
    got = judged[0]["claims"]
    # The body is the two trials (moderate for, high against; claimed high on a low
    # cohort changes nothing): contested, down for inconsistency and for imprecision.
    assert (got["verdict"], got["certainty"], got["leaning"]) == ("contested", "low",
                                                                  "neither")


def test_certainty_is_judged_per_citation(tmp_path):
    """One animal study: direct on a mechanism position, indirect on an efficacy one."""
    csv = tmp_path / "evidence.csv"
    csv.write_text(make_rows(
        {"position_id": "how", "question": "mechanism", "study_id": "Rat2019",
         "design": "animal", "n": "12"},
        {"position_id": "works", "question": "efficacy", "study_id": "Rat2019",
         "stance": "opposes", "design": "", "citation": ""},  # inherited from line 2
    ), encoding="utf-8")
    result = assess(csv)
    json = report.to_json(result)
    by_position = {c["position_id"]: c for c in json["citations"]}
    assert by_position["how"]["certainty"] == "low"
    assert by_position["works"]["certainty"] == "very_low"
    positions = {p["position_id"]: p for p in json["positions"]}
    assert (positions["how"]["verdict"], positions["works"]["verdict"]) == (
        "supported", "contradicted")
    assert [(s["study_id"], s["certainty"], s["score"]) for s in json["studies"]] == [
        ("Rat2019", "low", 2)]
