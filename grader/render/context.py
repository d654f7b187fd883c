"""The brief as a tree of plain data, ready for the templates (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from grader import __version__
from grader.pipeline import Assessment
from grader.render.formatters import join_words, letter, truncate
from grader.vocab import DOMAIN_LABELS, DOMAINS, LEVELS, MEANINGS, NOT_RATED, SYMBOLS, WORDS

APPENDIX_FULL_LIMIT = 2000
"""Above this many studies the appendix lists the weakest and strongest and summarises."""

FULL_BRIEF_POSITIONS = 200
"""Up to this many positions every position has its section; above, the PDF is a digest."""
DIGEST_SECTIONS = 40
"""Positions given a section (and a row in the evidence map) in a digest."""
DIGEST_APPENDIX_ROWS = 200
"""Studies listed in a digest's appendix (the most and the least certain halves)."""
_ATTENTION = {"contradicted": 0, "contested": 1}

SIMPLIFICATIONS = (
    "GRADE rates a body of evidence for one outcome; grader rates each citation (a study as "
    "evidence for one position) and then judges the position from its strongest citations.",
    "A position's certainty is that of its best supporting or opposing citation, not a "
    "pooled estimate; contested positions are rated one level down for inconsistency.",
    "Derived judgments come from the design attributes in the evidence table, not from "
    "reading the studies; reviewers override any of them with an explicit column.",
    "Each domain is capped at two levels down (GRADE allows imprecision to take three).",
    "Upgrades are applied whenever the table records them for a design that does not start "
    "high; GRADE usually rates up only when nothing was rated down.",
    "Inconsistency and publication bias cannot be judged from one citation: they are only "
    "downgraded when the table says so.",
    "Opinion (narrative reviews, expert opinion, editorials, letters, guidelines) is "
    "ineligible for GRADE rating; such citations are listed but never counted.",
    "Animal and in-vitro work starts low like observational evidence, even on mechanism "
    "questions where it is the natural evidence; it is not rated down for indirectness there.",
    "Imprecision is judged from the number analysed alone (fewer than 400: serious; fewer "
    "than 10: very serious), not from confidence intervals, which the table does not hold.",
)


@dataclass
class Settings:
    """What the brief says about itself: title, the exchange covered, language."""

    title: str = "Evidence brief"
    exchange: str = ""
    journal: str = ""
    doi: str = ""
    language: str = "en"
    extra: dict = field(default_factory=dict)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _footnote_text(cell: dict, row: dict) -> str:
    """'Risk of bias, serious: <reason>'; an explicit judgment quotes the table's note."""
    head = f"{cell['label']}, {cell['judgment'].replace('_', ' ')}"
    if cell["source"] != "explicit":
        return f"{head}: {cell['reason']}"
    if row["notes"]:
        row["notes_quoted"] = True
        return f"{head}, judged in the evidence table ({row['study_id']}’s note): {row['notes']}"
    return f"{head}, judged in the evidence table (no reason given)."


def _footnoted(rows: list[dict]) -> list[dict]:
    """Give every downgrade a footnote letter; identical reasons share one letter."""
    letters: dict[str, str] = {}
    notes = []
    for row in rows:
        for cell in row["domains"]:
            if cell["judgment"] == "not_serious":
                continue
            text = truncate(_footnote_text(cell, row))
            if text not in letters:
                letters[text] = letter(len(letters))
                notes.append({"letter": letters[text], "text": text})
            cell["letter"] = letters[text]
    return notes


def _citation_row(r: dict, designs: dict) -> dict:
    domains = [{"domain": d, "label": DOMAIN_LABELS[d], "judgment": r[d],
                "source": r[f"{d}_source"], "reason": r[f"{d}_reason"], "letter": None}
               for d in DOMAINS]
    ups = []
    if r["large_effect"] != "no":
        ups.append(r["large_effect"].replace("_", " ") + " effect")
    if r["dose_response"]:
        ups.append("dose–response")
    if r["plausible_confounding"]:
        ups.append("confounding would reduce the effect")
    design = designs.get(r["design"])
    return {
        "study_id": r["study_id"], "position_id": r["position_id"], "stance": r["stance"],
        "design": r["design"], "design_label": design.label if design else r["design"],
        "n": r["n"], "start": r["start"], "domains": domains, "upgrades": ups,
        "applied_upgrade": int(r["upgrade"]), "certainty": r["certainty"],
        "score": r["score"], "claimed": r["claimed_certainty"], "overstated": r["overstated"],
        "characterization": truncate(r["characterization"]) if r["characterization"] else None,
        "notes": truncate(r["notes"]) if r["notes"] else None,
        "citation": truncate(r["citation"]), "doi": r["doi"], "year": r["year"],
        "notes_quoted": False,
    }


