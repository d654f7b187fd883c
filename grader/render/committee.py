"""Read the contract's §7 JSON document (version 2, or version 1) for the committee formats."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.render.formatters import JUDGMENT_WORDS, VERDICT_WORDS
from grader.vocab import (
    CHECKED_VERDICTS,
    DOMAIN_LABELS,
    DOMAINS,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    NOT_RATED,
    SYMBOLS,
    WORDS,
)
from grader.vocab import LEVELS as VOCAB_LEVELS

UPGRADE_LABELS = {
    "large_effect": "large effect",
    "very_large_effect": "very large effect",
    "dose_response": "dose–response",
    "plausible_confounding": "confounding would reduce the effect",
}
LEVELS = VOCAB_LEVELS[::-1]  # highest first, as the tables list them


def words(level: str | None) -> str:
    """A certainty level in words ('Very low'); unknown levels as they are."""
    return WORDS.get(level or "", str(level or "").replace("_", " "))


def symbols(level: str | None) -> str:
    """⊕ symbols of a graded level; '—' for opinion; '' otherwise."""
    return SYMBOLS.get(level or "", "")


def verdict_word(verdict: str | None) -> str:
    """A verdict as a capitalised word."""
    return VERDICT_WORDS.get(verdict or "", str(verdict or "").replace("_", " ").capitalize())


def design_label(design: str | None, labels: dict | None = None) -> str:
    """A design id in words: the rubric's label when the build passes it, else the id."""
    if not design:
        return "design not stated"
    if labels and design in labels:
        return str(labels[design])
    return design.replace("_", " ")


@dataclass
class Domain:
    """One domain judgment with where it came from."""

    judgment: str
    source: str
    reason: str

    @property
    def not_assessed(self) -> bool:
        return self.source == NOT_ASSESSED

    @property
    def downgrade(self) -> bool:
        return not self.not_assessed and self.judgment in ("serious", "very_serious")

    @property
    def text(self) -> str:
        """'? not assessed', 'not serious', 'serious', …"""
        if self.not_assessed:
            return "? not assessed"
        return JUDGMENT_WORDS.get(self.judgment, self.judgment.replace("_", " "))


def domains_of(raw: object) -> dict[str, Domain] | None:
    """The five domains of a citation or a body, or None (checked positions)."""
    if not isinstance(raw, dict):
        return None
    out = {}
    for name in DOMAINS:
        cell = raw.get(name) or {}
        if isinstance(cell, str):  # a bare judgment
            cell = {"judgment": cell}
        out[name] = Domain(str(cell.get("judgment") or "not_serious"),
                           str(cell.get("source") or "derived"),
                           str(cell.get("reason") or ""))
    return out


@dataclass
class Upgrades:
    """Upgrades applied, and those entered but withheld (v2), with the reason."""

    applied: list[str] = field(default_factory=list)  # "large_effect", "very_large_effect", …
    withheld: list[str] = field(default_factory=list)
    reason: str | None = None
    known_applied: bool = True  # False for v1 documents: values as entered, maybe not applied

    @property
    def text(self) -> str:
        parts = [UPGRADE_LABELS.get(u, u.replace("_", " ")) for u in self.applied]
        parts += [f"{UPGRADE_LABELS.get(u, u.replace('_', ' '))} (withheld)"
                  for u in self.withheld]
        return ", ".join(parts) if parts else "none"


def upgrades_of(raw: object) -> Upgrades | None:
    if not isinstance(raw, dict):
        return None
    applied = []
    large = raw.get("large_effect")
    if large in ("large", "very_large"):
        applied.append("large_effect" if large == "large" else "very_large_effect")
    for name in ("dose_response", "plausible_confounding"):
        if raw.get(name) is True:
            applied.append(name)
    withheld = []
    for item in raw.get("withheld") or []:
        name = item.get("upgrade") if isinstance(item, dict) else item
        if name == "large_effect" and isinstance(item, dict) and item.get("value") == \
                "very_large":
            name = "very_large_effect"
        if name:
            withheld.append(str(name))
    applied = [a for a in applied if a not in withheld and
               not (a == "very_large_effect" and "large_effect" in withheld)]
    return Upgrades(applied, withheld, raw.get("reason"), "withheld" in raw)


@dataclass
class Study:
    study_id: str
    design: str | None
    n: int | None
    citation: str
    doi: str | None
    year: int | None
    retracted: bool
    certainty: str | None


