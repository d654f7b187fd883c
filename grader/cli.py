"""The command line: parse options, call one library function, report problems."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from grader import __version__

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
FORMATS = ("pdf", "html", "json", "md")


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
            click.echo(f"grader: {exc}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("grader: interrupted; previous outputs left as they were", err=True)
            ctx.exit(130)
        except Exception as exc:
            if verbose:
                raise
            click.echo(f"grader: internal error: {type(exc).__name__}: {exc} "
                       "(run `grader --verbose ...` for the traceback)", err=True)
            ctx.exit(1)

    return wrapper


def input_options(func):
    """Options shared by every command that reads an evidence file."""
    func = click.option("--sheet", metavar="NAME",
                        help="Worksheet of an .xlsx input (default: the first).")(func)
    func = click.option("--max-size", "max_size", type=click.FloatRange(min=0), default=200,
                        show_default=True, metavar="MB",
                        help="Refuse input files larger than this many megabytes.")(func)
    return func


def rubric_option(func):
    """The --rubric option: an edited copy of the rubric file."""
    return click.option("--rubric", "rubric_path", type=EXISTING_FILE, metavar="FILE",
                        help="Rubric TOML to use instead of the built-in one "
                             "(start from `grader rubric > my.toml`).")(func)


def _assess(csv: Path, rubric_path, sheet, max_size):
    from grader.pipeline import assess

    result = assess(csv, rubric=rubric_path, sheet=sheet, max_bytes=int(max_size * 1e6))
    _report_problems(result.evidence.warnings)
    return result


def _formats(ctx, param, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"use a comma-separated list of: {', '.join(FORMATS)}")
    return chosen


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
@click.argument("csv", type=EXISTING_FILE, default="evidence.csv")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default="out", show_default=True, help="Folder for the outputs.")
@click.option("--format", "formats", default="pdf", show_default=True, callback=_formats,
              help="Comma-separated outputs: pdf, html, json, md.")
@click.option("--title", help="Title of the brief (overrides the settings file).")
@click.option("--settings", "settings_path", type=EXISTING_FILE, metavar="FILE",
              help="TOML settings (title, exchange, journal, doi); default: grader.toml "
                   "beside the CSV, if present.")
@rubric_option
@click.option("--templates", "templates_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR",
              help="Folder of templates overriding the built-in ones (sandboxed).")
@click.option("--since", "since", type=EXISTING_FILE, metavar="OLD",
              help="Previous CSV, .xlsx or brief PDF: adds a 'Changes since' section.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or status lines.")
@input_options
@handle_errors
def build(csv, out_dir, formats, title, settings_path, rubric_path, templates_dir, since,
          force, quiet, sheet, max_size):
    """Build the brief (out/brief.pdf) from an evidence CSV or .xlsx.

    \b
    Example:
      grader build evidence.csv --out out --format pdf,html
    """
    from grader.build import BuildOptions, build_brief

    options = BuildOptions(csv=csv, out_dir=out_dir, formats=formats, title=title,
                           settings_path=settings_path, rubric_path=rubric_path,
                           templates_dir=templates_dir, since=since, force=force,
                           sheet=sheet, max_bytes=int(max_size * 1e6),
                           progress=not quiet and sys.stderr.isatty())
    result = build_brief(options)
    _report_problems(result.warnings)
    if not quiet:
        click.echo(result.summary, err=True)


@main.command()
@click.argument("csv", type=EXISTING_FILE)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Problems as lines, or as JSON records.")
@rubric_option
@input_options
@handle_errors
def check(csv, fmt, rubric_path, sheet, max_size):
    """Validate an evidence file; exit 1 listing every problem.

    \b
    Example:
      grader check evidence.csv
    """
    from grader.errors import InvalidInput

    try:
        result = _assess(csv, rubric_path, sheet, max_size)
    except InvalidInput as exc:
        if fmt == "json":
            click.echo(json.dumps({"valid": False,
                                   "problems": [p.to_dict() for p in exc.problems]}, indent=2))
            raise SystemExit(1) from None
        raise
    c = result.citations
    if fmt == "json":
        click.echo(json.dumps({"valid": True, "problems": [
            p.to_dict() for p in result.evidence.warnings]}, indent=2))
    else:
        click.echo(f"{csv}: ok: {len(c)} citations of {c['study_id'].nunique()} studies "
                   f"on {c['position_id'].nunique()} positions")


@main.command()
@click.argument("csv", type=EXISTING_FILE)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Terminal table, the contract's JSON, or one CSV row "
                                      "per citation.")
@rubric_option
@input_options
@handle_errors
def score(csv, fmt, rubric_path, sheet, max_size):
    """Rate every citation and judge every position, without rendering.

    \b
    Example:
      grader score evidence.csv --format json > scores.json
    """
    from grader import report

    result = _assess(csv, rubric_path, sheet, max_size)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(result), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(report.to_score_csv(result), nl=False)
    else:
        click.echo(report.to_table(result))


@main.command()
@click.option("--rubric", "rubric_path", type=EXISTING_FILE, metavar="FILE",
              help="Check and print this rubric instead of the built-in one.")
@handle_errors
def rubric(rubric_path):
    """Print the rubric in use (TOML), to copy and edit.

    \b
    Example:
      grader rubric > my-rubric.toml
    """
    from grader.rubric import load_rubric

    click.echo(load_rubric(rubric_path).text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