def _best(rows: list[dict], verdict: str) -> dict | None:
    side = "opposes" if verdict == "contradicted" else "supports"
    graded = [r for r in rows if r["score"] > 0 and r["stance"] == side]
    return max(graded, key=lambda r: r["score"]) if graded else None


def _overstatement(row: dict) -> str:
    """'very low, case series of 5': the grade and what earned it."""
    n = f" of {row['n']:,}" if row["n"] is not None else ""
    return f"{WORDS[row['certainty']].lower()}, {row['design_label'].lower()}{n}"


ADVOCATE_LIMIT = 200
"""Longest advocate printed; longer cells are cut with a note (brief.json keeps them)."""


def build_positions(assessment: Assessment) -> list[dict]:
    """One entry per position: verdict, best evidence, SoF rows, footnotes, opinion."""
    designs = assessment.rubric.designs
    rows_by_position: dict[str, list[dict]] = {}
    ordered = assessment.citations.sort_values(["score", "line"], ascending=[False, True],
                                               kind="stable")
    for r in _records(ordered):
        rows_by_position.setdefault(r["position_id"], []).append(_citation_row(r, designs))
    out = []
    for number, p in enumerate(_records(assessment.positions), start=1):
        rows = rows_by_position[p["position_id"]]
        graded = [r for r in rows if r["certainty"] != NOT_RATED]
        for r in rows:
            if r["overstated"]:
                r["graded_phrase"] = _overstatement(r)
        out.append({
            **p,
            "advocate": truncate(p["advocate"], ADVOCATE_LIMIT),  # printed on every page
            "number": number,
            "rows": graded,
            "opinion": [r for r in rows if r["certainty"] == NOT_RATED],
            "footnotes": _footnoted(graded),
            "best": _best(rows, p["verdict"]),
            "overstated": [r for r in rows if r["overstated"]],
        })
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


def _with_best(items: list[dict], limit: int = 6) -> str:
    shown = [f"P{p['number']} ({p['best']['study_id']}, {WORDS[p['certainty']].lower()})"
             if p["best"] else f"P{p['number']}" for p in items[:limit]]
    if len(items) > limit:
        shown.append(f"{len(items) - limit:,} more")
    return join_words(shown)


def _advocate_sentence(advocate: str, items: list[dict]) -> str:
    groups = [
        ("at moderate or high certainty",
         [p for p in items if p["verdict"] == "supported" and p["score"] >= 3]),
        ("at low or very low certainty",
         [p for p in items if p["verdict"] == "supported" and p["score"] < 3]),
    ]
    parts = [f"{len(g)} supported {label}" for label, g in groups if g]
    for verdict, label in (("contested", "contested"), ("contradicted", "contradicted"),
                           ("unsupported", "resting on opinion alone")):
        n = sum(p["verdict"] == verdict for p in items)
        if n:
            parts.append(f"{n} {label}")
    noun = "position" if len(items) == 1 else "positions"
    return f"{advocate}: {len(items)} {noun}, {join_words(parts)}."


