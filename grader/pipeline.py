"""The pipeline's core: read → validate → rate → judge, returning one Assessment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from grader.judge import judge
from grader.rate import rate
from grader.read import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, Source, read_table
from grader.rubric import Rubric, load_rubric
from grader.validate import Evidence, validate


@dataclass
class Rated:
    """An evidence file read, validated and rated: every citation's certainty (§4.1)."""

    evidence: Evidence
    rubric: Rubric
    ratings: pd.DataFrame  # one row per citation: the evidence rows with their ratings


@dataclass
class Assessment(Rated):
    """Everything known about one evidence file once rated and judged.

    Judging adds each position's row and the ratings' in_body column (§4.2, §5).
    """

    positions: pd.DataFrame

    @cached_property
    def study_summary(self) -> pd.DataFrame:
        """One row per study, in input order: its best citation (graded before checked).

        The study's certainty is the highest among its citations; a study cited only on
        checked positions is not_applicable. Computed once for the JSON, the appendix and diff.
        """
        c = self.ratings
        best = c.sort_values(["checked", "score", "line"], ascending=[True, False, True],
                             kind="stable").drop_duplicates("study_id")
        order = c.drop_duplicates("study_id")["study_id"]
        return best.set_index("study_id").loc[order].reset_index()


def load(path: str | Path | Source | bytes, *, rubric: Rubric | str | Path | None = None,
         sheet: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
         display: str | None = None, max_rows: int = DEFAULT_MAX_ROWS) -> tuple[Evidence, Rubric]:
    """Read and validate one evidence file (a path, a Source, or CSV bytes) with its rubric."""
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    if isinstance(path, bytes | bytearray):
        path = Source(display or "evidence.csv", bytes(path))
    table = read_table(path, sheet=sheet, max_bytes=max_bytes, display=display,
                       max_rows=max_rows)
    return validate(table, rubric), rubric


def rate_only(path: str | Path | Source | bytes, **options) -> Rated:
    """Read, validate and rate one evidence file, judging no position (the score CSV's need)."""
    evidence, rubric = load(path, **options)
    return Rated(evidence, rubric, rate(evidence.rows, rubric))


def assess(path: str | Path | Source | bytes, *, rubric: Rubric | str | Path | None = None,
           sheet: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
           display: str | None = None,
           progress: Callable[[str], None] | None = None,
           max_rows: int = DEFAULT_MAX_ROWS) -> Assessment:
    """Read, validate, rate and judge one evidence file (a path, a Source, or CSV bytes)."""
    stage = progress or (lambda name: None)
    stage("reading")
    evidence, rubric = load(path, rubric=rubric, sheet=sheet, max_bytes=max_bytes,
                            display=display, max_rows=max_rows)
    stage("rating")
    ratings = rate(evidence.rows, rubric)
    positions, in_body = judge(ratings, rubric)
    ratings["in_body"] = in_body
    return Assessment(evidence, rubric, ratings, positions)
