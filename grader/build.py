"""`grader build`: assess the evidence, render the brief, write the outputs safely."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import stat
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata, resources
from pathlib import Path

from grader import __version__
from grader.collector import collector_paused
from grader.errors import GraderError, InvalidInput, Problem
from grader.forked import can_fork, run_forked
from grader.read import Source, check_size, read_source
from grader.render import SETTINGS_KEYS, Prepared, finish, output_names, prepare
from grader.write import recover, up_to_date, write_outputs

__all__ = ["SETTINGS_FILE", "SETTINGS_KEYS", "BuildOptions", "BuildResult", "build_brief",
           "output_names"]

SETTINGS_FILE = "grader.toml"


@dataclass
class BuildOptions:
    """Everything `grader build` was asked to do."""

    csv: Path
    out_dir: Path = Path("out")
    formats: tuple[str, ...] = ("pdf",)
    title: str | None = None
    settings_path: Path | None = None
    rubric_path: Path | None = None
    templates_dir: Path | None = None
    since: Path | None = None
    force: bool = False
    sheet: str | None = None
    max_bytes: int = 200_000_000
    progress: Callable[[str], None] | None = None  # told each stage's name (the CLI's)
    template_timeout: float = 60.0  # seconds for templates given with --templates
    max_rows: int = 10_000  # citation rows accepted (grader.read.DEFAULT_MAX_ROWS)
    fork_data_stage: bool = False  # assess and prepare in a forked child (grader.forked)


@dataclass
class BuildResult:
    """What a build did, for the command line and for `grader watch`."""

    outputs: list[Path]
    skipped: bool
    seconds: float
    warnings: list[Problem] = field(default_factory=list)
    positions: int = 0
    citations: int = 0
    assessment: object = None  # the Assessment rendered (None when the build was skipped)
    verdicts: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """One status line: what was written and what came out."""
        names = ", ".join(str(p) for p in self.outputs)
        if self.skipped:
            return f"up to date: {names} unchanged ({self.seconds:.2f} s)"
        came_out = ", ".join(f"{n} {verdict}" for verdict, n in self.verdicts.items())
        noun = "position" if self.positions == 1 else "positions"
        return (f"built {names}: {self.positions} {noun}"
                f"{': ' + came_out if came_out else ''}; {self.citations} citations "
                f"({self.seconds:.1f} s)")


VERDICT_ORDER = ("supported", "contested", "contradicted", "unsupported",
                 "confirmed", "refuted", "disputed", "unchecked")
"""Known verdicts in the order a summary lists them; any other value follows, sorted."""


def verdict_counts(positions) -> dict[str, int]:
    """How many positions got each verdict, read from the positions frame's column."""
    if positions is None or "verdict" not in getattr(positions, "columns", ()):
        return {}
    counts = positions["verdict"].dropna().astype(str).value_counts().to_dict()
    order = [v for v in VERDICT_ORDER if v in counts] + sorted(
        v for v in counts if v not in VERDICT_ORDER)
    return {v: int(counts[v]) for v in order}


