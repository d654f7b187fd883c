"""The speed idiom, named once: work on each distinct value, spread the result back by codes.

A column of 100,000 citations repeats a few hundred values; computing on the distinct
values and taking the results by code is what keeps rating vectorised (issue #7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd


def combine(columns: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Codes of each row's combination of values (blank included), and each combination's first row."""
    size = len(columns[0]) if len(columns) else 0
    key = np.zeros(size, dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
        key, _ = pd.factorize(key * (len(uniques) + 1) + (codes + 1))
    _, first = np.unique(key, return_index=True)
    return key, first


def spread(values: Sequence, codes: np.ndarray, index: pd.Index,
           dtype: str = "string") -> pd.Series:
    """A Series of values[codes] over index, converting each distinct value once."""
    return pd.Series(pd.array(list(values), dtype=dtype).take(codes), index=index)


def per_combination(func: Callable[..., object], columns: dict[str, pd.Series],
                    index: pd.Index, dtype: str = "string") -> pd.Series:
    """func(**values) once per distinct combination of the columns, spread over the rows."""
    arrays = [np.asarray(c.to_numpy(dtype=object)) for c in columns.values()]
    if not len(index):
        return pd.Series(pd.array([], dtype=dtype), index=index)
    codes, first = combine(arrays)
    names = list(columns)
    results = [func(**{name: _plain(arrays[i][row]) for i, name in enumerate(names)})
               for row in first]
    return spread(results, codes, index, dtype)


def _plain(value: object) -> object:
    """NA of any kind as None, so functions of the values test `is None`."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value
