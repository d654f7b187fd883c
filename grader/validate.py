"""Validate raw records against the contract and return one typed row per citation."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from grader import numbers
from grader.distinct import Coded, Groups
from grader.errors import InvalidInput, Problem
from grader.read import RawTable, Source
from grader.rubric import Rubric
from grader.vocab import COLUMN, COLUMNS, ENUM_ALIASES, FALSE_WORDS, TRUE_WORDS, Column

SLUG = r"[a-z0-9][a-z0-9_-]*"
STUDY_ID = r"[A-Za-z][A-Za-z0-9_'-]*"
DOI = r"10\.\d{4,9}/\S+"
_DOI_PREFIXES = r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)"
_WHOLE = r"[0-9]+"  # ASCII digits only: \d also matches digits pandas cannot parse
MAX_DIGITS = 15  # larger numbers are typos, and would overflow a 64-bit integer


@dataclass
class Evidence:
    """Validated citations: one row per citation, study and position columns filled in."""

    path: str
    source: Source  # the file read (name, bytes, sha256): reading's record, not a copy
    rows: pd.DataFrame  # the evidence rows, typed; rating adds its columns to a copy
    warnings: list[Problem] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        """The evidence file's digest (of its source's bytes)."""
        return self.source.sha256

    @property
    def data(self) -> bytes:
        """The evidence file's bytes, as read."""
        return self.source.data


def validate(table: RawTable, rubric: Rubric) -> Evidence:
    """Check every rule of the contract at once; raise InvalidInput listing all problems."""
    problems = list(table.warnings)
    known, header_problems = _check_header(table)
    problems += header_problems
    frame, ragged = _frame(table, known)
    problems += ragged
    if not len(frame) and not any(p.severity == "error" for p in problems):
        problems.append(Problem(table.path, None, None,
            "no citation rows: add one row per study cited on a position", code="no-citation-rows"))
    if any(p.severity == "error" for p in header_problems) or not len(frame):
        raise InvalidInput(problems)
    raw = frame
    frame, distinct = _normalize(frame, rubric)
    problems += _cell_problems(distinct, raw, table.path, rubric)
    problems += _date_warnings(raw, table.path)
    frame, group_problems = _inherit(frame, distinct, table.path)
    problems += group_problems
    problems = _unattached(frame, problems, table.path)
    problems += _duplicate_citations(frame, table.path)
    problems += _cross_field(frame, table.path, rubric)
    if any(p.severity == "error" for p in problems):
        raise InvalidInput(problems)
    rows = _typed(frame, rubric, distinct)
    source = table.source or Source(table.path, table.data)
    return Evidence(table.path, source, rows,
                    [p for p in problems if p.severity == "warning"])


def _unattached(frame: pd.DataFrame, problems: list[Problem], path: str) -> list[Problem]:
    """A study row with no position_id and no stance (as `grader draft` writes it) gets one
    message naming the columns to fill, instead of one 'blank cell' error per column."""
    blank = frame["position_id"].isna() & frame["stance"].isna() & frame["study_id"].notna()
    if not blank.any():
        return problems
    lines = set(frame.index[blank])
    kept = [p for p in problems if not (p.line in lines and p.column in ("position_id", "stance")
                                        and p.code == "required-blank")]
    return kept + [Problem(path, int(line), "position_id",
                           f"study {sid} is not cited on a position yet: fill position_id, "
                           f"position, advocate, stance for study {sid} (one row per position "
                           "that cites it), or delete the row", code="study-not-cited")
                   for line, sid in frame.loc[blank, "study_id"].items()]


def _check_header(table: RawTable) -> tuple[list[str], list[Problem]]:
    problems, seen = [], set()
    for name in table.header:
        if not name:
            continue
        if name in seen:
            problems.append(Problem(table.path, table.header_line, name,
                "column appears twice in the header; keep one", code="duplicate-column"))
        seen.add(name)
        if name not in COLUMN:
            problems.append(Problem(table.path, table.header_line, name,
                "unknown column, ignored" + _suffix(_column_hint(name, table.header)),
                "warning", code="unknown-column"))
    for column in COLUMNS:
        if column.required != "no" and column.name not in seen:
            problems.append(Problem(table.path, table.header_line, column.name,
                "required column is missing from the header", code="missing-column"))
    return [n for n in table.header if n in COLUMN], problems