@dataclass
class Citation:
    position_id: str
    study_id: str
    stance: str
    start: str | None
    counted: bool
    in_body: bool | None
    domains: dict[str, Domain] | None
    upgrades: Upgrades | None
    certainty: str
    score: int | None
    result: str | None
    cited_in_exchange: bool
    claimed_certainty: str | None
    overstated: bool
    characterization: str | None
    notes: str | None
    study: Study

    @property
    def graded(self) -> bool:
        """Has a GRADE level of its own (not opinion, not a checked citation)."""
        return self.certainty in LEVELS


@dataclass
class Body:
    start: str | None
    weight: str | None
    studies: list[str]
    domains: dict[str, Domain] | None
    upgrades: Upgrades | None


@dataclass
class Position:
    position_id: str
    claim: str
    advocate: str
    question: str
    judged: str  # "graded" or "checked"
    verdict: str
    leaning: str | None
    certainty: str
    score: int | None
    statement: str
    body: Body | None
    supporting: list[str]
    opposing: list[str]
    lower_tier: list[str]
    not_rated: list[str]
    retracted: list[str]
    conceded_by: str | None
    citations: list[Citation]

    @property
    def checked(self) -> bool:
        return self.judged == "checked"

    def best(self, stance: str) -> Citation | None:
        """The most certain counted citation on one side, from the body when there is one."""
        pool = [c for c in self.citations if c.stance == stance and c.counted and
                not c.study.retracted and c.certainty != NOT_RATED]
        if self.body is not None:
            pool = [c for c in pool if c.study_id in self.body.studies] or pool
        if not pool:
            return None
        return max(pool, key=lambda c: c.score or 0)  # max keeps the first of ties

    def best_evidence(self) -> list[Citation]:
        """The best evidence shown on page 1: both sides for a contested position."""
        if self.checked:
            return [c for c in (self.best("supports"), self.best("opposes")) if c]
        if self.verdict == "contested":
            return [c for c in (self.best("supports"), self.best("opposes")) if c]
        side = "opposes" if self.verdict == "contradicted" else "supports"
        best = self.best(side)
        return [best] if best else []


@dataclass
class Document:
    """A §7 document read into records, with the fallbacks a version 1 document needs."""

    rubric_name: str
    rubric_version: str
    input_path: str
    sha256: str
    studies: dict[str, Study]
    positions: list[Position]
    version: int  # 2 when the document carries the version 2 keys, else 1

    @property
    def citations(self) -> list[Citation]:
        return [c for p in self.positions for c in p.citations]


def _int(value: object) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)  # type: ignore
    except (TypeError, ValueError):
        return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def read_document(doc: dict) -> Document:
    """Read a §7 document; v1 documents (no body, no statement, no sources) work too."""
    studies = {}
    for s in doc.get("studies") or []:
        sid = str(s["study_id"])
        studies[sid] = Study(sid, _text(s.get("design")), _int(s.get("n")),
                             _text(s.get("citation")) or sid, _text(s.get("doi")),
                             _int(s.get("year")), bool(s.get("retracted", False)),
                             _text(s.get("certainty")))
    by_position: dict[str, list[Citation]] = {}
    for c in doc.get("citations") or []:
        sid = str(c["study_id"])
        study = studies.setdefault(sid, Study(sid, _text(c.get("design")), _int(c.get("n")),
                                              sid, None, None, False, None))
        certainty = str(c.get("certainty") or NOT_RATED)
        counted = c.get("counted")
        if counted is None:  # v1: every graded citation counts
            counted = certainty != NOT_RATED and not study.retracted
        by_position.setdefault(str(c["position_id"]), []).append(Citation(
            position_id=str(c["position_id"]), study_id=sid,
            stance=str(c.get("stance") or "supports"), start=_text(c.get("start")),
            counted=bool(counted), in_body=c.get("in_body"),
            domains=domains_of(c.get("domains")), upgrades=upgrades_of(c.get("upgrades")),
            certainty=certainty, score=_int(c.get("score")), result=_text(c.get("result")),
            cited_in_exchange=c.get("cited_in_exchange", True) is not False,
            claimed_certainty=_text(c.get("claimed_certainty")),
            overstated=bool(c.get("overstated", False)),
            characterization=_text(c.get("characterization")), notes=_text(c.get("notes")),
            study=study))
    positions = [_position(p, by_position.get(str(p["position_id"]), []))
                 for p in doc.get("positions") or []]
    v2 = any("statement" in p or "body" in p or "judged" in p
             for p in doc.get("positions") or [])
    rubric = doc.get("rubric") or {}
    source = doc.get("input") or {}
    return Document(str(rubric.get("name") or ""), str(rubric.get("version") or ""),
                    str(source.get("path") or ""), str(source.get("sha256") or ""),
                    studies, positions, 2 if v2 else 1)


