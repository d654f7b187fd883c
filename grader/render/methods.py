"""The Methods section, generated from the loaded rubric: every number and list comes from it."""

from __future__ import annotations

from grader.pipeline import Assessment
from grader.rate import DOMAIN_FIELDS
from grader.rubric import REVIEW_KEYS, REVIEW_START, Rubric, split_threshold
from grader.vocab import (
    DOMAIN_LABELS,
    DOMAINS,
    LEVELS,
    MEANINGS,
    NOT_APPLICABLE,
    NOT_RATED,
    SYMBOLS,
    WORDS,
)

SIMPLIFICATIONS = (
    "Derived judgments come from the design attributes in the evidence table, not from "
    "reading the studies; reviewers override any of them with an explicit column (†).",
    "A domain no rule assesses is shown as not assessed (?): it does not lower the "
    "certainty, but nobody has judged it, so the true certainty may be lower.",
    "Imprecision is judged from the number analysed, not from confidence intervals, which "
    "the table does not hold; a body's imprecision uses its pooled number analysed.",
    "Each domain is capped at two levels down (GRADE allows imprecision to take three).",
    "A body of evidence is weighed by its studies' numbers analysed, not by inverse "
    "variance; no effect estimates are pooled.",
    "Supporting and opposing studies of the same tier are read as unexplained "
    "inconsistency; GRADE would first look for an explanation (population, dose, risk of "
    "bias).",
)

_LEVEL_WORDS = {**{lvl: WORDS[lvl].lower() for lvl in LEVELS}, NOT_RATED: "not rated"}
_REVIEW_WORDS = {"rct": "randomised trials", "mixed": "a mix", "observational":
                 "observational studies", "blank": "not stated"}


def _values(key: str, values: list, rubric: Rubric) -> str:
    if key == "design":
        words = [rubric.designs[v].label.lower() if v in rubric.designs else v for v in values]
    else:
        words = [str(v).lower().replace("_", " ") for v in values]
    return " or ".join(words)


def condition_words(when: dict, rubric: Rubric) -> str:
    """A rule's conditions in words: 'species is human and n below 10'."""
    parts = []
    for key, value in when.items():
        threshold = split_threshold(key)
        if threshold:
            column, suffix = threshold
            parts.append(f"{column} {'below' if suffix == '_below' else 'at least'} {value}")
        elif key == "randomized_design":
            parts.append("a randomised design" if value == [True] else "not a randomised design")
        elif value in ([True], [False]):
            parts.append(f"{key.replace('_', ' ')}: {'yes' if value == [True] else 'no'}")
        else:
            parts.append(f"{key.replace('_', ' ')} is {_values(key, value, rubric)}")
    return " and ".join(parts) or "always"


def rule_words(rule, rubric: Rubric) -> str:
    """When a rule applies and what it concludes, in words, from the rule's data."""
    text = condition_words(rule.when, rubric)
    if rule.unless:
        text += f", unless {condition_words(rule.unless, rubric)}"
    if rule.concerns:
        listed = "; ".join(c.label + (f" (unless {condition_words(c.unless, rubric)})"
                                      if c.unless else "") for c in rule.concerns)
        text += (f"; counts these concerns: {listed}; serious at {rule.serious_at}, very "
                 f"serious at {rule.very_serious_at}")
        if rule.unknown:
            text += (f"; not assessed when none holds and "
                     f"{' or '.join(rule.unknown.values())} is blank")
    else:
        text += f" → {rule.judgment.replace('_', ' ')}"
    return text


def design_starts(rubric: Rubric) -> list[dict]:
    """Designs grouped by where they start, with their per-question starts."""
    groups: dict[str, list[str]] = {}
    for d in rubric.designs.values():
        label = d.label
        if d.starts_by_question:
            label += " (" + ", ".join(f"{_LEVEL_WORDS[lvl]} on {q} questions"
                                      for q, lvl in d.starts_by_question.items()) + ")"
        groups.setdefault(d.start, []).append(label)
    order = [*LEVELS[::-1], REVIEW_START, NOT_RATED]
    return [{"start": s, "designs": groups[s]} for s in order if s in groups]


def review_words(rubric: Rubric) -> str:
    """'randomised trials → high, a mix → moderate, …' with per-question exceptions."""
    text = ", ".join(f"{_REVIEW_WORDS[k]} → {_LEVEL_WORDS[rubric.review_start[k]]}"
                     for k in REVIEW_KEYS)
    for question, starts in rubric.review_start_by_question.items():
        text += "; on " + question + " questions " + ", ".join(
            f"{_REVIEW_WORDS[k]} → {_LEVEL_WORDS[v]}" for k, v in starts.items())
    return text


def settings_words(rubric: Rubric) -> list[str]:
    """The body-of-evidence settings of the rubric, one sentence each."""
    s = rubric.settings
    weight = ("each citation weighs the number it analysed (n) when every citation of the "
              "body has a known n; otherwise all weigh the same" if s["weight"] == "n"
              else "every citation of the body weighs the same")
    tie = ("the more severe judgment" if s["tie"] == "most_severe"
           else "the less severe judgment")
    upgrade = ("upgrades are applied even when a domain is rated down" if
               s["upgrade_despite_downgrades"] else
               "an upgrade is withheld when any domain is rated down (GRADE rates up only "
               "when there is no reason to rate down), and the footnote says so")
    return [
        f"Weight: {weight}.",
        f"Risk of bias, indirectness, publication bias and a review's own inconsistency: "
        f"the judgment carrying the largest share of the body's weight; a tie goes to {tie}, "
        "with not assessed the least severe.",
        "Inconsistency between studies: a body holding both supporting and opposing "
        f"citations is {s['contested_inconsistency'].replace('_', ' ')}.",
        "Imprecision: the imprecision rules below, applied to the body's total number "
        "analysed, unless a citation of the body judges it explicitly.",
        f"Upgrades: only for a body that starts below high, the smallest every citation of "
        f"the body holds; {upgrade}.",
    ]


def build_methods(assessment: Assessment) -> dict:
    """Methods page data: rubric identity, level meanings, starts, rules with counts, settings."""
    c = assessment.ratings
    rubric = assessment.rubric
    rules = [{"id": rule.id, "domain": DOMAIN_LABELS[rule.domain], "reason": rule.reason,
              "when": rule_words(rule, rubric),
              "judgment": rule.judgment or "by count of concerns",
              "count": int(c[DOMAIN_FIELDS[rule.domain].rule].eq(rule.id).sum())}
             for rule in rubric.rules]
    explicit = {DOMAIN_LABELS[d]: int(c[DOMAIN_FIELDS[d].source].eq("explicit").sum())
                for d in DOMAINS}
    return {
        "name": rubric.name, "version": rubric.version,
        "levels": [{"level": lvl, "symbols": SYMBOLS[lvl], "words": WORDS[lvl],
                    "meaning": MEANINGS[lvl]} for lvl in (*LEVELS[::-1], NOT_RATED,
                                                           NOT_APPLICABLE)],
        "starts": design_starts(rubric), "review": review_words(rubric),
        "rules": rules, "explicit": explicit, "settings": settings_words(rubric),
        "simplifications": SIMPLIFICATIONS,
    }