def _column_hint(name: str, header: list[str]) -> str:
    """'did you mean stance?' for an unknown header name close to a missing column."""
    from grader.suggest import close_matches, did_you_mean

    return did_you_mean(close_matches(name, [c.name for c in COLUMNS
                                             if c.name not in header])[:2])


def _frame(table: RawTable, known: list[str]) -> tuple[pd.DataFrame, list[Problem]]:
    width = len(table.header)
    problems = []
    if table.body is not None:  # tokenised by pandas: already columns, none ragged
        frame = table.body.set_axis(range(width), axis=1)
    else:
        problems = [Problem(table.path, line, None,
                            f"row has {len(r)} cells but the header has {width}; "
                            "remove the extra cells or quote cells that contain the "
                            "delimiter", code="too-many-cells")
                    for r, line in zip(table.records, table.lines, strict=True)
                    if len(r) > width]
        rows = [r[:width] + [""] * (width - len(r)) for r in table.records]
        frame = pd.DataFrame(rows, columns=range(width), dtype=object)
    frame.columns = [table.header[i] if table.header[i] in COLUMN else f"_ignored{i}"
                     for i in range(width)]
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame = frame[[c for c in frame.columns if c in COLUMN]]
    for column in COLUMNS:
        if column.name not in frame:
            frame[column.name] = ""
    frame.index = pd.Index(table.lines, name="line")
    return frame[[c.name for c in COLUMNS]], problems


Distinct = dict[str, Coded]
"""Per column: each row's code into the column's distinct values (distinct.Coded)."""


def _normalize(frame: pd.DataFrame, rubric: Rubric) -> tuple[pd.DataFrame, Distinct]:
    """Trim cells, blank → NA, and spell enumerations, yes/no and DOIs canonically."""
    out, distinct = {}, {}
    marks = _number_marks(frame)
    for column in COLUMNS:
        # Each distinct spelling is normalised once and spread back over the rows: a
        # column repeats a few values over thousands of rows (vectorised, issue #7).
        coded = Coded.of(frame[column.name].to_numpy(dtype=object))
        s = pd.Series(coded.values, dtype=object).str.strip().replace("", pd.NA)
        if column.kind in ("enum", "design", "bool"):
            s = s.str.lower().str.replace(r"[\s\-]+", "_", regex=True)
        if column.kind == "bool":  # one spelling, so that `yes` and `true` agree
            s = s.replace({**dict.fromkeys(TRUE_WORDS, "yes"),
                           **dict.fromkeys(FALSE_WORDS, "no")})
        if column.kind == "enum" and column.name in ENUM_ALIASES:
            s = s.replace(ENUM_ALIASES[column.name])
        if column.kind == "design":
            s = s.replace(rubric.design_synonyms)
        if column.kind == "doi":
            s = s.str.replace(_DOI_PREFIXES, "", regex=True, case=False)
        if column.kind == "int":
            s = _whole_numbers(s, column, marks)
        # Spellings that normalise alike share one code from here on.
        distinct[column.name] = coded = coded.relabel(s.to_numpy(dtype=object))
        out[column.name] = coded.decoded()
    # copy=False keeps the columns apart: stacking 100,000 × 36 cells in one block was
    # a third of validating (issue #18).
    return pd.DataFrame(out, index=frame.index, dtype=object, copy=False), distinct


def _number_marks(frame: pd.DataFrame) -> numbers.Marks:
    """Which marks group thousands in this file, from all its number cells (numbers.py)."""
    cells = [frame[c.name].to_numpy(dtype=object) for c in COLUMNS if c.kind == "int"]
    return numbers.file_marks(pd.unique(np.concatenate(cells)) if cells else [])


def _whole_numbers(s: pd.Series, column: Column, marks: numbers.Marks) -> pd.Series:
    """Distinct number cells as digits: grouped thousands joined, a date's year taken."""
    def one(text):
        if pd.isna(text):
            return text
        if column.name == "year":
            text = numbers.date_year(text) or text
        return numbers.whole_number(text, marks)

    return s.map(one, na_action="ignore")


