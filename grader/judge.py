"""Judge each position from its citations: the body of evidence (§4.2) or the check (§5).

Pure: the ratings frame in, one row per position out; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from grader.rate import DOMAIN_FIELDS, derive
from grader.rubric import Rubric
from grader.safe_text import join_words
from grader.vocab import (
    DOMAIN_LABELS,
    DOMAINS,
    LARGE_EFFECT_BONUS,
    LEVEL_OF_SCORE,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    NOT_RATED,
    PENALTY,
    SCORE,
)

SEVERITY = {NOT_ASSESSED: 0, "not_serious": 1, "serious": 2, "very_serious": 3}
"""Order of body judgments for the tie rule: not assessed counts as the least severe."""
STATEMENTS = {
    ("supported", "high"): "The evidence shows this is true",
    ("supported", "moderate"): "Probably true",
    ("supported", "low"): "May be true",
    ("contradicted", "high"): "The evidence shows this is not true",
    ("contradicted", "moderate"): "Probably not true",
    ("contradicted", "low"): "May not be true",
}
"""GRADE's informative statements (Santesso et al. 2020); the contract fixes these words."""
VERY_UNCERTAIN = "The evidence is very uncertain"
LEANING_WORDS = {"supports": "it leans towards the claim",
                 "opposes": "it leans against the claim", "neither": "it leans neither way"}


@dataclass(frozen=True)
class DomainJudgment:
    """One domain's judgment of a body of evidence, with where it came from and why."""

    judgment: str
    source: str
    reason: str

    def to_dict(self) -> dict:
        """As in the contract's JSON."""
        return {"judgment": self.judgment, "source": self.source, "reason": self.reason}


def judge(ratings: pd.DataFrame, rubric: Rubric) -> tuple[pd.DataFrame, pd.Series]:
    """One row per position (verdict, certainty, body, statement), and each citation's in_body."""
    in_body = pd.Series(False, index=ratings.index)
    order = ratings.sort_values(["score", "line"], ascending=[False, True], kind="stable")
    groups: dict[str, list[dict]] = {}
    records = _records(order[_judged_columns(ratings, rubric)].reset_index())
    for r in records:
        groups.setdefault(r["position_id"], []).append(r)
    _derive_pooled_rows(groups, rubric)
    in_body_labels: list = []
    rows = []
    for position_id in dict.fromkeys(ratings["position_id"]):
        cites = groups[position_id]
        first = min(cites, key=lambda r: r["line"])
        head = {key: _first_given(cites, key) for key in HEAD_COLUMNS}
        if first["checked"]:
            verdict = check_position(cites)
        else:
            verdict = judge_body(cites, rubric)
            studies = (verdict["body"] or {}).get("studies", ())
            in_body_labels.extend(r["index"] for r in cites if r["study_id"] in studies)
        rows.append({"position_id": position_id, **head, **verdict,
                     "first_line": int(first["line"])})
    positions = pd.DataFrame(rows)
    if in_body_labels:
        in_body[ratings.index.isin(in_body_labels)] = True
    return positions, in_body


HEAD_COLUMNS = ("position", "advocate", "question", "outcome", "conceded_by", "short")
"""A position's own columns, taken from the first of its rows that gives each."""
BODY_COLUMNS = ("position_id", "study_id", "line", "checked", "counted", "start",
                "start_score", "retracted", "stance", "n", "score", "large_effect",
                "dose_response", "plausible_confounding")
"""The ratings' columns the body of evidence reads, besides the domains' fields."""


def _judged_columns(ratings: pd.DataFrame, rubric: Rubric) -> list[str]:
    """The columns judging reads: records of all of them cost a second at 100,000 citations."""
    wanted = {*BODY_COLUMNS, *HEAD_COLUMNS, *rubric.columns_read("imprecision"),
              *(c for fields in DOMAIN_FIELDS.values() for c in fields.columns)}
    return [c for c in ratings.columns if c in wanted]


def _records(frame: pd.DataFrame) -> list[dict]:
    """frame.to_dict("records"), column by column: numeric numpy columns through tolist()
    (Python scalars, as to_dict boxes them), the others as object arrays; pandas' own
    to_dict boxes every cell through the extension arrays (6 s at 100,000 citations)."""
    names = list(frame.columns)
    columns = []
    for name in names:
        column = frame[name]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
            columns.append(column.to_numpy().tolist())
        elif isinstance(column.dtype, np.dtype) and column.dtype.kind == "O":
            columns.append(column.to_numpy())
        else:
            columns.append(list(column.astype(object)))
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _first_given(cites: list[dict], key: str) -> object:
    for r in sorted(cites, key=lambda r: r["line"]):
        value = r.get(key)
        if value is not None and value is not pd.NA:
            return value
    return None


