"""Run grader as `python -m grader`, and the `grader` command (Ctrl-C safe from the start)."""

import atexit
import os
import sys
import threading


def run() -> None:
    """The console entry point: Ctrl-C at any moment, imports included, exits 130 quietly.

    `grader.cli` imports click (and commands import pandas, WeasyPrint); a Ctrl-C during
    those imports used to print a KeyboardInterrupt traceback. Commands themselves turn
    Ctrl-C into a one-line message (cli.handle_errors); this covers everything around them.
    The process then ends without the interpreter's teardown (`exit_without_teardown`).
    """
    try:
        try:
            from grader.cli import main

            main()
        except KeyboardInterrupt:
            try:
                print("grader: interrupted; previous outputs left as they were",
                      file=sys.stderr)
            finally:
                sys.exit(130)
    except SystemExit as done:
        code = done.code
    else:
        return
    exit_without_teardown(code)
    sys.exit(code)


def exit_without_teardown(code: object) -> None:
    """End a command that succeeded as sys.exit would, minus freeing every object one by one.

    Why: at exit CPython tears down every module and frees every object left, which the
    operating system takes back at once anyway: pandas, numpy and pandera's modules alone
    take 0.12-0.16 s, a score of 100,000 citations 0.2-0.4 s in all (BENCHMARKS.md, issue
    18). Everything an exit must still do is done first, in the interpreter's order: the
    atexit handlers (WeasyPrint's font folder is removed by one), then the flush of
    stdout and stderr. After a failure, or where that order cannot be kept (another thread
    is still running, or this Python has no atexit._run_exitfuncs), it returns, and the
    exit is the usual one.
    """
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None or threading.active_count() > 1:
        return
    if code not in (None, 0):
        # A failed or interrupted command: its exception chain (click's Exit, the Ctrl-C or
        # error, their frames) holds what it was working on in reference cycles, which
        # only the teardown frees; WeasyPrint's font folder would stay behind without it.
        return
    status = 0
    run_exit_handlers()
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        status = 120  # what Python exits with when stdout cannot be flushed
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(status)


if __name__ == "__main__":
    run()