def build_date() -> str:
    """The build's date (UTC): SOURCE_DATE_EPOCH when set, else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            moment = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise GraderError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time in seconds") \
                from None
    else:
        moment = dt.datetime.now(dt.UTC)
    return moment.date().isoformat()


TEMPLATE_SUFFIXES = (".j2", ".css")  # what the loader reads; hashed by content


def _digest_tree(digest, folder: Path) -> None:
    """Digest the files of a templates folder that can shape a brief, without leaving it.

    Templates (*.j2) and stylesheets (*.css) are hashed by content, read in chunks; any
    other file (an image or a font the PDF may load) by name, size and modification time,
    so a large file is never read. Nothing outside the folder is opened: a symbolic link
    that leads out (which the loader and the PDF renderer refuse anyway) counts by its
    target's name only, as do FIFOs, devices and linked folders.
    """
    root = folder.resolve()
    found = []
    for parent, dirs, files in os.walk(root):  # does not descend into linked folders
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found += [Path(parent, name) for name in files]
    for path in sorted(found):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        target = path.resolve()
        try:
            info = target.stat()
        except OSError:
            digest.update(b"(missing)\0")
            continue
        if not target.is_relative_to(root) or not stat.S_ISREG(info.st_mode):
            digest.update(f"(not used: {target})".encode() + b"\0")
        elif path.suffix.lower() in TEMPLATE_SUFFIXES:
            with open(target, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            digest.update(b"\0")
        else:
            digest.update(f"{info.st_size}:{info.st_mtime_ns}".encode() + b"\0")


@dataclass(frozen=True)
class Inputs:
    """The files a build reads, each read once: evidence, rubric and --since."""

    evidence: Source
    rubric: bytes | None = None  # --rubric's bytes (None: the built-in rubric)
    since: Source | None = None


def read_inputs(options: BuildOptions) -> Inputs:
    """Read the evidence, the --rubric and the --since file once, for every later stage."""
    return Inputs(read_source(options.csv, options.max_bytes),
                  options.rubric_path.read_bytes() if options.rubric_path else None,
                  read_source(options.since, options.max_bytes) if options.since else None)


def fingerprint(options: BuildOptions, settings_text: str, date: str,
                inputs: Inputs | None = None) -> str:
    """Digest of everything that shapes the outputs (input, rubric, templates, options)."""
    inputs = inputs or read_inputs(options)
    digest = hashlib.sha256()
    for part in (__version__, date, ",".join(options.formats), options.title or "",
                 options.sheet or "", settings_text, str(options.max_bytes)):
        digest.update(part.encode() + b"\0")
    digest.update(inputs.evidence.data)
    rubric = (inputs.rubric if inputs.rubric is not None
              else resources.files("grader").joinpath("rubric.toml").read_bytes())
    digest.update(rubric)
    _digest_tree(digest, Path(str(resources.files("grader.templates"))))
    if options.templates_dir:
        _digest_tree(digest, options.templates_dir)
    if inputs.since:
        digest.update(inputs.since.data)
    for package in ("weasyprint", "font-source-sans-pro", "python-docx"):
        digest.update(metadata.version(package).encode())
    return digest.hexdigest()


def load_settings(options: BuildOptions) -> tuple[dict, str, list[Problem]]:
    """Title and exchange details from --settings or grader.toml beside the CSV."""
    path = options.settings_path or options.csv.parent / SETTINGS_FILE
    if not path.is_file():
        return {}, "", []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InvalidInput([Problem(str(path), line, None, "settings file is not UTF-8 "
                                    "text; save it as UTF-8", code="not-utf8")]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput([toml_problem(str(path), text, exc)]) from None
    problems = [Problem(str(path), None, key, f"unknown setting, ignored (known: "
                        f"{', '.join(SETTINGS_KEYS)})", "warning", code="unknown-setting")
                for key in raw if key not in SETTINGS_KEYS]
    bad = [Problem(str(path), None, key, "must be text", code="not-text") for key in SETTINGS_KEYS
           if key in raw and not isinstance(raw[key], str)]
    if bad:
        raise InvalidInput(bad)
    return {k: raw[k] for k in SETTINGS_KEYS if k in raw}, text, problems


_KEY = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")
_TABLE = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def toml_problem(path: str, text: str, exc: Exception) -> Problem:
    """A TOML syntax error in plain words, on its line: a key given twice names both lines."""
    message = str(exc)
    where = _WHERE.search(message)
    line = int(where.group(1)) if where else None
    detail = _WHERE.sub("", message)
    if detail == "Illegal character '\\n'":
        detail = 'a quoted text is not closed on its line (add the closing ")'
    seen: dict[tuple[str, str], int] = {}
    table = ""
    for number, text_line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(text_line)
        if header:
            table = header.group(1)
            continue
        key = _KEY.match(text_line)
        if not key:
            continue
        name = key.group(1).strip("\"'")
        first = seen.setdefault((table, name), number)
        if first != number and (line is None or number == line):
            return Problem(path, number, name, f"set twice (first on line {first}); keep "
                           "one of the two lines", code="set-twice")
    if "Cannot overwrite" in detail or "Cannot declare" in detail:
        detail = "a key or table is given twice; keep one"
    column = f" (column {where.group(2)})" if where else ""
    return Problem(path, line, None, f"not valid TOML{column}: {detail}; each line is "
                   'key = "text", e.g. title = "My debate"', code="not-toml")


def build_brief(options: BuildOptions) -> BuildResult:
    """Build the requested outputs, or skip when nothing that shapes them changed.

    size check → settings → source → fingerprint → skip? → data stage (assess, every
    output but the PDF; in a forked child if asked) → PDF → write.
    """
    started = time.perf_counter()
    progress = options.progress or (lambda stage: None)
    check_size(options.csv, options.max_bytes)  # before anything reads the file
    recover(options.out_dir)  # a build stopped among its renames, or its temporary files
    settings, settings_text, warnings = load_settings(options)
    date = build_date()
    names = output_names(options.formats)
    outputs = [options.out_dir / name for name in names]
    inputs = read_inputs(options)
    key = fingerprint(options, settings_text, date, inputs)
    if not options.force and up_to_date(options.out_dir, key, names):
        return BuildResult(outputs, True, time.perf_counter() - started, warnings)

    stage = functools.partial(data_stage, options, inputs, settings, date)
    if options.fork_data_stage and "pdf" in options.formats and can_fork():
        # The child's assessment stays there: unpickling its frames would import pandas.
        done = run_forked(lambda told: replace(stage(told), assessment=None),
                          progress)
    else:
        done = stage(progress)
    # The render's garbage is collected once the outputs are on disk, not while writing.
    with collector_paused():
        rendered = finish(done.prepared)
        progress("writing")
        write_outputs(options.out_dir, rendered, key)
    return BuildResult(outputs, False, time.perf_counter() - started,
                       warnings + done.warnings, done.positions, done.citations,
                       done.assessment, done.verdicts)


@dataclass(frozen=True)
class DataStage:
    """What a build knows before WeasyPrint: every output but the PDF, and the counts."""

    prepared: Prepared
    warnings: list[Problem]
    positions: int
    citations: int
    verdicts: dict[str, int]
    assessment: object  # the Assessment (None once sent from a forked child)


def data_stage(options: BuildOptions, inputs: Inputs, settings: dict, date: str,
               progress: Callable[[str], None]) -> DataStage:
    """Assess the evidence and render every output but the PDF (pandas, Jinja, docx)."""
    assessment, changes = assess_inputs(options, inputs, progress)
    progress("rendering")
    with collector_paused():
        prepared = prepare(assessment, {**settings, **({"title": options.title}
                                                       if options.title else {})},
                           date, options.formats, options.templates_dir, changes,
                           template_timeout=options.template_timeout,
                           attachment_name=inputs.evidence.filename)
    return DataStage(prepared, assessment.evidence.warnings, len(assessment.positions),
                     len(assessment.ratings), verdict_counts(assessment.positions),
                     assessment)


def assess_inputs(options: BuildOptions, inputs: Inputs, progress: Callable[[str], None]):
    """The assessment of the evidence read, and the 'Changes since' section (or None)."""
    from grader.pipeline import assess
    from grader.rubric import load_rubric

    rubric = load_rubric(options.rubric_path, data=inputs.rubric)
    assessment = assess(inputs.evidence, rubric=rubric, sheet=options.sheet,
                        max_bytes=options.max_bytes, progress=progress,
                        max_rows=options.max_rows)
    changes = None
    if inputs.since:
        from grader.diff import brief_changes

        changes = brief_changes(inputs.since, assessment)
    return assessment, changes
