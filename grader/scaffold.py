"""`grader init`: a starter evidence.csv, a short guide and a settings file for a new debate."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.errors import InvalidInput, Problem
from grader.vocab import COLUMNS
from grader.write import write_atomic

_EXAMPLE_ROWS: tuple[dict[str, str], ...] = (
    # A position with two studies: one supporting, one opposing. The position's columns
    # are given once; its second row inherits them.
    {"position_id": "drug-x-works", "position": "Drug X relieves condition Y better than "
     "placebo.", "advocate": "Advocate A", "question": "efficacy",
     "study_id": "Trial2020", "citation": "Author A, Author B. Drug X versus placebo in "
     "condition Y: a randomised trial. Example J Med 2020;1:1-10.", "design": "rct",
     "year": "2020", "doi": "10.5555/12345678", "n": "240", "blinded": "double",
     "control": "placebo", "stopped_early": "no", "stance": "supports",
     "characterization": "a definitive trial", "claimed_certainty": "high",
     "notes": "Example row: replace these rows with the studies cited in your debate."},
    {"position_id": "drug-x-works", "study_id": "Cohort2019",
     "citation": "Author C. Drug X in routine care: a registry cohort. Example Epidemiol "
     "2019;3:20-28.", "design": "cohort", "year": "2019", "n": "5000",
     "stance": "opposes", "characterization": "real-world data show no benefit",
     "claimed_certainty": "moderate"},
    # A study cited on a second position: its study columns are given once (above) and
    # left blank here; only the citation columns (stance, characterization...) are new.
    {"position_id": "drug-x-safe", "position": "Drug X is safe for long-term use.",
     "advocate": "Advocate B", "question": "safety", "study_id": "Trial2020",
     "stance": "supports", "indirectness": "serious",
     "notes": "A 12-week trial cited on long-term safety: indirect, judged explicitly."},
    # An opinion piece: listed in the brief, never counted as evidence.
    {"position_id": "drug-x-safe", "study_id": "Critic2021",
     "citation": "Critic C. Why drug X needs caution. Example J Med 2021;2:5.",
     "design": "editorial", "year": "2021", "stance": "opposes",
     "characterization": "leading experts warn against it"},
)

STARTER_SETTINGS = """\
# Settings for the brief built from evidence.csv in this folder (all optional text).
title = "Evidence brief: does drug X work, and is it safe?"
exchange = "Advocate A, “Title of the first letter”, and Advocate B’s reply"
journal = "Example J Med 2024; 1:1–2"
doi = ""
language = "en"
"""

STARTER_GUIDE = """\
# Evidence brief: how to fill in evidence.csv

`evidence.csv` has **one row per citation**: *study S is cited on position P, and its
finding supports or opposes P*. Open it in a spreadsheet program, replace the example rows
with the studies cited in your debate, and save it as CSV (UTF-8) or .xlsx.

The example rows show the patterns you need:

- **A position with two studies** (`drug-x-works`): one row `supports`, one `opposes`.
  The position's columns (`position`, `advocate`, `question`) are given on one row; the
  other rows of the same `position_id` may leave them blank.
- **A study cited on two positions** (`Trial2020`): two rows, one per position. The study's
  columns (`citation`, `design`, `n`, `blinded`, ...) are given once; the second row leaves
  them blank and inherits them. Row order never matters.
- **An opinion piece** (`Critic2021`, an editorial): listed in the brief but never counted
  as evidence for or against (GRADE does not rate opinion).

Every column may be blank unless the table below says otherwise; a blank is "no
information", never a downgrade. An explicit judgment in a column (`risk_of_bias`,
`imprecision`, `indirectness`, ...) always wins over a derived one; `grader rubric` prints
the rules that derive them. Values are case-insensitive, and spaces and hyphens count as
underscores (`Usual care` is `usual_care`).

{columns}

{designs}

## Commands

    grader check                   # list every problem, FILE:LINE: column: message
    grader build                   # out/brief.pdf (add --format pdf,html,json,md)
    grader watch                   # rebuild on every save; Ctrl-C to stop
    grader designs                 # every design: synonyms, where it starts
    grader diff old.csv evidence.csv   # what changed between two versions