def _date_warnings(raw: pd.DataFrame, path: str) -> list[Problem]:
    """A date in a year cell is read as its year, with a warning on its line."""
    if "year" not in raw:
        return []
    values = raw["year"].to_numpy(dtype=object)
    dated = {v: year for v in pd.unique(values) if isinstance(v, str)
             and (year := numbers.date_year(v.strip()))}
    if not dated:
        return []
    where = pd.Series(values).isin(list(dated)).to_numpy()
    return [Problem(path, int(line), "year",
                    f"{_shown(text.strip())} is a date; read as its year, {dated[text]} "
                    "(type the year alone, or format the cell as a number, to silence this)",
                    "warning", code="date-as-year")
            for line, text in zip(raw.index.to_numpy()[where], values[where], strict=True)]


_SCHEMAS: dict[tuple[int, int], tuple[Rubric, pa.DataFrameSchema]] = {}


def _schema(rubric: Rubric) -> pa.DataFrameSchema:
    """The pandera schema of a rubric, built once per rubric (and year) and reused."""
    year_max = dt.date.today().year + 1
    key = (id(rubric), year_max)
    cached = _SCHEMAS.get(key)
    if cached is not None and cached[0] is rubric:
        return cached[1]
    if len(_SCHEMAS) > 16:
        _SCHEMAS.clear()
    schema = _build_schema(rubric, year_max)
    _SCHEMAS[key] = (rubric, schema)  # the rubric is kept, so its id is not reused
    return schema


def _build_schema(rubric: Rubric, year_max: int) -> pa.DataFrameSchema:
    columns = {}
    for c in COLUMNS:
        checks = {
            "slug": [pa.Check.str_matches(f"^{SLUG}$", error="slug")],
            "study_id": [pa.Check.str_matches(f"^{STUDY_ID}$", error="study_id")],
            "enum": [pa.Check.isin(c.values, error="enum")],
            "design": [pa.Check.isin(rubric.designs, error="design")],
            "bool": [pa.Check.isin(TRUE_WORDS | FALSE_WORDS, error="bool")],
            "int": [pa.Check.str_matches(f"^{_WHOLE}$", error="int")],
            "doi": [pa.Check.str_matches(f"^{DOI}$", error="doi")],
            "text": [],
        }[c.kind]
        if c.kind == "int" and c.minimum:
            checks.append(pa.Check(lambda s, m=c.minimum: ~s.str.fullmatch(_WHOLE)
                                   | (pd.to_numeric(s, errors="coerce") >= m),
                                   error="minimum"))
        if c.name == "year":
            checks.append(pa.Check(lambda s: ~s.str.fullmatch(_WHOLE)
                                   | (pd.to_numeric(s, errors="coerce") <= year_max),
                                   error="future"))
        elif c.kind == "int":
            checks.append(pa.Check(lambda s: ~s.str.fullmatch(_WHOLE)
                                   | (s.str.len() <= MAX_DIGITS), error="maximum"))
        nullable = c.required != "row"
        if checks or not nullable:  # a free-text column that may be blank: nothing to check
            # No dtype check: every cell is a string or NA by construction, and pandas 3
            # stores some columns as `str`, which an `object` dtype check would reject.
            columns[c.name] = pa.Column(None, checks, nullable=nullable)
    return pa.DataFrameSchema(columns)


