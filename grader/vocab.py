"""The contract's fixed vocabulary: columns, enumerations and certainty levels."""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("very_low", "low", "moderate", "high")
"""Graded certainty levels, lowest first; a level's score is its index + 1."""

NOT_RATED = "not_rated"
NOT_APPLICABLE = "not_applicable"
"""The certainty of a checked (fact or definition) position or citation: never graded."""
NOT_ASSESSED = "not_assessed"
"""The source of a domain no rule assessed: no downgrade, shown as a grey ?."""
SOURCES = ("explicit", "derived", NOT_ASSESSED)
SCORE = {NOT_RATED: 0, **{level: i + 1 for i, level in enumerate(LEVELS)}}
LEVEL_OF_SCORE = {score: level for level, score in SCORE.items()}

SYMBOLS = {
    "high": "⊕⊕⊕⊕",
    "moderate": "⊕⊕⊕◯",
    "low": "⊕⊕◯◯",
    "very_low": "⊕◯◯◯",
    NOT_RATED: "—",
    NOT_APPLICABLE: "✓",
}
WORDS = {
    "high": "High",
    "moderate": "Moderate",
    "low": "Low",
    "very_low": "Very low",
    NOT_RATED: "Not rated (opinion)",
    NOT_APPLICABLE: "Checked, not graded",
}
MEANINGS = {
    "high": "Very confident that the true effect lies close to the estimate.",
    "moderate": "Moderately confident: the true effect is likely close, but may differ.",
    "low": "Limited confidence: the true effect may differ substantially.",
    "very_low": "Very little confidence: the true effect is likely to differ substantially.",
    NOT_RATED: "Opinion, critique or narrative synthesis: ineligible for GRADE rating.",
    NOT_APPLICABLE: "A fact or definition, settled by its source: true or false, not more "
                    "or less certain.",
}

DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
DOMAIN_LABELS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "indirectness": "Indirectness",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
}
JUDGMENTS = ("not_serious", "serious", "very_serious")
PENALTY = {"not_serious": 0, "serious": 1, "very_serious": 2}

UPGRADES = ("large_effect", "dose_response", "plausible_confounding")
LARGE_EFFECT = ("no", "large", "very_large")
LARGE_EFFECT_BONUS = {"no": 0, "large": 1, "very_large": 2}

QUESTIONS = ("efficacy", "safety", "mechanism", "prognosis", "values", "fact", "definition",
             "other")
CHECKED_QUESTIONS = ("fact", "definition")
"""Questions whose positions are checked against their sources, never graded (§5)."""
STANCES = ("supports", "opposes")
GRADED_VERDICTS = ("supported", "contested", "contradicted", "unsupported")
CHECKED_VERDICTS = ("confirmed", "refuted", "disputed", "unchecked")
VERDICTS = (*GRADED_VERDICTS, *CHECKED_VERDICTS)
LEANINGS = ("supports", "opposes", "neither")
SPECIES = ("human", "animal", "in_vitro")
STOPPED_EARLY = ("no", "yes", "benefit", "harm", "futility", "accrual", "other")
OUTCOMES = ("objective", "subjective")


@dataclass(frozen=True)
class Column:
    """One CSV column of the contract: where it lives and what it holds."""

    name: str
    level: str  # "position", "study" or "citation"
    kind: str  # "text", "slug", "study_id", "enum", "bool", "int", "doi"
    required: str = "no"  # "row": every row; "group": at least one row of its group
    values: tuple[str, ...] = ()
    minimum: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("position_id", "position", "slug", "row"),
    Column("position", "position", "text", "group"),
    Column("advocate", "position", "text", "group"),
    Column("question", "position", "enum", values=QUESTIONS),
    Column("outcome", "position", "enum", values=OUTCOMES),
    Column("conceded_by", "position", "text"),
    Column("short", "position", "text"),
    Column("study_id", "study", "study_id", "row"),
    Column("citation", "study", "text", "group"),
    Column("design", "study", "design", "group"),
    Column("year", "study", "int", minimum=1000),
    Column("doi", "study", "doi"),
    Column("n", "study", "int", minimum=0),
    Column("n_studies", "study", "int", minimum=1),
    Column("included_designs", "study", "enum", values=("rct", "observational", "mixed")),
    Column("randomized", "study", "bool"),
    Column("blinded", "study", "enum", values=("none", "single", "double")),
    Column("control", "study", "enum", values=("placebo", "active", "usual_care", "none")),
    Column("species", "study", "enum", values=SPECIES),
    Column("peer_reviewed", "study", "bool"),
    Column("stopped_early", "study", "enum", values=STOPPED_EARLY),
    Column("retracted", "study", "bool"),
    Column("risk_of_bias", "study", "enum", values=JUDGMENTS),
    Column("inconsistency", "study", "enum", values=JUDGMENTS),
    Column("imprecision", "study", "enum", values=JUDGMENTS),
    Column("publication_bias", "study", "enum", values=JUDGMENTS),
    Column("large_effect", "study", "enum", values=LARGE_EFFECT),
    Column("dose_response", "study", "bool"),
    Column("plausible_confounding", "study", "bool"),
    Column("stance", "citation", "enum", "row", values=STANCES),
    Column("indirectness", "citation", "enum", values=JUDGMENTS),
    Column("result", "citation", "text"),
    Column("cited_in_exchange", "citation", "bool"),
    Column("characterization", "citation", "text"),
    Column("claimed_certainty", "citation", "enum", values=LEVELS[::-1]),
    Column("notes", "citation", "text"),
)
COLUMN = {c.name: c for c in COLUMNS}

ENUM_ALIASES = {
    "blinded": {"yes": "double", "no": "none", "open": "none", "open_label": "none",
                "unblinded": "none", "not_blinded": "none", "double_blind": "double",
                "double_blinded": "double", "single_blind": "single",
                "single_blinded": "single"},
    "control": {"standard_of_care": "usual_care", "soc": "usual_care",
                "standard_care": "usual_care", "treatment_as_usual": "usual_care",
                "tau": "usual_care", "usual": "usual_care",
                "active_comparator": "active", "no_control": "none",
                "uncontrolled": "none"},
    "species": {"humans": "human", "patients": "human", "people": "human",
                **dict.fromkeys(("animals", "mouse", "mice", "rat", "rats", "macaque",
                                 "macaques", "monkey", "monkeys", "primate", "primates",
                                 "non_human_primate", "rodent", "rodents", "pig", "pigs",
                                 "dog", "dogs", "rabbit", "rabbits", "hamster", "hamsters",
                                 "ferret", "ferrets", "zebrafish", "sheep"), "animal"),
                **dict.fromkeys(("invitro", "cells", "cell_culture", "cell_line",
                                 "cell_lines", "tissue", "ex_vivo"), "in_vitro")},
    "stance": {"support": "supports", "supporting": "supports", "for": "supports",
               "pro": "supports", "oppose": "opposes", "opposing": "opposes",
               "against": "opposes", "con": "opposes", "contradicts": "opposes"},
    "stopped_early": {"true": "yes", "y": "yes", "1": "yes", "false": "no", "n": "no",
                      "0": "no", "slow_accrual": "accrual", "poor_accrual": "accrual"},
}
"""Contract-level spellings that map onto an enumeration value (normalised: lower case,
spaces and hyphens as underscores). Common laboratory species read as `animal`."""

TRUE_WORDS = frozenset({"yes", "true", "y", "1"})
FALSE_WORDS = frozenset({"no", "false", "n", "0"})
