"""Render an assessment: context tree → HTML/Markdown (Jinja) → PDF (WeasyPrint), JSON, docx, FHIR.

`render` is the one entry point: it chooses and produces every output format and turns a
template's failure into one line (`template_error`). It is two steps, `prepare` (everything
but the PDF) and `finish` (WeasyPrint), so that a build can run them in two processes
(grader.forked). Heavy imports stay inside them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

SETTINGS_KEYS = ("title", "exchange", "journal", "doi", "language")
"""What a settings file may set about the brief (render.context.Settings)."""

OUTPUT_NAMES = {"fhir": "brief.fhir.json"}
"""Formats whose file is not brief.<format>."""


def output_names(formats: tuple[str, ...]) -> list[str]:
    """File names of the requested outputs."""
    return [OUTPUT_NAMES.get(fmt, f"brief.{fmt}") for fmt in formats]


@dataclass(frozen=True)
class PdfJob:
    """What WeasyPrint needs to make brief.pdf; picklable, so another process can run it."""

    html: str  # render_html(..., inline_fonts=False)
    stylesheet: str  # the brief.css inlined in html, given to WeasyPrint parsed once
    templates: Path | None  # a user's templates folder (None: the built-in ones)
    attachment: bytes  # the evidence file, attached to the PDF
    attachment_name: str
    date: str


@dataclass(frozen=True)
class Prepared:
    """Every requested output but the PDF, by file name, and the job that makes the PDF."""

    outputs: dict[str, bytes]
    names: tuple[str, ...]  # every output's file name, in the order of the formats
    pdf: PdfJob | None


def render(assessment, settings: dict, date: str, formats: tuple[str, ...],
           templates: Path | None = None, changes: dict | None = None, *,
           template_timeout: float = 60.0,
           attachment_name: str = "evidence.csv") -> dict[str, bytes]:
    """Every requested output's bytes, by file name, in the order of `formats`.

    settings: the brief's settings (SETTINGS_KEYS); templates: a folder of user templates
    (sandboxed, time-limited by template_timeout); changes: the 'Changes since' section;
    the PDF attaches the assessment's evidence bytes as attachment_name.
    """
    return finish(prepare(assessment, settings, date, formats, templates, changes,
                          template_timeout=template_timeout,
                          attachment_name=attachment_name))


def prepare(assessment, settings: dict, date: str, formats: tuple[str, ...],
            templates: Path | None = None, changes: dict | None = None, *,
            template_timeout: float = 60.0, attachment_name: str = "evidence.csv") -> Prepared:
    """Every output but the PDF (Jinja, JSON, docx, FHIR), and the PDF's job (`render`)."""
    import json

    import jinja2

    from grader import report
    from grader.render.context import Settings, build_context
    from grader.render.html import (
        render_html,
        render_markdown,
        self_contained,
        shared_environment,
        stylesheet,
        time_limit,
    )

    brief_settings = Settings(**settings)
    context = build_context(assessment, brief_settings, date, changes)
    env = shared_environment(templates)
    rendered: dict[str, bytes] = {}
    try:
        with time_limit(env, template_timeout):
            html = render_html(context, env, inline_fonts=False)
            if "md" in formats:
                rendered["brief.md"] = render_markdown(context, env).encode()
    except jinja2.TemplateError as exc:
        raise template_error(exc, templates) from None
    except Exception as exc:  # noqa: BLE001 - a user's template can fail in any way
        if templates is None:
            raise
        raise template_error(exc, templates) from None
    del context  # the template tree is large for big inputs; WeasyPrint needs the memory
    if "html" in formats:
        rendered["brief.html"] = self_contained(html).encode()
    document = report.to_json(assessment) if {"json", "docx", "fhir"} & set(
        formats) else None
    if "json" in formats:
        rendered["brief.json"] = (json.dumps(document, indent=2,
                                             ensure_ascii=False) + "\n").encode()
    rendered.update(_committee_formats(formats, document, brief_settings, assessment, date))
    job = PdfJob(html, stylesheet(env), templates, assessment.evidence.data,
                 attachment_name, date) if "pdf" in formats else None
    return Prepared(rendered, tuple(output_names(formats)), job)


def finish(prepared: Prepared) -> dict[str, bytes]:
    """The prepared outputs with brief.pdf rendered by WeasyPrint, in the formats' order."""
    rendered = dict(prepared.outputs)
    if prepared.pdf:
        from grader.render.html import builtin_templates
        from grader.render.pdf import render_pdf

        job = prepared.pdf
        allowed = [builtin_templates()] + ([job.templates] if job.templates else [])
        rendered["brief.pdf"] = render_pdf(
            job.html, base_dir=job.templates or builtin_templates(), allowed=allowed,
            attachment=job.attachment, attachment_name=job.attachment_name, date=job.date,
            stylesheet=job.stylesheet, builtin=job.templates is None)
    return {name: rendered[name] for name in prepared.names}


def _committee_formats(formats, document, brief_settings, assessment, date: str) -> dict:
    """brief.docx and brief.fhir.json, written from the JSON document (issue 16)."""
    if not {"docx", "fhir"} & set(formats):
        return {}
    settings = {key: getattr(brief_settings, key) for key in SETTINGS_KEYS}
    settings["design_labels"] = {d.id: d.label for d in assessment.rubric.designs.values()}
    built = dt.date.fromisoformat(date)
    out = {}
    if "docx" in formats:
        from grader.render.docx import docx_bytes

        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        out["brief.docx"] = docx_bytes(document, settings, built,
                                       int(epoch) if epoch else None)
    if "fhir" in formats:
        from grader.render.fhir import fhir_bytes

        out["brief.fhir.json"] = fhir_bytes(document, settings, built)
    return out


def template_error(exc: Exception, user_dir: Path | None):
    """A template's failure as one line: the template and line, what is wrong, the fix."""
    import traceback

    import jinja2

    from grader.errors import GraderError
    from grader.render.html import TemplateTimeout, builtin_templates

    where, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if not where:
        # Errors raised while rendering carry no file name, but Jinja rewrites the
        # traceback so that its frames are the templates' lines: take the innermost.
        folders = [builtin_templates().resolve()] + ([user_dir.resolve()] if user_dir else [])
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if any(Path(f.filename).resolve().is_relative_to(d) for d in folders)]
        if frames:
            where, line = frames[-1].filename, frames[-1].lineno
    message = exc.message if isinstance(exc, jinja2.TemplateError) else \
        str(exc) if isinstance(exc, TemplateTimeout) else f"{type(exc).__name__}: {exc}"
    if isinstance(exc, jinja2.TemplateNotFound):
        message = (f"no template named {exc.name!r} in the templates folder or the "
                   "built-in templates")
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        message += (" (templates given with --templates run sandboxed: use the values "
                    "and filters the brief provides)")
    return GraderError(f"{where or 'template'}{f':{line}' if line else ''}: template error: "
                       f"{message}")
