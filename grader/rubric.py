"""The rubric as data: load and check a rubric file, then rate citations with it."""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from grader.errors import InvalidInput, Problem
from grader.vocab import (
    COLUMN,
    DOMAINS,
    JUDGMENTS,
    LARGE_EFFECT_BONUS,
    LEVELS,
    NOT_RATED,
    PENALTY,
    SCORE,
)

REVIEW_START = "included_designs"
_DESIGN_ID = re.compile(r"[a-z][a-z0-9_]*")
DEFAULT_RUBRIC = "rubric.toml"
_CONDITION_COLUMNS = {"randomized_design", "design", "question", "species", "blinded",
                      "control", "peer_reviewed", "stopped_early", "randomized",
                      "included_designs", "stance"}
_DEFAULT_REASONS = {
    "risk_of_bias": "No concern derived from the design's attributes.",
    "inconsistency": "Not assessable from one citation: not downgraded.",
    "indirectness": "No concern derived: population and question taken as direct.",
    "imprecision": "No concern derived from the sample size.",
    "publication_bias": "Not assessable from one citation: not downgraded.",
}


@dataclass(frozen=True)
class Design:
    """A study design: its label and where its certainty starts."""

    id: str
    label: str
    start: str
    randomized: bool = False
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Concern:
    """One counted concern of a rule (e.g. 'not blinded')."""

    label: str
    when: dict


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


@dataclass(frozen=True)
class Rubric:
    """A named, versioned rubric: designs, review starts and derivation rules."""

    name: str
    version: str
    designs: dict[str, Design]
    review_start: dict[str, str]
    rules: tuple[Rule, ...]
    default_reasons: dict[str, str]
    text: str
    path: str

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


def default_rubric_text() -> str:
    """The packaged default rubric's TOML text."""
    return resources.files("grader").joinpath(DEFAULT_RUBRIC).read_text(encoding="utf-8")


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load and check a rubric file (the packaged default when path is None)."""
    if path is None:
        return parse_rubric(default_rubric_text(), f"(built-in) {DEFAULT_RUBRIC}")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([Problem(str(path), None, None,
                                    "rubric is not UTF-8 text")]) from None
    return parse_rubric(text, str(path))


def parse_rubric(text: str, name: str) -> Rubric:
    """Parse rubric TOML text; raise InvalidInput naming every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise InvalidInput([Problem(name, line, None,
                                    f"not valid TOML: {exc.msg if hasattr(exc, 'msg') else exc}")
                            ]) from None
    checker = _RubricChecker(name)
    rubric = checker.build(raw, text)
    if checker.problems:
        raise InvalidInput(checker.problems)
    return rubric


