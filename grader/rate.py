"""Rate each citation with the rubric: start, five domains with their sources, upgrades (§4.1).

Pure: the validated evidence rows in, the ratings frame out; no I/O.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from grader.distinct import Coded, per_combination, spread
from grader.rubric import Rubric, Rule, split_threshold
from grader.vocab import (
    CHECKED_QUESTIONS,
    DOMAIN_LABELS,
    DOMAINS,
    JUDGMENTS,
    LARGE_EFFECT_BONUS,
    LEVEL_OF_SCORE,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    PENALTY,
    SCORE,
)

UPGRADE_LABELS = {"large_effect": "large effect", "dose_response": "dose–response",
                  "plausible_confounding": "plausible confounding"}


@dataclass(frozen=True)
class DomainResult:
    """One domain's result for one citation: the judgment, its source, why, the deciding rule."""

    judgment: str
    source: str
    reason: str | None
    rule: str | None


@dataclass(frozen=True)
class DomainFields:
    """Where the ratings frame keeps one domain's result; the only place these names exist."""

    judgment: str
    source: str
    reason: str
    rule: str

    @property
    def columns(self) -> tuple[str, str, str, str]:
        """The four columns, in DomainResult's order."""
        return (self.judgment, self.source, self.reason, self.rule)

    def of(self, record: Mapping) -> DomainResult:
        """This domain's result in one record of the ratings frame."""
        return DomainResult(record[self.judgment], record[self.source], record[self.reason],
                            record[self.rule])


DOMAIN_FIELDS = {d: DomainFields(d, f"{d}_source", f"{d}_reason", f"{d}_rule")
                 for d in DOMAINS}
"""Each domain's columns in the ratings frame (the judgment column is the §1 column itself)."""


def condition(frame: pd.DataFrame, when: dict, unless: dict | None = None,
              skip: frozenset = frozenset()) -> np.ndarray:
    """Rows where all of `when` holds and not all of `unless` does (a blank never matches)."""
    mask = _all_hold(frame, when, skip)
    if unless:
        mask &= ~_all_hold(frame, unless, frozenset())
    return mask


def _all_hold(frame: pd.DataFrame, when: dict, skip: frozenset) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for key, value in when.items():
        if key in skip:
            continue
        threshold = split_threshold(key)
        if threshold:
            column, suffix = threshold
            numbers = frame[column]
            hit = numbers.lt(value) if suffix == "_below" else numbers.ge(value)
        else:
            hit = frame[key].isin(value)
        mask &= hit.fillna(False).to_numpy(dtype=bool)
    return mask


def _shown(value: object) -> str:
    return "" if value is None or value is pd.NA or value != value else \
        str(value).replace("_", "-")


def _format(template: str, frame: pd.DataFrame, extra: dict[str, pd.Series],
            rows: np.ndarray) -> np.ndarray:
    """Fill a reason template's {field}s for `rows`, once per distinct combination."""
    pieces = list(string.Formatter().parse(template))
    names = list(dict.fromkeys(name for _, name, _, _ in pieces if name))
    columns = {name: (extra[name] if name in extra else frame[name])[rows] for name in names}

    def fill(**values):
        out = ""
        for literal, name, _, _ in pieces:
            out += literal
            if name:
                out += values[name] if name in extra else _shown(values[name])
        return out[:1].upper() + out[1:]

    if not names:
        return np.full(int(rows.sum()), template[:1].upper() + template[1:], dtype=object)
    return per_combination(fill, columns, frame.index[rows]).to_numpy(dtype=object)


def _concerns(frame: pd.DataFrame, rule: Rule) -> tuple[np.ndarray, pd.Series]:
    """How many of a rule's concerns hold on each row, and their labels joined."""
    hits = [condition(frame, c.when, c.unless) for c in rule.concerns]
    count = np.sum(hits, axis=0) if hits else np.zeros(len(frame), dtype=np.int64)
    labels = [c.label for c in rule.concerns]
    listed = per_combination(
        lambda **h: ", ".join(label for label, held in zip(labels, h.values(), strict=True)
                              if held),
        {f"c{i}": pd.Series(h, index=frame.index) for i, h in enumerate(hits)},
        frame.index, dtype=object) if hits else pd.Series("", index=frame.index)
    return count, listed