def _ids(cites: list[dict]) -> list[str]:
    return [r["study_id"] for r in cites]


def check_position(cites: list[dict]) -> dict:
    """A fact or definition position: confirmed, refuted, disputed or unchecked by its sources."""
    counted = [r for r in cites if r["counted"]]
    supporting = [r for r in counted if r["stance"] == "supports"]
    opposing = [r for r in counted if r["stance"] == "opposes"]
    verdict = ("disputed" if supporting and opposing else "confirmed" if supporting
               else "refuted" if opposing else "unchecked")
    return {
        "judged": "checked", "verdict": verdict, "leaning": None,
        "certainty": NOT_APPLICABLE, "score": None,
        "statement": check_statement(verdict, supporting, opposing), "body": None,
        "supporting": _ids(supporting), "opposing": _ids(opposing), "lower_tier": [],
        "not_rated": [], "retracted": _ids(r for r in cites if r["retracted"]),
        "best_support": 0, "best_opposition": 0,
    }


def _sources(cites: list[dict]) -> str:
    return join_words([r["study_id"] for r in cites])


def check_statement(verdict: str, supporting: list[dict], opposing: list[dict]) -> str:
    """The plain-language statement of a checked position."""
    if verdict == "confirmed":
        return f"Checked: confirmed by {_sources(supporting)}."
    if verdict == "refuted":
        return f"Checked: refuted by {_sources(opposing)}."
    if verdict == "disputed":
        return (f"Checked: disputed; confirmed by {_sources(supporting)}, refuted by "
                f"{_sources(opposing)}.")
    return "Not checked: no source that settles it is cited."


def body_weights(body: list[dict], rubric: Rubric) -> tuple[str, list[float]]:
    """'n' with each citation's n when all are known (and the rubric weighs by n), else 'equal'."""
    ns = [r["n"] for r in body]
    known = all(n is not None and n is not pd.NA for n in ns)
    if rubric.settings["weight"] == "n" and known and sum(ns) > 0:
        return "n", [float(n) for n in ns]
    return "equal", [1.0] * len(body)


def weighted_judgment(body: list[dict], weights: list[float], domain: str,
                      tie: str = "most_severe") -> DomainJudgment:
    """The judgment carrying the largest share of the weight; a tie by the rubric's tie rule."""
    results = [DOMAIN_FIELDS[domain].of(r) for r in body]
    if len(body) == 1:
        only = results[0]
        return DomainJudgment(only.judgment, only.source, only.reason)
    held = [NOT_ASSESSED if x.source == NOT_ASSESSED else x.judgment for x in results]
    shares: dict[str, float] = {}
    for key, w in zip(held, weights, strict=True):
        shares[key] = shares.get(key, 0.0) + w
    top = max(shares.values())
    tied = [k for k, v in shares.items() if v == top]
    pick = max if tie == "most_severe" else min
    winner = pick(tied, key=SEVERITY.get)
    holders = [(r, x) for r, x, key in zip(body, results, held, strict=True) if key == winner]
    share = top / sum(weights)
    who = ", ".join(r["study_id"] for r, _ in holders)
    words = "not assessed" if winner == NOT_ASSESSED else winner.replace("_", " ")
    settled = f" (a tie, settled by the rubric: {tie.replace('_', ' ')})" if len(tied) > 1 else ""
    reason = (f"{DOMAIN_LABELS[domain]} {words} for {who}, {share:.0%} of the body's weight"
              f"{settled}"
              f": {holders[0][1].reason}")
    if winner == NOT_ASSESSED:
        return DomainJudgment("not_serious", NOT_ASSESSED, reason)
    source = "explicit" if all(x.source == "explicit" for _, x in holders) else "derived"
    return DomainJudgment(winner, source, reason)


def _inconsistency(body: list[dict], weights: list[float], rubric: Rubric) -> DomainJudgment:
    within = weighted_judgment(body, weights, "inconsistency", rubric.settings["tie"])
    supporting = [r["study_id"] for r in body if r["stance"] == "supports"]
    opposing = [r["study_id"] for r in body if r["stance"] == "opposes"]
    if not (supporting and opposing):
        return within
    floor = rubric.settings["contested_inconsistency"]
    judgment = max(floor, within.judgment, key=PENALTY.get) if within.source != NOT_ASSESSED \
        else floor
    return DomainJudgment(judgment, "derived",
                          f"Studies of the same tier disagree: {', '.join(supporting)} "
                          f"support the claim, {', '.join(opposing)} oppose it (GRADE 7: "
                          "unexplained inconsistency).")


