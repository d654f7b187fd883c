"""Problems found in user input, and the exception that carries them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from grader.safe_text import one_line

CODES: dict[str, str] = {
    # reading: the file as bytes, text and records (grader/read.py)
    "not-a-file": "the path is a folder, FIFO, device or socket, not a regular file",
    "too-large": "the file (or what a workbook or PDF unzips to) is over --max-size",
    "too-many-rows": "more citation rows than --max-rows",
    "nul-byte": "a NUL byte: a binary file or UTF-16 without a byte-order mark",
    "not-utf8": "the text is not UTF-8 (nor, for evidence, Windows-1252)",
    "bad-utf16": "starts with a UTF-16 byte-order mark but does not decode as UTF-16",
    "decoded-utf16": "warning: not UTF-8, decoded as UTF-16 (byte-order mark)",
    "decoded-cp1252": "warning: not UTF-8, decoded as Windows-1252",
    "empty-file": "no header and no rows (or no text at all)",
    "cell-too-long": "a cell longer than the cell limit",
    "unclosed-quote": "a quoted cell is never closed",
    "bad-csv-row": "a row the CSV reader cannot parse (text after a closing quote, …)",
    "not-a-workbook": "an .xlsx that does not open as a workbook",
    "unknown-sheet": "--sheet names no sheet of the workbook",
    "chart-sheet": "the sheet asked for is a chart, with no cells",
    "no-cell-sheet": "the workbook has no sheet with cells",
    "sheet-chosen": "warning: which sheet of several was read",
    "formula-without-value": "a formula cell whose value the file does not store",
    "cell-outside-table": "a cell to the right of the header's last column",
    # validating: header, cells, groups, rows (grader/validate.py)
    "duplicate-column": "a column appears twice in the header",
    "unknown-column": "warning: a header name that is not a contract column (ignored)",
    "missing-column": "a required column is missing from the header",
    "no-citation-rows": "a header but no citation rows",
    "too-many-cells": "a row with more cells than the header",
    "required-blank": "a required cell is blank",
    "not-an-id": "not a valid position id (lower-case slug)",
    "not-a-study-id": "not a valid study id",
    "not-allowed": "a value outside the column's allowed values",
    "unknown-design": "a design the rubric does not know",
    "not-yes-no": "not yes or no",
    "not-a-whole-number": "a number cell that is not a whole number",
    "negative-number": "a negative number where a count is needed",
    "ambiguous-number": "a number that reads two ways (thousands or decimal mark)",
    "too-small": "a number below the column's minimum",
    "too-many-digits": "a number with more digits than allowed",
    "future-year": "a publication year in the future",
    "not-a-doi": "not a DOI",
    "failed-check": "a cell fails another check of the contract",
    "date-as-year": "warning: a date in a year cell, read as its year",
    "conflicting-values": "a study's or position's column disagrees between its rows",
    "missing-in-group": "a study or position gives a required column on none of its rows",
    "likely-typo": "an id one small edit from another id: most likely a typo of it",
    "study-not-cited": "a study row with no position_id and no stance",
    "duplicate-citation": "a study cited twice on one position",
    "contradicts-design": "a cell that contradicts the study's design (randomized, species)",
    # rubric, settings and cue files (grader/rubric.py, build.py, draft/suggest.py)
    "not-toml": "not valid TOML",
    "set-twice": "a TOML key given twice",
    "invalid-rubric": "a rubric value missing, of the wrong type or inconsistent",
    "unknown-setting": "warning: a settings key grader does not know (ignored)",
    "not-text": "a setting that must be text is not",
    "invalid-cues": "a design-cue file value missing or inconsistent",
    "invalid-regex": "a pattern that is not a valid regular expression",
    "unknown-cue-design": "warning: a cue names a design the rubric lacks (ignored)",
    # briefs and other files (grader/extract.py, scaffold.py, draft/)
    "not-a-pdf": "not a PDF file",
    "damaged-pdf": "a PDF that cannot be read (damaged or truncated)",
    "no-attachment": "a brief PDF without an attached evidence file",
    "several-attachments": "a PDF with several attached files, none the evidence",
    "file-exists": "the file to write exists; not overwritten without --force",
    "wrong-suffix": "the output name's kind (CSV, .xlsx) differs from the attached file's",
    "unknown-format": "an input format grader does not read",
    "not-csv": "--into is not readable as CSV",
    "column-left-out": "warning: a drafted value for a column the file lacks",
    "empty-record": "warning: a reference record with no title, author, DOI or URL",
    "no-references": "no references found in the file",
    "not-ris": "not valid RIS",
    "not-bibtex": "not valid BibTeX",
    "not-xml": "not valid XML",
    "xml-entities": "XML with entity declarations (refused)",
    "not-json": "not valid JSON",
    "not-csl-json": "JSON that is not a list of CSL items",
}
"""Every problem's stable code and its meaning, declared once (README: JSON)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in an input file."""

    path: str
    line: int | None
    column: str | None
    message: str
    severity: str = "error"
    code: str = field(kw_only=True)  # stable, kebab-case: one of CODES

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code!r}; declare it in CODES")

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        parts = [where]
        if self.column:
            parts.append(self.column)
        if self.severity == "warning":
            parts.append("warning")
        parts.append(self.message)
        # One line, always: a newline or escape sequence in a cell or a file name is shown
        # escaped, so no cell can forge a problem line or retitle the terminal.
        return one_line(": ".join(parts))

    def to_dict(self) -> dict:
        """The problem as a JSON-ready record."""
        return asdict(self)


class GraderError(Exception):
    """Base class for errors grader reports to the user without a traceback."""


class InvalidInput(GraderError):
    """The input (CSV, spreadsheet or rubric) has one or more problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):
        # Pickled by its problems (a forked build stage sends it to the parent), not by
        # its message, which __init__ could not take back.
        return type(self), (self.problems,)


def _problem_order(problem: Problem) -> tuple:
    return (problem.path, problem.line or 0, problem.column or "", problem.message)