def derive(frame: pd.DataFrame, rubric: Rubric, domain: str) -> pd.DataFrame:
    """The derived judgment, source, reason and deciding rule of one domain for every row."""
    size = len(frame)
    penalty = np.full(size, -1)  # -1: no rule judged the row (not assessed)
    reason = np.full(size, None, dtype=object)
    rule_of = np.full(size, "", dtype=object)
    blanks: list[tuple[np.ndarray, str]] = []
    for rule in (r for r in rubric.rules if r.domain == domain):
        applies = condition(frame, rule.when, rule.unless)
        extra = {}
        if rule.concerns:
            count, listed = _concerns(frame, rule)
            extra["concerns"] = listed
            unknown = np.zeros(size, dtype=bool)
            for attribute in rule.unknown:
                unknown |= frame[attribute].isna().to_numpy()
            rule_penalty = np.select([count >= rule.very_serious_at, count >= rule.serious_at,
                                      unknown], [2, 1, -1], 0)
        else:
            rule_penalty = np.full(size, PENALTY[rule.judgment])
        wins = applies & (rule_penalty > penalty)
        if wins.any():
            penalty = np.where(wins, rule_penalty, penalty)
            fired = wins & (rule_penalty > 0) if rule.concerns else wins
            if fired.any():
                reason[fired] = _format(rule.reason, frame, extra, fired)
            calm = wins & (rule_penalty == 0) if rule.concerns else np.zeros(size, bool)
            if calm.any():
                reason[calm] = _format(rule.no_concern_reason or
                                       f"No concern found by rule {rule.id}.", frame, {}, calm)
            rule_of[wins] = rule.id
        for attribute, label in rule.unknown.items():
            base = condition(frame, rule.when, rule.unless,
                             skip=frozenset(k for k in rule.when if k.startswith(attribute)))
            blanks.append((base & frame[attribute].isna().to_numpy(), label))
    no_info = per_combination(
        lambda **held: ", ".join(label for (_, label), h in zip(blanks, held.values(),
                                                                strict=True) if h),
        {f"b{i}": pd.Series(mask, index=frame.index) for i, (mask, _) in enumerate(blanks)},
        frame.index, dtype=object).to_numpy(dtype=object) if blanks else np.full(size, "")
    assessed = penalty >= 0
    default = rubric.default_reasons[domain]
    text = per_combination(
        lambda reason, missing, assessed: _reason_text(reason, missing, assessed, default),
        {"reason": pd.Series(reason, index=frame.index),
         "missing": pd.Series(no_info, index=frame.index),
         "assessed": pd.Series(assessed, index=frame.index)}, frame.index)
    # Each column from its few values by code: converting 100,000 cells to strings one by
    # one, three columns per domain, was a third of rating (issue 18).
    return pd.DataFrame({
        "judgment": spread(JUDGMENTS, penalty.clip(min=0), frame.index),
        "source": spread(["derived", NOT_ASSESSED], np.where(assessed, 0, 1), frame.index),
        "reason": text,
        "rule": Coded.of(rule_of).strings(frame.index),
    })


def _reason_text(reason: str | None, missing: str, assessed: bool, default: str) -> str:
    """A derived reason, saying which attributes were blank; or why the domain is not assessed."""
    if not assessed:
        if missing:
            return f"Not assessed: no information on {missing} (blank cell)."
        return default
    if missing:
        return f"{reason} No information on {missing} (blank cell)."
    return reason


_EXPLICIT_SAID = {j: f"Judged {j.replace('_', ' ')} in the evidence table (explicit judgment)"
                  for j in JUDGMENTS}


def _explicit_reason(explicit: pd.Series, notes: pd.Series) -> pd.Series:
    """An explicit judgment's footnote: the table's own words (`notes`) when it gives them."""
    return per_combination(
        lambda judgment, note: None if judgment is None else (
            f"{_EXPLICIT_SAID[judgment]}: {note}" if note else f"{_EXPLICIT_SAID[judgment]}."),
        {"judgment": explicit, "note": notes}, explicit.index)


def start_levels(frame: pd.DataFrame, rubric: Rubric) -> pd.Series:
    """Each citation's starting level from its design, question and (reviews) what they pooled."""
    return per_combination(
        lambda design, question, pooled: rubric.start_of(design, question, pooled),
        {"design": frame["design"], "question": frame["question"],
         "pooled": frame["included_designs"]}, frame.index)


def upgrade_labels(names: str | None) -> str:
    """'large effect, dose–response' for 'large_effect,dose_response'."""
    return ", ".join(UPGRADE_LABELS[n] for n in (names or "").split(",") if n)


