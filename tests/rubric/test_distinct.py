"""grader.distinct: each distinct combination computed once and spread back to its own rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.distinct import BLANK, Coded, Groups, combine, per_combination, spread


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


def test_coded_relabel_merges_values_that_become_alike_and_blanks_what_becomes_blank():
    coded = Coded.of([" RCT", "rct", None, "  ", "cohort"])
    assert coded.codes[2] == BLANK
    trimmed = [v.strip().lower() or None for v in coded.values]
    normal = coded.relabel(trimmed)
    assert list(normal.decoded()) == ["rct", "rct", pd.NA, pd.NA, "cohort"]
    assert normal.codes[0] == normal.codes[1] and normal.codes[3] == BLANK
    assert list(normal.values) == ["rct", "cohort"]


def test_coded_distinct_values_end_with_the_blank_and_rows_of_finds_its_rows():
    coded = Coded.of(["a", None, "b", "a", None])
    kinds = coded.distinct_values()
    assert list(kinds[:2]) == ["a", "b"] and kinds[2] is pd.NA
    assert list(coded.rows_of(0)) == [True, False, False, True, False]
    assert list(coded.rows_of(2)) == [False, True, False, False, True]  # the blank
    assert list(Coded.of(["a", "b"]).distinct_values()) == ["a", "b"]


def test_coded_spread_converts_once_and_leaves_blanks_na():
    coded = Coded.of(["3", None, "3", "12"])
    typed = pd.array([int(v) for v in coded.values], dtype="Int64")
    assert coded.spread(typed).tolist() == [3, pd.NA, 3, 12]


def test_coded_at_and_fill_blanks_take_codes_from_other_rows():
    coded = Coded.of(["x", None, None, "y"])
    taken = coded.at(np.array([0, 3, BLANK, 0]))
    assert list(taken) == [coded.codes[0], coded.codes[3], BLANK, coded.codes[0]]
    filled = coded.fill_blanks(taken)
    assert list(filled.decoded()) == ["x", "y", pd.NA, "y"]  # given cells kept


def test_groups_first_rows_are_in_file_order_and_per_row_spreads_them():
    key = Coded.of(["s2", "s1", None, "s2", "s1"])  # codes: s2 → 0, s1 → 1
    groups = Groups(key)
    assert list(groups.first_rows(np.ones(5, bool))) == [0, 1]
    given = np.array([False, False, True, True, True])
    assert list(groups.first_rows(given)) == [3, 4]
    assert list(groups.first_rows(np.zeros(5, bool))) == [BLANK, BLANK]
    assert list(groups.per_row(np.array([3, 4]))) == [3, 4, BLANK, 3, 4]
    assert list(groups.sizes()) == [2, 2]
    assert list(groups.rows_in(1)) == [False, True, False, False, True]
    assert Coded.of(["a", None]).value(0) == "a" and Coded.of(["a"]).value(BLANK) is pd.NA


def test_no_module_but_distinct_does_index_arithmetic_on_codes():
    # One mistake in hand-written code arithmetic silently puts a value (or an error) on
    # the wrong row, so factorising and taking by code live in grader/distinct.py only.
    import re
    from pathlib import Path

    import grader

    pattern = re.compile(r"factorize\(|np\.append\(|\.take\(|argsort\(|values\[[^]]*codes"
                         r"|\.codes\s*==")
    offenders = [f"{path.name}:{n}" for path in Path(grader.__file__).parent.rglob("*.py")
                 if path.name != "distinct.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def test_combine_codes_boolean_arrays_exactly_as_the_same_values_as_objects():
    first_mask = np.array([True, True, False, False, True, False])
    second_mask = np.array([True, False, True, False, True, False])
    names = np.array(["a", "a", "b", "a", "a", "a"], dtype=object)
    fast = combine([first_mask, second_mask, names])
    slow = combine([first_mask.astype(object), second_mask.astype(object), names])
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
    assert len(set(fast[0])) == 4  # (T, T) and (F, F) kept apart


def test_per_combination_hands_a_boolean_column_over_as_python_booleans():
    index = pd.Index([2, 3, 4])
    seen = []
    out = per_combination(lambda held: seen.append(held) or ("yes" if held else "no"),
                          {"held": pd.Series([True, False, True], index=index)}, index)
    assert list(out) == ["yes", "no", "yes"]
    assert sorted(seen) == [False, True] and all(type(v) is bool for v in seen)


def test_coded_strings_gives_each_row_its_value_and_keeps_blanks_na():
    out = Coded.of(np.array(["r1", "", None, "r1"], dtype=object)).strings(pd.Index([5, 6, 7, 8]))
    assert str(out.dtype) == "string" and list(out.index) == [5, 6, 7, 8]
    assert out.tolist() == ["r1", "", pd.NA, "r1"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "B", " c", ""]),
                          st.integers(-3, 3)), max_size=12))
def test_inferred_is_the_column_pandas_would_make_of_decoded(cells):
    coded = Coded.of(cells)
    frame = pd.DataFrame({"by_row": np.zeros(len(cells), dtype=object)}, dtype=object)
    frame["by_row"] = coded.decoded()  # what _inherit did: every row inferred and converted
    frame["inferred"] = coded.inferred()
    assert frame["inferred"].dtype == frame["by_row"].dtype
    pd.testing.assert_series_equal(frame["inferred"], frame["by_row"], check_names=False)
