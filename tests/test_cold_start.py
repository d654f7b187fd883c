"""Cold start: commands import only what they need (issue 18)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RENDERING = ("weasyprint", "jinja2", "pydyf", "markupsafe")

PROBE = """
import sys
from grader.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print("imported:" + ",".join(m for m in {modules!r} if m in sys.modules), file=sys.stderr)
"""


def _imported(args: list[str], modules=RENDERING) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(modules=modules), *args],
                          capture_output=True, text=True, cwd=ROOT,
                          env={"SOURCE_DATE_EPOCH": "1780000000", "PATH": "/usr/bin"})
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("imported:"), done.stderr
    return [m for m in last.removeprefix("imported:").split(",") if m]


@pytest.mark.parametrize("command", [["score", "evidence.csv", "--format", "csv"],
                                     ["score", "evidence.csv", "--format", "json"],
                                     ["check", "evidence.csv"]])
def test_check_and_score_never_import_the_renderer(command):
    assert _imported(command) == []


def test_an_up_to_date_build_imports_nothing_heavy(tmp_path):
    out = tmp_path / "out"
    args = ["build", "evidence.csv", "--out", str(out), "--format", "md", "-q"]
    _imported(args)  # the first build renders
    assert _imported(args, RENDERING + ("pandas", "pandera", "numpy")) == []
