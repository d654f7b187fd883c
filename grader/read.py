"""Read a CSV or .xlsx file into raw string records, each with the line a user sees."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import math
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import InvalidInput, Problem

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# Citation rows accepted by default: rating, the brief's context and WeasyPrint grow with
# them, and at this size a build stays well inside 2 GB (issue 17); --max-rows raises it.
DEFAULT_MAX_ROWS = 10_000
MAX_CELL_CHARS = 1_000_000
_FALLBACK_ENCODING = "cp1252"


@dataclass(frozen=True)
class Source:
    """One input file, read once: its name for messages, its bytes and their sha256.

    The build's fingerprint, the assessment and the PDF's attachment all use the same
    record, so they describe the same bytes even if the file changes meanwhile.
    """

    name: str  # as shown in messages (a PDF's attachment as BRIEF.pdf#NAME)
    data: bytes
    filename: str = "evidence.csv"  # its base name: the suffix says CSV or .xlsx

    @functools.cached_property
    def sha256(self) -> str:
        """The bytes' sha256 (hex), computed when first asked: `score` never asks."""
        return hashlib.sha256(self.data).hexdigest()


def read_source(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES,
                name: str | None = None) -> Source:
    """Read a file once, bounded by max_bytes, into a Source record."""
    data = read_bounded(path, max_bytes, name or str(path))
    return Source(name or str(path), data, Path(path).name)


@dataclass
class RawTable:
    """A file's header and data records as strings, before any validation."""

    path: str
    header: list[str]
    records: list[list[str]]
    lines: list[int]  # the line (spreadsheet row) of each record; the header is line 1
    data: bytes = b""  # the file's bytes (source.data)
    warnings: list[Problem] = field(default_factory=list)
    header_line: int = 1  # later than 1 when blank rows come before the header
    body: Any = None  # the records as a DataFrame of strings, when pandas tokenised them
    source: Source | None = None  # the file read, for hashing and attaching to the brief


def normalize_name(text: str) -> str:
    """Header and enumeration spelling: trimmed, lower case, spaces/hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def read_table(path: str | Path | Source, *, sheet: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, display: str | None = None,
               max_rows: int = DEFAULT_MAX_ROWS) -> RawTable:
    """Read a CSV or .xlsx file (or a Source already read); raise InvalidInput naming
    every problem found."""
    source = path if isinstance(path, Source) else read_source(path, max_bytes, display)
    name, data = source.name, source.data
    if len(data) > max_bytes:
        raise InvalidInput([_too_big(name, len(data), max_bytes)])
    if Path(source.filename).suffix.lower() in (".xlsx", ".xlsm"):
        table = _read_xlsx(data, name, sheet, max_bytes)
    else:
        _precheck_rows(data, name, max_rows)
        table = read_csv_bytes(data, name)
    check_rows(table, max_rows)  # right after tokenising, before the expensive stages
    table.data = data
    table.source = source
    return table


_CONTENT_LINE = re.compile(rb"^[ \t,;]*[^ \t,;\r\n]", re.M)


def _precheck_rows(data: bytes, name: str, max_rows: int) -> None:
    """Refuse an oversized CSV before decoding and tokenising it, where that is exact.

    Without a quote, every line that holds more than delimiters and spaces is a record
    (the header or a citation row). With quotes a cell may span lines, so the count
    after tokenising decides (check_rows). ASCII-compatible encodings only (not UTF-16).
    """
    if data.count(b"\n") <= max_rows or b'"' in data or data.startswith((b"\xff\xfe",
                                                                       b"\xfe\xff")):
        return
    records = sum(1 for _ in _CONTENT_LINE.finditer(data))
    if records - 1 > max_rows:
        raise InvalidInput([_too_many_rows(name, records - 1, max_rows)])


def _too_many_rows(name: str, rows: int, max_rows: int) -> Problem:
    return Problem(name, None, None,
        f"{rows:,} citation rows, over the {max_rows:,} limit; pass --max-rows N to "
        f"raise it (e.g. --max-rows {rows}), or split the evidence by question",
        code="too-many-rows")


def check_rows(table: RawTable, max_rows: int) -> None:
    """Refuse more citation rows than the limit, before they are validated and rated."""
    rows = len(table.lines)  # one per data record, on either tokenising path
    if rows > max_rows:
        raise InvalidInput([_too_many_rows(table.path, rows, max_rows)])


def check_size(path: Path, max_bytes: int, name: str | None = None) -> None:
    """Refuse a file over the size limit, or not a regular file, before anything reads it."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput([_not_a_file(name or str(path), info.st_mode)])
    if info.st_size > max_bytes:
        raise InvalidInput([_too_big(name or str(path), info.st_size, max_bytes)])