def _pooled_citations(body: list[dict]) -> list[dict] | None:
    """The citations whose participants the sample-size rules pool for a body; None when
    the body's own judgments decide (one citation, or one judged in the table)."""
    source = DOMAIN_FIELDS["imprecision"].source
    if len(body) == 1 or any(r[source] == "explicit" for r in body):
        return None
    # The n of citations whose own imprecision a rule derived (pharmacovigilance report
    # counts and animal counts are never participants).
    return [r for r in body if r[source] == "derived"
            and r["n"] is not None and r["n"] is not pd.NA]


def _pooled_row(counted: list[dict], rubric: Rubric) -> dict:
    """The row the imprecision rules judge: what the counted citations share, and their n."""
    row = {c: _common(counted, c) for c in sorted(rubric.columns_read("imprecision"))}
    row["n"] = sum(int(r["n"]) for r in counted)
    return row


def _imprecision(body: list[dict], weights: list[float], rubric: Rubric) -> DomainJudgment:
    counted = _pooled_citations(body)
    if counted is None:
        return weighted_judgment(body, weights, "imprecision", rubric.settings["tie"])
    if not counted:
        return DomainJudgment("not_serious", NOT_ASSESSED,
                              "Not assessed: no participant count is known for the body's "
                              "studies; give n or judge imprecision in the evidence table.")
    derived = _pooled_imprecision(_pooled_row(counted, rubric), rubric)
    who = ", ".join(r["study_id"] for r in counted)
    if derived["source"] == NOT_ASSESSED:
        return DomainJudgment("not_serious", NOT_ASSESSED, derived["reason"])
    return DomainJudgment(str(derived["judgment"]), "derived",
                          f"Pooled over the body ({who}): {derived['reason']}")


_POOLED: dict[tuple, tuple[Rubric, dict]] = {}


def _pooled_key(row: dict, rubric: Rubric) -> tuple | None:
    key = (id(rubric), tuple((k, type(v).__name__, v) for k, v in row.items()))
    try:
        hash(key)
    except TypeError:  # an unhashable cell: derive it afresh
        return None
    return key


def _pooled_imprecision(row: dict, rubric: Rubric) -> dict:
    """The imprecision rules on one body's pooled row, as derive() gives it.

    derive() on a one-row frame costs milliseconds (a frame, every rule), once per body:
    at 20,000 citations that was 7 of 10 seconds. judge() therefore derives every body's
    pooled row first, in one frame (`_derive_pooled_rows`); a row not found there is
    derived on its own, so the result never depends on that pass.
    """
    key = _pooled_key(row, rubric)
    cached = _POOLED.get(key) if key is not None else None
    if cached is not None and cached[0] is rubric:
        return cached[1]
    derived = _derive_rows([row], rubric)[0]
    _remember([(key, derived)], rubric)
    return derived


def _derive_rows(rows: list[dict], rubric: Rubric) -> list[dict]:
    frame = pd.DataFrame(rows).astype(object)
    frame["n"] = frame["n"].astype("Int64")
    return derive(frame, rubric, "imprecision").to_dict("records")


def _remember(pairs, rubric: Rubric) -> None:
    if len(_POOLED) + len(pairs) > 65_536:
        _POOLED.clear()
    for key, derived in pairs:
        if key is not None:
            _POOLED[key] = (rubric, derived)


def _derive_pooled_rows(groups: dict[str, list[dict]], rubric: Rubric) -> None:
    """Derive every graded position's pooled imprecision row in one frame (see above)."""
    pending: dict[tuple, dict] = {}
    for cites in groups.values():
        if min(cites, key=lambda r: r["line"])["checked"]:
            continue
        counted = _pooled_citations(_body(cites)[1])
        if counted:
            row = _pooled_row(counted, rubric)
            key = _pooled_key(row, rubric)
            if key is not None and not (key in _POOLED and _POOLED[key][0] is rubric):
                pending[key] = row
    if pending:
        derived = _derive_rows(list(pending.values()), rubric)
        _remember(list(zip(pending, derived, strict=True)), rubric)


def _common(cites: list[dict], column: str) -> object:
    values = {r.get(column) for r in cites}
    if len(values) == 1:
        value = values.pop()
        return None if value is pd.NA else value
    return None


