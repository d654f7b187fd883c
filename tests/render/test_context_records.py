"""The brief's rows as plain records: what pandas' astype, where and to_dict gave (#18)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from grader.pipeline import assess
from grader.report import plain_records


def _by_pandas(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _typed(records: list[dict]) -> list[dict]:
    return [{key: (type(value), value) for key, value in row.items()} for row in records]


@pytest.fixture(scope="module")
def seed():
    return assess("evidence.csv")


@pytest.mark.parametrize("frame", ["ratings", "positions", "study_summary"])
def test_the_seeds_frames_give_the_same_records_and_types(seed, frame):
    table = getattr(seed, frame)
    assert _typed(plain_records(table)) == _typed(_by_pandas(table))


def test_every_kind_of_column_and_blank():
    frame = pd.DataFrame({
        "int": np.array([1, 2, 3]), "float": [1.5, np.nan, 2.0],
        "bool": np.array([True, False, True]),
        "nullable_int": pd.array([1, None, 3], dtype="Int64"),
        "nullable_bool": pd.array([True, None, False], dtype="boolean"),
        "string": pd.array(["a", None, "c"], dtype="string"),
        "str": pd.Series(["x", "y", None], dtype="str"),
        "object": [None, {"a": 1}, ("t",)],
        "numpy_in_object": pd.Series([np.int64(4), np.float64(0.5), np.bool_(True)],
                                     dtype=object),
    })
    assert _typed(plain_records(frame)) == _typed(_by_pandas(frame))
    assert plain_records(frame.iloc[:0]) == []
