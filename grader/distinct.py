"""The speed idiom, named once: work on each distinct value, spread the result back by codes.

A column of 100,000 citations repeats a few hundred values; computing on the distinct
values and taking the results by code is what keeps rating vectorised (issue #7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

BLANK = -1
"""The code of a blank cell."""


@dataclass(frozen=True)
class Coded:
    """A column as each row's code into its distinct values; BLANK codes a blank cell."""

    codes: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, column: Sequence) -> Coded:
        """Code a column's cells, blanks (None, NA, NaN) as BLANK."""
        codes, values = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
        return cls(codes.astype(np.intp), np.asarray(values, dtype=object))

    def relabel(self, new_values: Sequence) -> Coded:
        """Each distinct value replaced by new_values[k]; values that become alike share a
        code, and a value that becomes blank makes its rows blank."""
        same, values = pd.factorize(np.asarray(new_values, dtype=object), use_na_sentinel=True)
        codes = np.append(same.astype(np.intp), BLANK)[self.codes]
        return Coded(codes, np.asarray(values, dtype=object))

    def value(self, code: int) -> object:
        """The distinct value a code stands for (NA for BLANK)."""
        return pd.NA if code == BLANK else self.values[code]

    def _and_blank(self, blank: object) -> np.ndarray:
        """The distinct values and then `blank`, which BLANK (-1) indexes from the end."""
        return np.append(self.values, np.array([blank], dtype=object))

    def decoded(self, blank: object = pd.NA) -> np.ndarray:
        """Each row's value as an object array, `blank` where the cell is blank."""
        return self._and_blank(blank)[self.codes]

    def inferred(self, blank: object = pd.NA) -> pd.api.extensions.ExtensionArray:
        """decoded() as the array pandas infers from it (str for text), inferred and converted
        once per distinct value: a column set from decoded() converts every row (issue 18)."""
        return pd.Series(self._and_blank(blank)).array.take(self.codes)

    def spread(self, typed: pd.api.extensions.ExtensionArray) -> pd.api.extensions.ExtensionArray:
        """typed[k] converted once per distinct value, taken by every row; NA where blank."""
        return typed.take(self.codes, allow_fill=True)

    def strings(self, index: pd.Index) -> pd.Series:
        """The column as a string Series over index, each distinct value converted once."""
        return spread(self.values, self.codes, index)

    @property
    def has_blank(self) -> bool:
        """Whether any row is blank."""
        return bool((self.codes == BLANK).any())

    def distinct_values(self) -> np.ndarray:
        """The distinct values, then NA if any row is blank: one entry per kind of cell."""
        return np.append(self.values, pd.NA) if self.has_blank else self.values

    def rows_of(self, k: int) -> np.ndarray:
        """Rows holding distinct_values()[k] (k == len(values) is the blank)."""
        return self.codes == (k if k < len(self.values) else BLANK)

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The codes of the given rows, BLANK where a row is BLANK (none)."""
        out = np.full(len(rows), BLANK, dtype=np.intp)
        known = rows >= 0
        out[known] = self.codes[rows[known]]
        return out

    def fill_blanks(self, codes: np.ndarray) -> Coded:
        """Blank rows take the given codes (which may be BLANK too); given cells are kept."""
        return Coded(np.where(self.codes >= 0, self.codes, codes), self.values)


class Groups:
    """Rows grouped by a coded key (BLANK: in no group), in file order within each group."""

    def __init__(self, key: Coded):
        self.codes = key.codes
        self.count = len(key.values)
        self._order = np.argsort(self.codes, kind="stable")  # rows by group, file order

    def first_rows(self, mask: np.ndarray) -> np.ndarray:
        """For each group, its first row where mask holds (BLANK if none)."""
        rows = self._order[mask[self._order]]
        groups = self.codes[rows]
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(rows) else rows
        first = np.full(self.count, BLANK, dtype=np.intp)
        found = groups[starts]
        keep = found >= 0
        first[found[keep]] = rows[starts][keep]
        return first

    def per_row(self, per_group: np.ndarray) -> np.ndarray:
        """Each row's entry of per_group (one entry per group); BLANK for rows in no group."""
        out = np.full(len(self.codes), BLANK, dtype=np.intp)
        known = self.codes >= 0
        out[known] = per_group[self.codes[known]]
        return out

    def rows_in(self, group: int) -> np.ndarray:
        """Which rows belong to the group."""
        return self.codes == group

    def sizes(self) -> np.ndarray:
        """How many rows each group has."""
        return np.bincount(self.codes[self.codes >= 0], minlength=self.count)


def combine(columns: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code for its combination of values (blanks too), and each code's first row."""
    size = len(columns[0]) if len(columns) else 0
    key = np.zeros(size, dtype=np.int64)
    for column in columns:
        codes, count = _codes(column)
        key, _ = pd.factorize(key * (count + 1) + (codes + 1))
    _, first = np.unique(key, return_index=True)
    return key, first


def _codes(column: Sequence) -> tuple[np.ndarray, int]:
    """Each cell's code (BLANK for a blank) and how many codes there are.

    A boolean array is its own code (a mask has no blanks): hashing it as objects was a
    fifth of rating's factorizing (issue 18)."""
    if getattr(column, "dtype", None) == np.dtype(bool):
        return np.asarray(column, dtype=np.int64), 2
    codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
    return codes, len(uniques)


def spread(values: Sequence, codes: np.ndarray, index: pd.Index,
           dtype: str = "string") -> pd.Series:
    """A Series of values[codes] over index, converting each distinct value once (NA for
    BLANK)."""
    return pd.Series(pd.array(list(values), dtype=dtype).take(codes, allow_fill=True),
                     index=index)


def per_combination(func: Callable[..., object], columns: dict[str, pd.Series],
                    index: pd.Index, dtype: str = "string") -> pd.Series:
    """func(**values) once per distinct combination of the columns, spread over the rows."""
    if not len(index):
        return pd.Series(pd.array([], dtype=dtype), index=index)
    codes, first = combine(list(columns.values()))
    # Only each combination's first row is needed as Python values.
    picked = {name: c.iloc[first].to_numpy(dtype=object) for name, c in columns.items()}
    results = [func(**{name: _plain(values[k]) for name, values in picked.items()})
               for k in range(len(first))]
    return spread(results, codes, index, dtype)


def _plain(value: object) -> object:
    """NA of any kind as None, so functions of the values test `is None`."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value
