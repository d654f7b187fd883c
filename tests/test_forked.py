"""A build's data stage in a forked child: same outputs, same errors, its memory gone (#18)."""

from __future__ import annotations

import csv
import errno
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader.errors import GraderError, InvalidInput, Problem
from grader.forked import ChildTraceback, can_fork, run_forked

ROOT = Path(__file__).resolve().parent.parent
GRADER = Path(sys.executable).with_name("grader")  # the [project.scripts] entry point
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")


def test_the_result_and_every_stage_come_back_in_order():
    told = []

    def stage(progress):
        progress("reading")
        progress("rating")
        return {"pid": os.getpid(), "bytes": b"\x00" * 100_000}

    result = run_forked(stage, told.append)
    assert told == ["reading", "rating"]
    assert result["pid"] != os.getpid() and result["bytes"] == b"\x00" * 100_000


def test_a_refused_fork_runs_the_stage_here_and_says_so(monkeypatch, caplog):
    def refused():
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr("grader.forked.os.fork", refused)
    told = []

    def stage(progress):
        progress("reading")
        return os.getpid()

    assert run_forked(stage, told.append) == os.getpid()
    assert told == ["reading"]
    assert "could not fork the build's data stage (Resource temporarily unavailable)" in \
        caplog.text


def test_the_childs_problems_arrive_whole_with_its_traceback_as_cause():
    problem = Problem("evidence.csv", 3, "design", "not a design", code="unknown-design")

    def stage(progress):
        raise InvalidInput([problem])

    with pytest.raises(InvalidInput) as caught:
        run_forked(stage, lambda name: None)
    assert caught.value.problems == [problem]
    assert str(caught.value) == "evidence.csv:3: design: not a design"
    assert isinstance(caught.value.__cause__, ChildTraceback)
    assert "raise InvalidInput([problem])" in str(caught.value.__cause__)


def test_an_exception_that_does_not_pickle_arrives_as_its_words():
    class Local(Exception):  # a class defined in a function cannot be pickled
        pass

    def stage(progress):
        raise Local("bad cell")

    with pytest.raises(RuntimeError, match="Local: bad cell"):
        run_forked(stage, lambda name: None)


class NeedsTwo(Exception):
    """Pickles (as its class and args) but cannot be rebuilt from its args alone."""

    def __init__(self, message, detail):
        super().__init__(message)
        self.detail = detail


def test_an_exception_that_pickles_but_does_not_rebuild_arrives_as_its_words():
    def stage(progress):
        raise NeedsTwo("bad cell", 2)

    with pytest.raises(RuntimeError, match="NeedsTwo: bad cell") as caught:
        run_forked(stage, lambda name: None)
    assert 'raise NeedsTwo("bad cell", 2)' in str(caught.value.__cause__)


def test_a_child_killed_without_a_result_is_a_grader_error():
    def stage(progress):
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(GraderError, match="ended without a result.*SIGKILL"):
        run_forked(stage, lambda name: None)


def test_an_interrupted_parent_stops_and_collects_the_child():
    children = []

    def stage(progress):
        progress(str(os.getpid()))
        signal.pause()  # until stopped

    def interrupt(pid):
        children.append(int(pid))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_forked(stage, interrupt)
    [child] = children
    with pytest.raises(ChildProcessError):  # stopped and collected: no such child now
        os.waitpid(child, os.WNOHANG)


def test_no_fork_while_another_thread_runs():
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not can_fork()
    finally:
        release.set()
        other.join()


PROBE = """
import sys
from grader.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print("imported:" + ",".join(m for m in ("pandas", "numpy", "pandera", "weasyprint")
                                 if m in sys.modules), file=sys.stderr)
"""


def _build(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, "build", *args], capture_output=True,
                          text=True, cwd=ROOT,
                          env={"SOURCE_DATE_EPOCH": "1780000000", "PATH": "/usr/bin"})


def test_a_cli_build_renders_without_pandas_and_writes_the_same_bytes(tmp_path, monkeypatch):
    from grader.build import BuildOptions, build_brief

    done = _build(["evidence.csv", "--out", str(tmp_path / "forked"), "--format", "pdf,json"])
    assert done.returncode == 0, done.stderr
    assert "built " in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "imported:weasyprint"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    monkeypatch.chdir(ROOT)  # the JSON names the input as given
    build_brief(BuildOptions(Path("evidence.csv"), tmp_path / "here", ("pdf", "json")))
    for name in ("brief.pdf", "brief.json"):
        assert (tmp_path / "forked" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_a_cli_builds_bad_input_is_reported_from_the_child(tmp_path):
    with open(ROOT / "evidence.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("stance")] = "maybe"
    bad = tmp_path / "evidence.csv"
    with open(bad, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    done = subprocess.run([GRADER, "build", str(bad), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert f"{bad}:2: stance:" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "brief.pdf").exists()
