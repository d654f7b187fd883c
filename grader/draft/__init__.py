"""Draft evidence rows from a reference list (RIS, BibTeX, MEDLINE, XML, CSL-JSON, text)."""

from __future__ import annotations

from grader.draft.rows import COLUMNS, Draft, draft

__all__ = ["COLUMNS", "Draft", "draft"]
