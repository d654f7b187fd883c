"""Compare two versions of the evidence: studies added, removed or changed, and verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader import report
from grader.pipeline import Assessment, assess
from grader.read import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, Source, read_source
from grader.rubric import Rubric, load_rubric
from grader.vocab import COLUMNS, NOT_RATED, WORDS

STUDY_FIELDS = tuple(c.name for c in COLUMNS if c.level == "study" and c.name != "study_id")
CITATION_FIELDS = tuple(c.name for c in COLUMNS if c.level == "citation")
_FIELD_ORDER = {c.name: i for i, c in enumerate(COLUMNS)}


@dataclass
class Version:
    """One version of the evidence, rated: where it came from and what it says."""

    path: str  # as given on the command line (a PDF's attachment as PDF#name)
    name: str  # short name for the brief: the file's name, or "NAME in BRIEF.pdf"
    sha256: str  # of the evidence file itself (for a PDF: of its attached file)
    assessment: Assessment


@dataclass
class Diff:
    """What changed from one version of the evidence to the next."""

    old: Version
    new: Version
    studies: list[dict]
    positions: list[dict]

    def to_json(self) -> dict:
        """The diff as a JSON-ready document."""
        rubric = self.new.assessment.rubric
        return {"old": {"path": self.old.path, "sha256": self.old.sha256},
                "new": {"path": self.new.path, "sha256": self.new.sha256},
                "rubric": {"name": rubric.name, "version": rubric.version},
                "studies": self.studies, "positions": self.positions}


def load_version(path: Path | Source, *, rubric: Rubric | Path | None = None,
                 sheet: str | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES,
                 max_rows: int = DEFAULT_MAX_ROWS) -> Version:
    """Read and rate a CSV, an .xlsx, or the evidence file attached to a brief PDF.

    path: the file, or its Source already read; each file is read once, and a PDF's
    attachment is assessed from its bytes (no temporary file).
    """
    from grader.extract import attached_evidence, looks_like_pdf

    source = path if isinstance(path, Source) else read_source(path, max_bytes)
    if not (Path(source.filename).suffix.lower() == ".pdf"
            or looks_like_pdf(source.data, source.filename)):
        a = assess(source, rubric=rubric, sheet=sheet, max_bytes=max_bytes, max_rows=max_rows)
        return Version(source.name, source.filename, a.evidence.sha256, a)
    name, data = attached_evidence(source, max_bytes)
    safe = Path(name).name or "evidence.csv"
    attached = Source(f"{source.name}#{safe}", data, safe)
    a = assess(attached, rubric=rubric, sheet=sheet, max_bytes=max_bytes, max_rows=max_rows)
    return Version(attached.name, f"{safe} in {source.filename}", a.evidence.sha256, a)


def diff_files(old: Path, new: Path, *, rubric: Rubric | Path | None = None,
               sheet: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
               max_rows: int = DEFAULT_MAX_ROWS) -> Diff:
    """Rate both versions with the same rubric and compare them."""
    if not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    before = load_version(old, rubric=rubric, sheet=sheet, max_bytes=max_bytes,
                          max_rows=max_rows)
    after = load_version(new, rubric=rubric, sheet=sheet, max_bytes=max_bytes,
                         max_rows=max_rows)
    studies, positions = compare(before.assessment, after.assessment)
    return Diff(before, after, studies, positions)


def brief_changes(old_path: Path | Source, new: Assessment) -> dict:
    """The 'Changes since' section of a brief: old is rated with the new brief's rubric."""
    old = load_version(old_path, rubric=new.rubric)
    studies, positions = compare(old.assessment, new)
    studies = [{**study, "what": field_changes(study)} for study in studies]
    return {"old": old.name, "old_sha12": old.sha256[:12], "studies": studies,
            "positions": positions}


# --- comparing two assessments -------------------------------------------------------


def _study_values(a: Assessment) -> dict[str, dict]:
    """Each study's attributes, from the first row that cites it."""
    rows = a.evidence.rows
    first: dict[str, dict] = {}
    for sid, values in zip(rows["study_id"].tolist(),
                           report.plain_records(rows[list(STUDY_FIELDS)]), strict=True):
        first.setdefault(sid, values)
    return first


def _citation_values(a: Assessment) -> dict[tuple[str, str], dict]:
    """Each citation's attributes, by (position_id, study_id)."""
    rows = a.evidence.rows
    keys = zip(rows["position_id"].tolist(), rows["study_id"].tolist(), strict=True)
    return dict(zip(keys, report.plain_records(rows[list(CITATION_FIELDS)]), strict=True))


