"""Turn an Assessment into the contract's JSON, the score CSV and a terminal table."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from grader.distinct import Coded
from grader.pipeline import Assessment, Rated
from grader.rate import DOMAIN_FIELDS, DomainResult
from grader.safe_text import one_line
from grader.vocab import DOMAINS, NOT_APPLICABLE, SYMBOLS, WORDS

SCORE_CSV_COLUMNS = ("position_id", "study_id", "stance", "design", "start", *DOMAINS,
                     *(DOMAIN_FIELDS[d].source for d in DOMAINS),
                     "upgrades", "upgrades_withheld", "certainty", "score", "overstated")
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _value(v: object) -> object:
    """A cell as plain JSON: NA → None, numpy scalars → Python."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def plain_records(frame: pd.DataFrame) -> list[dict]:
    """The frame's rows as dicts of plain Python values, None where a cell is NA.

    What frame.astype(object).where(frame.notna(), None).to_dict("records") gives, a
    column at a time: that copied the frame per block three times over (seed: 18 -> 4 ms
    for the ratings and positions, on every build and every save in watch).
    """
    columns = list(frame.columns)
    cells = [_plain_column(frame.iloc[:, i].to_numpy(dtype=object, na_value=None))
             for i in range(len(columns))]
    return [dict(zip(columns, row, strict=True)) for row in zip(*cells, strict=True)]


def _plain_column(values: np.ndarray) -> list:
    """A column's cells as a list, numpy numbers and bools as the Python ones (as to_dict
    boxes them); a column holding none, the usual case, is not converted cell by cell."""
    if any(issubclass(kind, np.generic) for kind in set(map(type, values))):
        return [_plain(value) for value in values]
    return values.tolist()


def _plain(value: object) -> object:
    """A numpy number or bool as the Python one (as to_dict boxes them)."""
    return value.item() if isinstance(value, np.integer | np.floating | np.bool_) else value


def _score(certainty: str, score: object) -> int | None:
    """A score as JSON: null for checked (not applicable) certainty."""
    return None if certainty == NOT_APPLICABLE or score is None else int(score)


def studies(assessment: Assessment) -> list[dict]:
    """One record per study: design, n, retracted, and its best certainty across citations."""
    summary = assessment.study_summary
    return [{"study_id": r["study_id"],
             "design": r["design"],
             "n": _value(r["n"]),
             "retracted": bool(r["retracted"]),
             "certainty": r["certainty"],
             "score": _score(r["certainty"], r["score"]),
             "citation": _value(r["citation"]),
             "year": _value(r["year"]),
             "doi": _value(r["doi"])}
            for r in summary.to_dict("records")]


def _upgrades(r: dict) -> dict | None:
    """A citation's upgrades as applied, with those withheld and why."""
    applied = r["upgrade"] > 0
    return {"large_effect": r["large_effect"] if applied else "no",
            "dose_response": bool(r["dose_response"]) and applied,
            "plausible_confounding": bool(r["plausible_confounding"]) and applied,
            "withheld": [w for w in (r["upgrade_withheld"] or "").split(",") if w],
            "reason": r["upgrade_reason"]}


def _domain(result: DomainResult) -> dict:
    """One domain of one citation as in the contract's JSON."""
    return {"judgment": result.judgment, "source": result.source, "reason": result.reason}


def citations(assessment: Assessment) -> list[dict]:
    """One record per citation, with each domain's judgment, source and reason."""
    c = assessment.ratings
    columns = ["position_id", "study_id", "stance", "start", "certainty", "score",
               "claimed_certainty", "overstated", "large_effect", "dose_response",
               "plausible_confounding", "upgrade", "upgrade_withheld", "upgrade_reason",
               "characterization", "notes", "line", "checked", "counted", "in_body", "result",
               "cited_in_exchange",
               *(col for d in DOMAINS for col in DOMAIN_FIELDS[d].columns)]
    records = c[columns].astype(object).where(c[columns].notna(), None).to_dict("records")
    out = []
    for r in records:
        checked = bool(r["checked"])
        out.append({
            "position_id": r["position_id"],
            "study_id": r["study_id"],
            "stance": r["stance"],
            "start": None if checked else r["start"],
            "counted": bool(r["counted"]),
            "in_body": bool(r["in_body"]),
            "domains": None if checked else {
                d: _domain(DOMAIN_FIELDS[d].of(r)) for d in DOMAINS},
            "upgrades": None if checked else _upgrades(r),
            "certainty": r["certainty"],
            "score": _score(r["certainty"], r["score"]),
            "result": r["result"],
            "cited_in_exchange": bool(r["cited_in_exchange"]),
            "claimed_certainty": r["claimed_certainty"],
            "overstated": bool(r["overstated"]),
            "characterization": r["characterization"],
            "notes": r["notes"],
            "line": int(r["line"]),
        })
    return out


def positions(assessment: Assessment) -> list[dict]:
    """One record per position: verdict, certainty, statement, body and the studies on each side."""
    p = assessment.positions
    out = []
    for r in p.to_dict("records"):
        body = r["body"]
        out.append({
            "position_id": r["position_id"], "position": r["position"],
            "advocate": r["advocate"], "question": r["question"],
            "outcome": _value(r["outcome"]), "judged": r["judged"],
            "verdict": r["verdict"], "leaning": _value(r["leaning"]),
            "certainty": r["certainty"], "score": _score(r["certainty"], _value(r["score"])),
            "statement": r["statement"],
            "body": None if body is None else {
                "start": body["start"], "weight": body["weight"],
                "studies": list(body["studies"]), "weights": dict(body["weights"]),
                "domains": body["domains"], "upgrades": body["upgrades"]},
            "supporting": list(r["supporting"]), "opposing": list(r["opposing"]),
            "lower_tier": list(r["lower_tier"]), "not_rated": list(r["not_rated"]),
            "retracted": list(r["retracted"]), "conceded_by": _value(r["conceded_by"]),
        })
    return out


