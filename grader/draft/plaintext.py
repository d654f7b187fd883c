"""Plain-text reference lists: find the entries, then split each into its parts."""

from __future__ import annotations

import re

from grader.draft.records import Reference, normalize_doi

HEADING = re.compile(r"^\s*(?:#+\s*|\*\*)?(?:references|bibliography|works cited|"
                     r"literature cited)\b[\s:*]*$", re.I)
MARKER = re.compile(r"^\s*(?:\[\d{1,3}\]|\(?\d{1,3}[.)](?=\s)|[-*•–·]\s)\s*")
URL_RE = re.compile(r"https?://[^\s<>)\]]+")
DOI_RE = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")
YEAR_RE = re.compile(r"(?<![\d./])(1[89]\d\d|20\d\d)(?![\d/])")


def entries(text: str) -> list[tuple[str, int]]:
    """(entry text, first line) of each reference under a References heading.

    Without a heading the whole file is read as a list. Entries start at a number
    (`1.`, `[1]`, `1)`) or a bullet; a line continues the entry before it when that
    entry has no year yet, does not end like a reference, starts in lower case or is
    indented; a blank line ends the list only when the entry before it was complete.
    """
    lines = text.splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if HEADING.match(line)]
    sections = starts or [0]
    out = []
    for start in sections:
        out += _section(lines, start)
    return out


def _section(lines: list[str], start: int) -> list[tuple[str, int]]:
    found: list[list] = []  # [text, line]
    blank_before = False
    for i in range(start, len(lines)):
        raw = lines[i]
        if HEADING.match(raw) and i != start - 1:
            break
        if not raw.strip():
            blank_before = True
            continue
        if re.match(r"^\s*#", raw) and found:
            break
        marker = MARKER.match(raw)
        body = _unmark(raw[marker.end():] if marker else raw)
        if marker and (_looks_like_reference_start(body) or re.match(r"\s*[\[(]?\d", raw)):
            found.append([body, i + 1])
        elif found and _continues(found[-1][0], raw, body, blank_before):
            found[-1][0] = _join(found[-1][0], body)
        elif found:
            break  # the list has ended (a signature, the next paragraph)
        elif not marker and _complete(body) and _looks_like_reference_start(body) and (
                re.search(r"\b(19|20)\d\d\b", body) and (";" in body or DOI_RE.search(body))):
            found.append([body, i + 1])  # an unnumbered list: one reference per line
        blank_before = False
    return [(t, line) for t, line in found]


PARTICLES = re.compile(r"(?:de|da|di|del|della|dos|du|van|von|der|den|le|la|ten|ter|al|el)"
                       r"\s+[A-Z]")


def _looks_like_reference_start(body: str) -> bool:
    """Starts like a reference: a capital, a URL, or a surname particle ('de Melo GD')."""
    return bool(body) and (body[0].isupper() or body.startswith(("http", "www.", "[", "<"))
                           or bool(PARTICLES.match(body)))


def _continues(entry: str, raw: str, body: str, blank_before: bool) -> bool:
    if not _complete(entry):
        return True
    if blank_before:
        return False
    return body[:1].islower() or raw[:1] in " \t"


def _complete(entry: str) -> bool:
    """An entry that already has a year and ends like a reference (pages, a DOI, ')')."""
    if URL_RE.fullmatch(entry.strip()):
        return True
    if not YEAR_RE.search(URL_RE.sub("", entry)):
        return False
    return bool(re.search(r"[\d.)\]>]$|\w\d+$|[a-z]\d+\w*$", entry.rstrip()))


def _join(a: str, b: str) -> str:
    if a.endswith("-") and not a.endswith(" -"):
        return a + b  # a word broken at a hyphen keeps its hyphen ("first-" + "generation")
    return f"{a} {b}"


