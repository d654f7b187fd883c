"""The grader command ends without the interpreter's teardown, and loses nothing by it (#18)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]
GRADER = Path(sys.executable).with_name("grader")  # the [project.scripts] entry point
# An object whose finaliser says when the interpreter tears the module down.
TEARDOWN_PROBE = """
import sys, threading, time
from grader.__main__ import run

class Probe:
    def __del__(self):
        sys.stderr.write("torn down\\n")

probe = Probe()
if sys.argv.pop(1) == "thread":
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
sys.argv[0] = "grader"
run()
"""


def _probe(mode: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TEARDOWN_PROBE, mode, *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_a_command_that_succeeds_skips_the_teardown():
    done = _probe("alone", "--version")
    assert (done.returncode, done.stdout.split(",")[0], done.stderr) == (0, "grader", "")


def test_a_failed_command_is_torn_down_and_keeps_its_status():
    # Its exception chain holds its work in reference cycles only the teardown frees
    # (a render interrupted by Ctrl-C would leave WeasyPrint's font folder behind).
    done = _probe("alone", "no-such-command")
    assert done.returncode == 2 and "No such command" in done.stderr
    assert done.stderr.endswith("torn down\n")


def test_with_another_thread_running_the_exit_is_the_usual_one():
    done = _probe("thread", "--version")
    assert done.returncode == 0 and done.stderr == "torn down\n"


def test_output_is_flushed_whole_and_errors_keep_status_1(tmp_path):
    done = subprocess.run([GRADER, "score", "evidence.csv", "--format", "csv"],
                          capture_output=True, text=True, cwd=ROOT)
    in_process = CliRunner().invoke(main, ["score", "evidence.csv", "--format", "csv"])
    assert done.returncode == 0 and done.stdout == in_process.stdout
    bad = subprocess.run([GRADER, "check", "tests/bad_inputs/bad_stance.csv"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "bad_stance.csv:3: stance:" in bad.stderr


def test_exit_handlers_still_run_so_no_font_folder_is_left_behind(tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = subprocess.run([GRADER, "build", "evidence.csv", "--out", str(tmp_path / "out"),
                           "--format", "pdf", "-q"], capture_output=True, text=True,
                          cwd=ROOT, env={"TMPDIR": str(temporary), "PATH": "/usr/bin",
                                         "SOURCE_DATE_EPOCH": "1780000000"})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "brief.pdf").stat().st_size > 0
    assert list(temporary.iterdir()) == []  # WeasyPrint's font folder, removed at exit
