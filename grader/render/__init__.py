"""Render an assessment: context tree → HTML/Markdown (Jinja) → PDF (WeasyPrint)."""