def _body_upgrades(body: list[dict], start: str, downgrades: int,
                   rubric: Rubric) -> tuple[int, dict]:
    """The smallest upgrade every citation of the body holds, if the body may be rated up."""
    large = min((r["large_effect"] for r in body), key=LARGE_EFFECT_BONUS.get)
    dose = all(bool(r["dose_response"]) for r in body)
    confounding = all(bool(r["plausible_confounding"]) for r in body)
    entered = [name for name, held in (("large_effect", large != "no"),
                                       ("dose_response", dose),
                                       ("plausible_confounding", confounding)) if held]
    bonus = LARGE_EFFECT_BONUS[large] + dose + confounding
    allow = rubric.settings["upgrade_despite_downgrades"]
    if entered and (SCORE[start] >= SCORE["high"] or (downgrades and not allow)):
        why = ("the body starts high" if SCORE[start] >= SCORE["high"]
               else "the body is rated down (GRADE rates up only when there is no reason "
                    "to rate down)")
        return 0, {"large_effect": "no", "dose_response": False, "plausible_confounding": False,
                   "withheld": entered, "reason": f"Not applied: {why}."}
    return bonus, {"large_effect": large, "dose_response": dose,
                   "plausible_confounding": confounding, "withheld": [], "reason": None}


def _body(cites: list[dict]) -> tuple[list[dict], list[dict]]:
    """A position's counted citations, and its body of evidence: those of the highest tier."""
    counted = [r for r in cites if r["counted"]]
    top = max((r["start_score"] for r in counted), default=None)
    return counted, [r for r in counted if r["start_score"] == top]


def judge_body(cites: list[dict], rubric: Rubric) -> dict:
    """A graded position: its body of evidence, the body's judgments, certainty and verdict."""
    counted, body = _body(cites)
    common = {"judged": "graded", "not_rated": _ids(r for r in cites if r["start"] == NOT_RATED
                                                    and not r["retracted"]),
              "retracted": _ids(r for r in cites if r["retracted"])}
    if not counted:
        return {**common, "verdict": "unsupported", "leaning": None, "certainty": NOT_RATED,
                "score": 0, "statement": "Only opinion is cited.", "body": None,
                "supporting": [], "opposing": [], "lower_tier": [],
                "best_support": 0, "best_opposition": 0}
    top = body[0]["start_score"]
    start = LEVEL_OF_SCORE[top]
    weight, weights = body_weights(body, rubric)
    domains = {}
    for domain in DOMAINS:
        if domain == "inconsistency":
            domains[domain] = _inconsistency(body, weights, rubric)
        elif domain == "imprecision":
            domains[domain] = _imprecision(body, weights, rubric)
        else:
            domains[domain] = weighted_judgment(body, weights, domain, rubric.settings["tie"])
    downgrades = sum(PENALTY[d.judgment] for d in domains.values())
    bonus, upgrades = _body_upgrades(body, start, downgrades, rubric)
    score = max(SCORE["very_low"], min(SCORE["high"], top - downgrades + bonus))
    certainty = LEVEL_OF_SCORE[score]
    support = sum(w for r, w in zip(body, weights, strict=True) if r["stance"] == "supports")
    oppose = sum(w for r, w in zip(body, weights, strict=True) if r["stance"] == "opposes")
    verdict = ("contested" if support and oppose else "supported" if support
               else "contradicted")
    leaning = None
    if verdict == "contested":
        leaning = "supports" if support > oppose else "opposes" if oppose > support \
            else "neither"
    supporting = [r for r in counted if r["stance"] == "supports"]
    opposing = [r for r in counted if r["stance"] == "opposes"]
    return {
        **common, "verdict": verdict, "leaning": leaning, "certainty": certainty,
        "score": score, "statement": graded_statement(verdict, certainty, leaning),
        "body": {"start": start, "weight": weight, "studies": _ids(body),
                 "weights": dict(zip(_ids(body), weights, strict=True)),
                 "downgrades": downgrades, "upgrade": bonus,
                 "domains": {d: j.to_dict() for d, j in domains.items()},
                 "upgrades": upgrades},
        "supporting": _ids(supporting), "opposing": _ids(opposing),
        "lower_tier": _ids(r for r in counted if r["start_score"] < top),
        "best_support": max((r["score"] for r in supporting), default=0),
        "best_opposition": max((r["score"] for r in opposing), default=0),
    }


def graded_statement(verdict: str, certainty: str, leaning: str | None) -> str:
    """GRADE's plain-language statement for a graded verdict at a certainty."""
    level = certainty.replace("_", " ")
    if verdict == "unsupported":
        return "Only opinion is cited."
    if verdict == "contested":
        return (f"The evidence conflicts ({level} certainty); {LEANING_WORDS[leaning]}.")
    if certainty == "very_low":
        side = "supports" if verdict == "supported" else "opposes"
        return f"{VERY_UNCERTAIN} (very low certainty); what there is {side} the claim."
    return f"{STATEMENTS[(verdict, certainty)]} ({level} certainty)."
