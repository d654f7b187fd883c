"""Get back the evidence file a brief PDF carries as its attachment."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from pathlib import Path

from grader.errors import InvalidInput, Problem
from grader.read import DEFAULT_MAX_BYTES, Source, _size_text, read_source
from grader.write import write_atomic

PDF_MAGIC = b"%PDF-"
EVIDENCE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".tsv", ".txt")


def looks_like_pdf(data: bytes, filename: str) -> bool:
    """True when the bytes start like a PDF (a .pdf may have up to 1 KB of junk first)."""
    head = data[:1024]
    return head.startswith(PDF_MAGIC) or (Path(filename).suffix.lower() == ".pdf"
                                          and PDF_MAGIC in head)


def is_pdf(path: Path) -> bool:
    """True when the file starts like a PDF (a .pdf may have up to 1 KB of junk first)."""
    if not os.path.isfile(path):  # a FIFO would block the open; the reader refuses it
        return False
    with open(path, "rb") as handle:
        head = handle.read(1024)
    return head.startswith(PDF_MAGIC) or (Path(path).suffix.lower() == ".pdf"
                                          and PDF_MAGIC in head)


@contextlib.contextmanager
def _quiet_pypdf(max_bytes: int):
    """pypdf limits sized to the input limit, and its log lines and warnings silenced.

    pypdf refuses to inflate a stream past 75 MB by default; a brief's attachment is the
    evidence file, which may be as large as --max-size, so the limits follow it (and a
    bomb stops there). pypdf logs repairs ("EOF marker not found") on stderr by itself:
    grader reports one line per problem instead.
    """
    import pypdf

    limit = max(max_bytes + 1, 75_000_000)
    logger = logging.getLogger("pypdf")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with warnings.catch_warnings(), pypdf.apply_configuration(
                zlib_maximum_output_length=limit, maximum_declared_stream_length=limit,
                stream_decoding_work_maximum_length=max(300_000_000, 2 * limit)):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def _pdf_problem(exc: Exception, too_big: str) -> str:
    import pypdf.errors

    if isinstance(exc, pypdf.errors.LimitReachedError):
        return too_big
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"cannot read this PDF ({type(exc).__name__}{': ' + detail if detail else ''}); "
            "it is damaged or truncated: rebuild it, or use the evidence file itself")


def attached_evidence(pdf: Path | Source,
                      max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, bytes]:
    """The (name, bytes) of the evidence file attached to a brief PDF (at most max_bytes).

    pdf: the brief's path, or its Source already read (nothing is read again).
    """
    import pypdf

    source = pdf if isinstance(pdf, Source) else read_source(pdf, max_bytes)
    pdf, data = source.name, source.data
    if not looks_like_pdf(data, source.filename):
        raise InvalidInput([Problem(str(pdf), None, None,
                                    "not a PDF file; give a brief built by `grader build`",
                                    code="not-a-pdf")])
    too_big = (f"its attached file is larger than the {_size_text(max_bytes)} limit; pass "
               f"--max-size MB to raise it")
    try:
        with _quiet_pypdf(max_bytes):
            # attachment_list, not attachments: the latter lists a file under both its
            # /F (PDFDocEncoding) and /UF (Unicode) names when they differ.
            files = [(a.alternative_name or a.name, a.content,
                      str(getattr(a, "associated_file_relationship", "") or ""))
                     for a in pypdf.PdfReader(io.BytesIO(data)).attachment_list]
    except Exception as exc:  # pypdf raises many types for a damaged file
        message = _pdf_problem(exc, too_big)
        raise InvalidInput([Problem(str(pdf), None, None, message, code="too-large"
                                    if message == too_big else "damaged-pdf")]) from None
    if any(len(f[1]) > max_bytes for f in files):
        raise InvalidInput([Problem(str(pdf), None, None, too_big, code="too-large")])
    for chosen in (files,
                   [f for f in files if f[2] == "/Source"],
                   [f for f in files if Path(f[0]).suffix.lower() in EVIDENCE_SUFFIXES]):
        if len(chosen) == 1:
            return chosen[0][0], chosen[0][1]
    if not files:
        raise InvalidInput([Problem(str(pdf), None, None,
                                    "has no attached evidence file; only briefs built by "
                                    "`grader build` (PDF format) carry their CSV",
                                    code="no-attachment")])
    raise InvalidInput([Problem(str(pdf), None, None,
                                f"has {len(files)} attached files "
                                f"({', '.join(f[0] for f in files)}); expected one evidence "
                                "file", code="several-attachments")])


_SPREADSHEET = frozenset({".xlsx", ".xlsm"})


def _kind(suffix: str) -> str | None:
    if suffix in _SPREADSHEET:
        return "an .xlsx workbook"
    if suffix in EVIDENCE_SUFFIXES:
        return "a text (CSV) file"
    return None


def extract_attached(pdf: Path, out: Path | None = None, *, force: bool = False,
                     max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, int, Path]:
    """Write the brief's attached evidence file, atomically; return (name, size, path).

    out None: the attached file's own name in the current folder, never overwriting an
    existing file unless force. A workbook is never written to a .csv name (or a CSV to
    an .xlsx name).
    """
    name, data = attached_evidence(pdf, max_bytes)
    if out is None:
        out = Path(Path(name).name or "evidence.csv")
        if out.exists() and not force:
            raise InvalidInput([Problem(str(out), None, None,
                f"already exists; not overwritten (pass --force to replace it, or "
                f"-o FILE to write the attached {name} elsewhere)", code="file-exists")])
    attached, wanted = _kind(Path(name).suffix.lower()), _kind(Path(out).suffix.lower())
    if attached and wanted and attached != wanted:
        right = Path(out).with_suffix(Path(name).suffix.lower())
        raise InvalidInput([Problem(str(pdf), None, None,
            f"the attached file {name} is {attached}, but {out} names {wanted}; "
            f"write it as -o {right}", code="wrong-suffix")])
    write_atomic(out, data)
    return name, len(data), Path(out)
