"""Get back the evidence file a brief PDF carries as its attachment."""

from __future__ import annotations

from pathlib import Path

from grader.errors import InvalidInput, Problem
from grader.write import write_atomic

PDF_MAGIC = b"%PDF-"
EVIDENCE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".tsv", ".txt")


def is_pdf(path: Path) -> bool:
    """True when the file starts like a PDF (a .pdf may have up to 1 KB of junk first)."""
    with open(path, "rb") as handle:
        head = handle.read(1024)
    return head.startswith(PDF_MAGIC) or (Path(path).suffix.lower() == ".pdf"
                                          and PDF_MAGIC in head)


def attached_evidence(pdf: Path) -> tuple[str, bytes]:
    """The (name, bytes) of the evidence file attached to a brief PDF."""
    import pypdf

    if not is_pdf(pdf):
        raise InvalidInput([Problem(str(pdf), None, None,
                                    "not a PDF file; give a brief built by `grader build`")])
    try:
        # attachment_list, not attachments: the latter lists a file under both its
        # /F (PDFDocEncoding) and /UF (Unicode) names when they differ.
        files = [(a.alternative_name or a.name, a.content,
                  str(getattr(a, "associated_file_relationship", "") or ""))
                 for a in pypdf.PdfReader(pdf).attachment_list]
    except Exception as exc:  # pypdf raises many types for a damaged file
        raise InvalidInput([Problem(str(pdf), None, None,
                                    f"cannot read this PDF ({type(exc).__name__}: {exc})")]) \
            from None
    for chosen in (files,
                   [f for f in files if f[2] == "/Source"],
                   [f for f in files if Path(f[0]).suffix.lower() in EVIDENCE_SUFFIXES]):
        if len(chosen) == 1:
            return chosen[0][0], chosen[0][1]
    if not files:
        raise InvalidInput([Problem(str(pdf), None, None,
                                    "has no attached evidence file; only briefs built by "
                                    "`grader build` (PDF format) carry their CSV")])
    raise InvalidInput([Problem(str(pdf), None, None,
                                f"has {len(files)} attached files "
                                f"({', '.join(f[0] for f in files)}); expected one evidence "
                                "file")])


_SPREADSHEET = frozenset({".xlsx", ".xlsm"})


def _kind(suffix: str) -> str | None:
    if suffix in _SPREADSHEET:
        return "an .xlsx workbook"
    if suffix in EVIDENCE_SUFFIXES:
        return "a text (CSV) file"
    return None


def extract_attached(pdf: Path, out: Path | None = None, *,
                     force: bool = False) -> tuple[str, int, Path]:
    """Write the brief's attached evidence file, atomically; return (name, size, path).

    out None: the attached file's own name in the current folder, never overwriting an
    existing file unless force. A workbook is never written to a .csv name (or a CSV to
    an .xlsx name).
    """
    name, data = attached_evidence(pdf)
    if out is None:
        out = Path(Path(name).name or "evidence.csv")
        if out.exists() and not force:
            raise InvalidInput([Problem(str(out), None, None,
                f"already exists; not overwritten (pass --force to replace it, or "
                f"-o FILE to write the attached {name} elsewhere)")])
    attached, wanted = _kind(Path(name).suffix.lower()), _kind(Path(out).suffix.lower())
    if attached and wanted and attached != wanted:
        right = Path(out).with_suffix(Path(name).suffix.lower())
        raise InvalidInput([Problem(str(pdf), None, None,
            f"the attached file {name} is {attached}, but {out} names {wanted}; "
            f"write it as -o {right}")])
    write_atomic(out, data)
    return name, len(data), Path(out)
