"""Turn an Assessment into the contract's JSON, the score CSV and a terminal table."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from grader.pipeline import Assessment
from grader.safe_text import one_line
from grader.vocab import DOMAINS, SYMBOLS, WORDS

SCORE_CSV_COLUMNS = ("position_id", "study_id", "stance", "design", "start", *DOMAINS,
                     "certainty", "score", "overstated")
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _value(v: object) -> object:
    """A cell as plain JSON: NA → None, numpy scalars → Python."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def studies(assessment: Assessment) -> list[dict]:
    """One record per study: design, n, and its best certainty across citations."""
    c = assessment.citations
    best = c.sort_values(["score", "line"], ascending=[False, True], kind="stable")
    best = best.drop_duplicates("study_id").set_index("study_id")
    order = c.drop_duplicates("study_id")["study_id"]
    return [{"study_id": sid,
             "design": best.at[sid, "design"],
             "n": _value(best.at[sid, "n"]),
             "certainty": best.at[sid, "certainty"],
             "score": int(best.at[sid, "score"]),
             "citation": _value(best.at[sid, "citation"]),
             "year": _value(best.at[sid, "year"]),
             "doi": _value(best.at[sid, "doi"])}
            for sid in order]


def citations(assessment: Assessment) -> list[dict]:
    """One record per citation, with each domain's judgment, source and reason."""
    c = assessment.citations
    columns = ["position_id", "study_id", "stance", "start", "certainty", "score",
               "claimed_certainty", "overstated", "large_effect", "dose_response",
               "plausible_confounding", "characterization", "notes", "line",
               *DOMAINS, *(f"{d}_source" for d in DOMAINS), *(f"{d}_reason" for d in DOMAINS)]
    records = c[columns].astype(object).where(c[columns].notna(), None).to_dict("records")
    return [{
        "position_id": r["position_id"],
        "study_id": r["study_id"],
        "stance": r["stance"],
        "start": r["start"],
        "domains": {d: {"judgment": r[d], "source": r[f"{d}_source"],
                        "reason": r[f"{d}_reason"]} for d in DOMAINS},
        "upgrades": {"large_effect": r["large_effect"],
                     "dose_response": bool(r["dose_response"]),
                     "plausible_confounding": bool(r["plausible_confounding"])},
        "certainty": r["certainty"],
        "score": int(r["score"]),
        "claimed_certainty": r["claimed_certainty"],
        "overstated": bool(r["overstated"]),
        "characterization": r["characterization"],
        "notes": r["notes"],
        "line": int(r["line"]),
    } for r in records]


def positions(assessment: Assessment) -> list[dict]:
    """One record per position: verdict, certainty and the studies on each side."""
    p = assessment.positions
    return [{"position_id": r["position_id"], "position": r["position"],
             "advocate": r["advocate"], "question": r["question"],
             "verdict": r["verdict"], "certainty": r["certainty"], "score": int(r["score"]),
             "supporting": list(r["supporting"]), "opposing": list(r["opposing"]),
             "not_rated": list(r["not_rated"])}
            for r in p.to_dict("records")]


def to_json(assessment: Assessment) -> dict:
    """The contract's §6 JSON document."""
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


def to_score_csv(assessment: Assessment) -> str:
    """One CSV row per citation, text cells safe to open in a spreadsheet."""
    frame = assessment.citations[list(SCORE_CSV_COLUMNS)].copy()
    frame["overstated"] = frame["overstated"].map({True: "yes", False: "no"})
    for column in (c for c in SCORE_CSV_COLUMNS if c != "score"):
        # Each distinct value is neutralised once, then spread over the rows (issue #7).
        codes, uniques = pd.factorize(frame[column])
        safe = np.array([neutralize(str(u)) for u in uniques] + [""], dtype=object)
        frame[column] = safe[codes]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue()


def to_table(assessment: Assessment) -> str:
    """A plain-text table of positions and their citations for the terminal."""
    lines = []
    cited = assessment.citations.groupby("position_id", sort=False)
    for p in positions(assessment):
        # Cell text through one_line: no escape sequence reaches the terminal (issue 17).
        lines.append(f"{one_line(p['position_id'])}  [{one_line(p['advocate'])}]  "
                     f"{p['verdict'].upper()}  {SYMBOLS[p['certainty']]} "
                     f"{WORDS[p['certainty']]}")
        lines.append(f"  {one_line(p['position'])}")
        for r in cited.get_group(p["position_id"]).to_dict("records"):
            flag = "  OVERSTATED" if r["overstated"] else ""
            lines.append(f"    {r['stance']:<8} {one_line(r['study_id']):<18} "
                         f"{one_line(r['design']):<22} "
                         f"{SYMBOLS[r['certainty']]} {WORDS[r['certainty']]}{flag}")
        lines.append("")
    return "\n".join(lines)
