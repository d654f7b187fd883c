"""The command line: parse options, call one library function, report problems."""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import threading
from pathlib import Path

import click

from grader import __version__
from grader.collector import collector_paused
from grader.read import DEFAULT_MAX_ROWS
from grader.safe_text import lines, one_line


class InputFile(click.Path):
    """An existing regular file: a folder, FIFO, device or socket is wrong usage (exit 2).

    Refused before anything opens it (opening a FIFO waits for a writer forever).
    """

    def __init__(self):
        super().__init__(exists=True, dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        from grader.read import file_kind

        kind = file_kind(os.stat(path).st_mode)
        if kind:
            self.fail(f"{click.format_filename(path)!r} is {kind}, not a regular file; "
                      "give a file saved on disk", param, ctx)
        return path


class FiniteNumber(click.ParamType):
    """A finite number within bounds: nan, inf and out-of-range values are wrong usage."""

    def __init__(self, name: str, low: float, high: float, *, low_open: bool, hint: str):
        self.name, self.low, self.high, self.low_open, self.hint = name, low, high, low_open, hint

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        below = number <= self.low if self.low_open else number < self.low
        if not math.isfinite(number) or below or number > self.high:
            self.fail(f"{value!r} {self.hint}", param, ctx)
        return number


def megabytes() -> FiniteNumber:
    """A size limit in megabytes: a finite number ≥ 0."""
    return FiniteNumber("MB", 0, sys.maxsize / 1e6, low_open=False,
                        hint="is not a size in megabytes; give a finite number ≥ 0, "
                             "e.g. --max-size 500")


def seconds() -> FiniteNumber:
    """A time budget in seconds: a finite number > 0."""
    return FiniteNumber("SECONDS", 0, 10**7, low_open=True,
                        hint="is not a number of seconds; give a number > 0, e.g. 120")


EXISTING_FILE = InputFile()
FORMATS = ("pdf", "html", "json", "md", "docx", "fhir")
DEFAULT_CSV = "evidence.csv"


class EvidenceFile(InputFile):
    """An existing evidence file; a missing default says how to give one or start one."""

    def convert(self, value, param, ctx):
        if str(value) == DEFAULT_CSV and not Path(value).exists():
            self.fail(f"no {DEFAULT_CSV} in this folder ({Path.cwd()}); give the evidence "
                      f"file (e.g. grader {ctx.info_name if ctx else 'check'} my.csv), or "
                      "start one with `grader init`", param, ctx)
        return super().convert(value, param, ctx)


def csv_argument(func):
    """The evidence file argument: a CSV or .xlsx, ./evidence.csv when not given."""
    return click.argument("csv", type=EvidenceFile(), default=DEFAULT_CSV)(func)


def _check_sheet(sheet, *paths) -> None:
    """--sheet names a worksheet: wrong usage when no input is a workbook (or a brief)."""
    if sheet is None:
        return
    suffixes = {Path(p).suffix.lower() for p in paths}
    if not suffixes & {".xlsx", ".xlsm", ".pdf"}:
        names = ", ".join(str(p) for p in paths)
        raise click.UsageError(f"--sheet {sheet!r} applies to .xlsx workbooks, and {names} "
                               "is not one; drop --sheet")



def _report_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def handle_errors(func):
    """Turn grader's domain errors into messages and exit codes, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from grader.errors import GraderError, InvalidInput

        ctx = click.get_current_context()
        verbose = ctx.find_root().params.get("verbose", False)
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            _report_problems(exc.problems)
            ctx.exit(1)
        except GraderError as exc:
            click.echo(f"grader: {one_line(exc)}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("grader: interrupted; previous outputs left as they were", err=True)
            ctx.exit(130)
        except OSError as exc:  # the file system, not grader: a path the user can fix
            if verbose:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(one_line(f"grader: {where}{exc.strerror or exc}; check the path and "
                                "its permissions (or choose another --out folder)"), err=True)
            ctx.exit(1)
        except Exception as exc:
            if verbose:
                raise
            click.echo(one_line(f"grader: internal error: {type(exc).__name__}: {exc} "
                                "(run `grader --verbose ...` for the traceback)"), err=True)
            ctx.exit(1)

    return wrapper


def input_options(func):
    """Options shared by every command that reads an evidence file."""
    func = click.option("--sheet", metavar="NAME",
                        help="Worksheet of an .xlsx input (default: the sheet whose "
                             "header holds the required columns).")(func)
    return max_size_option(func)


def max_size_option(func):
    """--max-size MB: the input size limit (every read stops there, whatever the file is)."""
    return click.option("--max-size", "max_size", type=megabytes(), default=200,
                        show_default=True, metavar="MB",
                        help="Refuse input files larger than this many megabytes.")(func)


def rows_option(func):
    """--max-rows N: the citation-row limit, checked before anything is rated."""
    return click.option("--max-rows", "max_rows", type=click.IntRange(min=1),
                        default=DEFAULT_MAX_ROWS, show_default=True, metavar="N",
                        help="Refuse evidence files with more citation rows than this.")(func)


def rubric_option(func):
    """The --rubric option: an edited copy of the rubric file."""
    return click.option("--rubric", "rubric_path", type=EXISTING_FILE, metavar="FILE",
                        help="Rubric TOML to use instead of the built-in one "
                             "(start from `grader rubric > my.toml`).")(func)


def brief_options(func):
    """The input and the options that shape a brief, shared by `build` and `watch`."""
    for option in reversed((
        csv_argument,
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                     default="out", show_default=True, help="Folder for the outputs."),
        click.option("--format", "formats", default="pdf", show_default=True,
                     callback=_formats,
                     help="Comma-separated outputs: pdf, html, json, md, docx, fhir."),
        click.option("--title", help="Title of the brief (overrides the settings file)."),
        click.option("--settings", "settings_path", type=EXISTING_FILE, metavar="FILE",
                     help="TOML settings (title, exchange, journal, doi, language); "
                          "default: grader.toml beside the CSV, if present."),
        rubric_option,
        click.option("--templates", "templates_dir",
                     type=click.Path(exists=True, file_okay=False, path_type=Path),
                     metavar="DIR",
                     help="Folder of templates overriding the built-in ones (sandboxed)."),
        click.option("--template-timeout", "template_timeout", type=seconds(), default=60,
                     show_default=True, metavar="SECONDS",
                     help="Time limit for rendering templates given with --templates."),
    )):
        func = option(func)
    return func


def _through(step, csv: Path, rubric_path, sheet, max_size, max_rows):
    """The evidence file taken through one pipeline step, its warnings reported."""
    _check_sheet(sheet, csv)
    result = step(csv, rubric=rubric_path, sheet=sheet, max_bytes=int(max_size * 1e6),
                  max_rows=max_rows)
    evidence = result[0] if isinstance(result, tuple) else result.evidence
    _report_problems(evidence.warnings)
    return result


def _validate(csv: Path, rubric_path, sheet, max_size, max_rows=DEFAULT_MAX_ROWS):
    """The evidence file read and validated (grader check)."""
    from grader import pipeline

    return _through(pipeline.load, csv, rubric_path, sheet, max_size, max_rows)[0]


def _rate(csv: Path, rubric_path, sheet, max_size, max_rows=DEFAULT_MAX_ROWS):
    """The evidence file rated, no position judged (the score CSV)."""
    from grader import pipeline

    return _through(pipeline.rate_only, csv, rubric_path, sheet, max_size, max_rows)


def _assess(csv: Path, rubric_path, sheet, max_size, max_rows=DEFAULT_MAX_ROWS):
    """The evidence file rated and judged."""
    from grader import pipeline

    return _through(pipeline.assess, csv, rubric_path, sheet, max_size, max_rows)


def _formats(ctx, param, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"use a comma-separated list of: {', '.join(FORMATS)}")
    return chosen


PROGRESS_AFTER_SECONDS = 2.0


class Progress:
    """Stage lines on stderr, shown only once a build has run for a couple of seconds.

    The build calls it with each stage's name; the clock starts at the first stage, and
    close() stops it and starts afresh (grader watch reuses one for every rebuild).
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage = ""
        self.shown = False
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def _show(self) -> None:
        with self.lock:
            self.shown = True
            if self.stage:
                print(f"grader: {one_line(self.stage)}…", file=sys.stderr, flush=True)

    def __call__(self, stage: str) -> None:
        with self.lock:
            if self.enabled and self.timer is None:
                self.timer = threading.Timer(PROGRESS_AFTER_SECONDS, self._show)
                self.timer.daemon = True
                self.timer.start()
            self.stage = stage
            if self.shown:
                print(f"grader: {one_line(stage)}…", file=sys.stderr, flush=True)

    def close(self) -> None:
        with self.lock:
            if self.timer:
                self.timer.cancel()
            self.timer, self.stage, self.shown = None, "", False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
@click.option("--verbose", is_flag=True, help="Show tracebacks of internal errors.")
def main(verbose: bool) -> None:
    """Rate the evidence cited in a medical debate and render a brief.

    \b
    Example:
      grader build evidence.csv --format pdf,html,json,md
    """


@main.command()
@brief_options
@click.option("--since", "since", type=EXISTING_FILE, metavar="OLD",
              help="Previous CSV, .xlsx or brief PDF: adds a 'Changes since' section.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or status lines.")
@input_options
@rows_option
@handle_errors
def build(csv, out_dir, formats, title, settings_path, rubric_path, templates_dir,
          template_timeout, since, force, quiet, sheet, max_size, max_rows):
    """Build the brief (out/brief.pdf) from an evidence CSV or .xlsx.

    \b
    Example:
      grader build evidence.csv --out out --format pdf,html
    """
    from grader.build import BuildOptions, build_brief

    _check_sheet(sheet, csv)
    progress = Progress(not quiet and sys.stderr.isatty())
    options = BuildOptions(csv=csv, out_dir=out_dir, formats=formats, title=title,
                           settings_path=settings_path, rubric_path=rubric_path,
                           templates_dir=templates_dir, since=since, force=force,
                           sheet=sheet, max_bytes=int(max_size * 1e6),
                           progress=progress, fork_data_stage=True,
                           template_timeout=template_timeout, max_rows=max_rows)
    try:
        result = build_brief(options)
    finally:
        progress.close()
    _report_problems(result.warnings)
    if not quiet:
        click.echo(one_line(result.summary), err=True)


@main.command()
@csv_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Problems as lines, or as JSON records.")
@rubric_option
@input_options
@rows_option
@handle_errors
@collector_paused()
def check(csv, fmt, rubric_path, sheet, max_size, max_rows):
    """Validate an evidence file; exit 1 listing every problem.

    \b
    Example:
      grader check evidence.csv
    """
    from grader.errors import InvalidInput

    try:
        evidence = _validate(csv, rubric_path, sheet, max_size, max_rows)
    except InvalidInput as exc:
        if fmt == "json":
            click.echo(json.dumps({"valid": False,
                                   "problems": [p.to_dict() for p in exc.problems]}, indent=2))
            raise SystemExit(1) from None
        raise
    c = evidence.rows
    if fmt == "json":
        click.echo(json.dumps({"valid": True, "problems": [
            p.to_dict() for p in evidence.warnings]}, indent=2))
    else:
        click.echo(one_line(f"{csv}: ok: {len(c)} citations of {c['study_id'].nunique()} "
                            f"studies on {c['position_id'].nunique()} positions"))


@main.command()
@csv_argument
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Terminal table, the contract's JSON, or one CSV row "
                                      "per citation.")