Each command reads `evidence.csv` in this folder unless given another file. `grader` must
be on PATH: activate grader's virtual environment (`. /path/to/grader/.venv/bin/activate`)
or install it for your user (`pipx install /path/to/grader`).

`grader.toml` in this folder holds the brief's title and the exchange it covers.
"""

_REQUIRED = {"row": "every row", "group": "once per {level}", "no": ""}
_KIND_VALUES = {
    "slug": "lower-case letters, digits, `-` and `_` (e.g. `drug-x-works`)",
    "study_id": "a letter, then letters, digits, `_`, `-` or `'` (e.g. `Williams2018`)",
    "design": "a design id or synonym: see *Which design is my study?* below",
    "bool": "`yes` / `no` (also true/false, y/n, 1/0)",
    "doi": "`10.NNNN/…` (a `https://doi.org/` prefix is stripped)",
}
_TEXT_VALUES = {
    "position": "one sentence: the claim",
    "advocate": "who asserts it, e.g. `McIntyre et al.`",
    "citation": "the full reference",
    "characterization": "how the citing side described the study, quoted",
    "notes": "free text, shown as a footnote",
}


def _values(column) -> str:
    """What a column accepts, in words: from the vocabulary, never written twice."""
    from grader.vocab import ENUM_ALIASES

    if column.values:
        text = ", ".join(f"`{v}`" for v in column.values)
        by_target: dict[str, list[str]] = {}
        for alias, target in ENUM_ALIASES.get(column.name, {}).items():
            by_target.setdefault(target, []).append(alias)
        if by_target:
            text += " (also " + "; ".join(
                f"{', '.join(aliases)} for `{target}`" for target, aliases in by_target.items()
            ) + ")"
        return text
    if column.kind == "int":
        least = f" ≥ {column.minimum}" if column.minimum is not None else ""
        return f"a whole number{least}" + (", e.g. `2020`" if column.name == "year" else "")
    return _KIND_VALUES.get(column.kind) or _TEXT_VALUES.get(column.name, "free text")


def column_table() -> str:
    """The GUIDE's table of every column, generated from grader.vocab.COLUMNS."""
    lines = ["## Columns", "", "| column | describes | required | values |",
             "|---|---|---|---|"]
    for c in COLUMNS:
        required = _REQUIRED.get(c.required, c.required).format(level=c.level) or "no"
        lines.append(f"| `{c.name}` | {c.level} | {required} | "
                     f"{_values(c).replace('|', '/')} |")
    return "\n".join(lines)


def design_picker(rubric=None) -> str:
    """The GUIDE's 'which design is my study?' table, generated from the rubric file."""
    from grader.designs import picker, start_text
    from grader.rubric import load_rubric

    rubric = rubric or load_rubric()
    lines = ["## Which design is my study?", "",
             "| if your study is … | write | starts at |", "|---|---|---|"]
    for example, design_id in picker(rubric):
        lines.append(f"| {example} | `{design_id}` | {start_text(rubric, design_id)} |")
    lines += ["", "`grader designs` lists every design with its synonyms; a synonym is "
              "accepted as it is and read as the design it names."]
    return "\n".join(lines)


def guide_text(rubric=None) -> str:
    """GUIDE.md: how to fill in the table, with its columns and designs generated."""
    return STARTER_GUIDE.format(columns=column_table(), designs=design_picker(rubric))


def starter_csv() -> str:
    """The starter evidence table: every contract column, one row per pattern."""
    names = [c.name for c in COLUMNS]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n",
                            quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in _EXAMPLE_ROWS:
        writer.writerow({name: row.get(name, "") for name in names})
    return buffer.getvalue()


STARTER_FILES = {
    "evidence.csv": starter_csv,
    "GUIDE.md": guide_text,
    "grader.toml": lambda: STARTER_SETTINGS,
}


def scaffold(folder: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files into folder; refuse to overwrite any unless force."""
    targets = [folder / name for name in STARTER_FILES]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise InvalidInput([Problem(str(p), None, None,
                                    "already exists; not overwritten (pass --force to "
                                    "replace the starter files)",
                                    code="file-exists") for p in existing])
    for path, make in zip(targets, STARTER_FILES.values(), strict=True):
        write_atomic(path, make().encode("utf-8"))
    return targets
