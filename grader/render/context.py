"""The brief as a tree of plain data, ready for the templates (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from grader import __version__
from grader.pipeline import Assessment
from grader.rate import DOMAIN_FIELDS, UPGRADE_LABELS, upgrade_labels
from grader.render.formatters import join_words, letter, short_claim, truncate
from grader.render.methods import build_methods
from grader.report import plain_records
from grader.vocab import (
    CHECKED_QUESTIONS,
    DOMAIN_LABELS,
    DOMAINS,
    LEVELS,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    NOT_RATED,
    WORDS,
)

APPENDIX_FULL_LIMIT = 2000
"""Above this many studies the appendix lists the weakest and strongest and summarises."""

FULL_BRIEF_POSITIONS = 200
"""Up to this many positions every position has its section; above, the PDF is a digest."""
DIGEST_SECTIONS = 40
"""Positions given a section (and a row in the evidence map) in a digest."""
DIGEST_APPENDIX_ROWS = 200
"""Studies listed in a digest's appendix (the most and the least certain halves)."""
BOTTOM_LINE_ITEMS = 6
"""Claims named per sentence of the bottom line; more are counted."""
_ATTENTION = {"contradicted": 0, "contested": 1, "refuted": 0, "disputed": 1}
CLINICAL_QUESTIONS = ("efficacy", "safety", "prognosis", "values", "other")
"""Questions a clinician reads first: the bottom line names these claims before the rest."""
VERDICT_PHRASES = {
    "supported": {"high": "is shown to be true", "moderate": "is probably true",
                  "low": "may be true", "very_low": "is very uncertain"},
    "contradicted": {"high": "is shown not to be true", "moderate": "is probably not true",
                     "low": "may not be true",
                     "very_low": "is very uncertain, and what evidence there is is against it"},
}


@dataclass
class Settings:
    """What the brief says about itself: title, the exchange covered, language."""

    title: str = "Evidence brief"
    exchange: str = ""
    journal: str = ""
    doi: str = ""
    language: str = "en"
    extra: dict = field(default_factory=dict)


def _footnote_text(cell: dict, row: dict) -> str:
    """'Risk of bias, serious: <reason>'; an explicit judgment quotes the table's note."""
    if cell["source"] == NOT_ASSESSED:
        return f"{cell['label']}, {cell['reason'][:1].lower()}{cell['reason'][1:]}"
    head = f"{cell['label']}, {cell['judgment'].replace('_', ' ')}"
    if cell["source"] != "explicit":
        return f"{head}: {cell['reason']}"
    if row.get("notes"):
        row["notes_quoted"] = True
        return f"{head}, judged in the evidence table ({row['study_id']}’s note): {row['notes']}"
    return f"{head}, judged in the evidence table (no reason given)."


def _needs_footnote(cell: dict) -> bool:
    return cell["judgment"] != "not_serious" or cell["source"] == NOT_ASSESSED


def _footnoted(rows: list[dict]) -> list[dict]:
    """A footnote letter for every downgrade and every 'not assessed'; equal reasons share one."""
    letters: dict[str, str] = {}
    notes = []
    for row in rows:
        for cell in row["domains"] or ():
            if not _needs_footnote(cell):
                continue
            text = truncate(_footnote_text(cell, row))
            if text not in letters:
                letters[text] = letter(len(letters))
                notes.append({"letter": letters[text], "text": text})
            cell["letter"] = letters[text]
        if row.get("withheld_reason"):
            text = truncate(row["withheld_reason"])
            if text not in letters:
                letters[text] = letter(len(letters))
                notes.append({"letter": letters[text], "text": text})
            row["withheld_letter"] = letters[text]
    return notes


def _cell(domain: str, judgment: str, source: str, reason: str) -> dict:
    return {"domain": domain, "label": DOMAIN_LABELS[domain], "judgment": judgment,
            "source": source, "reason": reason, "letter": None,
            "assessed": source != NOT_ASSESSED}


def _upgrade_words(large: str, dose: bool, confounding: bool) -> list[str]:
    ups = []
    if large and large != "no":
        ups.append(large.replace("_", " ") + " effect")
    if dose:
        ups.append(UPGRADE_LABELS["dose_response"])
    if confounding:
        ups.append("confounding would reduce the effect")
    return ups


