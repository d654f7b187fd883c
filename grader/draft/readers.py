"""Read a reference list: one reader per format, all giving Reference records."""

from __future__ import annotations

import io
import json
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from grader.draft.records import Reference, normalize_doi
from grader.errors import InvalidInput, Problem

FORMATS = ("ris", "bibtex", "medline", "pubmed_xml", "endnote_xml", "csl_json", "text")
EXTENSIONS = {".ris": "ris", ".bib": "bibtex", ".bibtex": "bibtex", ".nbib": "medline",
              ".medline": "medline", ".json": "csl_json", ".txt": "text", ".md": "text"}
DOI_RE = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")
YEAR_RE = re.compile(r"(?<![\d.])(1[89]\d\d|20\d\d)(?![\d.])")


def read_references(path: Path, data: bytes | None = None,
                    fmt: str | None = None) -> tuple[str, list[Reference], list[Problem]]:
    """The format (detected unless given), the references of a file in file order, and
    warnings (records with nothing to cite, skipped)."""
    name = str(path)
    data = path.read_bytes() if data is None else data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InvalidInput([Problem(name, line, None, "not UTF-8 text; save the file as "
                                    "UTF-8 (export with Unicode encoding)",
                                    code="not-utf8")]) from None
    if not text.strip():
        raise InvalidInput([Problem(name, None, None, "the file is empty; export the "
                                    "references again", code="empty-file")])
    fmt = fmt or detect_format(path, text)
    refs = READERS[fmt](text, name)
    empty = [i for i, r in enumerate(refs) if not (r.title or r.authors or r.url or r.doi)]
    warnings = [Problem(name, refs[i].line, None, f"record {i + 1} has no title, author, DOI "
                        "or URL; skipped", "warning", code="empty-record") for i in empty]
    refs = [r for i, r in enumerate(refs) if i not in set(empty)]
    if not refs:
        raise InvalidInput(warnings + [Problem(name, None, None,
            f"no references found (read as {fmt}); {HINTS[fmt]}", code="no-references")])
    return fmt, refs, warnings


HINTS = {
    "ris": "each RIS record starts with 'TY  - JOUR' and ends with an 'ER  - ' line",
    "bibtex": "each entry looks like @article{key, author = {…}, title = {…}, year = {…}}; "
              "check that every brace is closed",
    "medline": "each MEDLINE record starts with a 'PMID- ' line (PubMed: Send to → Citation "
               "manager)",
    "pubmed_xml": "the file holds no <PubmedArticle> records",
    "endnote_xml": "the file holds no <record> elements (EndNote: File → Export → XML)",
    "csl_json": "CSL-JSON is a list of items with title, author and issued",
    "text": "a plain-text list needs one reference per numbered or bulleted entry, e.g. "
            "'1. Smith J, Doe A. Title. Journal 2020;1:1-9'",
}


def detect_format(path: Path, text: str) -> str:
    """Tell the format by content first, then by the file's extension."""
    head = text.lstrip()[:4000]
    if head.startswith("<"):
        if re.search(r"<PubmedArticle(Set)?\b|<PubmedBookArticle\b", head):
            return "pubmed_xml"
        if re.search(r"<records?\b", head) and re.search(r"<ref-type\b|<titles\b", text):
            return "endnote_xml"
    if head[:1] in "[{":
        try:
            json.loads(text)
            return "csl_json"
        except ValueError:
            if path.suffix.lower() == ".json":
                return "csl_json"  # let the reader report where it breaks
    if re.search(r"^TY  - ", text, re.M):
        return "ris"
    if re.search(r"^PMID- ", text, re.M):
        return "medline"
    if re.search(r"^\s*@\s*[A-Za-z]+\s*[{(]", text, re.M):
        return "bibtex"
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return "pubmed_xml" if "PubmedArticle" in text else "endnote_xml"
    return EXTENSIONS.get(suffix, "text")


# ---------------------------------------------------------------------------- helpers


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _year(text: str | None) -> int | None:
    found = YEAR_RE.search(text or "")
    return int(found.group(1)) if found else None


def _doi(text: str | None) -> str:
    found = DOI_RE.search(text or "")
    return normalize_doi(found.group(0).rstrip(".,;)]")) if found else ""


def _person(family: str, given: str = "") -> str:
    """'Surname Initials' from a family name and given names ('Boulware', 'David R.')."""
    family, given = _clean(family), _clean(given)
    if not given:
        return family
    initials = "".join(p[0].upper() for p in re.split(r"[\s.\-]+", given) if p)
    return f"{family} {initials}"