@rubric_option
@input_options
@rows_option
@handle_errors
@collector_paused()
def score(csv, fmt, rubric_path, sheet, max_size, max_rows):
    """Rate every citation and judge every position, without rendering (csv: citations).

    \b
    Example:
      grader score evidence.csv --format json > scores.json
    """
    from grader import report

    if fmt == "csv":  # one row per citation: no position needs judging
        rated = _rate(csv, rubric_path, sheet, max_size, max_rows)
        click.echo(report.to_score_csv(rated), nl=False)
        return
    result = _assess(csv, rubric_path, sheet, max_size, max_rows)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(result), indent=2, ensure_ascii=False))
    else:
        click.echo(report.to_table(result))


@main.command()
@click.argument("name", metavar="STUDY_OR_POSITION")
@csv_argument
@rubric_option
@input_options
@handle_errors
def explain(name, csv, rubric_path, sheet, max_size):
    """Why a study's citations or a position got their grade, rule by rule.

    \b
    Example:
      grader explain Williams2018
      grader explain esketamine-long-term-efficacy evidence.csv
    """
    from grader.explain import explain as explain_text

    click.echo(explain_text(_assess(csv, rubric_path, sheet, max_size), name), nl=False)


@main.command()
@click.option("--rubric", "rubric_path", type=EXISTING_FILE, metavar="FILE",
              help="Check and print this rubric instead of the built-in one.")