def _citation_row(r: dict, designs: dict) -> dict:
    checked = bool(r["checked"])
    domains = None if checked else [
        _cell(d, x.judgment, x.source, x.reason)
        for d, x in ((d, DOMAIN_FIELDS[d].of(r)) for d in DOMAINS)]
    design = designs.get(r["design"])
    applied = int(r["upgrade"])
    return {
        "study_id": r["study_id"], "position_id": r["position_id"], "stance": r["stance"],
        "design": r["design"], "design_label": design.label if design else r["design"],
        "n": r["n"], "start": r["start"], "domains": domains,
        "upgrades": _upgrade_words(r["large_effect"], r["dose_response"],
                                   r["plausible_confounding"]) if applied else [],
        "withheld": upgrade_labels(r["upgrade_withheld"]), "withheld_reason": r["upgrade_reason"],
        "withheld_letter": None,
        "applied_upgrade": applied, "certainty": r["certainty"],
        "score": r["score"], "claimed": r["claimed_certainty"], "overstated": r["overstated"],
        "characterization": truncate(r["characterization"]) if r["characterization"] else None,
        "notes": truncate(r["notes"]) if r["notes"] else None,
        "result": truncate(r["result"]) if r["result"] else None,
        "citation": truncate(r["citation"]), "doi": r["doi"], "year": r["year"],
        "cited_in_exchange": bool(r["cited_in_exchange"]), "retracted": bool(r["retracted"]),
        "counted": bool(r["counted"]), "in_body": bool(r["in_body"]), "checked": checked,
        "notes_quoted": False,
    }


def _overstatement(row: dict) -> str:
    """'very low, case series of 5': the grade and what earned it."""
    n = f" of {row['n']:,}" if row["n"] is not None else ""
    return f"{WORDS[row['certainty']].lower()}, {row['design_label'].lower()}{n}"


ADVOCATE_LIMIT = 200
"""Longest advocate printed; longer cells are cut with a note (brief.json keeps them)."""
CLAIM_LIMIT = 1500
"""Longest claim printed whole: about 250 words, far beyond any claim a letter makes;
only a pasted document is cut, with a note (brief.json keeps it)."""


def _body_row(body: dict, rows: list[dict]) -> dict:
    """The body of evidence as one row of the SoF table: its start, judgments and certainty."""
    domains = [_cell(d, **body["domains"][d]) for d in DOMAINS]
    ups = body["upgrades"]
    return {"studies": body["studies"], "start": body["start"], "weight": body["weight"],
            "n": sum(r["n"] for r in rows if r["n"] is not None) if all(
                r["n"] is not None for r in rows) else None,
            "domains": domains, "notes": None, "study_id": "body",
            "upgrades": _upgrade_words(ups["large_effect"], ups["dose_response"],
                                       ups["plausible_confounding"]),
            "withheld": ", ".join(UPGRADE_LABELS[w] for w in ups["withheld"]),
            "withheld_reason": ups["reason"], "withheld_letter": None}


def _best(rows: list[dict], stance: str) -> dict | None:
    """The most certain counted citation on one side, body citations first."""
    side = [r for r in rows if r["counted"] and r["stance"] == stance]
    return max(side, key=lambda r: (r["in_body"], r["score"] or 0), default=None)


def _badges(p: dict, rows: list[dict]) -> list[dict]:
    """What page 1 says in words beside a claim: concessions, added and retracted evidence."""
    badges = []
    if p["conceded_by"]:
        badges.append({"kind": "conceded", "text": f"conceded by {p['conceded_by']}"})
    if p["judged"] == "checked":
        badges.append({"kind": "checked", "text": "checked fact" if p["question"] == "fact"
                       else "checked definition"})
    added = [r["study_id"] for r in rows if not r["cited_in_exchange"] and r["counted"]]
    if added:
        badges.append({"kind": "added", "text": "added by the brief's authors: "
                       + join_words(added)})
    if p["retracted"]:
        badges.append({"kind": "retracted", "text": "retracted evidence excluded: "
                       + join_words(p["retracted"])})
    return badges


def verdict_phrase(p: dict) -> str:
    """The verdict in a few plain words for the bottom line ('is probably true')."""
    verdict = p["verdict"]
    if verdict in VERDICT_PHRASES:
        return VERDICT_PHRASES[verdict][p["certainty"]]
    if verdict == "contested":
        return f"meets conflicting evidence ({WORDS[p['certainty']].lower()} certainty)"
    if verdict == "unsupported":
        return "rests on opinion only"
    if verdict == "confirmed":
        return f"is confirmed by {join_words(p['supporting'])}"
    if verdict == "refuted":
        return f"is refuted by {join_words(p['opposing'])}"
    if verdict == "disputed":
        return "is disputed by its sources"
    return "was not checked"