def file_kind(mode: int) -> str | None:
    """What a path that is not a regular file is ('a FIFO (named pipe)', …); None if it is."""
    for test, kind in ((stat.S_ISREG, None), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def _not_a_file(name: str, mode: int) -> Problem:
    return Problem(name, None, None, f"is {file_kind(mode)}, not a regular file; grader "
                   "reads only files saved on disk (save or copy the data to a file)",
                   code="not-a-file")


def _too_big(name: str, size: int | None, max_bytes: int) -> Problem:
    what = (f"file is {_size_text(size)}" if size is not None
            else f"file has more than {_size_text(max_bytes)}")
    hint = max(1, math.ceil((size or max_bytes + 1) / 1e6))
    return Problem(name, None, None,
        f"{what}, over the {_size_text(max_bytes)} limit; pass "
        f"--max-size MB to raise it (e.g. --max-size {hint})", code="too-large")


def read_bounded(path: str | Path, max_bytes: int, name: str | None = None) -> bytes:
    """A regular file's bytes, at most max_bytes of them, whatever its size claims to be.

    Anything but a regular file (a FIFO, a device, a socket) is refused before a byte is
    read (a FIFO opened without O_NONBLOCK would wait for a writer forever); the read stops
    at max_bytes + 1, so /dev/zero-like files and files that grow are bounded too.
    """
    name = name or str(path)
    check_size(Path(path), max_bytes, name)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)  # the file opened, not the one looked at (it may be swapped)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput([_not_a_file(name, info.st_mode)])
        if info.st_size > max_bytes:
            raise InvalidInput([_too_big(name, info.st_size, max_bytes)])
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = handle.read(min(1 << 22, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > max_bytes:
        raise InvalidInput([_too_big(name, None, max_bytes)])
    return b"".join(chunks)


def _size_text(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def read_csv_bytes(data: bytes, name: str) -> RawTable:
    """Decode and tokenise CSV bytes (see the contract's reading rules)."""
    text, warnings = _decode(data, name)
    if not unicodedata.is_normalized("NFC", text):
        # One spelling per name: `Schätzberg` typed as NFD is the NFC one (issue 17).
        # Safe on the whole text: nothing composes with a delimiter, quote or newline.
        text = unicodedata.normalize("NFC", text)
    delimiter = _sniff_delimiter(text)
    fast = _read_well_formed(text, delimiter, name, warnings)
    if fast is not None:
        return fast
    # csv, not pandas' parser: pandas stops at the first ragged row or bad quote,
    # and the contract wants every problem reported at once.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    row_number = 0
    problems: list[Problem] = []
    csv.field_size_limit(MAX_CELL_CHARS)  # csv allows cells of exactly the limit
    while True:
        start_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The record's number, as every other problem (multi-line cells above shift
            # the text line, which is given too when it differs).
            problems.append(_csv_problem(name, row_number + 1, start_line, str(exc)))
            break
        row_number += 1
        records.append(record)
        lines.append(row_number)
    if problems:
        raise InvalidInput(problems)
    return _split_header(name, records, lines, warnings)


def _read_well_formed(text: str, delimiter: str, name: str,
                      warnings: list[Problem]) -> RawTable | None:
    """Tokenise a well-formed file with pandas' C parser, already as columns (fast).

    None when the file needs the csv module: pandas errs (a ragged row, an unclosed
    quote, blank lines before the header) or would silently accept what csv rejects
    (text after a closing quote, an over-long cell). Issue #7.
    """
    longest_quoted = _longest_quoted_cell(text, delimiter) if '"' in text else 0
    if longest_quoted is None:
        return None
    import pandas as pd

    try:
        # As UTF-8 bytes: pandas' C parser tokenises bytes, and re-encodes a text buffer
        # chunk by chunk (a sixth of reading 100,000 citations).
        frame = pd.read_csv(io.BytesIO(text.encode("utf-8")), encoding="utf-8",
                            sep=delimiter, header=None, dtype=object,
                            keep_default_na=False, na_filter=False, skip_blank_lines=False,
                            index_col=False, quotechar='"', doublequote=True,
                            skipinitialspace=False, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    columns = [frame[c].to_numpy(dtype=object) for c in frame.columns]
    # A cell is no longer than its quoted span, or else than its line.
    if len(text) > MAX_CELL_CHARS and max(
            longest_quoted, max(map(len, text.split("\n")))) > MAX_CELL_CHARS:
        return None
    if not len(frame) or not any(str(c[0]).strip() for c in columns):
        return None  # blank rows before the header: the csv path finds the header line
    # A row is blank when every cell is; most rows are decided by their first cell.
    undecided = list(range(1, len(frame)))
    for column in columns:
        undecided = [i for i in undecided if not column[i].strip()]
        if not undecided:
            break
    blank = set(undecided)
    kept = [i for i in range(1, len(frame)) if i not in blank]
    body = frame.iloc[kept] if blank else frame.iloc[1:]
    lines = [i + 1 for i in kept]  # records counted from 1, as the csv path does
    body.index = lines
    return RawTable(name, [normalize_name(str(c[0])) for c in columns], [], lines,
                    warnings=warnings, header_line=1, body=body)


_QUOTED = re.compile(r'"[^"]*+(?:""[^"]*+)*+"')  # a quoted cell, "" inside it a quote


def _longest_quoted_cell(text: str, delimiter: str) -> int | None:
    """The longest quoted cell; None unless every quote opens or ends a cell, as csv demands.

    Quoted cells are matched from the first quote on, possessively, as csv reads them, so
    a closing quote followed by text is always found; a quote inside an unquoted cell is
    legal but rare and also answers None (the csv path then reads the file).
    """
    bounds, longest = delimiter + "\r\n", 0
    for match in _QUOTED.finditer(text):
        start, end = match.span()
        if (start and text[start - 1] not in bounds) or (end < len(text)
                                                          and text[end] not in bounds):
            return None
        longest = max(longest, end - start)
    return longest


def _decode(data: bytes, name: str) -> tuple[str, list[Problem]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" is UTF-16
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InvalidInput([Problem(name, None, None,
                "starts like UTF-16 text but does not decode as UTF-16; "
                "save the file as 'CSV UTF-8'", code="bad-utf16")]) from None
        if "\x00" not in text:
            return text, [Problem(name, None, None,
                "not UTF-8; decoded as UTF-16 (byte-order mark); "
                "save as 'CSV UTF-8' to silence this", "warning", code="decoded-utf16")]
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InvalidInput([Problem(name, line, None,
            "NUL byte found: this is a binary file (or UTF-16 text without a byte-order "
            "mark), not a CSV; save or export it as 'CSV UTF-8'", code="nul-byte")])
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
    try:
        text = data.decode(_FALLBACK_ENCODING)
    except UnicodeDecodeError as exc:
        raise InvalidInput([Problem(name, line, None,
            "not UTF-8 text, nor Windows-1252 (byte "
            f"0x{data[exc.start]:02x}); save the file as 'CSV UTF-8'", code="not-utf8")]) from None
    warning = Problem(name, line, None,
        "not UTF-8; decoded as Windows-1252 (Excel's default); "
        "save as 'CSV UTF-8' to silence this", "warning", code="decoded-cp1252")
    return text, [warning]


def _sniff_delimiter(text: str) -> str:
    size = 1 << 16  # look at the start of the text only, growing it until a line is found
    while True:
        lines = text[:size].splitlines()
        whole = lines if size >= len(text) else lines[:-1]  # the last may be cut short
        first = next((line for line in whole if line.strip()), None)
        if first is not None or size >= len(text):
            break
        size *= 4
    first = first or ""
    return ";" if first.count(";") > first.count(",") else ","


def _csv_problem(name: str, line: int, text_line: int, detail: str) -> Problem:
    where = "" if text_line == line else f" (line {text_line} of the text)"
    if "field larger" in detail:
        return Problem(name, line, None,
            f"a cell is longer than {MAX_CELL_CHARS:,} characters{where}; shorten it",
            code="cell-too-long")
    if "end of data" in detail or "EOF" in detail:
        return Problem(name, line, None,
            f"a quoted cell opened in this row{where} is never closed; "
            "add the missing '\"'", code="unclosed-quote")
    return Problem(name, line, None, f"cannot parse this row as CSV{where} ({detail}); "
                   "a cell that starts with '\"' must end with '\"' right before the "
                   "delimiter, with any quote inside it doubled (\"\")", code="bad-csv-row")


def _split_header(name: str, records: list[list[str]], lines: list[int],
                  warnings: list[Problem]) -> RawTable:
    first = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if first is None:
        raise InvalidInput([Problem(name, None, None,
            "no header and no citation rows: the file is empty; start from the table "
            "`grader init` writes (a header line, then one row per citation)", code="empty-file")])
    header = [normalize_name(c) for c in records[first]]
    body = [(r, n) for r, n in zip(records[first + 1:], lines[first + 1:], strict=True)
            if any(c.strip() for c in r)]
    return RawTable(name, header, [r for r, _ in body], [n for _, n in body],
                    warnings=warnings, header_line=lines[first])


REQUIRED_COLUMNS = ("position_id", "position", "advocate", "study_id", "citation", "design",
                    "stance")
"""The contract's required columns: the sheet whose header holds them is the evidence."""
_HEADER_SEARCH_ROWS = 100  # a header further down than this is not looked for
_NO_CACHED_VALUE = object()  # a formula cell whose result the file does not store


def _read_xlsx(data: bytes, name: str, sheet: str | None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> RawTable:
    import openpyxl

    _check_unzipped_sizes(data, name, max_bytes)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InvalidInput([Problem(name, None, None,
            f"cannot open as an .xlsx workbook ({type(exc).__name__}); save it from the "
            "spreadsheet program as .xlsx, or export it as 'CSV UTF-8'",
            code="not-a-workbook")]) from None
    try:
        ws, warnings = _choose_sheet(book, name, sheet)
        records, lines, problems = _sheet_records(ws, name)
    finally:
        book.close()
    if problems:
        raise InvalidInput(problems)
    return _split_header(name, records, lines, warnings)


def _check_unzipped_sizes(data: bytes, name: str, max_bytes: int) -> None:
    """Every input limit holds for what the workbook unzips to, before anything unzips it."""
    import zipfile

    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip: openpyxl's refusal names the problem
    for member in members:
        if member.file_size > max_bytes:
            raise InvalidInput([Problem(name, None, None,
                f"unzips to {_size_text(member.file_size)} ({member.filename}), over the "
                f"{_size_text(max_bytes)} limit; pass --max-size MB to raise it (e.g. "
                f"--max-size {max(1, math.ceil(member.file_size / 1e6))})", code="too-large")])


def _choose_sheet(book, name: str, sheet: str | None):
    """The sheet to read and a warning saying which, when the workbook has several."""
    names = book.sheetnames
    listed = ", ".join(names)
    cells = {ws.title: ws for ws in book.worksheets}  # chart sheets have no cells
    if sheet is not None:
        found = sheet if sheet in names else next(
            iter([n for n in names if n.casefold() == sheet.casefold()][:1]), None)
        if found is None:
            raise InvalidInput([Problem(name, None, None,
                f"no sheet named {sheet!r}; the sheets are: {listed}", code="unknown-sheet")])
        if found not in cells:
            raise InvalidInput([Problem(name, None, None,
                f"sheet {found!r} is a chart, with no cells to read; pass --sheet with "
                f"one of the sheets that hold cells: {', '.join(cells) or '(none)'}",
                code="chart-sheet")])
        return cells[found], []
    if not cells:
        raise InvalidInput([Problem(name, None, None,
            f"has no sheet with cells (the sheets are: {listed}); put the evidence table "
            "on a worksheet", code="no-cell-sheet")])
    scores = {title: len(set(REQUIRED_COLUMNS) & set(_sheet_header(ws)))
              for title, ws in cells.items()}
    best = max(scores, key=lambda title: scores[title])  # the first of the best
    if len(names) == 1:
        return cells[best], []
    if scores[best] == len(REQUIRED_COLUMNS):
        said = f"read sheet {best!r}, whose header holds the required columns"
    else:
        said = (f"no sheet's header holds every required column "
                f"({', '.join(REQUIRED_COLUMNS)}); read sheet {best!r}, the closest")
    return cells[best], [Problem(name, None, None,
        f"{said}; pass --sheet NAME to read another (the sheets are: {listed})", "warning",
        code="sheet-chosen")]


def _sheet_header(ws) -> list[str]:
    """The header names of a sheet: its first row with any text (or [] if none soon)."""
    for number, (_, cells) in enumerate(_sheet_rows(ws), start=1):
        texts = [normalize_name(_xlsx_cell_text(c["value"])) for c in cells
                 if c["value"] is not None and c["value"] is not _NO_CACHED_VALUE]
        if any(texts):
            return texts
        if number >= _HEADER_SEARCH_ROWS:
            break
    return []


def _sheet_rows(ws):
    """(row number, its stored cells) for the rows a sheet really holds.

    Cells are read as stored, sparsely: the sheet's declared dimension (which a file can
    set to A1:XFD1048576) is never used to pad rows or columns (issue 17).
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                stored = element.find(VALUE_TAG)
                # An empty <v/> is a stored empty text only on a text formula (t="str").
                if stored is None or not (stored.text or element.get("t") == "str"):
                    cell["value"] = _NO_CACHED_VALUE
            return cell

    book = ws.parent
    with ws._get_source() as source:
        parser = Parser(source, ws._shared_strings, data_only=True, epoch=book.epoch,
                        date_formats=book._date_formats,
                        timedelta_formats=book._timedelta_formats)
        yield from parser.parse()


def _sheet_records(ws, name: str) -> tuple[list[list[str]], list[int], list[Problem]]:
    """Each stored row as strings, the cell limits checked before a cell is used."""
    from openpyxl.utils import get_column_letter

    records, lines, problems = [], [], []
    header: list[str] | None = None
    for number, cells in _sheet_rows(ws):
        row: dict[int, str] = {}
        for cell in cells:
            value, column = cell["value"], cell["column"]
            ref = f"{ws.title}!{get_column_letter(column)}{number}"
            if value is _NO_CACHED_VALUE:
                named = header[column - 1] if header and column <= len(header) else None
                problems.append(Problem(name, number, named or None,
                    f"cell {ref} holds a formula whose value is not stored in the file; "
                    "open and save the file in your spreadsheet program so the values "
                    "are stored (or type the value)", code="formula-without-value"))
                continue
            text = _xlsx_cell_text(value)
            if len(text) > MAX_CELL_CHARS:
                problems.append(Problem(name, number, None,
                    f"cell {ref} is longer than {MAX_CELL_CHARS:,} characters; shorten it",
                    code="cell-too-long"))
                continue
            if text:
                row[column] = text
        if not row:
            continue  # a blank row: skipped, as in a CSV
        if header is None:
            header = [normalize_name(row.get(c, "")) for c in range(1, max(row) + 1)]
        elif max(row) > len(header):
            # Far to the right of the header: report the cell, never pad up to it.
            extra = sorted(c for c in row if c > len(header))
            problems.append(Problem(name, number, None,
                f"cell {ws.title}!{get_column_letter(extra[0])}{number} is outside the "
                f"table (the header ends at column {get_column_letter(len(header))}); "
                "delete it, or give its column a header", code="cell-outside-table"))
            row = {c: v for c, v in row.items() if c <= len(header)}
            if not row:
                continue
        records.append([row.get(c, "") for c in range(1, max(row) + 1)])
        lines.append(number)
    return records, lines, problems


def _xlsx_cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return unicodedata.normalize("NFC", str(value))  # as CSV text is (issue 17 item 14)

