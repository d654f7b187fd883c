"""Run grader as `python -m grader`, and the `grader` command (Ctrl-C safe from the start)."""

import sys


def run() -> None:
    """The console entry point: Ctrl-C at any moment, imports included, exits 130 quietly.

    `grader.cli` imports click (and commands import pandas, WeasyPrint); a Ctrl-C during
    those imports used to print a KeyboardInterrupt traceback. Commands themselves turn
    Ctrl-C into a one-line message (cli.handle_errors); this covers everything around them.
    """
    try:
        from grader.cli import main

        main()
    except KeyboardInterrupt:
        try:
            print("grader: interrupted; previous outputs left as they were", file=sys.stderr)
        finally:
            sys.exit(130)


if __name__ == "__main__":
    run()