def _comma_name(name: str) -> str:
    """'Boulware, David R' → 'Boulware DR'; other spellings pass through."""
    name = _clean(name).strip("{} ")
    if "," in name:
        family, given = name.split(",", 1)
        return _person(family, given)
    return name


def _lines_of(text: str, pattern: str) -> list[int]:
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(pattern, text, re.M)]


def _at(refs: list[Reference], lines: list[int]) -> list[Reference]:
    if len(lines) != len(refs):
        return refs
    return [replace(r, line=line) for r, line in zip(refs, lines, strict=True)]


# ---------------------------------------------------------------------------- RIS


def read_ris(text: str, name: str) -> list[Reference]:
    """RIS (Zotero, EndNote, Mendeley, PubMed's citation manager export) via rispy."""
    import rispy

    try:
        entries = rispy.loads(text, skip_unknown_tags=True)
    except (rispy.parser.ParseError, ValueError, IndexError) as exc:
        raise InvalidInput([Problem(name, _error_line(exc), None,
                                    f"not valid RIS: {exc}", code="not-ris")]) from None
    refs = []
    for e in entries:
        authors = e.get("authors") or e.get("first_authors") or []
        pages = e.get("start_page", "")
        if e.get("end_page"):
            pages = f"{pages}-{e['end_page']}"
        notes = " ".join(e.get("notes", []) or [])
        accession = str(e.get("accession_number") or "").strip()
        pmid = accession if accession.isdigit() else (
            m.group(1) if (m := re.search(r"PMID:?\s*(\d{6,9})\b", notes)) else "")
        types = [k for k in (e.get("custom3"), e.get("type_of_work")) if k]
        urls = e.get("urls") or []
        refs.append(Reference(
            authors=tuple(_comma_name(a) for a in authors),
            year=_year(e.get("year") or e.get("publication_year") or e.get("date")),
            title=_clean(e.get("title") or e.get("primary_title")),
            journal=_clean(e.get("journal_name") or e.get("secondary_title")
                           or e.get("alternate_title1") or e.get("alternate_title3")),
            volume=_clean(e.get("volume")), issue=_clean(e.get("number")), pages=pages,
            doi=normalize_doi(e.get("doi", "")) if e.get("doi") else "",
            pmid=pmid,
            publication_types=tuple(t.strip() for k in types for t in re.split(r"[;\n]", k)
                                    if t.strip()),
            ris_type=e.get("type_of_reference", ""),
            keywords=tuple(e.get("keywords") or ()),
            abstract=_clean(e.get("abstract")),
            url=urls[0] if urls else "",
            source="ris"))
    return _at(refs, _lines_of(text, r"^TY  - "))


def _error_line(exc: Exception) -> int | None:
    m = re.search(r"line (\d+)", str(exc), re.I)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------- BibTeX


def read_bibtex(text: str, name: str) -> list[Reference]:
    """BibTeX (Zotero, JabRef, Google Scholar) via bibtexparser 1.x."""
    # bibtexparser 1.4 builds its grammar with pyparsing names that pyparsing ≥ 3.3 warns
    # about; the warning is about the library's grammar, not the user's file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bibtexparser
        from bibtexparser.bparser import BibTexParser
        from bibtexparser.customization import convert_to_unicode

        parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
        parser.customization = convert_to_unicode
        try:
            db = bibtexparser.loads(text, parser=parser)
        except Exception as exc:  # pyparsing raises its own types
            raise InvalidInput([Problem(name, _error_line(exc), None,
                                        f"not valid BibTeX: {exc}", code="not-bibtex")]) from None
    refs = []
    for e in db.entries:
        authors = re.split(r"\s+and\s+", e.get("author", "")) if e.get("author") else []
        note = e.get("note", "")
        pmid = e.get("pmid", "") or (m.group(1) if (m := re.search(r"PMID:?\s*(\d+)", note))
                                     else "")
        types = [t.strip() for t in re.split(r"[;,]", e.get("publication_type", "")
                                             or e.get("pubtype", "")) if t.strip()]
        refs.append(Reference(
            authors=tuple(_comma_name(a) for a in authors if a.strip()),
            year=_year(e.get("year") or e.get("date")),
            title=_clean(e.get("title", "").replace("{", "").replace("}", "")),
            journal=_clean(e.get("journal") or e.get("journaltitle") or e.get("booktitle")
                           or e.get("publisher")),
            volume=_clean(e.get("volume")), issue=_clean(e.get("number")),
            pages=_clean(e.get("pages", "")).replace("--", "-"),
            doi=normalize_doi(e["doi"]) if e.get("doi") else _doi(note),
            pmid=pmid, publication_types=tuple(types),
            keywords=tuple(k.strip() for k in re.split(r"[;,]", e.get("keywords", ""))
                           if k.strip()),
            abstract=_clean(e.get("abstract")), url=e.get("url", ""),
            ris_type="UNPB" if e.get("ENTRYTYPE") == "unpublished" else "",
            source="bibtex"))
    # bibtexparser returns entries in file order; find each entry's line by its key.
    lines = [_line_of_key(text, e.get("ID", "")) for e in db.entries]
    return [replace(r, line=line) for r, line in zip(refs, lines, strict=True)]


