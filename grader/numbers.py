"""Whole-number cells as people type them: digit groups, decimal marks, dates in a year cell.

The rule (README, "Numbers"):

- Digits grouped by a space, a non-breaking or thin space, an apostrophe or an underscore
  (`4 716`, `1'522`) are read as thousands: none of these is ever a decimal mark.
- Digits grouped by `,` or `.` in groups of exactly three are read as thousands when the
  mark is unambiguous in the file: two or more groups (`1,234,567`), or a single group
  whose mark the file's other number cells never use as a decimal mark. A comma groups
  thousands unless the file writes decimal commas (`12,5`) or groups with points
  (`1.234.567`); a point groups thousands only when the file groups with points
  elsewhere or writes decimal commas (`1.234,5`), and never writes decimal points.
- Any other single group (`1.376` in a file that says nothing either way) could be read
  two ways, and is an error naming both readings: never rounded or guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SPACE_MARKS = " \u00a0\u202f\u2009'_"
_SPACE_GROUPED = re.compile(rf"\d{{1,3}}(?:[{SPACE_MARKS}]\d{{3}})+")
_DATE = re.compile(r"(\d{4})-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DAY_FIRST = re.compile(r"\d{1,2}[./-]\d{1,2}[./-](\d{4})")


@dataclass(frozen=True)
class Marks:
    """Which of ',' and '.' group thousands in one file (read from all its number cells)."""

    thousands: frozenset[str] = frozenset({","})


def _has_mark(text: str, marks: str) -> bool:
    """Whether text holds any of the marks: without one, no digit-group pattern can match (a
    shortcut: those patterns cost a fifth of validating 100,000 citations, issue 18)."""
    return any(mark in text for mark in marks)


def _grouped(mark: str, groups: str = "+") -> re.Pattern:
    return re.compile(rf"\d{{1,3}}(?:{re.escape(mark)}\d{{3}}){groups}")


def file_marks(values: Iterable[object]) -> Marks:
    """Decide from every number cell of a file which marks group thousands."""
    decimal, grouping = set(), set()
    for value in values:
        text = str(value).strip()
        if not _has_mark(text, ",."):
            continue  # plain digits (most cells) say nothing about marks
        for mark, other in ((",", "."), (".", ",")):
            if _grouped(mark, "{2,}").fullmatch(text):
                grouping.add(mark)
            elif re.fullmatch(rf"\d+{re.escape(mark)}\d+", text) and not \
                    _grouped(mark, "").fullmatch(text):
                decimal.add(mark)  # 12,5 or 0.75: a decimal mark
            elif re.fullmatch(rf"\d{{1,3}}(?:{re.escape(other)}\d{{3}})+{re.escape(mark)}\d+",
                              text):
                decimal.add(mark)  # 1.234,5: the other mark groups, this one is decimal
                grouping.add(other)
    thousands = set()
    if "," not in decimal and "." not in grouping:
        thousands.add(",")
    if "." not in decimal and ("." in grouping or "," in decimal):
        thousands.add(".")
    return Marks(frozenset(thousands))


def whole_number(text: str, marks: Marks = Marks()) -> str:
    """The digits of a grouped whole number; text unchanged when it is not one."""
    if not _has_mark(text, SPACE_MARKS + ",."):
        return text
    if _SPACE_GROUPED.fullmatch(text):
        return re.sub(rf"[{SPACE_MARKS}]", "", text)
    for mark in ",.":
        if _grouped(mark, "{2,}").fullmatch(text) or (
                mark in marks.thousands and _grouped(mark, "").fullmatch(text)):
            return text.replace(mark, "")
    return text


def ambiguous(text: str) -> tuple[str, str] | None:
    """The two readings of a single ',' or '.' group (as thousands, as a decimal), or None."""
    for mark in ",.":
        if _grouped(mark, "").fullmatch(text):
            return text.replace(mark, ""), text.replace(",", ".")
    return None


def date_year(text: str) -> str | None:
    """The year of a date typed (or formatted by a spreadsheet) in a year cell, or None."""
    match = _DATE.fullmatch(text) or _DAY_FIRST.fullmatch(text)
    return match.group(1) if match else None


def visible(text: str) -> str:
    """Text with invisible and look-alike spacing characters shown as <U+XXXX>."""
    import unicodedata

    return "".join(ch if ch == " " or unicodedata.category(ch)[0] not in "CZ"
                   else f"<U+{ord(ch):04X}>" for ch in text)