def build_positions(assessment: Assessment) -> list[dict]:
    """One entry per position: verdict, statement, best evidence, SoF rows, footnotes, badges."""
    designs = assessment.rubric.designs
    rows_by_position: dict[str, list[dict]] = {}
    ordered = assessment.ratings.sort_values(["score", "line"], ascending=[False, True],
                                               kind="stable")
    for r in plain_records(ordered):
        rows_by_position.setdefault(r["position_id"], []).append(_citation_row(r, designs))
    out = []
    for number, p in enumerate(plain_records(assessment.positions), start=1):
        rows = rows_by_position[p["position_id"]]
        for r in rows:
            if r["overstated"]:
                r["graded_phrase"] = _overstatement(r)
        checked = p["judged"] == "checked"
        live = [r for r in rows if not r["retracted"]]
        body = [r for r in live if r["in_body"]]
        entry = {
            **p,
            "advocate": truncate(p["advocate"], ADVOCATE_LIMIT),  # printed on every page
            "position": truncate(p["position"], CLAIM_LIMIT),
            "number": number,
            "short": short_claim(p["short"] if p.get("short") else p["position"]),
            "clinical": p["question"] in CLINICAL_QUESTIONS,
            "checked": checked,
            "sources": live if checked else [],
            "rows": [] if checked else [r for r in live if r["certainty"] != NOT_RATED],
            "body_rows": body,
            "lower_rows": [r for r in live if r["counted"] and not r["in_body"]
                           and not checked],
            "opinion": [] if checked else [r for r in live if r["certainty"] == NOT_RATED],
            "retracted_rows": [r for r in rows if r["retracted"]],
            "body_row": _body_row(p["body"], body) if p["body"] else None,
            "best_for": _best(rows, "supports"),
            "best_against": _best(rows, "opposes"),
            "overstated": [r for r in rows if r["overstated"]],
        }
        entry["best"] = entry["best_against"] if p["verdict"] in ("contradicted", "refuted") \
            else entry["best_for"]
        graded_rows = entry["body_rows"] + entry["lower_rows"]
        entry["footnotes"] = _footnoted(([entry["body_row"]] if entry["body_row"] else [])
                                        + graded_rows)
        entry["badges"] = _badges(p, rows)
        entry["phrase"] = verdict_phrase(p)
        out.append(entry)
    return out


def position_refs(items: list[dict], limit: int = 12) -> str:
    """'P2–P5, P8 and P11': position numbers with consecutive runs joined."""
    numbers = [p["number"] for p in items]
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = []
    for run in runs:  # three or more in a row read better as a range
        parts += [f"P{run[0]}–P{run[-1]}"] if len(run) > 2 else [f"P{n}" for n in run]
    if len(parts) > limit:
        parts = parts[:limit] + [f"{len(parts) - limit:,} more"]
    return join_words(parts)


def _named(items: list[dict]) -> str:
    """'“short claim” is probably true; …', the first few claims and a count of the rest."""
    ranked = sorted(items, key=lambda p: (-(p["score"] or 0), p["number"]))
    shown = [f"“{p['short']}” {p['phrase']}" for p in ranked[:BOTTOM_LINE_ITEMS]]
    if len(items) > BOTTOM_LINE_ITEMS:
        shown.append(f"{len(items) - BOTTOM_LINE_ITEMS:,} more (see the table)")
    return "; ".join(shown)


def _checked_sentence(checked: list[dict]) -> str:
    """Facts and definitions: how many were confirmed, and every one that was not, by name."""
    confirmed = [p for p in checked if p["verdict"] == "confirmed"]
    others = [p for p in checked if p["verdict"] != "confirmed"]
    noun = "fact or definition" if len(checked) == 1 else "facts and definitions"
    text = (f"Of {len(checked):,} {noun} checked against their sources (not graded), "
            f"{len(confirmed):,} {'is' if len(confirmed) == 1 else 'are'} confirmed")
    if others:
        text += "; " + _named(others)
    return text + "."


def plain_summary(positions: list[dict]) -> list[str]:
    """The bottom line: 3–5 sentences naming claims, clinical claims first, facts last."""
    clinical = [p for p in positions if p["clinical"] and not p["checked"]]
    mechanism = [p for p in positions if not p["clinical"] and not p["checked"]]
    checked = [p for p in positions if p["checked"]]
    sentences = []
    if clinical:
        sentences.append(f"Clinical claims: {_named(clinical)}.")
    if mechanism:
        sentences.append(f"Mechanism claims: {_named(mechanism)}.")
    if checked:
        sentences.append(_checked_sentence(checked))
    overstated = sum(len(p["overstated"]) for p in positions)
    cited = sum(len(p["rows"]) + len(p["opinion"]) for p in positions)
    if overstated:
        sentences.append(f"{overstated:,} of {cited:,} graded or opinion citations are "
                         "described with more certainty than the study earned (see "
                         "“Claimed versus graded”).")
    if not sentences:
        sentences.append("No position is cited.")
    return sentences


