#!/usr/bin/env python3
"""Check an evidence CSV against §1 of the version-2 contract, independently of grader.

    python scripts/check_evidence_v2.py [evidence.csv]

Checks column names, required values, allowed values (after the contract's normalisation:
case-insensitive, spaces and hyphens as underscores, the listed synonyms), study and position
columns agreeing across rows (blank cells inherit), and no repeated (position_id, study_id)
pair. Prints one line per problem, `FILE:LINE: column: message`, and exits 1 if there is any.
It exists so the seed can be checked to the v2 contract before grader's own validator
accepts every v2 value; it does not replace `grader check`.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

POSITION_COLS = ("position", "advocate", "question", "outcome", "conceded_by", "short")
STUDY_COLS = (
    "citation", "design", "year", "doi", "n", "n_studies", "included_designs", "randomized",
    "blinded", "control", "species", "peer_reviewed", "stopped_early", "retracted",
    "risk_of_bias", "inconsistency", "imprecision", "publication_bias", "large_effect",
    "dose_response", "plausible_confounding",
)
CITATION_COLS = ("stance", "indirectness", "result", "cited_in_exchange", "characterization",
                 "claimed_certainty", "notes")
KNOWN = {"position_id", "study_id", *POSITION_COLS, *STUDY_COLS, *CITATION_COLS}

DESIGNS = {
    "rct", "crossover_rct", "randomized_withdrawal", "cluster_rct", "systematic_review",
    "meta_analysis", "network_meta_analysis", "regulatory_review", "nonrandomized_controlled",
    "cohort", "case_control", "cross_sectional", "survey", "single_arm_trial", "animal",
    "in_vitro", "pharmacovigilance", "case_series", "case_report", "narrative_review",
    "expert_opinion", "editorial", "letter", "guideline",
}
DESIGN_SYNONYMS = {"randomised_controlled_trial": "rct", "randomized_controlled_trial": "rct",
                   "case_series": "case_series", "caseseries": "case_series"}
RANDOMISED = {"rct", "crossover_rct", "randomized_withdrawal", "cluster_rct"}
JUDGMENT = {"not_serious", "serious", "very_serious"}
ENUMS = {
    "question": {"efficacy", "safety", "mechanism", "prognosis", "values", "fact",
                 "definition", "other"},
    "outcome": {"objective", "subjective"},
    "included_designs": {"rct", "observational", "mixed"},
    "blinded": {"none", "single", "double", "yes", "no", "open", "open_label"},
    "control": {"placebo", "active", "usual_care", "none", "standard_of_care"},
    "species": {"human", "animal", "in_vitro"},
    "stopped_early": {"no", "yes", "benefit", "harm", "futility", "accrual", "other"},
    "risk_of_bias": JUDGMENT, "inconsistency": JUDGMENT, "indirectness": JUDGMENT,
    "imprecision": JUDGMENT, "publication_bias": JUDGMENT,
    "large_effect": {"no", "large", "very_large"},
    "stance": {"supports", "opposes", "for", "against", "support", "oppose"},
    "claimed_certainty": {"high", "moderate", "low", "very_low"},
}
YES_NO = {"randomized", "peer_reviewed", "retracted", "dose_response", "plausible_confounding",
          "cited_in_exchange"}
YES_NO_VALUES = {"yes", "no", "true", "false", "y", "n", "1", "0"}
WHOLE = {"year": 0, "n": 0, "n_studies": 1}
POSITION_ID = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
STUDY_ID = re.compile(r"[A-Za-z][A-Za-z0-9_'-]*\Z")
DOI = re.compile(r"(https://doi\.org/)?10\.\d{4,}/\S+\Z")


def norm(value: str) -> str:
    return re.sub(r"[\s-]+", "_", value.strip().lower())


def header_name(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def check(path: Path) -> list[str]:
    problems: list[str] = []
    text = path.read_bytes().decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not records:
        return [f"{path}: no header"]
    header = [header_name(h) for h in records[0]]
    for name in header:
        if name not in KNOWN:
            problems.append(f"{path}:1: {name}: unknown column (a warning in the contract)")
    for required in ("position_id", "study_id", "stance"):
        if required not in header:
            problems.append(f"{path}:1: {required}: required column missing")
    rows: list[tuple[int, dict[str, str]]] = []
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            problems.append(f"{path}:{line}: more fields than the header")
            continue
        record = record + [""] * (len(header) - len(record))
        rows.append((line, {h: c.strip() for h, c in zip(header, record, strict=True)}))
    if not rows:
        problems.append(f"{path}: no citation rows")

    seen_pairs: dict[tuple[str, str], int] = {}
    level_values: dict[tuple[str, str, str], tuple[str, int]] = {}
    for line, row in rows:
        pid, sid = row.get("position_id", ""), row.get("study_id", "")
        if not POSITION_ID.match(pid):
            problems.append(f"{path}:{line}: position_id: {pid!r} is not a valid id")
        if not STUDY_ID.match(sid):
            problems.append(f"{path}:{line}: study_id: {sid!r} is not a valid id")
        if not row.get("stance"):
            problems.append(f"{path}:{line}: stance: required")
        pair = (pid, sid)
        if pair in seen_pairs:
            problems.append(f"{path}:{line}: study_id: {sid} is cited twice on {pid} "
                            f"(also line {seen_pairs[pair]})")
        seen_pairs.setdefault(pair, line)
        for column, value in row.items():
            if not value:
                continue
            if column == "design":
                design = DESIGN_SYNONYMS.get(norm(value), norm(value))
                if design not in DESIGNS:
                    problems.append(f"{path}:{line}: design: {value!r} is not a known design")
            elif column in ENUMS and norm(value) not in ENUMS[column]:
                problems.append(f"{path}:{line}: {column}: {value!r} is not allowed; use one of: "
                                + ", ".join(sorted(ENUMS[column])))
            elif column in YES_NO and norm(value) not in YES_NO_VALUES:
                problems.append(f"{path}:{line}: {column}: {value!r} is not yes/no")
            elif column in WHOLE:
                if not value.isdigit() or int(value) < WHOLE[column]:
                    problems.append(f"{path}:{line}: {column}: {value!r} is not a whole number "
                                    f"≥ {WHOLE[column]}")
            elif column == "doi" and not DOI.match(value):
                problems.append(f"{path}:{line}: doi: {value!r} is not a DOI")
        for level, key, columns in (("position", pid, POSITION_COLS), ("study", sid, STUDY_COLS)):
            for column in columns:
                value = row.get(column, "")
                if not value:
                    continue
                canon = norm(value) if column in ENUMS or column in YES_NO else value
                previous = level_values.get((level, key, column))
                if previous is None:
                    level_values[(level, key, column)] = (canon, line)
                elif previous[0] != canon:
                    problems.append(f"{path}:{line}: {column}: {level} {key} has {value!r} here "
                                    f"but {previous[0]!r} on line {previous[1]}")

    positions = {row["position_id"] for _, row in rows}
    studies = {row["study_id"] for _, row in rows}
    for pid in sorted(positions):
        for column in ("position", "advocate"):
            if ("position", pid, column) not in level_values:
                problems.append(f"{path}: {column}: position {pid} has no {column} on any row")
    for sid in sorted(studies):
        for column in ("citation", "design"):
            if ("study", sid, column) not in level_values:
                problems.append(f"{path}: {column}: study {sid} has no {column} on any row")
        design = level_values.get(("study", sid, "design"), ("", 0))[0]
        randomized = level_values.get(("study", sid, "randomized"))
        if norm(design) in RANDOMISED and randomized and randomized[0] in {"no", "n", "false", "0"}:
            problems.append(f"{path}:{randomized[1]}: randomized: {sid} has a randomised design "
                            "but randomized = no")
    return problems


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "evidence.csv")
    problems = check(path)
    for problem in problems:
        print(problem)
    if not problems:
        text = path.read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        print(f"{path}: ok (contract v2 §1): {len(rows)} citations of "
              f"{len({r['study_id'] for r in rows})} studies on "
              f"{len({r['position_id'] for r in rows})} positions")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