def _upgrade_reason(start: str, downgraded: str, entered: str, allow: bool) -> str | None:
    """Why entered upgrades were not applied (None when they were, or none was entered)."""
    if not entered:
        return None
    entered = entered[:1].upper() + entered[1:]
    if start == "high":
        return f"{entered} not applied: upgrades apply only to evidence that starts below high."
    if downgraded and not allow:
        return (f"{entered} not applied: rated down for {downgraded} (GRADE rates up only when "
                "there is no reason to rate down).")
    return None


def rate(rows: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """The ratings: the evidence rows with start, five domains, upgrades, certainty and score."""
    out = rows.copy(deep=False)  # pandas 3 copies on write: the rows themselves never change
    checked = out["question"].isin(CHECKED_QUESTIONS).to_numpy(dtype=bool)
    rated_design = out["design"].astype(object).map(
        {d.id: d.rated for d in rubric.designs.values()}).fillna(False).to_numpy(dtype=bool)
    out["checked"] = checked
    out["start"] = start_levels(out, rubric).mask(checked)
    start_score = out["start"].astype(object).map(SCORE).fillna(0).astype(int)
    rated = rated_design & ~checked
    downgrade = pd.Series(0, index=out.index)
    down_names = []
    for domain in DOMAINS:
        fields = DOMAIN_FIELDS[domain]
        derived = derive(out, rubric, domain)
        explicit = out[domain].astype("string")
        given = explicit.notna()
        out[fields.judgment] = explicit.fillna(derived["judgment"])
        out[fields.source] = derived["source"].mask(given, "explicit")
        out[fields.rule] = derived["rule"].mask(given, "")
        out[fields.reason] = derived["reason"].mask(given, _explicit_reason(explicit,
                                                                              out["notes"]))
        penalty = out[fields.judgment].astype(object).map(PENALTY).astype(int)
        downgrade += penalty
        down_names.append(pd.Series(np.where(penalty > 0, DOMAIN_LABELS[domain].lower(), ""),
                                    index=out.index))
    out["large_effect"] = out["large_effect"].fillna("no")
    out["dose_response"] = out["dose_response"].fillna(False).astype(bool)
    out["plausible_confounding"] = out["plausible_confounding"].fillna(False).astype(bool)
    entered_bonus = (out["large_effect"].astype(object).map(LARGE_EFFECT_BONUS).astype(int)
                     + out["dose_response"].astype(int)
                     + out["plausible_confounding"].astype(int))
    allow = bool(rubric.settings["upgrade_despite_downgrades"])
    may_upgrade = rated & (start_score < SCORE["high"]).to_numpy() & (
        allow | (downgrade == 0).to_numpy())
    upgrade = entered_bonus.where(may_upgrade, 0)
    entered = per_combination(
        lambda large, dose, confounding: ",".join(
            name for name, held in (("large_effect", large != "no"), ("dose_response", dose),
                                    ("plausible_confounding", confounding)) if held),
        {"large": out["large_effect"], "dose": out["dose_response"],
         "confounding": out["plausible_confounding"]}, out.index, dtype=object)
    downgraded = per_combination(lambda **names: ", ".join(n for n in names.values() if n),
                                 {d: s for d, s in zip(DOMAINS, down_names, strict=True)},
                                 out.index, dtype=object)
    out["upgrade_withheld"] = entered.where(rated & ~may_upgrade & (entered_bonus > 0), "")
    out["upgrade_reason"] = per_combination(
        lambda start, down, withheld: _upgrade_reason(start, down, upgrade_labels(withheld),
                                                      allow),
        {"start": out["start"], "down": downgraded, "withheld": out["upgrade_withheld"]},
        out.index)
    out["upgrade"] = upgrade
    out["downgrade"] = downgrade
    score = (start_score - downgrade + upgrade).clip(SCORE["very_low"], SCORE["high"])
    out["score"] = score.where(rated, 0).astype(int)
    certainty = out["score"].map(LEVEL_OF_SCORE)
    certainty = certainty.mask(checked, NOT_APPLICABLE)
    out["certainty"] = certainty.astype("string")
    claimed = out["claimed_certainty"].astype(object).map(SCORE)
    out["overstated"] = (claimed.notna() & (claimed > out["score"]) & ~checked).astype(bool)
    out["start_score"] = start_score.where(rated, 0)
    out["counted"] = (~out["retracted"].fillna(False).astype(bool)) & (rated | checked)
    return out