def plain_summary(positions: list[dict]) -> list[str]:
    """Plain-language sentences generated from the verdicts, citing positions by number."""
    strong = [p for p in positions if p["verdict"] == "supported" and p["score"] >= 3]
    weak = [p for p in positions if p["verdict"] == "supported" and p["score"] < 3]
    contested = [p for p in positions if p["verdict"] == "contested"]
    contradicted = [p for p in positions if p["verdict"] == "contradicted"]
    unsupported = [p for p in positions if p["verdict"] == "unsupported"]
    overstated = sum(len(p["overstated"]) for p in positions)
    cited = sum(len(p["rows"]) + len(p["opinion"]) for p in positions)

    sentences = []
    if strong:
        sentences.append(f"Well supported, by moderate- or high-certainty evidence: "
                         f"{_with_best(strong)}.")
    else:
        sentences.append("No position is supported by moderate- or high-certainty evidence.")
    if weak:
        sentences.append("Supported only by low- or very-low-certainty evidence, so the true "
                         f"effect may differ substantially: {position_refs(weak)}.")
    if contested:
        sentences.append("Contested, with equally certain evidence on both sides: "
                         f"{position_refs(contested)}.")
    if contradicted:
        sentences.append("Contradicted: the most certain evidence cited points the other way: "
                         f"{_with_best(contradicted)}.")
    if unsupported:
        sentences.append("Resting on opinion alone, which GRADE does not rate: "
                         f"{position_refs(unsupported)}.")
    if overstated:
        sentences.append(f"{overstated:,} of {cited:,} citations are described with more "
                         "certainty than the study earned (see “Claimed versus graded”).")
    advocates: dict[str, list[dict]] = {}
    for p in positions:
        advocates.setdefault(p["advocate"], []).append(p)
    if 1 < len(advocates) <= 6:
        sentences += [_advocate_sentence(a, items) for a, items in advocates.items()]
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
    c = assessment.citations
    ranked = c.sort_values(["study_id", "score", "line"], ascending=[True, False, True],
                           kind="stable")
    best = ranked.drop_duplicates("study_id")
    varies = c.groupby("study_id")["indirectness"].nunique().gt(1)
    best = best.sort_values(["score", "study_id"], ascending=[False, True], kind="stable")
    total = len(best)
    shown = best
    if total > limit:
        half = limit // 2
        shown = pd.concat([best.head(half), best.tail(half)])
    rows = []
    designs = assessment.rubric.designs
    for r in _records(shown):
        row = _citation_row(r, designs)
        row["indirectness_varies"] = bool(varies.get(r["study_id"], False))
        row["positions"] = int((c["study_id"] == r["study_id"]).sum()) if total <= 200 else None
        rows.append(row)
    counts = best["certainty"].value_counts()
    graded = c[c["score"] > 0]
    domain_counts = {d: graded[d].value_counts().to_dict() for d in DOMAINS}
    return {"rows": rows, "total": total, "omitted": total - len(shown),
            "domain_counts": domain_counts,
            "by_certainty": [(lvl, int(counts.get(lvl, 0))) for lvl in
                             (*LEVELS[::-1], NOT_RATED)]}


def build_methods(assessment: Assessment) -> dict:
    """Methods page data: rubric identity, level meanings, rules that fired."""
    c = assessment.citations
    rubric = assessment.rubric
    fired = [{"id": rule.id, "domain": DOMAIN_LABELS[rule.domain], "reason": rule.reason,
              "judgment": rule.judgment or "by count of concerns",
              "count": int(c[f"{rule.domain}_rule"].eq(rule.id).sum())}
             for rule in rubric.rules]
    explicit = {DOMAIN_LABELS[d]: int(c[f"{d}_source"].eq("explicit").sum()) for d in DOMAINS}
    starts = {}
    for d in rubric.designs.values():
        starts.setdefault(d.start, []).append(d.label)
    return {
        "name": rubric.name, "version": rubric.version,
        "levels": [{"level": lvl, "symbols": SYMBOLS[lvl], "words": WORDS[lvl],
                    "meaning": MEANINGS[lvl]} for lvl in (*LEVELS[::-1], NOT_RATED)],
        "starts": starts, "review_start": rubric.review_start,
        "rules": fired, "explicit": explicit,
        "simplifications": SIMPLIFICATIONS,
    }


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
    from pathlib import PurePath

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
        "changes": changes,
        "provenance": {"file": PurePath(e.path).name, "sha256": e.sha256,
                       "sha12": e.sha256[:12], "rubric": assessment.rubric.name,
                       "rubric_version": assessment.rubric.version, "date": date,
                       "grader_version": __version__},
        "counts": {"positions": len(positions),
                   "studies": int(assessment.citations["study_id"].nunique()),
                   "citations": len(assessment.citations)},
        "advocates": list(dict.fromkeys(p["advocate"] for p in positions)),
    }