def select_sections(positions: list[dict]) -> list[dict]:
    """The positions that get a section: all of them, or in a digest those most in question.

    A digest (more than FULL_BRIEF_POSITIONS positions) keeps the brief within what
    WeasyPrint lays out in reasonable time and memory (BENCHMARKS.md, "How the brief
    scales"): contradicted, then contested positions, then those with an overstated
    characterization, then the rest, DIGEST_SECTIONS of them, in position order.
    """
    if len(positions) <= FULL_BRIEF_POSITIONS:
        return positions
    ranked = sorted(positions, key=lambda p: (_ATTENTION.get(p["verdict"], 2),
                                              not p["overstated"], p["number"]))
    return sorted(ranked[:DIGEST_SECTIONS], key=lambda p: p["number"])


def build_appendix(assessment: Assessment, limit: int = APPENDIX_FULL_LIMIT) -> dict:
    """The evidence profile: one row per study (its best citation), maybe summarised."""
    c = assessment.ratings
    best = assessment.study_summary
    varies = c.groupby("study_id")["indirectness"].nunique().gt(1)
    best = best.sort_values(["checked", "score", "study_id"], ascending=[True, False, True],
                            kind="stable")
    total = len(best)
    shown = best
    if total > limit:
        half = limit // 2
        shown = pd.concat([best.head(half), best.tail(half)])
    rows = []
    designs = assessment.rubric.designs
    cited_on = c["study_id"].value_counts() if total <= 200 else None
    for r in plain_records(shown):
        row = _citation_row(r, designs)
        row["indirectness_varies"] = bool(varies.get(r["study_id"], False))
        row["positions"] = int(cited_on[r["study_id"]]) if cited_on is not None else None
        rows.append(row)
    counts = best["certainty"].value_counts()
    graded = c[(c["score"] > 0)]
    domain_counts = {}
    for d in DOMAINS:
        judged = graded[d].astype(object).where(graded[DOMAIN_FIELDS[d].source] != NOT_ASSESSED,
                                                NOT_ASSESSED)
        domain_counts[d] = judged.value_counts().to_dict()
    return {"rows": rows, "total": total, "omitted": total - len(shown),
            "domain_counts": domain_counts,
            "by_certainty": [(lvl, int(counts.get(lvl, 0))) for lvl in
                             (*LEVELS[::-1], NOT_RATED, NOT_APPLICABLE)]}


def build_references(assessment: Assessment) -> list[dict]:
    """Every study once, in input order: its reference, DOI, and whether the exchange cited it."""
    c = assessment.ratings
    added = ~c.groupby("study_id", sort=False)["cited_in_exchange"].any()
    return [{"study_id": r["study_id"], "citation": r["citation"], "doi": r["doi"],
             "year": r["year"], "added": bool(added[r["study_id"]]),
             "retracted": bool(r["retracted"])}
            for r in plain_records(assessment.study_summary)]


def build_context(assessment: Assessment, settings: Settings, date: str,
                  changes: dict | None = None) -> dict:
    """Everything the templates need, as plain data."""
    positions = build_positions(assessment)
    sections = select_sections(positions)
    digest = len(sections) < len(positions)
    for p in positions:
        p["section"] = not digest
    for p in sections:
        p["section"] = True
    e = assessment.evidence
    marks = {"explicit": bool(assessment.ratings[[DOMAIN_FIELDS[d].source for d in DOMAINS]]
                              .eq("explicit").any().any()),
             "not_assessed": True,
             "varies": False}
    return {
        "settings": settings,
        "title": settings.title,
        "date": date,
        "positions": positions,
        "summary": plain_summary(positions),
        "sections": sections,
        "digest": digest,
        "appendix": build_appendix(assessment, DIGEST_APPENDIX_ROWS if digest
                                   else APPENDIX_FULL_LIMIT),
        "methods": build_methods(assessment),
        "references": build_references(assessment),
        "changes": changes,
        "marks": marks,
        "checked_questions": CHECKED_QUESTIONS,
        "provenance": {"file": PurePath(e.path).name, "sha256": e.sha256,
                       "sha12": e.sha256[:12], "rubric": assessment.rubric.name,
                       "rubric_version": assessment.rubric.version, "date": date,
                       "grader_version": __version__},
        "counts": {"positions": len(positions),
                   "studies": int(assessment.ratings["study_id"].nunique()),
                   "citations": len(assessment.ratings)},
        "advocates": list(dict.fromkeys(p["advocate"] for p in positions)),
    }
