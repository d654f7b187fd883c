"""The rubric as data: load a rubric file and check it (the model; rating is in rate.py)."""

from __future__ import annotations

import functools
import hashlib
import re
import string
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from grader.errors import InvalidInput, Problem
from grader.vocab import COLUMN, DOMAINS, JUDGMENTS, LEVELS, NOT_RATED, QUESTIONS, SPECIES

REVIEW_START = "included_designs"
REVIEW_KEYS = ("rct", "mixed", "observational", "blank")
_DESIGN_ID = re.compile(r"[a-z][a-z0-9_]*")
DEFAULT_RUBRIC = "rubric.toml"
DERIVED_ATTRIBUTES = {"randomized_design": (True, False)}
"""Attributes rules may test besides the evidence table's columns."""
THRESHOLD_SUFFIXES = {"_below": "below", "_at_least": "at least"}
_DEFAULT_REASONS = {
    "risk_of_bias": "Not assessed: no rule of the rubric judges this design's risk of bias; "
                    "judge it in the evidence table (risk_of_bias column).",
    "inconsistency": "Not assessed: one study cannot show inconsistency; a review's "
                     "heterogeneity is judged in the evidence table (inconsistency column).",
    "indirectness": "Not assessed: directness of population, intervention and outcome is "
                    "not derived; judge it in the evidence table (indirectness column).",
    "imprecision": "Not assessed: no sample size to judge; give n or judge it in the "
                   "evidence table (imprecision column).",
    "publication_bias": "Not assessed: publication bias needs the body of studies; judge it "
                        "in the evidence table (publication_bias column).",
}
SETTINGS_DEFAULTS = {"weight": "n", "tie": "most_severe", "upgrade_despite_downgrades": False,
                     "contested_inconsistency": "serious"}
SETTINGS_VALUES = {"weight": ("n", "equal"), "tie": ("most_severe", "least_severe"),
                   "upgrade_despite_downgrades": (True, False),
                   "contested_inconsistency": JUDGMENTS}


@dataclass(frozen=True)
class Design:
    """A study design: its label, what it is, and where its certainty starts."""

    id: str
    label: str
    start: str
    randomized: bool = False
    species: str = "human"
    starts_by_question: dict = field(default_factory=dict)
    synonyms: tuple[str, ...] = ()

    @property
    def rated(self) -> bool:
        """False for opinion designs, which GRADE holds ineligible for rating."""
        return self.start != NOT_RATED


@dataclass(frozen=True)
class Concern:
    """One counted concern of a rule (e.g. 'not blinded')."""

    label: str
    when: dict
    unless: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A rule deriving one domain's judgment from a citation's attributes."""

    id: str
    domain: str
    when: dict
    reason: str
    judgment: str | None = None
    concerns: tuple[Concern, ...] = ()
    serious_at: int = 1
    very_serious_at: int = 2
    unknown: dict = field(default_factory=dict)
    unless: dict = field(default_factory=dict)
    no_concern_reason: str | None = None

    def columns(self) -> set[str]:
        """Every column the rule reads: its conditions, concerns, unknowns and reasons."""
        conditions = [self.when, self.unless, *(c.when for c in self.concerns),
                      *(c.unless for c in self.concerns)]
        keys = {key for when in conditions for key in when}
        read = {(split_threshold(key) or (key,))[0] for key in keys} | set(self.unknown)
        for text in (self.reason, self.no_concern_reason or ""):
            read |= {name for _, name, _, _ in string.Formatter().parse(text) if name}
        return read - {"concerns"}


@dataclass(frozen=True)
class Rubric:
    """A named, versioned rubric: designs, starts, derivation rules and body settings."""

    name: str
    version: str
    designs: dict[str, Design]
    review_start: dict[str, str]
    rules: tuple[Rule, ...]
    default_reasons: dict[str, str]
    text: str
    path: str
    review_start_by_question: dict[str, dict[str, str]] = field(default_factory=dict)
    settings: dict = field(default_factory=lambda: dict(SETTINGS_DEFAULTS))

    @property
    def sha256(self) -> str:
        """Digest of the rubric file's text."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def design_synonyms(self) -> dict[str, str]:
        """Normalised spelling → design id, for every id and synonym."""
        from grader.read import normalize_name

        table = {}
        for design in self.designs.values():
            for word in (design.id, design.label, *design.synonyms):
                table[normalize_name(word)] = design.id
        return table

    @property
    def randomized_designs(self) -> tuple[str, ...]:
        """Ids of the designs that are randomised by definition."""
        return tuple(d.id for d in self.designs.values() if d.randomized)

    @property
    def nonhuman_designs(self) -> dict[str, str]:
        """Design id → implied species, for designs that are not human studies."""
        return {d.id: d.species for d in self.designs.values() if d.species != "human"}

    def columns_read(self, domain: str) -> frozenset[str]:
        """Every column that the rules of one domain read."""
        return self._columns_by_domain.get(domain, frozenset())

    @functools.cached_property
    def _columns_by_domain(self) -> dict[str, frozenset[str]]:
        # Asked once per body of evidence; the rules never change (the Rubric is frozen).
        read: dict[str, set[str]] = {}
        for rule in self.rules:
            read.setdefault(rule.domain, set()).update(rule.columns())
        return {domain: frozenset(columns) for domain, columns in read.items()}

    def start_of(self, design: str, question: str, pooled: str | None) -> str:
        """Where a citation of this design starts on this question (reviews: what they pooled)."""
        d = self.designs[design]
        if d.start == REVIEW_START:
            key = pooled or "blank"
            return self.review_start_by_question.get(question, {}).get(
                key, self.review_start[key])
        return d.starts_by_question.get(question, d.start)