class _RubricChecker:
    """Collects every problem in a rubric document while building it."""

    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.design_ids: tuple[str, ...] = ()

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.name, None, where, message))

    def build(self, raw: dict, text: str) -> Rubric:
        for key in ("name", "version"):
            if not isinstance(raw.get(key), str) or not raw.get(key).strip():
                self.fail(key, "required: a non-empty string")
        designs = self._designs(raw.get("designs"))
        self.design_ids = tuple(designs)
        review_start = self._table("review_start", raw.get("review_start", {}))
        for key in ("rct", "mixed", "observational", "blank"):
            if review_start.get(key) not in LEVELS:
                self.fail(f"review_start.{key}", f"must be one of: {', '.join(LEVELS)}")
        raw_rules = self._list("rules", raw.get("rules", []))
        rules = tuple(self._rule(i, r) for i, r in enumerate(raw_rules)
                      if self._table(f"rules[{i}]", r) is r)
        reasons = {**_DEFAULT_REASONS,
                   **self._table("default_reasons", raw.get("default_reasons", {}))}
        return Rubric(str(raw.get("name", "")), str(raw.get("version", "")), designs,
                      review_start, rules, reasons, text, self.name)

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
            designs[key] = Design(key, str(spec.get("label", key)), spec.get("start"),
                                  bool(spec.get("randomized", False)), tuple(synonyms))
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
        if not isinstance(raw.get("reason"), str):
            self.fail(f"{where}.reason", "required: the footnote text")
        else:
            self._reason(f"{where}.reason", raw["reason"])
        when = self._when(f"{where}.when", raw.get("when", {}))
        concerns = tuple(Concern(str(c.get("label", "")), self._when(
            f"{where}.concerns[{j}].when", c.get("when", {})))
            for j, c in enumerate(self._list(f"{where}.concerns", raw.get("concerns", [])))
            if self._table(f"{where}.concerns[{j}]", c) is c)
        counts = {}
        for key, default in (("serious_at", 1), ("very_serious_at", 2)):
            counts[key] = raw.get(key, default)
            if not isinstance(counts[key], int) or isinstance(counts[key], bool):
                self.fail(f"{where}.{key}", "must be a whole number")
                counts[key] = default
        unknown = self._table(f"{where}.unknown", raw.get("unknown", {}))
        for attribute in unknown:
            if attribute not in _CONDITION_COLUMNS | {"n"}:
                self.fail(f"{where}.unknown.{attribute}", "unknown attribute; use one of: "
                          f"{', '.join(sorted(_CONDITION_COLUMNS | {'n'}))}")
        return Rule(str(raw.get("id", where)), raw.get("domain"), when, raw.get("reason", ""),
                    raw.get("judgment"), concerns, counts["serious_at"],
                    counts["very_serious_at"], dict(unknown))

    def _reason(self, where: str, text: str) -> None:
        """Check that a reason's {fields} name the citation's columns or {concerns}."""
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        except ValueError as exc:
            self.fail(where, f"bad {{field}} in the text ({exc}); write {{{{ for a brace")
            return
        for name in sorted(fields - set(COLUMN) - {"concerns", "randomized_design"}):
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
        for key, value in raw.items():
            if key == "n_below":
                if not isinstance(value, int) or value < 0:
                    self.fail(f"{where}.n_below", "must be a whole number")
            elif key not in _CONDITION_COLUMNS:
                self.fail(f"{where}.{key}",
                          f"unknown attribute; use one of: {', '.join(sorted(_CONDITION_COLUMNS))}"
                          ", n_below")
            elif not isinstance(value, list):
                self.fail(f"{where}.{key}", "must be a list of values")
            else:
                allowed = self._condition_values(key)
                wrong = [v for v in value if v not in allowed or type(v) is not type(
                    next(iter(allowed), v))]
                if wrong:
                    self.fail(f"{where}.{key}", f"{wrong[0]!r} never matches; use values from: "
                              f"{', '.join(str(a).lower() for a in allowed)}")
        return dict(raw)

    def _condition_values(self, key: str) -> tuple:
        """The values a condition on a citation attribute can match."""
        if key in ("randomized_design", "randomized", "peer_reviewed", "stopped_early"):
            return (True, False)
        if key == "design":
            return tuple(self.design_ids)
        return COLUMN[key].values


# --- rating ---------------------------------------------------------------


def _condition(frame: pd.DataFrame, when: dict, skip: frozenset = frozenset()) -> pd.Series:
    """Rows where every condition holds (blank cells never match)."""
    mask = pd.Series(True, index=frame.index)
    for key, value in when.items():
        if key in skip:
            continue
        if key == "n_below":
            mask &= frame["n"].lt(value).fillna(False).astype(bool)
        else:
            mask &= frame[key].isin(value).fillna(False).astype(bool)
    return mask


def _shown(value: object) -> str:
    return "" if value is None or value is pd.NA or value != value else \
        str(value).replace("_", "-")