def to_json(assessment: Assessment) -> dict:
    """The contract's §7 JSON document."""
    e, rubric = assessment.evidence, assessment.rubric
    return {
        "input": {"path": e.path, "sha256": e.sha256},
        "rubric": {"name": rubric.name, "version": rubric.version},
        "studies": studies(assessment),
        "citations": citations(assessment),
        "positions": positions(assessment),
    }


def neutralize(text: str) -> str:
    """Defuse spreadsheet formula injection (OWASP): prefix risky cells with '."""
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def to_score_csv(rated: Rated) -> str:
    """One CSV row per citation, text cells safe to open in a spreadsheet (no judging needed)."""
    c = rated.ratings
    source = c.assign(upgrades=_applied_upgrades(c), upgrades_withheld=c["upgrade_withheld"])
    checked = c["checked"].to_numpy(dtype=bool)
    blank_when_checked = {"start", "score", *(x for d in DOMAINS
                                             for x in (d, DOMAIN_FIELDS[d].source))}
    fields = []
    for column in SCORE_CSV_COLUMNS:
        values = source[column].astype(object)
        if column == "overstated":
            values = values.map({True: "yes", False: "no"})
        if column in blank_when_checked:
            values = values.mask(checked, "")
        # Each distinct value is neutralised (not the numbers) and quoted once, then spread
        # over the rows (issue #7).
        safe = str if column == "score" else (lambda value: neutralize(str(value)))
        coded = Coded.of(values)
        fields.append(coded.relabel([csv_field(safe(u)) for u in coded.values]).decoded(""))
    return csv_rows([csv_field(name) for name in SCORE_CSV_COLUMNS], fields)


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
"""Characters that can make csv.writer (QUOTE_MINIMAL, comma-separated) quote a field; a
field with none of them it writes as it is, and one with any is handed to it."""


def csv_field(text: str) -> str:
    """text as one field of a comma-separated row, quoted only where csv.writer quotes it."""
    if not _NEEDS_QUOTES.search(text):
        return text
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow([text, ""])
    return buffer.getvalue()[:-2]  # the field, without the empty one after it and the end


def csv_rows(header: list[str], columns: list) -> str:
    """CSV text from fields already quoted by csv_field: a header, then one row per index.

    Why: joining quoted fields is twice as fast as csv.writer and three times pandas'
    to_csv (100,000 citations: 0.13 s against 0.26 s and 0.33 s), and the score CSV's
    fields repeat, so each is quoted once per distinct value.
    """
    return "\n".join([",".join(header), *map(",".join, zip(*columns, strict=True))]) + "\n"


def _applied_upgrades(c: pd.DataFrame) -> pd.Series:
    """'large effect, dose–response' where upgrades were applied, else ''."""
    from grader.distinct import per_combination
    from grader.rate import UPGRADE_LABELS

    return per_combination(
        lambda up, large, dose, conf: "" if not up else ", ".join(
            [UPGRADE_LABELS["large_effect"] + ("" if large == "large" else " (very large)")]
            * (large != "no") + [UPGRADE_LABELS["dose_response"]] * bool(dose)
            + [UPGRADE_LABELS["plausible_confounding"]] * bool(conf)),
        {"up": c["upgrade"], "large": c["large_effect"], "dose": c["dose_response"],
         "conf": c["plausible_confounding"]}, c.index, dtype=object)


def to_table(assessment: Assessment) -> str:
    """A plain-text table of positions, their body of evidence and statement, for the terminal."""
    lines = []
    cited = assessment.ratings.groupby("position_id", sort=False)
    for p in positions(assessment):
        # Cell text through one_line: no escape sequence reaches the terminal (issue 17).
        lines.append(f"{one_line(p['position_id'])}  [{one_line(p['advocate'])}]  "
                     f"{p['verdict'].upper()}  {SYMBOLS[p['certainty']]} "
                     f"{WORDS[p['certainty']]}")
        lines.append(f"  {one_line(p['position'])}")
        lines.append(f"  → {one_line(p['statement'])}")
        if p["body"]:
            lines.append(f"  body: {one_line(', '.join(p['body']['studies']))} (starts "
                         f"{WORDS[p['body']['start']].lower()}, weight {p['body']['weight']})")
        for r in cited.get_group(p["position_id"]).to_dict("records"):
            flags = [f for f, on in (("in body", r["in_body"]), ("RETRACTED", r["retracted"]),
                                     ("added", not r["cited_in_exchange"]),
                                     ("OVERSTATED", r["overstated"])) if on]
            flag = f"  [{', '.join(flags)}]" if flags else ""
            lines.append(f"    {r['stance']:<8} {one_line(r['study_id']):<18} "
                         f"{one_line(r['design']):<22} "
                         f"{SYMBOLS[r['certainty']]} {WORDS[r['certainty']]}{flag}")
        lines.append("")
    return "\n".join(lines)