def default_rubric_text() -> str:
    """The packaged default rubric's TOML text."""
    return resources.files("grader").joinpath(DEFAULT_RUBRIC).read_text(encoding="utf-8")


def load_rubric(path: str | Path | None = None, *, text: str | None = None,
                data: bytes | None = None) -> Rubric:
    """Load and check a rubric file (the packaged default when path is None).

    data: the file's bytes, already read (the build reads them once for its fingerprint).
    """
    if text is not None:
        return parse_rubric(text, str(path or "rubric"))
    if path is None:
        return parse_rubric(default_rubric_text(), f"(built-in) {DEFAULT_RUBRIC}")
    path = Path(path)
    try:
        text = (path.read_bytes() if data is None else data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([Problem(str(path), None, None,
                                    "rubric is not UTF-8 text", code="not-utf8")]) from None
    return parse_rubric(text, str(path))


def parse_rubric(text: str, name: str) -> Rubric:
    """Parse rubric TOML text; raise InvalidInput naming every problem.

    A text parsed before gives the same (frozen) Rubric again: `grader watch` and the
    property tests assess many times with one rubric.
    """
    return _parse_rubric(text, name)


@functools.lru_cache(maxsize=8)
def _parse_rubric(text: str, name: str) -> Rubric:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise InvalidInput([Problem(name, line, None,
                                    f"not valid TOML: {exc.msg if hasattr(exc, 'msg') else exc}",
                                    code="not-toml")
                            ]) from None
    checker = _RubricChecker(name)
    rubric = checker.build(raw, text)
    if checker.problems:
        raise InvalidInput(checker.problems)
    return rubric


def condition_columns() -> dict[str, tuple]:
    """Every attribute a rule condition may test, with the values it can match (() = any)."""
    out: dict[str, tuple] = dict(DERIVED_ATTRIBUTES)
    for c in COLUMN.values():
        if c.kind == "bool":
            out[c.name] = (True, False)
        elif c.kind == "enum":
            out[c.name] = c.values
        elif c.kind in ("design", "text", "slug", "study_id", "doi"):
            out[c.name] = ()
    return out


def threshold_columns() -> tuple[str, ...]:
    """Whole-number columns, which rules test with `<column>_below` / `_at_least`."""
    return tuple(c.name for c in COLUMN.values() if c.kind == "int")


def split_threshold(key: str) -> tuple[str, str] | None:
    """('n', '_below') for 'n_below'; None when key is not a threshold condition."""
    for suffix in THRESHOLD_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in threshold_columns():
            return key[: -len(suffix)], suffix
    return None


class _RubricChecker:
    """Collects every problem in a rubric document while building it."""

    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.design_ids: tuple[str, ...] = ()

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.name, None, where, message, code="invalid-rubric"))

    def build(self, raw: dict, text: str) -> Rubric:
        for key in ("name", "version"):
            if not isinstance(raw.get(key), str) or not raw.get(key).strip():
                self.fail(key, "required: a non-empty string")
        designs = self._designs(raw.get("designs"))
        self.design_ids = tuple(designs)
        review = dict(self._table("review_start", raw.get("review_start", {})))
        by_question = self._table("review_start.by_question", review.pop("by_question", {}))
        for key in REVIEW_KEYS:
            if review.get(key) not in LEVELS:
                self.fail(f"review_start.{key}", f"must be one of: {', '.join(LEVELS)}")
        for question, starts in by_question.items():
            self._question(f"review_start.by_question.{question}", question)
            for key, level in self._table(f"review_start.by_question.{question}",
                                          starts).items():
                if key not in REVIEW_KEYS or level not in LEVELS:
                    self.fail(f"review_start.by_question.{question}.{key}",
                              f"keys are {', '.join(REVIEW_KEYS)}; values one of: "
                              f"{', '.join(LEVELS)}")
        raw_rules = self._list("rules", raw.get("rules", []))
        rules = tuple(self._rule(i, r) for i, r in enumerate(raw_rules)
                      if self._table(f"rules[{i}]", r) is r)
        reasons = {**_DEFAULT_REASONS,
                   **self._table("default_reasons", raw.get("default_reasons", {}))}
        settings = self._settings(self._table("settings", raw.get("settings", {})))
        return Rubric(str(raw.get("name", "")), str(raw.get("version", "")), designs,
                      review, rules, reasons, text, self.name,
                      {q: dict(s) for q, s in by_question.items() if isinstance(s, dict)},
                      settings)

    def _settings(self, raw: dict) -> dict:
        settings = dict(SETTINGS_DEFAULTS)
        for key, value in raw.items():
            if key not in SETTINGS_VALUES:
                self.fail(f"settings.{key}", "unknown setting; use one of: "
                          f"{', '.join(SETTINGS_VALUES)}")
            elif value not in SETTINGS_VALUES[key] or type(value) is not type(
                    SETTINGS_VALUES[key][0]):
                self.fail(f"settings.{key}", "must be one of: " + ", ".join(
                    str(v).lower() for v in SETTINGS_VALUES[key]))
            else:
                settings[key] = value
        return settings

    def _question(self, where: str, question: str) -> None:
        if question not in QUESTIONS:
            self.fail(where, f"unknown question {question!r}; use one of: {', '.join(QUESTIONS)}")

    def _designs(self, raw: object) -> dict[str, Design]:
        if not isinstance(raw, dict) or not raw:
            self.fail("designs", "required: a table of designs")
            return {}
        starts = (*LEVELS, NOT_RATED, REVIEW_START)
        designs = {}
        for key, spec in raw.items():
            if not isinstance(spec, dict):
                self.fail(f"designs.{key}", "must be a table")
                continue
            if not _DESIGN_ID.fullmatch(key):
                self.fail(f"designs.{key}", "a design id is lower-case letters, digits and _, "
                          "starting with a letter (e.g. stepped_wedge_rct)")
            if spec.get("start") not in starts:
                self.fail(f"designs.{key}.start", f"must be one of: {', '.join(starts)}")
            synonyms = self._list(f"designs.{key}.synonyms", spec.get("synonyms", []))
            if not all(isinstance(word, str) for word in synonyms):
                self.fail(f"designs.{key}.synonyms", "must be a list of strings")
                synonyms = []
            species = spec.get("species", "human")
            if species not in SPECIES:
                self.fail(f"designs.{key}.species", f"must be one of: {', '.join(SPECIES)}")
                species = "human"
            by_question = self._table(f"designs.{key}.starts_by_question",
                                      spec.get("starts_by_question", {}))
            for question, level in by_question.items():
                self._question(f"designs.{key}.starts_by_question", question)
                if level not in LEVELS:
                    self.fail(f"designs.{key}.starts_by_question.{question}",
                              f"must be one of: {', '.join(LEVELS)}")
            if by_question and spec.get("start") in (NOT_RATED, REVIEW_START):
                self.fail(f"designs.{key}.starts_by_question",
                          "only designs with a level as start may start differently by "
                          "question (reviews: use review_start.by_question)")
            designs[key] = Design(key, str(spec.get("label", key)), spec.get("start"),
                                  bool(spec.get("randomized", False)), species,
                                  dict(by_question), tuple(synonyms))
        self._unique_spellings(designs)
        return designs

    def _unique_spellings(self, designs: dict[str, Design]) -> None:
        from grader.read import normalize_name

        owner: dict[str, str] = {}
        for design in designs.values():
            for word in dict.fromkeys(normalize_name(w) for w in
                                      (design.id, design.label, *design.synonyms)):
                if owner.setdefault(word, design.id) != design.id:
                    self.fail(f"designs.{design.id}.synonyms",
                              f"{word!r} already names design {owner[word]}; "
                              "a spelling may name one design only")

    def _rule(self, i: int, raw: dict) -> Rule:
        where = f"rules[{i}]"
        if raw.get("domain") not in DOMAINS:
            self.fail(f"{where}.domain", f"must be one of: {', '.join(DOMAINS)}")
        if "judgment" in raw and raw["judgment"] not in JUDGMENTS:
            self.fail(f"{where}.judgment", f"must be one of: {', '.join(JUDGMENTS)}")
        if ("judgment" in raw) == ("concerns" in raw):
            self.fail(where, "give either `judgment` or `concerns`, not both or neither")
        for key in ("reason", "no_concern_reason"):
            if key == "reason" and not isinstance(raw.get(key), str):
                self.fail(f"{where}.reason", "required: the footnote text")
            elif isinstance(raw.get(key), str):
                self._reason(f"{where}.{key}", raw[key])
        when = self._when(f"{where}.when", raw.get("when", {}))
        unless = self._when(f"{where}.unless", raw.get("unless", {}))
        concerns = tuple(Concern(str(c.get("label", "")),
                                 self._when(f"{where}.concerns[{j}].when", c.get("when", {})),
                                 self._when(f"{where}.concerns[{j}].unless",
                                            c.get("unless", {})))
                         for j, c in enumerate(self._list(f"{where}.concerns",
                                                          raw.get("concerns", [])))
                         if self._table(f"{where}.concerns[{j}]", c) is c)
        counts = {}
        for key, default in (("serious_at", 1), ("very_serious_at", 2)):
            counts[key] = raw.get(key, default)
            if not isinstance(counts[key], int) or isinstance(counts[key], bool):
                self.fail(f"{where}.{key}", "must be a whole number")
                counts[key] = default
        unknown = self._table(f"{where}.unknown", raw.get("unknown", {}))
        known = condition_columns()
        for attribute in unknown:
            if attribute not in known and attribute not in threshold_columns():
                self.fail(f"{where}.unknown.{attribute}", "not a column of the evidence table")
        return Rule(str(raw.get("id", where)), raw.get("domain"), when, raw.get("reason", ""),
                    raw.get("judgment"), concerns, counts["serious_at"],
                    counts["very_serious_at"], dict(unknown), unless,
                    raw.get("no_concern_reason"))

    def _reason(self, where: str, text: str) -> None:
        """Check that a reason's {fields} name the citation's columns or {concerns}."""
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        except ValueError as exc:
            self.fail(where, f"bad {{field}} in the text ({exc}); write {{{{ for a brace")
            return
        for name in sorted(fields - set(COLUMN) - {"concerns", *DERIVED_ATTRIBUTES}):
            self.fail(where, f"{{{name}}} is not a column of the evidence table")

    def _table(self, where: str, raw: object) -> dict:
        """raw if it is a TOML table; otherwise report it and return an empty one."""
        if isinstance(raw, dict):
            return raw
        self.fail(where, "must be a table ({ key = value, ... } or a [section])")
        return {}

    def _list(self, where: str, raw: object) -> list:
        """raw if it is a TOML array; otherwise report it and return an empty one."""
        if isinstance(raw, list):
            return raw
        self.fail(where, "must be a list ([ ... ])")
        return []

    def _when(self, where: str, raw: dict) -> dict:
        raw = self._table(where, raw)
        known = condition_columns()
        for key, value in raw.items():
            if split_threshold(key):
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    self.fail(f"{where}.{key}", "must be a whole number")
            elif key not in known:
                self.fail(f"{where}.{key}", "unknown attribute; use a column of the evidence "
                          "table (" + ", ".join(sorted(known)) + "), or a whole-number column "
                          "with _below / _at_least (" + ", ".join(threshold_columns()) + ")")
            elif not isinstance(value, list):
                self.fail(f"{where}.{key}", "must be a list of values")
            else:
                allowed = self.design_ids if key == "design" else known[key]
                if not allowed:
                    continue
                wrong = [v for v in value if v not in allowed or type(v) is not type(
                    next(iter(allowed), v))]
                if wrong:
                    self.fail(f"{where}.{key}", f"{wrong[0]!r} never matches; use values from: "
                              f"{', '.join(str(a).lower() for a in allowed)}")
        return dict(raw)