def _unmark(text: str) -> str:
    """Markdown to text: links to their URL, emphasis and escapes removed, TeX μ/δ."""
    text = re.sub(r"\[([^\]]*)\]\((https?://[^)]+)\)", r"\2", text)
    text = re.sub(r"\$\\(mu|delta|kappa|alpha|beta)\$",
                  lambda m: {"mu": "μ", "delta": "δ", "kappa": "κ", "alpha": "α",
                             "beta": "β"}[m.group(1)], text)
    text = re.sub(r"\\([_*\[\]()#])", r"\1", text)
    text = text.replace("\\\\", "\\").replace("**", "").replace("*", "")
    return re.sub(r"\s+", " ", text).strip()


def parse_entry(text: str, line: int | None) -> Reference:
    """Split one Vancouver/AMA reference into authors, title, journal, year, volume, pages."""
    text = text.replace("\\_", "_")
    url = (URL_RE.search(text).group(0).rstrip(".,;") if URL_RE.search(text) else "")
    doi_match = DOI_RE.search(text)
    doi = normalize_doi(doi_match.group(0).rstrip(".,;)]")) if doi_match else ""
    pmid = m.group(1) if (m := re.search(r"\bPMID:?\s*(\d{6,9})\b", text)) else ""
    if url and URL_RE.sub("", text).strip(" .;<>") == "":
        return Reference(year=_url_year(url), url=url, doi=doi, text=text, source="text",
                         line=line)
    bare = re.sub(r"\s*\b(?:doi:?\s*|https?://(?:dx\.)?doi\.org/)10\.\S+", "", text, flags=re.I)
    bare = URL_RE.sub("", re.sub(r"\s*\bPMID:?\s*\d+\.?", "", bare)).strip()
    authors, rest = _split_authors(bare)
    title, rest = _split_title(rest)
    journal, year, volume, issue, pages = _source(rest)
    if year is None:
        found = YEAR_RE.search(bare)
        year = int(found.group(1)) if found else None
    return Reference(authors=authors, year=year, title=title, journal=journal, volume=volume,
                     issue=issue, pages=pages, doi=doi, pmid=pmid, url=url, text=text,
                     source="text", line=line)


def _split_authors(text: str) -> tuple[tuple[str, ...], str]:
    """The author block ends at the first '. ' or ': ' (after 'et al' or initials)."""
    cut = re.search(r"[.:]\s", text)
    if not cut or cut.start() > 400:
        return (), text
    block, rest = text[:cut.start()], text[cut.end():]
    names = [n.strip() for n in re.split(r",\s*|;\s*|\s+and\s+", block) if n.strip()]
    names = [re.sub(r"\s*\bet al\.?$", "", n).strip() for n in names]
    return tuple(n for n in names if n and n.lower() != "et al"), rest


def _split_title(text: str) -> tuple[str, str]:
    m = re.search(r"(?<=[^.\s][.?!])\s+(?=\S)", text)
    if not m:
        return text.strip().rstrip("."), ""
    title = text[:m.start()].strip()
    return (title[:-1] if title.endswith(".") else title), text[m.end():]


def _source(text: str) -> tuple[str, int | None, str, str, str]:
    """Journal, year, volume, issue, pages from 'N Engl J Med. 2020;383(6):517-525'."""
    m = YEAR_RE.search(text)
    if not m:
        return text.strip(" ."), None, "", "", ""
    journal = text[:m.start()].strip(" .;,(")
    journal = re.sub(r"\s*\((?:online|epub|published).*$", "", journal, flags=re.I).strip()
    tail = text[m.end():]
    vol = re.search(r"^[^;:]*?;\s*(\w+)\s*(?:\(([^)]*)\))?\s*:\s*([\w\-–]+)", tail)
    volume, issue, pages = (vol.group(1), vol.group(2) or "", vol.group(3)) if vol else (
        "", "", "")
    return journal, int(m.group(1)), volume, issue, pages.replace("–", "-")


def _url_year(url: str) -> int | None:
    m = re.search(r"/(19[89]\d|20\d\d)/", url)
    return int(m.group(1)) if m else None