def _by_study(cited: dict[tuple[str, str], dict]) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for key in cited:
        out.setdefault(key[1], set()).add(key)
    return out


def compare(old: Assessment, new: Assessment) -> tuple[list[dict], list[dict]]:
    """Studies added, removed or changed, and positions whose verdict or certainty moved."""
    return _compare_studies(old, new), _compare_positions(old, new)


def _compare_studies(old: Assessment, new: Assessment) -> list[dict]:
    level_old = {s["study_id"]: s["certainty"] for s in report.studies(old)}
    level_new = {s["study_id"]: s["certainty"] for s in report.studies(new)}
    fields_old, fields_new = _study_values(old), _study_values(new)
    cited_old, cited_new = _citation_values(old), _citation_values(new)
    positions_old, positions_new = _by_study(cited_old), _by_study(cited_new)
    out = []
    for sid in [*level_new, *(s for s in level_old if s not in level_new)]:
        before, after = level_old.get(sid), level_new.get(sid)
        if before is None or after is None:
            out.append({"study_id": sid, "change": "added" if before is None else "removed",
                        "before": before, "after": after, "fields": []})
            continue
        values = {f: [_json_value(fields_old[sid][f]), _json_value(fields_new[sid][f])]
                  for f in STUDY_FIELDS if fields_old[sid][f] != fields_new[sid][f]}
        changed = set(values)
        keys_old, keys_new = positions_old.get(sid, set()), positions_new.get(sid, set())
        if keys_old != keys_new:
            changed.add("position_id")
        for key in sorted(keys_old & keys_new):
            for f in CITATION_FIELDS:
                if cited_old[key][f] != cited_new[key][f]:
                    changed.add(f)
                    values.setdefault(f, [_json_value(cited_old[key][f]),
                                          _json_value(cited_new[key][f])])
        if changed or before != after:
            order = sorted(changed, key=_FIELD_ORDER.get)
            out.append({"study_id": sid, "change": "changed", "before": before,
                        "after": after, "fields": order,
                        "values": {f: values[f] for f in order if f in values}})
    return out


def _json_value(value):
    """A cell's value for the JSON diff: numbers as numbers, yes/no as booleans."""
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    return value


def shown_value(value) -> str:
    """A changed attribute's value for people: yes/no, digits, '(blank)' for none."""
    if value is None:
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def field_changes(study: dict) -> str:
    """'stopped_early: no → yes, n: 240 → 8' (a field without values by its name)."""
    values = study.get("values", {})
    return ", ".join(f"{f}: {shown_value(values[f][0])} → {shown_value(values[f][1])}"
                     if f in values else f for f in study["fields"])


def _numbered(a: Assessment) -> dict[str, dict]:
    """Each position's JSON record, with its number in the brief (P1, P2, …)."""
    return {p["position_id"]: {**p, "number": i}
            for i, p in enumerate(report.positions(a), start=1)}


def _compare_positions(old: Assessment, new: Assessment) -> list[dict]:
    p_old, p_new = _numbered(old), _numbered(new)
    out = []
    for pid in [*p_new, *(p for p in p_old if p not in p_new)]:
        before, after = p_old.get(pid), p_new.get(pid)
        if before and after and (before["verdict"], before["certainty"]) == (
                after["verdict"], after["certainty"]):
            continue
        shown = after or before
        out.append({"position_id": pid, "number": shown["number"],
                    "position": shown.get("position"),
                    "change": "added" if not before else "removed" if not after else "changed",
                    "verdict_before": before["verdict"] if before else None,
                    "verdict_after": after["verdict"] if after else None,
                    "before": before["certainty"] if before else None,
                    "after": after["certainty"] if after else None})
    return out


# --- renderings --------------------------------------------------------------------


def word(level: str | None) -> str:
    """A certainty level in words for text: 'very low', 'not rated', or '—' for none."""
    if level is None:
        return "—"
    return "not rated" if level == NOT_RATED else WORDS[level].lower()


def _counts(items: list[dict]) -> str:
    counts = {k: sum(i["change"] == k for i in items) for k in ("added", "removed", "changed")}
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n)


def _position_change(p: dict) -> str:
    parts = []
    if p["verdict_before"] != p["verdict_after"]:
        parts.append(f"verdict {p['verdict_before'] or '—'} → {p['verdict_after'] or '—'}")
    if p["before"] != p["after"]:
        parts.append(f"certainty {word(p['before'])} → {word(p['after'])}")
    return "; ".join(parts)


