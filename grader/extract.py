"""Get back the evidence file a brief PDF carries as its attachment."""

from __future__ import annotations

from pathlib import Path

from grader.errors import InvalidInput, Problem
from grader.write import write_atomic

PDF_MAGIC = b"%PDF-"
EVIDENCE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".tsv", ".txt")


def is_pdf(path: Path) -> bool:
    """True when the file starts like a PDF (the header may follow up to 1 KB of junk)."""
    with open(path, "rb") as handle:
        return PDF_MAGIC in handle.read(1024)


def attached_evidence(pdf: Path) -> tuple[str, bytes]:
    """The (name, bytes) of the evidence file attached to a brief PDF."""
    import pypdf

    if not is_pdf(pdf):
        raise InvalidInput([Problem(str(pdf), None, None,
                                    "not a PDF file; give a brief built by `grader build`")])
    try:
        attachments = pypdf.PdfReader(pdf).attachments
        files = [(name, data) for name, versions in attachments.items() for data in versions]
    except Exception as exc:  # pypdf raises many types for a damaged file
        raise InvalidInput([Problem(str(pdf), None, None,
                                    f"cannot read this PDF ({type(exc).__name__}: {exc})")]) \
            from None
    evidence = [(n, d) for n, d in files if Path(n).suffix.lower() in EVIDENCE_SUFFIXES]
    if len(files) == 1:
        return files[0]
    if len(evidence) == 1:
        return evidence[0]
    if not files:
        raise InvalidInput([Problem(str(pdf), None, None,
                                    "has no attached evidence file; only briefs built by "
                                    "`grader build` (PDF format) carry their CSV")])
    raise InvalidInput([Problem(str(pdf), None, None,
                                f"has {len(files)} attached files "
                                f"({', '.join(n for n, _ in files)}); expected one evidence "
                                "file")])


def extract_attached(pdf: Path, out: Path) -> tuple[str, int]:
    """Write the brief's attached evidence file to out, atomically; return (name, size)."""
    name, data = attached_evidence(pdf)
    write_atomic(out, data)
    return name, len(data)
