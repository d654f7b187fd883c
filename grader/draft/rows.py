"""Turn references into draft evidence rows: study ids, CSV or JSON, merging `--into`."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

from grader.draft.plaintext import parse_entry
from grader.draft.readers import FORMATS, read_references
from grader.draft.records import Reference, normalize_doi, normalize_text
from grader.draft.suggest import CueTable, load_cues, suggest
from grader.errors import InvalidInput, Problem

COLUMNS = (
    "position_id", "position", "advocate", "question", "outcome", "conceded_by",
    "study_id", "citation", "design", "year", "doi", "n", "n_studies", "included_designs",
    "randomized", "blinded", "control", "species", "peer_reviewed", "stopped_early",
    "retracted", "risk_of_bias", "inconsistency", "imprecision", "publication_bias",
    "large_effect", "dose_response", "plausible_confounding", "stance", "indirectness",
    "result", "cited_in_exchange", "characterization", "claimed_certainty", "notes",
)
"""The contract's columns (v2, §1), in its order."""

UNATTACHED = ("position_id", "position", "advocate", "stance")
"""Left blank on a drafted row: the user fills them for each position citing the study."""


@dataclass
class Drafted:
    """One drafted study: the reference it came from and its row."""

    reference: Reference
    row: dict[str, str]


@dataclass
class Draft:
    """The result of `grader draft`: rows, what was merged, and what to print."""

    input_format: str
    studies: list[Drafted]
    output: str = ""  # CSV or JSON text for stdout ("" when merged into a file)
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line for stderr: how many studies, how many designs suggested."""
        with_design = sum(1 for s in self.studies if s.row["design"])
        count = len(self.studies)
        return (f"drafted {count} {'study' if count == 1 else 'studies'} "
                f"({self.input_format}): "
                f"{with_design} designs suggested, {len(self.studies) - with_design} left "
                "blank; every design is a suggestion: check it, then fill position_id, "
                "position, advocate and stance and run `grader check`")


def draft(references: Path, *, into: Path | None = None, fmt: str = "csv",
          input_format: str | None = None, rubric: str | Path | None = None,
          cues: str | Path | None = None, write=None) -> Draft:
    """Read a reference list, suggest designs, and render rows or merge them into a CSV.

    `write(path, data)` writes the merged file (the atomic writer by default).
    """
    from grader.rubric import load_rubric

    if input_format is not None and input_format not in FORMATS:
        raise InvalidInput([Problem(str(references), None, None,
                                    f"unknown input format {input_format!r}; use one of: "
                                    f"{', '.join(FORMATS)}", code="unknown-format")])
    table = load_cues(load_rubric(rubric), cues)
    name, refs, read_warnings = read_references(Path(references), fmt=input_format)
    refs = merge_duplicates(refs)
    existing = _Existing.read(into) if into is not None and into.exists() else None
    studies = [Drafted(ref, draft_row(ref, table, references, name)) for ref in refs]
    result = Draft(name, studies, warnings=[*table.warnings, *read_warnings])
    new = studies
    if existing is not None:
        new = []
        for study in studies:
            match = next(((k, existing.keys[k]) for k in study.reference.keys()
                          if k in existing.keys), None)
            if match is None:
                new.append(study)
                continue
            key, (line, sid) = match
            result.skipped.append(f"skipped {id_stem(study.reference, table)}: already in "
                                  f"{into} line {line} as {sid or '(no study_id)'} "
                                  f"({_REASON[key.split(':', 1)[0]]})")
            study.row["study_id"] = sid
    taken = existing.study_ids if existing else set()
    for study, sid in zip(new, study_ids([s.reference for s in new], table, taken),
                          strict=True):
        study.row["study_id"] = sid
    if into is None:
        result.output = to_json(studies, name) if fmt == "json" else to_csv(studies)
        return result
    if write is None:
        from grader.write import write_atomic as write
    _merge_into(result, into, existing, new, write)
    return result


# ---------------------------------------------------------------------------- duplicates


def merge_duplicates(refs: list[Reference]) -> list[Reference]:
    """Every reference once: one matching another by DOI, PMID, author+year+title merges."""
    out: list[Reference] = []
    index: dict[str, int] = {}
    for ref in refs:
        hit = next((index[k] for k in ref.keys() if k in index), None)
        if hit is None:
            out.append(ref)
            hit = len(out) - 1
        else:
            out[hit] = out[hit].merged(ref)
        for key in out[hit].keys():
            index.setdefault(key, hit)
    return out


# ---------------------------------------------------------------------------- rows


def draft_row(ref: Reference, table: CueTable, path: Path | str, fmt: str) -> dict[str, str]:
    """The drafted row of one reference (study_id filled in later)."""
    found = suggest(ref, table)
    row = dict.fromkeys(COLUMNS, "")
    row.update(citation=citation(ref), design=found.design,
               year=str(ref.year or ""), doi=ref.doi)
    row.update({k: v for k, v in found.values.items() if k in row})
    where = f"{Path(path).name}:{ref.line}" if ref.line else Path(path).name
    also = f" (also at line {', '.join(map(str, ref.also_lines))})" if ref.also_lines else ""
    notes = [f"drafted from {where}{also}"] + found.notes
    if not ref.year:
        notes.append("no year found; fill year")
    if ref.url and not ref.title:
        notes.append("a URL reference: give its title and year in citation")
    row["notes"] = "; ".join(notes)
    return row


def citation(ref: Reference) -> str:
    """The reference as printed, or a Vancouver-style citation built from its fields."""
    if ref.text:
        return ref.text
    authors = list(ref.authors[:3]) + (["et al"] if len(ref.authors) > 3 else [])
    parts = [", ".join(authors)] if authors else []
    if ref.title:
        parts.append(ref.title.rstrip("."))
    source = ref.journal
    if ref.year:
        source = f"{source} {ref.year}".strip()
        if ref.volume:
            source += f";{ref.volume}" + (f"({ref.issue})" if ref.issue else "")
            if ref.pages:
                source += f":{ref.pages}"
    if source:
        parts.append(source)
    if ref.doi:
        parts.append(f"doi:{ref.doi}")
    if ref.pmid:
        parts.append(f"PMID: {ref.pmid}")
    if ref.url and not ref.doi:
        parts.append(ref.url)
    return ". ".join(p for p in parts if p) + "."


def id_stem(ref: Reference, table: CueTable) -> str:
    """First author's surname (ASCII) + year; an organisation or 'Ref' when there is none."""
    name = ref.first_author_surname
    if not name and ref.url:
        host = urlparse(ref.url).hostname or ""
        name = next((org for domain, org in table.organisations.items()
                     if host == domain or host.endswith("." + domain)), "")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9'-]", "", ascii_name)
    stem = re.sub(r"^[^A-Za-z]+", "", stem) or "Ref"
    return stem[:1].upper() + stem[1:] + (str(ref.year) if ref.year else "")


