"""Small pure formatting helpers, registered as Jinja filters."""

from __future__ import annotations

import re

from grader.safe_text import join_words, one_line
from grader.vocab import SYMBOLS, WORDS

LONG_CELL = 600
VERDICT_WORDS = {
    "supported": "Supported",
    "contested": "Contested",
    "contradicted": "Contradicted",
    "unsupported": "Unsupported",
    "confirmed": "Confirmed",
    "refuted": "Refuted",
    "disputed": "Disputed",
    "unchecked": "Not checked",
}
JUDGMENT_WORDS = {"not_serious": "not serious", "serious": "serious",
                  "very_serious": "very serious"}
JUDGMENT_MARKS = {"not_serious": "+", "serious": "−", "very_serious": "×", "not_assessed": "?"}


def symbols(level: str) -> str:
    """⊕ symbols for a certainty level (— for not rated)."""
    return SYMBOLS[level]


def words(level: str) -> str:
    """A certainty level in words."""
    return WORDS[level]


def verdict_word(verdict: str) -> str:
    """A verdict as a capitalised word."""
    return VERDICT_WORDS[verdict]


def judgment_word(judgment: str) -> str:
    """A domain judgment in words."""
    return JUDGMENT_WORDS[judgment]


def judgment_mark(judgment: str) -> str:
    """The symbol drawn inside a traffic-light cell."""
    return JUDGMENT_MARKS[judgment]


def count(n: object, singular: str, plural: str | None = None) -> str:
    """'1 study', '3 studies'."""
    number = int(n)  # type: ignore[arg-type]
    return f"{number:,} {singular if number == 1 else (plural or singular + 's')}"


def truncate(text: object, limit: int = LONG_CELL) -> str:
    """Cut very long cells for print, saying so visibly."""
    value = "" if text is None else str(text)
    if len(value) <= limit:
        return value
    return (value[:limit].rstrip() + f" … [cut at {limit} of {len(value):,} characters; "
            "full text in brief.json]")


def clip(text: object, limit: int = 120) -> str:
    """Shorten to a word boundary with an ellipsis (the full text is in the section)."""
    value = "" if text is None else str(text)
    if len(value) <= limit:
        return value
    return value[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


SHORT_CLAIM = 90
_CLAUSE_BREAKS = ("; ", ": ", " — ", ", so ")


def short_claim(text: object, limit: int = SHORT_CLAIM) -> str:
    """A claim's first clause, for naming it in a sentence (the full claim is in the table)."""
    value = "" if text is None else " ".join(str(text).split()).rstrip(".")
    for mark in _CLAUSE_BREAKS:
        head = value.split(mark, 1)[0]
        if 25 <= len(head) < len(value):
            value = head
            break
    if len(value) <= limit:
        return value
    return value[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def placeholders(template: str) -> str:
    """Show a reason template's {fields} as ‹fields› for readers."""
    return re.sub(r"\{(\w+)\}", "‹\\1›", template)


def doi_url(doi: str | None) -> str | None:
    """The https link of a DOI."""
    return f"https://doi.org/{doi}" if doi else None


def anchor(text: str) -> str:
    """A safe HTML id from a position id."""
    return "p-" + re.sub(r"[^a-z0-9_-]", "-", text.lower())


def letter(index: int) -> str:
    """Footnote letters: a … z, then aa, ab, …"""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(97 + rest) + out
    return out


_MD_BREAKS = re.compile(r"\r\n|[\n\r\t\v\f\x85\u2028\u2029]")
# Backslash-escaped everywhere: the characters of emphasis, code, links, tables, headings'
# closing #, strikethrough, entities, and the backslash itself (first, so a cell's own
# backslash cannot undo an escape). "(" needs none: no "]" is left to close a link text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#&])")
_MD_HTML_OPENER = re.compile(r"<(?=[A-Za-z/!?])")  # raw HTML or an autolink; "<15%" stays
_MD_IMAGE = re.compile(r"!(?=\\\[)")
# Block markers, where a value could start a line: - + = > (lists, setext, quotes), "1." .
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d{1,9}[.)](?=\s|$))")
# GFM turns bare URLs and www. names into links: break each trigger with a character
# reference (rendered as the same character, never as a link). GFM's e-mail autolinks
# (mailto:) cannot be stopped by any escape; they only open a mail program.
_MD_AUTOLINK = ((re.compile(r":(?=//)"), "&#58;"), (re.compile(r"(?<=www)\.", re.I), "&#46;"))


def markdown_inline(text: str) -> str:
    """Cell text as inert Markdown: one line, no markup, no raw HTML, no link or image.

    Line breaks become spaces (a table row stays one row), other control, bidi and
    zero-width characters are shown escaped (safe_text.one_line); then every character
    that could start markup is escaped. The rendered text reads as the user typed it.
    """
    value = one_line(_MD_BREAKS.sub(" ", text))
    value = _MD_SPECIAL.sub(r"\\\1", value)
    value = _MD_HTML_OPENER.sub(r"\\<", value)
    value = _MD_IMAGE.sub(r"\\!", value)
    value = _MD_LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1],
                               value)
    for pattern, reference in _MD_AUTOLINK:
        value = pattern.sub(reference, value)
    return value


FILTERS = {f.__name__: f for f in (symbols, words, verdict_word, judgment_word, judgment_mark,
                                   count, truncate, clip, short_claim, placeholders, doi_url,
                                   join_words, anchor, letter)}
