"""Property tests (hypothesis, derandomized): any input fails cleanly; the rubric's invariants.

Random CSV text, bytes and cell values either assess or raise InvalidInput, and the CLI
exits 0 or 1 without an internal error. Valid tables generated from the contract's
vocabulary always rate within the levels; a more severe domain judgment never raises
certainty; an explicit judgment always wins; opinion designs stay not_rated.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.cli import main
from grader.errors import InvalidInput
from grader.pipeline import Assessment, assess
from grader.rate import rate
from grader.rubric import load_rubric
from grader.vocab import (
    COLUMNS,
    DOMAINS,
    FALSE_WORDS,
    JUDGMENTS,
    LEVEL_OF_SCORE,
    LEVELS,
    NOT_RATED,
    PENALTY,
    TRUE_WORDS,
)

RUBRIC = load_rubric()
DESIGNS = sorted(RUBRIC.designs)
SPELLINGS = sorted({w for d in RUBRIC.designs.values() for w in (d.id, d.label, *d.synonyms)})
NOT_RATED_DESIGNS = {d.id for d in RUBRIC.designs.values() if d.start == NOT_RATED}
NAMES = [c.name for c in COLUMNS]
REQUIRED = [c.name for c in COLUMNS if c.required != "no"]
WORDS = sorted({*TRUE_WORDS, *FALSE_WORDS, "Yes", "TRUE", "N"})

PROPERTY = settings(derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _assess_text(data: bytes, name: str = "evidence.csv") -> Assessment | None:
    """assess() a file holding data: the Assessment, or None when it raised InvalidInput."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return assess(path, rubric=RUBRIC)
        except InvalidInput as exc:
            assert exc.problems, "InvalidInput without a problem"
            for problem in exc.problems:
                assert problem.message and "\n" not in problem.message
            return None


