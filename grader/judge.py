"""Judge each position from its rated citations (contract §4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from grader.vocab import LEVEL_OF_SCORE, NOT_RATED


def judge(rated: pd.DataFrame) -> pd.DataFrame:
    """One row per position: verdict, certainty, score and the studies on each side."""
    graded = rated["score"] > 0
    supports = rated["stance"].eq("supports") & graded
    opposes = rated["stance"].eq("opposes") & graded
    by_position = rated.groupby("position_id", sort=False)
    s = rated["score"].where(supports, 0).groupby(rated["position_id"], sort=False).max()
    o = rated["score"].where(opposes, 0).groupby(rated["position_id"], sort=False).max()
    verdict = np.select(
        [(s == 0) & (o == 0), (o > s), (s == o)],
        ["unsupported", "contradicted", "contested"],
        "supported",
    )
    score = np.select(
        [(s == 0) & (o == 0), (o > s), (s == o)],
        [0, o, np.maximum(s - 1, 1)],
        s,
    )
    positions = by_position[["position", "advocate", "question"]].first()
    positions["verdict"] = verdict
    positions["score"] = score.astype(int)
    positions["certainty"] = positions["score"].map(LEVEL_OF_SCORE)
    positions["best_support"] = s.astype(int)
    positions["best_opposition"] = o.astype(int)
    positions["supporting"] = _ids(rated, supports)
    positions["opposing"] = _ids(rated, opposes)
    positions["not_rated"] = _ids(rated, ~graded)
    positions["first_line"] = by_position["line"].min()
    positions.loc[positions["verdict"].eq("unsupported"), "certainty"] = NOT_RATED
    return positions.reset_index()


def _ids(rated: pd.DataFrame, mask: pd.Series) -> pd.Series:
    """Study ids per position where mask holds, strongest first, in input order on ties."""
    # Sorted and split with numpy, one list per position (issue #7: a groupby agg(list)
    # called Python per group and took most of judge's time at 100,000 citations).
    group, positions = pd.factorize(rated["position_id"])
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    rows = rows[np.lexsort((rated["line"].to_numpy()[rows], -rated["score"].to_numpy()[rows],
                            group[rows]))]
    studies = rated["study_id"].to_numpy(dtype=object)[rows]
    bounds = np.searchsorted(group[rows], np.arange(len(positions) + 1))
    return pd.Series([studies[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:],
                                                             strict=True)],
                     index=np.asarray(positions, dtype=object))