@handle_errors
def rubric(rubric_path):
    """Print the rubric in use (TOML), to copy and edit.

    For the list of designs, their synonyms and starts, readable in a terminal, use
    `grader designs`.

    \b
    Example:
      grader rubric > my-rubric.toml
    """
    from grader.rubric import load_rubric

    click.echo(load_rubric(rubric_path).text, nl=False)


@main.command()
@rubric_option
@handle_errors
def designs(rubric_path):
    """List the designs: id, label, start (per question where it differs), synonyms.

    Each design also says which studies it fits ("a registry analysis", "an open-label
    extension"); type its id or any synonym in the design column.

    \b
    Example:
      grader designs | less
    """
    from grader.designs import listing
    from grader.rubric import load_rubric

    click.echo(listing(load_rubric(rubric_path)), nl=False)



@main.command()
@click.argument("references", type=EXISTING_FILE)
@click.option("--into", "into", type=click.Path(dir_okay=False, path_type=Path),
              metavar="CSV", help="Add the new studies to this evidence file (existing rows "
                                  "are left byte for byte; a study already there is skipped).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="Rows as CSV, or as JSON for scripts (stdout only).")
@click.option("--from", "input_format", metavar="FORMAT",
              help="Read as this format instead of detecting it: ris, bibtex, medline, "
                   "pubmed_xml, endnote_xml, csl_json, text.")
@click.option("--cues", "cues_path", type=EXISTING_FILE, metavar="FILE",
              help="Design-cue table to use instead of the built-in one.")
@rubric_option
@handle_errors
def draft(references, into, fmt, input_format, cues_path, rubric_path):
    """Draft evidence rows from a reference list, one study per reference.

    Reads RIS, BibTeX, PubMed MEDLINE (.nbib), PubMed XML, EndNote XML, CSL-JSON or a
    plain-text numbered list. Suggests each design from publication types and title
    words, and says in `notes` where it came from; position columns are left blank.

    \b
    Example:
      grader draft refs.ris > evidence.csv
      grader draft zotero.json --into evidence.csv
    """
    from grader.draft import draft as draft_rows

    if into is not None and fmt == "json":
        raise click.UsageError("--format json writes to stdout; leave out --into")
    result = draft_rows(references, into=into, fmt=fmt, input_format=input_format,
                        rubric=rubric_path, cues=cues_path)
    _report_problems(result.warnings)
    for line in result.added + result.skipped:
        click.echo(line, err=True)
    if into is not None and not result.added:
        click.echo(f"{into}: nothing to add; every reference is already there", err=True)
    click.echo(result.output, nl=False)
    click.echo(result.summary, err=True)


@main.command()
@click.argument("old", type=EXISTING_FILE)
@click.argument("new", type=EXISTING_FILE)
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text",
              show_default=True, help="Terminal text, Markdown tables, or JSON.")
