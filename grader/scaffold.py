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

Required on every row: `position_id`, `study_id`, `stance`. Required once per position:
`position`, `advocate`. Required once per study: `citation`, `design`. Every other column may
be blank; a blank is "no information", never a downgrade. `grader rubric` shows the designs,
their synonyms and the rules that derive each judgment; an explicit judgment in a column
(`risk_of_bias`, `imprecision`, `indirectness`, ...) always wins over a derived one.

## Commands

    grader check evidence.csv      # list every problem, FILE:LINE: column: message
    grader build                   # out/brief.pdf (add --format pdf,html,json,md)
    grader watch                   # rebuild on every save; Ctrl-C to stop
    grader diff old.csv evidence.csv   # what changed between two versions

`grader.toml` in this folder holds the brief's title and the exchange it covers.
"""


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
    "GUIDE.md": lambda: STARTER_GUIDE,
    "grader.toml": lambda: STARTER_SETTINGS,
}


def scaffold(folder: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files into folder; refuse to overwrite any unless force."""
    targets = [folder / name for name in STARTER_FILES]
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise InvalidInput([Problem(str(p), None, None,
                                    "already exists; not overwritten (pass --force to "
                                    "replace the starter files)") for p in existing])
    for path, make in zip(targets, STARTER_FILES.values(), strict=True):
        write_atomic(path, make().encode("utf-8"))
    return targets