def _cell_problems(distinct: Distinct, raw: pd.DataFrame, path: str,
                   rubric: Rubric) -> list[Problem]:
    """Check each distinct value of a column once; report a failure on every line it is on.

    pandera sees one row per distinct value (blank included), each column padded to the
    longest: with blanks where blanks are allowed (checks skip them), else by repeating
    its values. 100,000 citations repeat a few thousand values (issue #7).
    """
    schema = _schema(rubric)
    values = {name: coded.distinct_values() for name, coded in distinct.items()
              if name in schema.columns}
    height = max(len(v) for v in values.values())
    table = pd.DataFrame({name: np.resize(v, height) if COLUMN[name].required == "row"
                          else _padded(v, height) for name, v in values.items()},
                         dtype=object, copy=False)  # columns kept apart: no 2-D copy
    try:
        # inplace: the table is made for this call and nothing is coerced, so pandera's
        # defensive copy (which stacks the columns into one 2-D block) is not needed.
        schema.validate(table, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        failed = {(column, check, int(row) % len(values[column])): value
                  for column, check, value, row in zip(
                      cases["column"], cases["check"], cases["failure_case"], cases["index"],
                      strict=True)
                  if column in COLUMN and row is not None and not pd.isna(row)}
        line_numbers = raw.index.to_numpy()
        problems = []
        for (column, check, k), value in failed.items():
            where = distinct[column].rows_of(k)
            typed = raw[column].to_numpy()[where]
            # Quote the cell as the user typed it ('RCTT', not the normalised 'rctt').
            messages = {text: _cell_message(COLUMN[column], check,
                                            str(text).strip() or value, rubric)
                        for text in dict.fromkeys(typed)}
            problems += [Problem(path, int(line), column, messages[text],
                                 code=_cell_code(check, str(text).strip() or str(value)))
                         for line, text in zip(line_numbers[where], typed, strict=True)]
        return problems
    return []


def _padded(values: np.ndarray, height: int) -> np.ndarray:
    out = np.full(height, pd.NA, dtype=object)
    out[:len(values)] = values
    return out


def _cell_message(column: Column, check: str, value: object, rubric: Rubric) -> str:
    shown = _shown(value)
    if check == "not_nullable":
        return "required on every row; this cell is blank"
    if check == "slug":
        return (f"{shown} is not a valid id: use lower-case letters, digits, '-' and '_', "
                "starting with a letter or digit (e.g. opioid-mechanism)")
    if check == "study_id":
        return (f"{shown} is not a valid study id: start with a letter, then letters, "
                "digits, _, - or ' (e.g. Williams2018)")
    if check == "enum":
        return f"{shown} is not allowed; use one of: {', '.join(column.values)}" + \
            _suffix(_enum_hint(column, str(value)))
    if check == "design":
        return _design_message(shown, str(value), rubric)
    if check == "bool":
        return f"{shown} is not yes or no; use yes/no (or true/false, y/n, 1/0)"
    if check == "int":
        return _number_message(column, str(value), shown)
    if check == "minimum":
        return f"{shown} is too small; the least allowed is {column.minimum}"
    if check == "maximum":
        return f"{shown} is too large; a whole number of at most {MAX_DIGITS} digits is needed"
    if check == "future":
        return f"{shown} is in the future; give the publication year"
    if check == "doi":
        return f"{shown} is not a DOI; a DOI looks like 10.1176/appi.ajp.2018.18020138"
    return f"{shown} fails check {check}"


_CHECK_CODES = {"not_nullable": "required-blank", "slug": "not-an-id",
                "study_id": "not-a-study-id", "enum": "not-allowed", "design": "unknown-design",
                "bool": "not-yes-no", "int": "not-a-whole-number", "minimum": "too-small",
                "maximum": "too-many-digits", "future": "future-year", "doi": "not-a-doi"}
"""The Problem code of each failed check (grader.errors.CODES says what each means)."""


def _cell_code(check: str, text: str) -> str:
    """The code of a cell's failure; a number cell says why it is not a whole number."""
    if check == "int" and text.startswith("-"):
        return "negative-number"
    if check == "int" and numbers.ambiguous(text):
        return "ambiguous-number"
    return _CHECK_CODES.get(check, "failed-check")


def _suffix(hint: str) -> str:
    return f"; {hint}" if hint else ""


def _enum_hint(column: Column, value: str) -> str:
    """'did you mean opposes?' for a value (or an alias) one small edit away."""
    from grader.suggest import close_matches, did_you_mean

    spellings = {**{v: v for v in column.values}, **ENUM_ALIASES.get(column.name, {})}
    return did_you_mean(close_matches(value, spellings)[:3])


def _design_message(shown: str, value: str, rubric: Rubric) -> str:
    """An unknown design: the close ones, and where to see them all (never all on one line)."""
    from grader.designs import hint

    found = hint(value, rubric)
    listed = (f"`grader designs` lists the {len(rubric.designs)} designs with their synonyms "
              "and what each fits")
    return f"{shown} is not a known design; " + (f"{found} ({listed})" if found else listed)


def _number_message(column: Column, text: str, shown: str) -> str:
    """Why a number cell is not a whole number, and what to type instead (never 'round')."""
    if text.startswith("-"):
        return f"{shown} is negative; a whole number ≥ {column.minimum or 0} is needed"
    readings = numbers.ambiguous(text)
    if readings:
        grouped, decimal = readings
        mark = "," if "," in text else "."
        return (f"{shown} could be read two ways: {grouped} (with '{mark}' separating "
                f"thousands) or {decimal} (with '{mark}' as the decimal mark); write the "
                f"number as digits only "
                f"(e.g. {grouped}) or leave the cell blank")
    if re.fullmatch(r"\d*[.,]\d+", text):
        return (f"{shown} is not a whole number; {column.name} takes a whole number: write "
                "it as digits only (e.g. 240) or leave the cell blank")
    return f"{shown} is not a whole number; write digits only (e.g. 240) or leave it blank"


def _shown(value: object, limit: int = 60) -> str:
    """A cell's text quoted for a message, invisible characters shown as <U+XXXX>."""
    text = str(value)
    return "'" + numbers.visible(text if len(text) <= limit else text[:limit] + "…") + "'"


def _inherit(frame: pd.DataFrame, distinct: Distinct,
             path: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Fill study and position columns from the rows that give them; report conflicts."""
    # Vectorised over integer codes (issue #7): a groupby per column re-hashed the keys
    # thirty times. Rows are in file order, so a group's first row is its first line.
    problems = []
    lines = frame.index.to_numpy()
    for level, key in (("study", "study_id"), ("position", "position_id")):
        keys = frame[key].to_numpy(dtype=object)
        groups = Groups(distinct[key])
        has_key = groups.codes >= 0
        first_row = groups.first_rows(has_key)
        for column in (c for c in COLUMNS if c.level == level and c.name != key):
            coded = distinct[column.name]
            given = (coded.codes >= 0) & has_key
            first_given = groups.first_rows(given)  # per group: the row of its first value
            at = groups.per_row(first_given)
            first_code = coded.at(at)
            clash = given & (coded.codes != first_code)
            for i in np.flatnonzero(clash):
                problems.append(Problem(path, int(lines[i]), column.name,
                    f"{_shown(coded.value(coded.codes[i]))} conflicts with "
                    f"{_shown(coded.value(first_code[i]))} on line {lines[at[i]]} for "
                    f"{level} {keys[i]}; a {level}'s {column.name} must agree on every row "
                    "(or be blank)", code="conflicting-values"))
            distinct[column.name] = filled = coded.fill_blanks(first_code)
            frame[column.name] = filled.inferred()
            if column.required == "group":
                problems += _missing_in_group(level, key, column.name, groups, first_row,
                                              first_given, keys, lines, path)
    return frame, list(dict.fromkeys(problems))


_MAX_ID_COMPARISONS = 100_000
"""Typo suggestions compare each incomplete id with each complete one; beyond this many
pairs (a file of thousands of broken rows) the messages go without suggestions."""


def _missing_in_group(level: str, key: str, column: str, groups: Groups,
                      first_row: np.ndarray, first_given: np.ndarray, keys: np.ndarray,
                      lines: np.ndarray, path: str) -> list[Problem]:
    """A group without a required column; 'did you mean …?' when its id is a typo.

    An id one small edit from an id that gives the column is most likely a typo of it:
    the message names it, on the line of whichever of the two ids has fewer rows.
    """
    from grader.suggest import close_matches, did_you_mean

    missing = np.flatnonzero((first_given < 0) & (first_row >= 0))
    if not len(missing):
        return []
    complete = {keys[first_row[g]]: g for g in np.flatnonzero(first_given >= 0)}
    if len(missing) * len(complete) > _MAX_ID_COMPARISONS:
        complete = {}  # too many to compare: the plain message, without a suggestion
    sizes = groups.sizes()
    problems = []
    for g in missing:
        i = first_row[g]
        close = close_matches(keys[i], list(complete))[:1] if complete else []
        if not close:
            problems.append(Problem(path, int(lines[i]), column,
                f"{level} {keys[i]} has no {column} on any of its rows; "
                "give it on at least one", code="missing-in-group"))
            continue
        other = close[0]
        if sizes[complete[other]] >= sizes[g]:  # this id is the odd one out: a typo
            problems.append(Problem(path, int(lines[i]), column,
                f"{level} {keys[i]} has no {column} on any of its rows; "
                f"{did_you_mean([other])} (if not, give it on at least one row)",
                code="missing-in-group"))
            continue
        typo_lines = lines[groups.rows_in(complete[other])]
        shown_lines = ", ".join(str(n) for n in lines[groups.rows_in(g)][:5])
        problems.append(Problem(path, int(lines[i]), column,
            f"{level} {keys[i]} has no {column} on any of its rows; line "
            f"{typo_lines[0]} gives it for {other}, which looks like a typo of {keys[i]}",
            code="missing-in-group"))
        problems += [Problem(path, int(n), key,
                     f"{_shown(other)} looks like a typo: {did_you_mean([keys[i]])} "
                     f"({keys[i]} is on lines {shown_lines})",
                     code="likely-typo") for n in typo_lines]
    return problems


def _duplicate_citations(frame: pd.DataFrame, path: str) -> list[Problem]:
    pair = frame[["position_id", "study_id"]]
    dup = pair.duplicated(keep="first") & pair.notna().all(axis=1)
    if not dup.any():
        return []
    first = pair.reset_index().groupby(["position_id", "study_id"])["line"].min()
    return [Problem(path, int(line), "study_id",
                    f"{frame.at[line, 'study_id']} is already cited on position "
                    f"{frame.at[line, 'position_id']} (line "
                    f"{first[(frame.at[line, 'position_id'], frame.at[line, 'study_id'])]}); "
                    "a study is cited at most once per position", code="duplicate-citation")
            for line in dup[dup].index]


def _cross_field(frame: pd.DataFrame, path: str, rubric: Rubric) -> list[Problem]:
    randomized_design = frame["design"].isin(rubric.randomized_designs)
    said_no = frame["randomized"].isin(FALSE_WORDS) & randomized_design
    problems = [Problem(path, int(line), "randomized",
                        f"'no' contradicts design {frame.at[line, 'design']} of study "
                        f"{frame.at[line, 'study_id']}, which is randomised; correct the "
                        "design (e.g. nonrandomized_controlled) or the randomized cell",
                        code="contradicts-design")
                for line in _once_per_study(frame, said_no)]
    nonhuman = frame["design"].isin(tuple(rubric.nonhuman_designs)) & frame["species"].eq("human")
    problems += [Problem(path, int(line), "species",
                         f"'human' contradicts design {frame.at[line, 'design']} of study "
                         f"{frame.at[line, 'study_id']}; leave species blank or correct "
                         "the design", code="contradicts-design")
                 for line in _once_per_study(frame, nonhuman)]
    return problems


def _once_per_study(frame: pd.DataFrame, mask: pd.Series) -> pd.Index:
    """Lines of the rows where mask holds, the first of each study only.

    Study columns are inherited across a study's rows, so a contradiction written once
    would otherwise be reported on every row of the study.
    """
    studies = frame.loc[mask, "study_id"]
    return studies.index[~studies.duplicated().to_numpy()]


def _typed(frame: pd.DataFrame, rubric: Rubric, distinct: Distinct | None = None) -> pd.DataFrame:
    """Convert validated strings to typed columns and apply the contract's defaults."""
    out = frame.copy(deep=False)  # copy on write: the validated strings stay as they are
    for column in COLUMNS:
        s = out[column.name]
        if distinct:
            # Each distinct value is converted once; the rows take them by code.
            coded = distinct[column.name]
            if column.kind == "bool":
                typed = pd.array([v in TRUE_WORDS for v in coded.values], dtype="boolean")
            elif column.kind == "int":
                typed = pd.array(pd.to_numeric(pd.Series(coded.values, dtype=object)),
                                 dtype="Int64")
            else:
                typed = pd.array(coded.values, dtype="string")
            out[column.name] = coded.spread(typed)
        elif column.kind == "bool":
            out[column.name] = s.map({**dict.fromkeys(TRUE_WORDS, True),
                                      **dict.fromkeys(FALSE_WORDS, False)}).astype("boolean")
        elif column.kind == "int":
            out[column.name] = pd.to_numeric(s).astype("Int64")
        else:
            out[column.name] = s.astype("string")
    out["question"] = out["question"].fillna("efficacy")
    implied = out["design"].astype(object).map(
        {d.id: d.species for d in rubric.designs.values()})
    out["species"] = out["species"].fillna(pd.Series(implied, dtype="string")).fillna("human")
    out["peer_reviewed"] = out["peer_reviewed"].fillna(True)
    out["retracted"] = out["retracted"].fillna(False)
    out["cited_in_exchange"] = out["cited_in_exchange"].fillna(True)
    out["randomized_design"] = out["design"].isin(rubric.randomized_designs)
    out["randomized"] = out["randomized"].mask(
        out["randomized"].isna() & out["randomized_design"], True)
    return out.reset_index()