def study_ids(refs: list[Reference], table: CueTable, taken: set[str]) -> list[str]:
    """One id per reference: stem, or stem + a/b/… on a clash (with each other or `taken`).

    Clashing references are ordered by title, DOI and URL, not by file order, so the same
    references get the same ids however the list is sorted.
    """
    stems = [id_stem(r, table) for r in refs]
    ids = [""] * len(refs)
    taken_lower = {t.lower() for t in taken}
    for stem in dict.fromkeys(stems):
        group = [i for i, s in enumerate(stems) if s == stem]
        low = stem.lower()
        suffixed = any(t[:-1] == low and t[-1].isalpha() for t in taken_lower)
        if len(group) == 1 and low not in taken_lower and not suffixed:
            ids[group[0]] = stem
            continue
        group.sort(key=lambda i: (normalize_text(refs[i].title), refs[i].doi, refs[i].url))
        letters = (chr(c) for c in range(ord("a"), ord("z") + 1))
        for i in group:
            for letter in letters:
                candidate = stem + letter
                if candidate.lower() not in taken_lower and not (
                        letter == "a" and stem.lower() in taken_lower):
                    ids[i] = candidate
                    taken_lower.add(candidate.lower())
                    break
            else:
                ids[i] = f"{stem}_{group.index(i) + 1}"
    return ids