@rubric_option
@input_options
@rows_option
@handle_errors
def diff(old, new, fmt, rubric_path, sheet, max_size, max_rows):
    """Show what changed between two versions of the evidence.

    OLD and NEW are each a CSV, an .xlsx, or a brief PDF (its attached CSV is used).
    Both are rated with the same rubric; the diff lists studies added, removed or
    changed (certainty before → after, and which columns changed) and positions whose
    verdict or certainty changed.

    \b
    Example:
      grader diff out/brief.pdf evidence.csv --format md
    """
    from grader import diff as differ

    _check_sheet(sheet, old, new)
    result = differ.diff_files(old, new, rubric=rubric_path, sheet=sheet,
                               max_bytes=int(max_size * 1e6), max_rows=max_rows)
    for version in (result.old, result.new):
        _report_problems(version.assessment.evidence.warnings)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "md":
        click.echo(differ.to_markdown(result), nl=False)
    else:
        click.echo(lines(differ.to_text(result)), nl=False)


@main.command()
@click.argument("brief", type=EXISTING_FILE)
@click.option("-o", "--output", "output", metavar="FILE",
              type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Where to write the attached file ('-' for standard output); default: "
                   "the attached file's own name, in the current folder.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@max_size_option
@handle_errors
def extract(brief, output, force, max_size):
    """Write the evidence file attached to a brief PDF, byte for byte.

    Without -o the file is written under its own name (e.g. evidence.csv) in the current
    folder; an existing file is not overwritten without --force.

    \b
    Example:
      grader extract out/brief.pdf -o evidence-as-built.csv
    """
    from grader.extract import attached_evidence, extract_attached

    if output is not None and str(output) == "-":
        _, data = attached_evidence(brief, int(max_size * 1e6))
        click.echo(data, nl=False)
        return
    name, size, written = extract_attached(brief, output, force=force,
                                           max_bytes=int(max_size * 1e6))
    click.echo(one_line(f"{brief}: wrote {name} ({size:,} bytes) to {written}"), err=True)


@main.command()
@brief_options
@click.option("-q", "--quiet", is_flag=True,
              help="Only one line per rebuild and errors: no progress or warnings.")
@input_options
@rows_option
@handle_errors
def watch(csv, out_dir, formats, title, settings_path, rubric_path, templates_dir,
          template_timeout, quiet, sheet, max_size, max_rows):
    """Rebuild the brief whenever the evidence is saved.

    Runs until Ctrl-C. Each rebuild prints one line saying what changed. A save
    with errors prints them and keeps the previous outputs; the next good save
    rebuilds. The rubric, settings and templates are watched too.

    \b
    Example:
      grader watch evidence.csv --out out --format pdf,html
    """
    from grader.build import BuildOptions
    from grader.watch import watch as watch_loop

    _check_sheet(sheet, csv)
    progress = Progress(not quiet and sys.stderr.isatty())
    options = BuildOptions(csv=csv, out_dir=out_dir, formats=formats, title=title,
                           settings_path=settings_path, rubric_path=rubric_path,
                           templates_dir=templates_dir, sheet=sheet,
                           max_bytes=int(max_size * 1e6),
                           progress=progress,
                           template_timeout=template_timeout, max_rows=max_rows)

    def report(event) -> None:
        progress.close()  # each rebuild's progress starts afresh
        if not quiet or event.problems:
            _report_problems(p for p in event.problems
                             if not quiet or p.severity == "error")
        click.echo(one_line(event.message))

    if not quiet:
        click.echo(one_line(f"watching {csv} (Ctrl-C to stop)"), err=True)
    try:
        watch_loop(options, on_result=report)
    except KeyboardInterrupt:
        pass
    if not quiet:
        click.echo("stopped watching", err=True)


@main.command()
@click.argument("folder", metavar="[DIR]", default=".",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite existing starter files.")
@handle_errors
def init(folder, force):
    """Start a debate: starter evidence.csv, GUIDE.md and grader.toml.

    The starter table has every column and one example row per pattern; `grader build`
    accepts it as it is. Existing files are never overwritten without --force.

    \b
    Example:
      grader init ketamine-debate && cd ketamine-debate && grader build

    `grader` must be on PATH: in grader's folder, activate its virtual
    environment for this shell, or install it for your user:

    \b
      . .venv/bin/activate
      pipx install .        # or: pip install --user .
    """
    from grader.scaffold import scaffold

    for path in scaffold(folder, force=force):
        click.echo(one_line(f"wrote {path}"), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
