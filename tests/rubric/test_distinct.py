"""grader.distinct: each distinct combination computed once and spread back to its own rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from grader.distinct import combine, per_combination, spread


def test_combine_gives_equal_codes_to_equal_combinations_and_first_rows_in_order():
    a = ["x", "y", "x", "x", None]
    b = ["1", "1", "1", "2", "1"]
    codes, first = combine([a, b])
    assert codes[0] == codes[2]
    assert len({codes[0], codes[1], codes[3], codes[4]}) == 4
    assert list(first) == [0, 1, 3, 4]  # each code's first row, in code order
    assert all(codes[row] == code for code, row in enumerate(first))


def test_combine_keeps_a_blank_apart_from_every_value_including_empty_text():
    codes, _ = combine([[None, "", np.nan, pd.NA, "a"]])
    assert codes[1] != codes[0] and codes[4] != codes[0]
    assert codes[0] == codes[2] == codes[3]  # every kind of NA is one blank


def test_spread_puts_each_value_on_the_rows_of_its_code():
    index = pd.Index([10, 11, 12, 13])
    out = spread(["a", "b", "c"], np.array([2, 0, 2, 1]), index)
    assert out.index.equals(index)
    assert list(out) == ["c", "a", "c", "b"]


def test_per_combination_calls_once_per_combination_and_never_moves_a_result():
    index = pd.Index([2, 3, 4, 5, 6], name="line")
    design = pd.Series(["rct", "cohort", "rct", pd.NA, "cohort"], index=index, dtype=object)
    n = pd.Series(["10", "10", "10", "10", "99"], index=index, dtype=object)
    calls = []

    def describe(design, n):
        calls.append((design, n))
        return f"{design}/{n}"

    out = per_combination(describe, {"design": design, "n": n}, index)
    assert sorted(calls, key=str) == sorted([("rct", "10"), ("cohort", "10"), (None, "10"),
                                             ("cohort", "99")], key=str)
    assert out.to_dict() == {2: "rct/10", 3: "cohort/10", 4: "rct/10", 5: "None/10",
                             6: "cohort/99"}


def test_per_combination_on_no_rows_is_empty():
    index = pd.Index([], dtype="int64")
    out = per_combination(lambda x: "never", {"x": pd.Series([], dtype=object)}, index)
    assert len(out) == 0 and str(out.dtype) == "string"