def _line_of_key(text: str, key: str) -> int | None:
    m = re.search(r"^\s*@\s*\w+\s*[{(]\s*" + re.escape(key) + r"\s*,", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


# ---------------------------------------------------------------------------- MEDLINE


def read_medline(text: str, name: str) -> list[Reference]:
    """PubMed's MEDLINE format (.nbib, 'Save → PubMed' .txt) via Biopython's Bio.Medline."""
    from Bio import Medline

    refs = []
    for rec in Medline.parse(io.StringIO(text)):
        doi = ""
        for ident in (rec.get("LID", ""), *rec.get("AID", [])):
            for part in ([ident] if isinstance(ident, str) else ident):
                if "[doi]" in part:
                    doi = normalize_doi(part.replace("[doi]", ""))
        if isinstance(rec.get("LID"), list):
            for part in rec["LID"]:
                if "[doi]" in part:
                    doi = normalize_doi(part.replace("[doi]", ""))
        authors = rec.get("AU") or []
        if rec.get("CN"):
            cn = rec["CN"] if isinstance(rec["CN"], list) else [rec["CN"]]
            authors = [*cn, *authors] if not authors else authors
        refs.append(Reference(
            authors=tuple(authors), year=_year(rec.get("DP")),
            title=_clean(rec.get("TI")).rstrip("."),
            journal=_clean(rec.get("TA") or rec.get("JT")),
            volume=_clean(rec.get("VI")), issue=_clean(rec.get("IP")),
            pages=_clean(rec.get("PG")), doi=doi, pmid=_clean(rec.get("PMID")),
            publication_types=tuple(rec.get("PT") or ()),
            keywords=tuple([*(rec.get("OT") or ()), *(rec.get("MH") or ())]),
            abstract=_clean(rec.get("AB")), source="medline"))
    return _at(refs, _lines_of(text, r"^PMID- "))


# ---------------------------------------------------------------------------- XML


def _parse_xml(text: str, name: str) -> ET.Element:
    if "<!DOCTYPE" in text and "<!ENTITY" in text:
        raise InvalidInput([Problem(name, None, None,
                                    "XML with entity declarations is refused; export again",
                                    code="xml-entities")])
    text = re.sub(r"<!DOCTYPE[^>]*>", "", text, count=1)
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InvalidInput([Problem(name, line, None, f"not valid XML: {exc.msg}",
        code="not-xml")]) from None


def _txt(elem: ET.Element | None) -> str:
    return _clean("".join(elem.itertext())) if elem is not None else ""


def read_pubmed_xml(text: str, name: str) -> list[Reference]:
    """PubMed XML (efetch, 'Save → XML') with the standard library."""
    root = _parse_xml(text, name)
    refs = []
    for art in root.iter("PubmedArticle"):
        cit = art.find("MedlineCitation")
        a = cit.find("Article") if cit is not None else None
        if a is None:
            continue
        authors = []
        for au in a.findall("AuthorList/Author"):
            if au.find("CollectiveName") is not None:
                authors.append(_txt(au.find("CollectiveName")))
            else:
                authors.append(_person(_txt(au.find("LastName")), _txt(au.find("Initials"))))
        date = a.find("Journal/JournalIssue/PubDate")
        year = _year(_txt(date)) if date is not None else None
        doi = ""
        for ident in art.findall("PubmedData/ArticleIdList/ArticleId"):
            if ident.get("IdType") == "doi":
                doi = normalize_doi(_txt(ident))
        for loc in a.findall("ELocationID"):
            if loc.get("EIdType") == "doi" and not doi:
                doi = normalize_doi(_txt(loc))
        refs.append(Reference(
            authors=tuple(a for a in authors if a), year=year,
            title=_txt(a.find("ArticleTitle")).rstrip("."),
            journal=_txt(a.find("Journal/ISOAbbreviation")) or _txt(a.find("Journal/Title")),
            volume=_txt(a.find("Journal/JournalIssue/Volume")),
            issue=_txt(a.find("Journal/JournalIssue/Issue")),
            pages=_txt(a.find("Pagination/MedlinePgn")), doi=doi,
            pmid=_txt(cit.find("PMID")),
            publication_types=tuple(_txt(p) for p in
                                    a.findall("PublicationTypeList/PublicationType")),
            keywords=tuple(_txt(k) for k in cit.findall("KeywordList/Keyword")),
            abstract=" ".join(_txt(p) for p in a.findall("Abstract/AbstractText")),
            source="pubmed_xml"))
    return refs


def read_endnote_xml(text: str, name: str) -> list[Reference]:
    """EndNote XML (File → Export → XML) with the standard library."""
    root = _parse_xml(text, name)
    refs = []
    for rec in root.iter("record"):
        authors = [_comma_name(_txt(au)) for au in rec.findall("contributors/authors/author")]
        url = _txt(rec.find("urls/related-urls/url")) or _txt(rec.find("urls/web-urls/url"))
        ref_type = rec.find("ref-type")
        kind = ref_type.get("name", "") if ref_type is not None else ""
        types = [t.strip() for t in re.split(r"[;\n]", _txt(rec.find("work-type"))) if t.strip()]
        accession = _txt(rec.find("accession-num"))
        refs.append(Reference(
            authors=tuple(a for a in authors if a), year=_year(_txt(rec.find("dates/year"))),
            title=_txt(rec.find("titles/title")),
            journal=_txt(rec.find("titles/secondary-title"))
            or _txt(rec.find("periodical/full-title")),
            volume=_txt(rec.find("volume")), issue=_txt(rec.find("number")),
            pages=_txt(rec.find("pages")),
            doi=_doi(_txt(rec.find("electronic-resource-num"))),
            pmid=accession if accession.isdigit() else "",
            publication_types=tuple(types),
            ris_type={"Personal Communication": "PCOMM", "Unpublished Work": "UNPB",
                      "Government Document": "GOVDOC", "Newspaper Article": "NEWS"}.get(kind, ""),
            keywords=tuple(_txt(k) for k in rec.findall("keywords/keyword")),
            abstract=_txt(rec.find("abstract")), url=url, source="endnote_xml"))
    return refs


# ---------------------------------------------------------------------------- CSL-JSON


def read_csl_json(text: str, name: str) -> list[Reference]:
    """CSL-JSON (Zotero 'Export → CSL JSON', citation.js, Better BibTeX)."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput([Problem(name, exc.lineno, None,
                                    f"not valid JSON: {exc.msg}", code="not-json")]) from None
    if isinstance(items, dict):
        items = items.get("items", [items])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidInput([Problem(name, None, None, "CSL-JSON must be a list of items "
                                    "(objects with title, author, issued, …)",
                                    code="not-csl-json")])
    refs = []
    for item in items:
        authors = []
        for au in item.get("author", []) or []:
            if "literal" in au:
                authors.append(_clean(au["literal"]))
            elif au.get("family"):
                authors.append(_person(au["family"], au.get("given", "")))
        parts = (item.get("issued") or {}).get("date-parts") or [[None]]
        year = parts[0][0] if parts and parts[0] else None
        year = int(year) if str(year or "").isdigit() else _year(
            str((item.get("issued") or {}).get("raw", "")))
        kw = item.get("keyword", "")
        types = item.get("publication-type") or item.get("genre") or ""
        refs.append(Reference(
            authors=tuple(authors), year=year, title=_clean(item.get("title")),
            journal=_clean(item.get("container-title-short") or item.get("journalAbbreviation")
                           or item.get("container-title")),
            volume=str(item.get("volume", "") or ""), issue=str(item.get("issue", "") or ""),
            pages=str(item.get("page", "") or ""),
            doi=normalize_doi(item["DOI"]) if item.get("DOI") else "",
            pmid=str(item.get("PMID", "") or ""),
            publication_types=tuple(t.strip() for t in re.split(r"[;\n]", str(types))
                                    if t.strip()),
            ris_type="UNPB" if item.get("type") in ("article", "manuscript") and not
            item.get("container-title") else "",
            keywords=tuple(k.strip() for k in re.split(r"[;,]", kw) if k.strip())
            if isinstance(kw, str) else tuple(kw),
            abstract=_clean(item.get("abstract")), url=item.get("URL", "") or "",
            source="csl_json"))
    return refs


# ---------------------------------------------------------------------------- plain text


def read_text(text: str, name: str) -> list[Reference]:
    """Plain-text reference lists as printed under 'References' (Vancouver/AMA style)."""
    from grader.draft.plaintext import entries, parse_entry

    return [parse_entry(body, line) for body, line in entries(text)]


READERS = {"ris": read_ris, "bibtex": read_bibtex, "medline": read_medline,
           "pubmed_xml": read_pubmed_xml, "endnote_xml": read_endnote_xml,
           "csl_json": read_csl_json, "text": read_text}
