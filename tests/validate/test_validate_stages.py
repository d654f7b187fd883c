"""validate's stages called directly on tiny frames: inheritance, duplicates, cross-field checks."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from conftest import make_rows

from grader.read import read_csv_bytes
from grader.rubric import load_rubric
from grader.validate import (
    _check_header,
    _cross_field,
    _duplicate_citations,
    _frame,
    _inherit,
    _normalize,
)

RUBRIC = load_rubric()


def _normalized(*rows: dict):
    table = read_csv_bytes(make_rows(*rows).encode(), "e.csv")
    known, _ = _check_header(table)
    frame, _ = _frame(table, known)
    return _normalize(frame, RUBRIC)


def _row(**cells) -> dict:
    base = {"position_id": "p1", "position": "", "advocate": "", "study_id": "S1",
            "citation": "", "design": "", "stance": "supports"}
    return {**base, **cells}


def test_inherit_fills_study_columns_from_the_row_that_gives_them():
    frame, distinct = _normalized(
        _row(position="Claim.", advocate="Smith", citation="Cite.", design="rct"),
        _row(position_id="p2", position="Other.", advocate="Roe"))
    frame, problems = _inherit(frame, distinct, "e.csv")
    assert problems == []
    assert list(frame["design"]) == ["rct", "rct"]
    assert list(frame["citation"]) == ["Cite.", "Cite."]


def test_inherit_reports_a_conflict_on_the_row_that_disagrees_naming_the_first():
    frame, distinct = _normalized(
        _row(position="Claim.", advocate="Smith", citation="Cite.", design="rct"),
        _row(study_id="S2", citation="C2.", design="cohort"),
        _row(position_id="p2", position="Other.", advocate="Roe", design="cohort"))
    _, problems = _inherit(frame, distinct, "e.csv")
    assert [(p.line, p.column, p.code) for p in problems] == [(4, "design", "conflicting-values")]
    assert "'cohort' conflicts with 'rct' on line 2 for study S1" in problems[0].message


def test_inherit_reports_a_group_without_a_required_column():
    frame, distinct = _normalized(_row(position="Claim.", citation="Cite.", design="rct"))
    _, problems = _inherit(frame, distinct, "e.csv")
    assert [(p.line, p.column, p.code) for p in problems] == [(2, "advocate",
                                                              "missing-in-group")]


def test_duplicate_citations_are_reported_on_the_later_line_naming_the_first():
    frame = pd.DataFrame({"position_id": ["p1", "p1", "p2", "p1"],
                          "study_id": ["S1", "S2", "S1", "S1"]},
                         index=pd.Index([2, 3, 4, 7], name="line"), dtype=object)
    problems = _duplicate_citations(frame, "e.csv")
    assert [(p.line, p.column, p.code) for p in problems] == [(7, "study_id",
                                                              "duplicate-citation")]
    assert "(line 2)" in problems[0].message


def test_blank_keys_are_never_duplicate_citations():
    frame = pd.DataFrame({"position_id": [pd.NA, pd.NA], "study_id": ["S1", "S1"]},
                         index=pd.Index([2, 3], name="line"), dtype=object)
    assert _duplicate_citations(frame, "e.csv") == []


def test_cross_field_asks_the_rubric_which_designs_are_randomised_and_non_human():
    frame = pd.DataFrame({"study_id": ["S1", "S1", "S2", "S3"],
                          "design": ["my_trial", "my_trial", "my_mouse", "rct"],
                          "randomized": ["no", "no", pd.NA, "no"],
                          "species": [pd.NA, pd.NA, "human", "human"]},
                         index=pd.Index([2, 3, 4, 5], name="line"), dtype=object)
    rubric = SimpleNamespace(randomized_designs=("my_trial",),
                             nonhuman_designs={"my_mouse": "animal"})
    problems = _cross_field(frame, "e.csv", rubric)
    # Once per study (line 2, not 3); rct is not randomised in this rubric.
    assert [(p.line, p.column, p.code) for p in problems] == [
        (2, "randomized", "contradicts-design"), (4, "species", "contradicts-design")]