def _cli_check(data: bytes) -> int:
    """`grader check` on a file holding data: its exit code, after checking it is clean."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "evidence.csv"
        path.write_bytes(data)
        result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code


# --- anything in, a clean answer out -----------------------------------------------------

vocabulary = st.sampled_from([*SPELLINGS, *WORDS, *JUDGMENTS, *LEVELS, "supports", "opposes",
                              "efficacy", "mechanism", "double", "placebo", "animal",
                              "very large", "10.1000/xyz", "https://doi.org/10.1/2", "p1",
                              "Doe2020", "2020", "1,200", "-3", "2.5", "٣", "9" * 40])
messy = st.text(alphabet=st.sampled_from(list('ab1 ,;"\'\r\n\t-=@<>é€\x00\x85\u2028')),
                max_size=12)
cell = st.one_of(st.just(""), vocabulary, messy)
header_name = st.one_of(st.sampled_from(NAMES), st.sampled_from(["", "Study ID", "STANCE ",
                                                                 "position-id", "colour"]))


@st.composite
def csv_texts(draw) -> str:
    """Header-like first lines and rows of vocabulary and junk, quoted well or badly."""
    header = draw(st.lists(header_name, max_size=len(NAMES) + 2))
    if draw(st.booleans()):
        header = REQUIRED + header
    rows = draw(st.lists(st.lists(cell, max_size=len(header) + 2), max_size=6))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if draw(st.booleans()):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
        writer.writerows([header, *rows])
        return buffer.getvalue()
    return newline.join(delimiter.join(r) for r in [header, *rows])


encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"])


@PROPERTY
@given(text=csv_texts(), encoding=encodings)
def test_any_csv_text_assesses_or_fails_with_invalid_input(text, encoding):
    data = text.encode(encoding, errors="replace")
    result = _assess_text(data)
    if result is not None:
        check_invariants(result)


@settings(PROPERTY, max_examples=40)
@given(text=csv_texts(), encoding=encodings)
def test_the_cli_exits_0_or_1_on_any_csv_text(text, encoding):
    _cli_check(text.encode(encoding, errors="replace"))


@settings(PROPERTY, max_examples=60)
@given(data=st.binary(max_size=300))
def test_any_bytes_assess_or_fail_with_invalid_input(data):
    _assess_text(data)
    _assess_text(data, name="evidence.xlsx")


# --- valid tables from the contract's vocabulary ------------------------------------------


def _blank_or(values) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), st.sampled_from(sorted(values)))


def _number(low: int, high: int) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), st.integers(low, high).map(str))


@st.composite
def citation_rows(draw, index: int) -> dict[str, str]:
    """One valid citation: its own position and study, so no group can conflict."""
    design = draw(st.sampled_from(DESIGNS))
    row = {
        "position_id": f"p{index}", "position": f"Claim {index}.", "advocate": "Smith",
        "question": draw(_blank_or(["efficacy", "safety", "mechanism", "prognosis", "values",
                                    "fact", "definition", "other"])),
        "outcome": draw(_blank_or(["objective", "subjective"])),
        "retracted": draw(_blank_or(["yes", "no", ""])),
        "study_id": f"S{index}", "citation": f"Author {index}. A study.",
        "design": draw(st.sampled_from([design, design.upper(), RUBRIC.designs[design].label])),
        "year": _draw_number(draw, 1950, 2024), "n": _draw_number(draw, 0, 20_000),
        "n_studies": _draw_number(draw, 1, 80),
        "included_designs": draw(_blank_or(["rct", "observational", "mixed"])),
        "randomized": draw(_blank_or(WORDS)),
        "blinded": draw(_blank_or(["none", "single", "double", "yes", "no"])),
        "control": draw(_blank_or(["placebo", "active", "usual_care", "none"])),
        "species": draw(_blank_or(["human", "animal", "in_vitro"])),
        "stance": draw(st.sampled_from(["supports", "opposes", "Supports"])),
        "claimed_certainty": draw(_blank_or(LEVELS)),
        "large_effect": draw(_blank_or(["no", "large", "very_large", "very large"])),
        "notes": draw(st.sampled_from(["", "A note.", "=1+2", "<b>bold</b>"])),
    }
    for name in ("peer_reviewed", "dose_response", "plausible_confounding"):
        row[name] = draw(_blank_or(WORDS))
    row["stopped_early"] = draw(_blank_or([*WORDS, "benefit", "harm", "futility",
                                           "accrual", "other"]))
    for domain in DOMAINS:
        row[domain] = draw(_blank_or(JUDGMENTS))
    # The two cross-field rules of the contract: keep the row valid.
    if RUBRIC.designs[design].randomized and row["randomized"].lower() in FALSE_WORDS:
        row["randomized"] = ""
    if design in ("animal", "in_vitro") and row["species"] == "human":
        row["species"] = ""
    return row


def _draw_number(draw, low: int, high: int) -> str:
    return draw(_number(low, high))


@st.composite
def valid_tables(draw) -> list[dict[str, str]]:
    size = draw(st.integers(1, 6))
    return [draw(citation_rows(i)) for i in range(size)]


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _valid(rows) -> Assessment:
    result = _assess_text(_csv(rows))
    assert result is not None, "a table built from the vocabulary must validate"
    return result


def check_invariants(result: Assessment) -> None:
    """Levels, not_rated, checked positions and explicit judgments, on any assessed table."""
    rated, typed = result.ratings, result.evidence.rows
    for i, row in rated.iterrows():
        opinion = RUBRIC.designs[row["design"]].start == NOT_RATED
        assert row["score"] in range(0, 5)
        if row["checked"]:  # contract v2 §5: a fact or definition is checked, never graded
            assert (row["certainty"], row["score"]) == ("not_applicable", 0)
        else:
            assert row["certainty"] == LEVEL_OF_SCORE[row["score"]]
            assert (row["score"] == 0) == opinion, (row["design"], row["score"])
        for domain in DOMAINS:
            given = typed.at[i, domain]
            if pd.isna(given):  # v2 §4.1: derived by a rule, or honestly not assessed
                assert row[f"{domain}_source"] in ("derived", "not_assessed")
            else:  # an explicit judgment always beats the derived one
                assert row[f"{domain}_source"] == "explicit"
                assert row[domain] == given
            assert row[domain] in JUDGMENTS
    for p in result.positions.to_dict("records"):
        if p["judged"] == "checked":
            assert p["certainty"] == "not_applicable" and p["body"] is None
            assert p["verdict"] in ("confirmed", "refuted", "disputed", "unchecked")
        elif p["body"] is None:
            assert (p["verdict"], p["certainty"]) == ("unsupported", NOT_RATED)
        else:  # v2 §4.2: the body's own arithmetic, within the levels
            body = p["body"]
            start = LEVELS.index(body["start"]) + 1
            expected = max(1, min(4, start - body["downgrades"] + body["upgrade"]))
            assert p["certainty"] == LEVEL_OF_SCORE[expected]
            assert set(body["studies"]) <= set(p["supporting"]) | set(p["opposing"])


@settings(PROPERTY, max_examples=60)
@given(rows=valid_tables())
def test_certainty_stays_within_its_levels_and_explicit_judgments_win(rows):
    check_invariants(_valid(rows))


@settings(PROPERTY, max_examples=60)
@given(rows=valid_tables(), data=st.data())
def test_valid_tables_with_random_cells_assess_or_fail_with_invalid_input(rows, data):
    for _ in range(data.draw(st.integers(1, 4))):
        row = data.draw(st.sampled_from(rows))
        row[data.draw(st.sampled_from(sorted(row)))] = data.draw(cell)
    result = _assess_text(_csv(rows))
    if result is not None:
        check_invariants(result)


@settings(PROPERTY, max_examples=40)
@given(rows=valid_tables(), domain=st.sampled_from(DOMAINS), data=st.data())
def test_a_more_severe_judgment_never_raises_certainty(rows, domain, data):
    result = _valid(rows)
    typed, before = result.evidence.rows.copy(), result.ratings
    worse = typed.copy()
    for i in typed.index:
        current = PENALTY[before.at[i, domain]]
        choices = [j for j in JUDGMENTS if PENALTY[j] > current] or [before.at[i, domain]]
        worse.loc[i, domain] = data.draw(st.sampled_from(choices))
    after = rate(worse, RUBRIC)
    assert (after["score"] <= before["score"]).all()
    check_invariants(Assessment(dataclasses.replace(result.evidence, rows=worse),
                                RUBRIC, after, result.positions))


@settings(PROPERTY, max_examples=40)
@given(rows=valid_tables(), design=st.sampled_from(sorted(NOT_RATED_DESIGNS)))
def test_opinion_designs_stay_not_rated_whatever_the_row_says(rows, design):
    for row in rows:
        row.update(design=design, large_effect="very_large", dose_response="yes",
                   plausible_confounding="yes", randomized="", species="")
        for domain in DOMAINS:
            row[domain] = "not_serious"
    result = _valid(rows)
    graded = ~result.ratings["checked"]
    assert set(result.ratings.loc[graded, "certainty"]) <= {NOT_RATED}
    assert set(result.ratings["score"]) == {0}
    check_invariants(result)