def to_text(diff: Diff) -> str:
    """The diff for the terminal."""
    lines = [f"old: {diff.old.path} (sha256 {diff.old.sha256[:12]})",
             f"new: {diff.new.path} (sha256 {diff.new.sha256[:12]})", ""]
    if not diff.studies and not diff.positions:
        return "\n".join([*lines, "No study or position changed."]) + "\n"
    if diff.studies:
        width = max(len(s["study_id"]) for s in diff.studies)
        levels = [f"{word(s['before'])} → {word(s['after'])}" for s in diff.studies]
        level_width = max(len(text) for text in levels)
        lines.append(f"Studies: {_counts(diff.studies)}")
        for s, level in zip(diff.studies, levels, strict=True):
            lines.append(f"  {s['change']:<8} {s['study_id']:<{width}}  "
                         f"{level:<{level_width}}  {field_changes(s)}".rstrip())
        lines.append("")
    if diff.positions:
        width = max(len(p["position_id"]) for p in diff.positions)
        lines.append(f"Positions: {_counts(diff.positions)}")
        for p in diff.positions:
            lines.append(f"  {p['change']:<8} {p['position_id']:<{width}}  "
                         f"{_position_change(p)}")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(diff: Diff) -> str:
    """The diff as Markdown tables, for committee papers."""
    lines = [f"## Changes since {_cell(diff.old.name)}", "",
             f"Compared `{diff.old.path}` (sha256 `{diff.old.sha256[:12]}`) with "
             f"`{diff.new.path}` (sha256 `{diff.new.sha256[:12]}`).", ""]
    if not diff.studies and not diff.positions:
        return "\n".join([*lines, "No study or position changed."]) + "\n"
    if diff.studies:
        lines += ["| Study | Change | Certainty before → after | What changed |",
                  "|---|---|---|---|"]
        lines += [f"| {_cell(s['study_id'])} | {s['change']} | {word(s['before'])} → "
                  f"{word(s['after'])} | {_cell(field_changes(s))} |" for s in diff.studies]
        lines.append("")
    if diff.positions:
        lines += ["| Position | Change | Verdict before → after | Certainty before → after |",
                  "|---|---|---|---|"]
        lines += [f"| {p['position_id']} | {p['change']} | {p['verdict_before'] or '—'} → "
                  f"{p['verdict_after'] or '—'} | {word(p['before'])} → {word(p['after'])} |"
                  for p in diff.positions]
        lines.append("")
    return "\n".join(lines)


def summary(studies: list[dict], positions: list[dict], limit: int = 3) -> str:
    """One line: 'Yoon2019 changed (very low → low); 1 position verdict changed'."""
    parts = []
    for s in studies[:limit]:
        if s["change"] == "added":
            parts.append(f"{s['study_id']} added ({word(s['after'])})")
        elif s["change"] == "removed":
            parts.append(f"{s['study_id']} removed")
        elif s["before"] != s["after"]:
            parts.append(f"{s['study_id']} changed ({word(s['before'])} → {word(s['after'])})")
        else:
            parts.append(f"{s['study_id']} changed ({', '.join(s['fields'])})")
    if len(studies) > limit:
        parts.append(f"{len(studies) - limit} other {_plural(len(studies) - limit, 'study')}")
    changed = [p for p in positions if p["change"] == "changed"]
    moved = [p for p in changed if p["verdict_before"] != p["verdict_after"]]
    verdicts = len(moved)
    certainties = len(changed) - verdicts
    added = sum(p["change"] == "added" for p in positions)
    removed = sum(p["change"] == "removed" for p in positions)
    for p in moved[:limit]:
        parts.append(f"{_position_name(p)} {p['verdict_before']} → {p['verdict_after']}")
    if verdicts > limit:
        rest = verdicts - limit
        parts.append(f"{rest} other position {_plural(rest, 'verdict')} changed")
    if certainties:
        parts.append(f"{certainties} position {_plural(certainties, 'certainty')} changed")
    if added:
        parts.append(f"{added} {_plural(added, 'position')} added")
    if removed:
        parts.append(f"{removed} {_plural(removed, 'position')} removed")
    return "; ".join(parts) or "no study or position changed"


def _position_name(p: dict, width: int = 40) -> str:
    """'P3 (HCQ lowers mortality…)': a position by its number and claim, else its id."""
    if p.get("number") is None:
        return f"position {p['position_id']}"
    claim = " ".join(str(p.get("position") or p["position_id"]).split())
    claim = claim if len(claim) <= width else claim[:width - 1].rstrip() + "…"
    return f"P{p['number']} ({claim})"


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
