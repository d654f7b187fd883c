"""One record type for a reference, whatever format it was read from."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Reference:
    """A cited work as read from a reference list; every field but `source` may be empty."""

    authors: tuple[str, ...] = ()  # "Surname Initials" (or an organisation), in order
    year: int | None = None
    title: str = ""
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    publication_types: tuple[str, ...] = ()  # PubMed's, where the format carries them
    ris_type: str = ""
    keywords: tuple[str, ...] = ()
    abstract: str = ""
    url: str = ""
    source: str = ""  # the format read: ris, bibtex, medline, pubmed_xml, csl_json, ...
    line: int | None = None  # where the record starts in its file, when known
    text: str = ""  # the reference as printed (plain-text lists), else empty
    also_lines: tuple[int, ...] = field(default=(), compare=False)

    @property
    def first_author_surname(self) -> str:
        """The first author's surname (or an organisation's first word), as printed."""
        if not self.authors:
            return ""
        first = self.authors[0].strip()
        if "," in first:
            return first.split(",")[0].strip()
        words = first.split()
        if len(words) > 1 and _is_initials(words[-1]):
            return " ".join(words[:-1])
        return words[0] if words else ""

    def keys(self) -> tuple[str, ...]:
        """Identity keys: DOI, PMID, first author + year + title, URL (each if known)."""
        out = []
        if self.doi:
            out.append("doi:" + normalize_doi(self.doi))
        if self.pmid:
            out.append("pmid:" + self.pmid)
        title = normalize_text(self.title)
        if title:
            out.append(f"aty:{normalize_text(self.first_author_surname)}|{self.year}|{title}")
        if self.url and not title:
            out.append("url:" + self.url.rstrip("/").lower())
        return tuple(out)

    def merged(self, other: Reference) -> Reference:
        """This reference with blanks filled from `other` (a duplicate of it)."""
        changes = {}
        for name in ("year", "title", "journal", "volume", "issue", "pages", "doi", "pmid",
                     "ris_type", "abstract", "url", "text"):
            if not getattr(self, name) and getattr(other, name):
                changes[name] = getattr(other, name)
        if len(other.authors) > len(self.authors):
            changes["authors"] = other.authors
        for name in ("publication_types", "keywords"):
            extra = tuple(v for v in getattr(other, name) if v not in getattr(self, name))
            if extra:
                changes[name] = getattr(self, name) + extra
        if other.line is not None:
            changes["also_lines"] = self.also_lines + (other.line,)
        return replace(self, **changes)


def normalize_doi(doi: str) -> str:
    """A DOI without its resolver prefix, lower case (DOIs are case-insensitive)."""
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi.strip(), flags=re.I)
    return doi.rstrip(".").lower()


def normalize_text(text: str) -> str:
    """Lower-case ASCII letters and digits only: for matching titles and names."""
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode().lower())


def _is_initials(word: str) -> bool:
    return bool(re.fullmatch(r"(?:[A-Z]\.?-?){1,4}|[A-Z][a-z]?[A-Z]{0,3}", word)) and len(
        word) <= 5 and word[0].isupper() and not word[1:].islower()