def _position(p: dict, citations: list[Citation]) -> Position:
    certainty = str(p.get("certainty") or NOT_RATED)
    verdict = str(p.get("verdict") or "")
    judged = p.get("judged") or ("checked" if certainty == NOT_APPLICABLE or
                                 verdict in CHECKED_VERDICTS else "graded")
    raw_body = p.get("body")
    body = None
    if isinstance(raw_body, dict):
        body = Body(_text(raw_body.get("start")), _text(raw_body.get("weight")),
                    [str(s) for s in raw_body.get("studies") or []],
                    domains_of(raw_body.get("domains")), upgrades_of(raw_body.get("upgrades")))
    order = {"supports": 0, "opposes": 1}
    citations = sorted(citations, key=lambda c: (not c.counted, order.get(c.stance, 2),
                                                 -(c.score or 0)))
    position = Position(
        position_id=str(p["position_id"]), claim=str(p.get("position") or ""),
        advocate=str(p.get("advocate") or ""), question=str(p.get("question") or "efficacy"),
        judged=str(judged), verdict=verdict, leaning=_text(p.get("leaning")),
        certainty=certainty, score=_int(p.get("score")), statement="", body=body,
        supporting=[str(s) for s in p.get("supporting") or []],
        opposing=[str(s) for s in p.get("opposing") or []],
        lower_tier=[str(s) for s in p.get("lower_tier") or []],
        not_rated=[str(s) for s in p.get("not_rated") or []],
        retracted=[str(s) for s in p.get("retracted") or []],
        conceded_by=_text(p.get("conceded_by")), citations=citations)
    if not position.retracted:
        position.retracted = [c.study_id for c in citations if c.study.retracted]
    position.statement = _text(p.get("statement")) or fallback_statement(position)
    return position


def checked_phrase(position: Position) -> str:
    """'checked: confirmed by FDA2009 (regulatory review)' (§4.2.7 wording)."""
    def by(ids: list[str]) -> str:
        studies = {c.study_id: c.study for c in position.citations}
        return ", ".join(f"{sid} ({design_label(studies[sid].design)})" if sid in studies
                         else sid for sid in ids)

    if position.verdict == "confirmed":
        return f"checked: confirmed by {by(position.supporting)}"
    if position.verdict == "refuted":
        return f"checked: refuted by {by(position.opposing)}"
    if position.verdict == "disputed":
        return "checked: disputed"
    return "not checked"


_SUPPORTED = {"high": "The evidence shows this is true.", "moderate": "This is probably true.",
              "low": "This may be true."}
_CONTRADICTED = {"high": "The evidence shows this is not true.",
                 "moderate": "This is probably not true.", "low": "This may not be true."}


def fallback_statement(position: Position) -> str:
    """The plain-language statement of §4.2.7, for documents that do not carry one."""
    if position.checked:
        return checked_phrase(position)
    level = position.certainty
    if position.verdict == "unsupported" or level == NOT_RATED:
        return "Only opinion is cited."
    if level == "very_low":
        return "The evidence is very uncertain."
    if position.verdict == "supported":
        return _SUPPORTED.get(level, "")
    if position.verdict == "contradicted":
        return _CONTRADICTED.get(level, "")
    if position.verdict == "contested":
        leaning = {"supports": "leaning towards the claim",
                   "opposes": "leaning against the claim"}.get(position.leaning or "",
                                                                "leaning neither way")
        return f"The evidence conflicts ({words(level).lower()} certainty, {leaning})."
    return ""


def footnote_reason(name: str, domain: Domain, citation: Citation | None) -> str:
    """'Risk of bias, serious: <reason>' for a downgrade's footnote."""
    head = f"{DOMAIN_LABELS[name]}, {domain.text}"
    if domain.source == "explicit":
        note = citation.notes if citation else None
        who = f" ({citation.study_id}’s note)" if citation else ""
        return (f"{head}, judged in the evidence table{who}: {note}" if note
                else f"{head}, judged in the evidence table"
                     + (f": {domain.reason}" if domain.reason else " (no reason given)."))
    return f"{head}: {domain.reason}" if domain.reason else head


def letter(index: int) -> str:
    """a, b, …, z, aa, ab, …"""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("a") + rem) + out
    return out
