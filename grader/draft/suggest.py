"""Suggest a design (and flags, and n) for a reference from the cue table."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from grader.draft.records import Reference
from grader.errors import InvalidInput, Problem
from grader.rubric import Rubric

CUES_FILE = "design_cues.toml"
SOURCES = ("pubtype", "ris_type", "title", "abstract", "url", "journal")
SETTABLE = {"retracted": ("yes", "no"), "peer_reviewed": ("yes", "no"),
            "blinded": ("none", "single", "double"),
            "control": ("placebo", "active", "usual_care", "none")}


@dataclass(frozen=True)
class Cue:
    """One row of the cue table."""

    source: str
    match: str
    tier: str
    design: str | None = None
    note: str | None = None
    sets: tuple[tuple[str, str], ...] = ()
    pattern: re.Pattern | None = None

    def describe(self) -> str:
        """How the cue reads in notes: PubMed publication type 'Letter', title words …"""
        if self.source == "pubtype":
            return f"PubMed publication type '{self.match}'"
        if self.source == "ris_type":
            return f"RIS type {self.match}"
        return f"{self.source} /{self.match}/"

    def hits(self, ref: Reference) -> str | None:
        """The text that fired the cue on this reference, or None."""
        if self.source == "pubtype":
            wanted = self.match.casefold()
            for kind in ref.publication_types:
                if kind.strip().casefold() == wanted:
                    return kind
            return None
        if self.source == "ris_type":
            return ref.ris_type if ref.ris_type.upper() == self.match.upper() else None
        text = {"title": ref.title, "abstract": ref.abstract, "url": ref.url,
                "journal": ref.journal}[self.source]
        found = self.pattern.search(text) if text else None
        return found.group(0) if found else None


@dataclass(frozen=True)
class CueTable:
    """The loaded cue table, checked against a rubric."""

    precedence: tuple[str, ...]
    cues: tuple[Cue, ...]
    refines: dict[str, tuple[str, ...]]
    check: dict[str, str]
    n_patterns: tuple[re.Pattern, ...]
    organisations: dict[str, str]
    warnings: tuple[Problem, ...] = ()


@dataclass
class Suggestion:
    """What the cues say about one reference."""

    design: str = ""
    values: dict[str, str] = field(default_factory=dict)  # retracted, peer_reviewed, n, …
    notes: list[str] = field(default_factory=list)


def load_cues(rubric: Rubric, path: str | Path | None = None) -> CueTable:
    """Load the cue table (the packaged one when path is None); check designs exist.

    A malformed table raises InvalidInput; a cue naming a design the rubric lacks is a
    warning and the cue is dropped, so an edited rubric never gets a design it cannot read.
    """
    if path is None:
        name = f"(built-in) {CUES_FILE}"
        text = resources.files("grader.draft").joinpath(CUES_FILE).read_text(encoding="utf-8")
    else:
        name = str(path)
        text = Path(path).read_text(encoding="utf-8-sig")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput([Problem(name, None, None, f"not valid TOML: {exc}",
        code="not-toml")]) from None
    problems, warnings = [], []
    precedence = tuple(raw.get("precedence", ()))
    if not precedence or not all(isinstance(t, str) for t in precedence):
        problems.append(Problem(name, None, "precedence", "required: a list of tier names",
        code="invalid-cues"))
    cues = []
    for i, spec in enumerate(raw.get("cue", []), start=1):
        where = f"cue {i} ({spec.get('match', '?')!r})"
        source, tier, design = spec.get("source"), spec.get("tier"), spec.get("design")
        if source not in SOURCES:
            problems.append(Problem(name, None, where,
                                    f"source must be one of: {', '.join(SOURCES)}",
                                    code="invalid-cues"))
            continue
        if tier not in precedence:
            problems.append(Problem(name, None, where,
                                    f"tier {tier!r} is not in precedence; use one of: "
                                    f"{', '.join(precedence)}", code="invalid-cues"))
            continue
        sets = tuple((spec.get("set") or {}).items())
        bad = [(k, v) for k, v in sets if v not in SETTABLE.get(k, ())]
        if bad:
            problems.append(Problem(name, None, where, f"cannot set {bad[0][0]} = {bad[0][1]!r}; "
                                    f"settable: {', '.join(SETTABLE)}", code="invalid-cues"))
            continue
        if design is not None and design not in rubric.designs:
            warnings.append(Problem(name, None, where,
                                    f"design {design!r} is not in the rubric "
                                    f"({', '.join(rubric.designs)}); cue ignored", "warning",
                                    code="unknown-cue-design"))
            continue
        pattern = None
        if source not in ("pubtype", "ris_type"):
            try:
                pattern = re.compile(spec["match"], re.I)
            except re.error as exc:
                problems.append(Problem(name, None, where, f"not a valid regex: {exc}",
                code="invalid-regex"))
                continue
        cues.append(Cue(source, spec["match"], tier, design, spec.get("note"), sets, pattern))
    refines = {k: tuple(v) for k, v in raw.get("refines", {}).items()}
    n_patterns = []
    for pattern in raw.get("n", {}).get("patterns", []):
        try:
            n_patterns.append(re.compile(pattern, re.I))
        except re.error as exc:
            problems.append(Problem(name, None, "n.patterns", f"not a valid regex: {exc}",
            code="invalid-regex"))
    if problems:
        raise InvalidInput(problems)
    return CueTable(precedence, tuple(cues), refines, dict(raw.get("check", {})),
                    tuple(n_patterns), dict(raw.get("organisations", {})), tuple(warnings))


def suggest(ref: Reference, table: CueTable) -> Suggestion:
    """The design the strongest cue names (blank on a conflict), flags, n, and notes."""
    out = Suggestion()
    fired = [(cue, hit) for cue in table.cues if (hit := cue.hits(ref)) is not None]
    out.design = _design(fired, table, out.notes)
    for cue, _ in fired:
        for column, value in cue.sets:
            if out.values.get(column, value) != value:
                out.notes.append(f"cues disagree on {column}; left blank")
                out.values[column] = ""
            elif column not in out.values:
                out.values[column] = value
        if cue.note:
            out.notes.append(cue.note)
    out.values = {k: v for k, v in out.values.items() if v}
    n, phrase = _sample_size(ref, table)
    if n is not None:
        out.values["n"] = str(n)
        out.notes.append(f"n from {phrase!r}; check it counts participants analysed")
    elif phrase:
        out.notes.append(phrase)
    return out


def _design(fired: list[tuple[Cue, str]], table: CueTable, notes: list[str]) -> str:
    before = len(notes)
    design = _choose(fired, table, notes)
    if design:
        # the note saying where the design came from is the last one _choose added
        notes[-1] = notes[-1].removesuffix("; check") + "; " + table.check.get(
            design, "check it")
    notes[before:] = sorted(notes[before:], key=lambda n: n.startswith("outranked"))
    return design


def _choose(fired: list[tuple[Cue, str]], table: CueTable, notes: list[str]) -> str:
    named = [(cue, hit) for cue, hit in fired if cue.design]
    if not named:
        if not any(cue.note for cue, _ in fired):
            notes.append("design: no cue in the title, type or abstract; fill it in")
        else:
            notes.append("design: not decided by the cues; fill it in")
        return ""
    rank = {tier: i for i, tier in enumerate(table.precedence)}
    best = min(rank[cue.tier] for cue, _ in named)
    top = [(cue, hit) for cue, hit in named if rank[cue.tier] == best]
    designs = _finest({cue.design for cue, _ in top}, table.refines)
    if len(designs) > 1:
        clash = [c for c in top if c[0].design in designs]
        named_cues = " and ".join(f"{_said(c, h)} ({c.design})" for c, h in clash)
        notes.append(f"design left blank: {named_cues} disagree; choose one")
        return ""
    (design,) = designs
    winner = next(c for c in top if c[0].design == design)
    related = {design, *table.refines.get(design, ())}
    outranked = [(c, h) for c, h in named if c.design not in related
                 and design not in table.refines.get(c.design, ())]
    if outranked:
        notes.append("outranked: " + ", ".join(f"{_said(c, h)} ({c.design})"
                                               for c, h in outranked))
    finer = [(c, h) for c, h in named if c.design in table.refines.get(design, ())]
    finer_designs = _finest({c.design for c, _ in finer}, table.refines)
    source = f"design from {_said(*winner)}"
    if len(finer_designs) == 1:
        (fine,) = finer_designs
        how = next(c for c in finer if c[0].design == fine)
        notes.append(f"{source}, refined to {fine} by {_said(*how)}; check")
        return fine
    if len(finer_designs) > 1:
        notes.append(f"{source}; finer designs {' and '.join(sorted(finer_designs))} "
                     "are both cued: choose one")
        return design
    notes.append(f"{source}; check")
    return design


def _finest(designs: set[str], refines: dict[str, tuple[str, ...]]) -> set[str]:
    """Drop each design that another one of the set refines."""
    return {d for d in designs if not any(d != o and o in refines.get(d, ()) for o in designs)}


def _said(cue: Cue, hit: str) -> str:
    if cue.source == "pubtype":
        return f"PubMed publication type '{hit}'"
    if cue.source == "ris_type":
        return f"RIS type {hit}"
    return f"{cue.source} words {hit!r}"


def _sample_size(ref: Reference, table: CueTable) -> tuple[int | None, str]:
    found = {}
    for text in (ref.title, ref.abstract):
        for pattern in table.n_patterns:
            for m in pattern.finditer(text or ""):
                found.setdefault(int(m.group(1).replace(",", "")), m.group(0))
    if len(found) == 1:
        ((n, phrase),) = found.items()
        return n, phrase
    if len(found) > 1:
        phrases = "; ".join(repr(p) for p in found.values())
        return None, f"n not drafted: several numbers stated ({phrases}); choose one"
    return None, ""