def _combine(size: int, columns: list) -> tuple[np.ndarray, np.ndarray]:
    """Codes of each row's combination of values, and the first row of each combination."""
    key = np.zeros(size, dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        key, _ = pd.factorize(key * (len(uniques) + 1) + (codes + 1))
    _, first = np.unique(key, return_index=True)
    return key, first


def _format(template: str, frame: pd.DataFrame, extra: dict[str, pd.Series],
            rows: np.ndarray | None = None) -> pd.Series:
    """Fill {field}s of a reason template, once per distinct combination of the fields.

    Only for `rows` (a boolean mask) when given: the other columns are never copied.
    """
    # Texts are assembled per combination and spread over the rows (issue #7): string
    # operations row by row dominated rating at 100,000 citations.
    pieces = list(string.Formatter().parse(template))
    names = list(dict.fromkeys(name for _, name, _, _ in pieces if name))
    if rows is None:
        rows = np.ones(len(frame), dtype=bool)
    columns = {name: (extra[name] if name in extra else frame[name]).to_numpy(dtype=object)[rows]
               for name in names}
    key, first = _combine(int(rows.sum()), list(columns.values()))
    texts = []
    for row in first:
        out = ""
        for literal, name, _, _ in pieces:
            out += literal
            if name:
                value = columns[name][row]
                if name in extra and (value is None or value is pd.NA):
                    out = None
                    break
                out += value if name in extra else _shown(value)
        texts.append(pd.NA if out is None else out[:1].upper() + out[1:])
    return _strings(texts, key, frame.index[rows])


def _append(codes: np.ndarray, table: list[str], hit: np.ndarray,
            suffix: str) -> tuple[np.ndarray, list[str]]:
    """Append suffix to the rows' texts where hit holds; texts are codes into table."""
    codes, uniques = pd.factorize(codes * 2 + hit.astype(np.int64))
    return codes, [table[k // 2] + (suffix if k % 2 else "") for k in uniques]


def _derive(frame: pd.DataFrame, rubric: Rubric,
            domain: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The derived judgment, reason and deciding rule of one domain for every row."""
    size = len(frame)
    penalty = np.full(size, -1)
    reason = pd.Series(pd.NA, index=frame.index, dtype=object)
    rule_id, rule_ids = np.zeros(size, dtype=np.intp), [""]  # codes into rule_ids
    notes, notes_table = np.zeros(size, dtype=np.int64), [""]
    for rule in (r for r in rubric.rules if r.domain == domain):
        applies = _condition(frame, rule.when).to_numpy()
        extra = {}
        if rule.concerns:
            count = np.zeros(size, dtype=np.int64)
            listed, listed_table = np.zeros(size, dtype=np.int64), [""]
            for concern in rule.concerns:
                hit = _condition(frame, concern.when).to_numpy()
                count += hit
                listed, listed_table = _append(listed, listed_table, hit, ", " + concern.label)
            extra["concerns"] = pd.Series(np.array([t[2:] for t in listed_table],
                                                   dtype=object)[listed], index=frame.index)
            rule_penalty = np.select([count >= rule.very_serious_at, count >= rule.serious_at],
                                     [2, 1], -1)
        else:
            rule_penalty = np.full(size, PENALTY[rule.judgment])
        wins = applies & (rule_penalty > penalty)
        if wins.any():
            penalty = np.where(wins, rule_penalty, penalty)
            reason[wins] = _format(rule.reason, frame, extra, wins).to_numpy(object)
            rule_id[wins] = len(rule_ids)
            rule_ids.append(rule.id)
        for attribute, label in rule.unknown.items():
            base = _condition(frame, rule.when, skip=frozenset({attribute, "n_below"}))
            blank = (base & frame[attribute].isna()).to_numpy()
            notes, notes_table = _append(notes, notes_table, blank, ", " + label)
    default = rubric.default_reasons[domain]
    key, first = _combine(size, [reason, notes])
    texts = []
    for row in first:
        no_info, text = notes_table[notes[row]][2:], reason.iat[row]
        if text is pd.NA:
            text = (f"No information on {no_info} (blank cell): not downgraded." if no_info
                    else default)
        elif no_info:
            # A rule that fired still says which attributes it could not check.
            text = f"{text} No information on {no_info} (blank cell)."
        texts.append(text)
    judgment = pd.Series(np.array(JUDGMENTS)[penalty.clip(min=0)], index=frame.index)
    return (judgment, _strings(texts, key, frame.index), _strings(rule_ids, rule_id, frame.index))


def _strings(texts: list, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """A `string` Series of texts[codes], converting each distinct text once."""
    return pd.Series(pd.array(texts, dtype="string").take(codes), index=index)


def _map(series: pd.Series, table: dict) -> pd.Series:
    """series.map(table); through object dtype, ten times faster than on `string` columns."""
    return series.astype(object).map(table)


_EXPLICIT_SAID = {j: f"Judged {j.replace('_', ' ')} in the evidence table (explicit judgment)"
                  for j in JUDGMENTS}


def _explicit_reason(explicit: pd.Series, notes: pd.Series) -> pd.Series:
    """An explicit judgment's footnote: the table's own words (`notes`) when it gives them."""
    said = _map(explicit, _EXPLICIT_SAID)
    noted = notes.notna()
    return said.where(~noted, said + ": " + notes.astype(object)).where(
        noted | explicit.isna(), said + ".")


def start_levels(frame: pd.DataFrame, rubric: Rubric) -> pd.Series:
    """Each citation's starting level from its design (reviews: what they pooled)."""
    start = _map(frame["design"], {d.id: d.start for d in rubric.designs.values()})
    pooled = frame["included_designs"].astype(object).fillna("blank").map(rubric.review_start)
    return start.mask(start.eq(REVIEW_START), pooled).astype("string")


def rate(citations: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Rate every citation: start, five domains, upgrades, certainty and score."""
    out = citations.copy()
    out["start"] = start_levels(out, rubric)
    start_score = _map(out["start"], SCORE).astype(int)
    rated = start_score > 0
    downgrade = pd.Series(0, index=out.index)
    for domain in DOMAINS:
        derived, reason, rule_id = _derive(out, rubric, domain)
        explicit = out[domain].astype("string")
        given = explicit.notna()
        out[domain] = explicit.fillna(pd.Series(derived, dtype="string"))
        out[f"{domain}_source"] = np.where(given, "explicit", "derived")
        out[f"{domain}_rule"] = rule_id.mask(given, "")
        out[f"{domain}_reason"] = reason.mask(given, _explicit_reason(explicit, out["notes"]))
        downgrade += _map(out[domain], PENALTY).astype(int)
    out["large_effect"] = out["large_effect"].fillna("no")
    out["dose_response"] = out["dose_response"].fillna(False).astype(bool)
    out["plausible_confounding"] = out["plausible_confounding"].fillna(False).astype(bool)
    upgrade = (_map(out["large_effect"], LARGE_EFFECT_BONUS).astype(int)
               + out["dose_response"].astype(int) + out["plausible_confounding"].astype(int))
    upgrade = upgrade.where(rated & (start_score < SCORE["high"]), 0)
    out["upgrade"] = upgrade
    out["downgrade"] = downgrade
    score = (start_score - downgrade + upgrade).clip(SCORE["very_low"], SCORE["high"])
    out["score"] = score.where(rated, 0).astype(int)
    out["certainty"] = out["score"].map({v: k for k, v in SCORE.items()}).astype("string")
    claimed = _map(out["claimed_certainty"], SCORE)
    out["overstated"] = (claimed.notna() & (claimed > out["score"])).astype(bool)
    out["start_score"] = start_score
    return out


def describe(rubric: Rubric) -> dict:
    """The rubric as plain data, for the Methods page and `grader rubric`."""
    return {
        "name": rubric.name,
        "version": rubric.version,
        "designs": {d.id: {"label": d.label, "start": d.start} for d in rubric.designs.values()},
        "review_start": rubric.review_start,
        "rules": [{"id": r.id, "domain": r.domain, "reason": r.reason} for r in rubric.rules],
    }

