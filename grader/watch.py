"""`grader watch`: rebuild the brief on every save, saying what changed."""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.build import SETTINGS_FILE, BuildOptions, BuildResult, build_brief, output_names
from grader.collector import collector_paused
from grader.errors import GraderError, InvalidInput, Problem
from grader.pipeline import Assessment

DEBOUNCE_SECONDS = 0.02
"""Quiet time after the last change before rebuilding (a save is often several writes).

A spreadsheet's save (a temporary file written, then renamed over the CSV) takes a few
milliseconds; the quiet time is on the path from save to brief, so it is kept short. Seed,
save to the start of the build: 0.065 s at 0.05, 0.038 s at 0.02 (issue 18; watchfiles
checks for changes once per quiet time). A save slower than this is built twice: once
from the half-written file (its problems reported, the previous outputs kept), then whole
(tests/watch/test_watch.py).
"""
POLL_SECONDS = 1.0
"""How often the inputs' size and mtime are checked too, in case an event was missed."""


@dataclass
class Rebuild:
    """What one (re)build did: the line to print and the details behind it."""

    when: dt.datetime
    ok: bool
    message: str
    result: BuildResult | None = None
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None
    studies: list[dict] = field(default_factory=list)
    positions: list[dict] = field(default_factory=list)
    trigger: list[str] = field(default_factory=list)


def inputs(options: BuildOptions) -> list[Path]:
    """Files whose change should rebuild the brief (templates: every file in the folder)."""
    files = [options.csv, options.settings_path or options.csv.parent / SETTINGS_FILE]
    if options.rubric_path:
        files.append(options.rubric_path)
    if options.templates_dir and options.templates_dir.is_dir():
        files += sorted(p for p in options.templates_dir.rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts)
    return [p.absolute() for p in files]


def _folders(options: BuildOptions) -> list[Path]:
    folders = [p.parent for p in inputs(options)]
    if options.templates_dir:
        root = options.templates_dir.absolute()
        folders += [root, *(p for p in root.rglob("*")
                            if p.is_dir() and "__pycache__" not in p.parts)]
    return list(dict.fromkeys(f for f in folders if f.is_dir()))


def signature(options: BuildOptions) -> dict[str, tuple | None]:
    """Size and modification time of every input (None for a missing one)."""
    out: dict[str, tuple | None] = {}
    for path in inputs(options):
        try:
            stat = path.stat()
        except OSError:
            out[str(path)] = None
        else:
            out[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return out


def rebuild(options: BuildOptions, previous: Assessment | None,
            trigger: list[str] | None = None,
            recovering: bool = False) -> tuple[Rebuild, Assessment | None]:
    """Build once; on any input error keep the previous outputs and say why.

    previous is the last good build's assessment (None at the start), for the diff;
    recovering says the last attempt failed.
    """
    from grader.diff import compare, summary
    from grader.pipeline import assess

    now = dt.datetime.now()
    stamp = now.strftime("%H:%M:%S")
    outputs = [options.out_dir / name for name in output_names(options.formats)]
    names = ", ".join(str(p) for p in outputs)
    kept = (f"kept the previous {names}" if any(p.exists() for p in outputs)
            else "no brief written yet")
    trigger = trigger or []
    try:
        result = build_brief(options)
        # A skipped build rendered nothing, so only then is the input rated here.
        assessment = result.assessment or assess(
            options.csv, rubric=options.rubric_path, sheet=options.sheet,
            max_bytes=options.max_bytes, max_rows=options.max_rows)
    except InvalidInput as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        noun = "problem" if len(errors) == 1 else "problems"
        where = ", ".join(sorted({p.path for p in errors})) or str(options.csv)
        return Rebuild(now, False, f"{stamp} {len(errors)} {noun} in {where}; {kept} "
                       "(fix and save again)", problems=exc.problems,
                       trigger=trigger), previous
    except GraderError as exc:
        return Rebuild(now, False, f"{stamp} not rebuilt: {exc}; {kept}", error=str(exc),
                       trigger=trigger), previous
    except OSError as exc:
        detail = f"{exc.filename or options.csv}: {exc.strerror or exc}"
        return Rebuild(now, False, f"{stamp} cannot read {detail}; {kept} (waiting for the "
                       "next save)", error=detail, trigger=trigger), previous
    except Exception as exc:  # a bug must not end the watch; the next save retries
        detail = f"internal error: {type(exc).__name__}: {exc}"
        return Rebuild(now, False, f"{stamp} {detail}; {kept}", error=detail,
                       trigger=trigger), previous
    warnings = list(result.warnings)
    if previous is None:
        return Rebuild(now, True, f"{stamp} {result.summary}", result, warnings,
                       trigger=trigger), assessment
    if result.skipped:
        said = ("fixed: " if recovering else "no change: ")
        return Rebuild(now, True, f"{stamp} {said}{names} up to date", result,
                       warnings, trigger=trigger), assessment
    studies, positions = compare(previous, assessment)
    others = [name for name in trigger if name != options.csv.name]
    said = f"{', '.join(others)} changed; " if others else ""
    return Rebuild(now, True, f"{stamp} rebuilt {names}: {said}{summary(studies, positions)}",
                   result, warnings, studies=studies, positions=positions,
                   trigger=trigger), assessment


def watch(options: BuildOptions, *, stop_event=None,
          on_result: Callable[[Rebuild], None] | None = None,
          debounce: float = DEBOUNCE_SECONDS, poll: float = POLL_SECONDS,
          force_polling: bool | None = None) -> None:
    """Build, then rebuild whenever an input changes, until stop_event is set or Ctrl-C.

    Each build is reported to on_result. KeyboardInterrupt propagates to the caller.
    """
    import watchfiles

    report = on_result or (lambda event: None)
    # Both spellings: some platforms report real paths (macOS: /private/var for /var).
    watched = {str(q) for p in inputs(options) for q in (p, p.resolve())}
    templates = ({str(q) + os.sep for q in (options.templates_dir.absolute(),
                                            options.templates_dir.resolve())}
                 if options.templates_dir else set())

    def relevant(change, path: str) -> bool:
        return path in watched or any(path.startswith(t) for t in templates)

    last = signature(options)
    with collector_paused():
        event, previous = rebuild(options, None)
        report(event)
    gc.collect()
    for changes in watchfiles.watch(
            *_folders(options), watch_filter=relevant, debounce=max(2000, int(debounce * 4000)),
            step=max(1, int(debounce * 1000)), stop_event=stop_event,
            rust_timeout=max(1, int(poll * 1000)), yield_on_timeout=True,
            recursive=False, force_polling=force_polling):
        if stop_event is not None and stop_event.is_set():
            break
        now = signature(options)
        moved = sorted({Path(p).name for p in now.keys() | last.keys()
                        if now.get(p) != last.get(p)})
        if not changes and not moved:
            continue
        last = now
        trigger = sorted({Path(path).name for _, path in changes} | set(moved))
        with collector_paused():  # the render's garbage is collected after the report
            event, previous = rebuild(options, previous, trigger, recovering=not event.ok)
            report(event)
        gc.collect()