def to_csv(studies: list[Drafted], columns: tuple[str, ...] = COLUMNS,
           newline: str = "\n", delimiter: str = ",", header: bool = True) -> str:
    """The rows as CSV text, the contract's header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, delimiter=delimiter)
    if header:
        writer.writerow(columns)
    for study in studies:
        writer.writerow([study.row.get(c, "") for c in columns])
    return buffer.getvalue()


def to_json(studies: list[Drafted], input_format: str) -> str:
    """The rows and what they were read from, for scripts."""
    records = []
    for s in studies:
        ref = s.reference
        records.append({**{k: v for k, v in s.row.items() if k not in UNATTACHED}, "reference": {
            "authors": list(ref.authors), "title": ref.title, "journal": ref.journal,
            "year": ref.year, "volume": ref.volume, "issue": ref.issue, "pages": ref.pages,
            "doi": ref.doi or None, "pmid": ref.pmid or None,
            "publication_types": list(ref.publication_types), "ris_type": ref.ris_type or None,
            "keywords": list(ref.keywords), "url": ref.url or None, "line": ref.line}})
    return json.dumps({"input_format": input_format, "studies": records}, indent=2,
                      ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------- --into


@dataclass
class _Existing:
    """What an evidence file already holds: its bytes, dialect, ids and identity keys."""

    path: Path
    data: bytes
    header: list[str]
    newline: str
    delimiter: str
    study_ids: set[str]
    keys: dict[str, tuple[int, str]]  # key → (line, study_id)

    @classmethod
    def read(cls, path: Path) -> _Existing:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput([Problem(str(path), None, None,
                                        "not UTF-8 text; --into needs a UTF-8 CSV",
                                        code="not-utf8")]) from None
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        newline = "\r\n" if "\r\n" in text[:len(first) + 2] else "\n"
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise InvalidInput([Problem(str(path), reader.line_num, None,
                                        f"not readable as CSV: {exc}", code="not-csv")]) from None
        if not rows:
            return cls(path, data, [], newline, delimiter, set(), {})
        header = [re.sub(r"[\s\-]+", "_", h.strip().lower()) for h in rows[0]]
        ids, keys = set(), {}
        starts = _row_lines(text, delimiter)
        for number, cells in zip(starts[1:], rows[1:], strict=False):
            row = dict(zip(header, cells, strict=False))
            sid = row.get("study_id", "").strip()
            if sid:
                ids.add(sid)
            for key in _row_keys(row):
                keys.setdefault(key, (number, sid))
        return cls(path, data, header, newline, delimiter, ids, keys)


def _row_lines(text: str, delimiter: str) -> list[int]:
    """The line on which each CSV record starts (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts, last = [], 0
    for _ in reader:
        starts.append(last + 1)
        last = reader.line_num
    return starts


def _row_keys(row: dict[str, str]) -> list[str]:
    keys = []
    text = " ".join(row.get(c, "") for c in ("citation", "notes"))
    for doi in [row.get("doi", "")] + re.findall(r"\b10\.\d{4,9}/[^\s\"<>]+", text):
        if doi.strip():
            keys.append("doi:" + normalize_doi(doi.strip().rstrip(".,;)]")))
    keys += ["pmid:" + p for p in re.findall(r"\bPMID:?\s*(\d{6,9})\b", text)]
    if row.get("citation", "").strip():
        ref = parse_entry(row["citation"].strip(), None)
        year = row.get("year", "").strip()
        if year.isdigit():
            ref = replace(ref, year=int(year))
        keys += list(ref.keys())
    return keys


_REASON = {"doi": "same DOI", "pmid": "same PMID", "aty": "same first author, year and title",
           "url": "same URL"}


def _merge_into(result: Draft, into: Path, existing: _Existing | None,
                new: list[Drafted], write) -> None:
    result.added = [f"added {s.row['study_id']}" for s in new]
    if existing is None or not existing.header:
        if new:
            write(into, to_csv(new).encode("utf-8"))
        return
    left_out: dict[str, list[str]] = {}
    for study in new:
        for column, value in study.row.items():
            if value and column not in existing.header and column not in UNATTACHED:
                left_out.setdefault(column, []).append(study.row["study_id"])
    for column, ids in left_out.items():
        result.warnings.append(Problem(str(into), None, None,
            f"has no column {column}: the drafted {column} of {', '.join(ids)} is left out "
            "(add the column to the header to keep it)", "warning", code="column-left-out"))
    if not new:
        return
    columns = tuple(existing.header)
    text = to_csv(new, columns, existing.newline, existing.delimiter, header=False)
    data = existing.data
    if data and not data.endswith((b"\n", b"\r")):
        data += existing.newline.encode()
    write(into, data + text.encode("utf-8"))
