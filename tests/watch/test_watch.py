"""`grader watch`: rebuild on every save, say what changed, survive bad saves, stop cleanly."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from importlib import resources

import pytest

from grader.build import BuildOptions
from grader.rubric import default_rubric_text
from grader.scaffold import starter_csv
from grader.watch import DEBOUNCE_SECONDS, Rebuild, rebuild, watch

OLD = starter_csv()
SMALL = OLD.replace(",240,", ",8,")  # Trial2020: moderate → low
BROKEN = OLD.replace(",rct,", ",rtc,")
STAMP = r"\d\d:\d\d:\d\d"
FORMATS = ("json", "md")


class Watcher:
    """grader.watch.watch in a thread, its reports in a queue."""

    def __init__(self, options: BuildOptions, debounce: float = 0.15):
        self.events: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(options, debounce),
                                       daemon=True)
        self.thread.start()

    def _run(self, options, debounce):
        try:
            watch(options, stop_event=self.stop, on_result=self.events.put, debounce=debounce,
                  poll=0.2)
        except BaseException as exc:  # hand it to the test instead of losing it
            self.events.put(exc)

    def next(self, timeout: float = 15) -> Rebuild:
        event = self.events.get(timeout=timeout)
        if isinstance(event, BaseException):
            raise event
        return event

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "watch did not stop on its stop event"
        assert self.events.empty(), f"unexpected reports: {list(self.events.queue)}"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "evidence.csv").write_text(OLD, encoding="utf-8")
    return tmp_path


@pytest.fixture
def options(project):
    return BuildOptions(csv=project / "evidence.csv", out_dir=project / "out", formats=FORMATS)


@pytest.fixture
def watcher(options):
    w = Watcher(options)
    yield w
    w.close()


def _names(options) -> str:
    return ", ".join(str(options.out_dir / f"brief.{f}") for f in FORMATS)


def _outputs(options) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(options.out_dir.iterdir())}


def _n(options) -> int:
    data = json.loads((options.out_dir / "brief.json").read_text("utf-8"))
    return next(s["n"] for s in data["studies"] if s["study_id"] == "Trial2020")


def _save_like_an_editor(path, text: str) -> None:
    """Write a temporary file beside path and rename it over path (vim, LibreOffice)."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def test_rebuilds_on_save_reports_errors_keeps_outputs_and_recovers(watcher, options):
    csv = options.csv
    first = watcher.next()
    assert first.ok and not first.result.skipped
    assert re.fullmatch(f"{STAMP} built {re.escape(_names(options))}: 2 positions: "
                        r"2 supported; 4 citations \(\d+\.\d s\)", first.message)

    csv.write_text(SMALL, encoding="utf-8")
    second = watcher.next()
    assert second.ok
    assert re.fullmatch(f"{STAMP} rebuilt {re.escape(_names(options))}: Trial2020 changed "
                        r"\(moderate → low\); 2 position certainties changed",  # v2 body rule
                        second.message)
    assert _n(options) == 8
    good = _outputs(options)

    csv.write_text(BROKEN, encoding="utf-8")
    third = watcher.next()
    assert not third.ok
    assert [str(p) for p in third.problems] == [
        f"{csv}:2: design: 'rtc' is not a known design; did you mean rct? (`grader "
        "designs` lists the 24 designs with their synonyms and what each fits)"]
    assert third.message.endswith(f" 1 problem in {csv}; kept the previous {_names(options)} "
                                  "(fix and save again)")
    assert _outputs(options) == good  # a bad save never costs the last good brief

    csv.write_text(OLD, encoding="utf-8")
    fourth = watcher.next()
    assert fourth.ok
    # Compared with the last good build, not with the broken save.
    assert fourth.message.endswith(": Trial2020 changed (low → moderate); 2 position "
                                   "certainties changed")
    assert _n(options) == 240


@pytest.fixture
def quick_watcher(options):
    """A watcher with the default quiet time (the other tests give it 0.15 s)."""
    w = Watcher(options, debounce=DEBOUNCE_SECONDS)
    yield w
    w.close()


def test_a_save_slower_than_the_quiet_time_ends_in_a_brief_of_the_whole_file(quick_watcher,
                                                                            options):
    assert quick_watcher.next().ok
    good = _outputs(options)
    cut = SMALL.index(",8,") + 2  # inside Trial2020's row
    # Worst case of a slow save: the watcher builds the half-written file before the rest
    # arrives. (The half is put in place whole, so no emptied file is seen on its own.)
    _save_like_an_editor(options.csv, SMALL[:cut])
    half = quick_watcher.next()
    assert not half.ok and _outputs(options) == good, half.message
    with options.csv.open("a", encoding="utf-8") as csv:
        csv.write(SMALL[cut:])
    whole = quick_watcher.next()
    assert whole.ok and " rebuilt " in whole.message and _n(options) == 8, whole.message
    threading.Event().wait(1)  # and nothing more is reported (the fixture checks)


def test_rename_saves_are_seen_and_identical_saves_skip_rendering(watcher, options):
    assert watcher.next().ok
    _save_like_an_editor(options.csv, SMALL)
    event = watcher.next()
    assert " rebuilt " in event.message and "Trial2020 changed" in event.message
    _save_like_an_editor(options.csv, SMALL)  # saved again, nothing changed
    same = watcher.next()
    assert same.ok and same.result.skipped
    assert re.fullmatch(f"{STAMP} no change: {re.escape(_names(options))} up to date",
                        same.message)


def test_a_deleted_csv_is_waited_for(watcher, options):
    assert watcher.next().ok
    good = _outputs(options)
    options.csv.unlink()
    gone = watcher.next()
    assert not gone.ok
    assert gone.message.endswith(f"cannot read {options.csv}: No such file or directory; "
                                 f"kept the previous {_names(options)} (waiting for the next "
                                 "save)")
    assert _outputs(options) == good
    options.csv.write_text(OLD, encoding="utf-8")
    back = watcher.next()
    assert back.ok and back.result.skipped  # same content as the last good build
    assert re.fullmatch(f"{STAMP} fixed: {re.escape(_names(options))} up to date",
                        back.message)


def test_rubric_and_template_edits_rebuild_too(project):
    templates = project / "templates"
    templates.mkdir()
    builtin = resources.files("grader.templates").joinpath("brief.md.j2").read_text("utf-8")
    (templates / "brief.md.j2").write_text(builtin, encoding="utf-8")
    rubric = project / "rubric.toml"
    rubric.write_text(default_rubric_text(), encoding="utf-8")
    options = BuildOptions(csv=project / "evidence.csv", out_dir=project / "out",
                           formats=FORMATS, rubric_path=rubric, templates_dir=templates)
    w = Watcher(options)
    try:
        assert w.next().ok
        (templates / "brief.md.j2").write_text(builtin + "\nEdited by the committee.\n",
                                               encoding="utf-8")
        event = w.next()
        assert event.message.endswith(": brief.md.j2 changed; no study or position changed")
        assert "Edited by the committee." in (project / "out" / "brief.md").read_text("utf-8")

        rubric.write_text(default_rubric_text().replace("n_below = 400", "n_below = 100"),
                          encoding="utf-8")
        event = w.next()
        assert event.message.endswith(": rubric.toml changed; Trial2020 changed "
                                      "(moderate → high); 2 position certainties changed")
    finally:
        w.close()


def test_stop_event_ends_the_watch_promptly(options):
    w = Watcher(options)
    assert w.next().ok
    w.close()  # asserts the thread ended


def test_the_report_comes_before_the_collector_and_the_render_garbage_is_collected(
        options, monkeypatch):
    """Speed (#18): a rebuild's garbage is collected after its line is printed, not before."""
    import gc

    import grader.watch

    calls = []
    real_collect = gc.collect
    monkeypatch.setattr(grader.watch.gc, "collect",
                        lambda *args: calls.append("collect") or real_collect(*args))
    stop = threading.Event()

    def report(event):
        calls.append(("report", event.ok, gc.isenabled()))
        stop.set()

    watch(options, stop_event=stop, on_result=report, debounce=0.15, poll=0.2)
    assert calls[:2] == [("report", True, False), "collect"]
    assert gc.isenabled()


def test_first_build_failing_says_no_brief_yet(options):
    options.csv.write_text(BROKEN, encoding="utf-8")
    event, previous = rebuild(options, None)
    assert (event.ok, previous) == (False, None)
    assert event.message.endswith(f"1 problem in {options.csv}; no brief written yet "
                                  "(fix and save again)")
    assert not options.out_dir.exists()


# --- the command ---------------------------------------------------------------------


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def test_cli_watch_reports_each_save_and_ctrl_c_exits_0(project):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "watch", "evidence.csv", "--format", "json"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=30)
        assert re.match(f"{STAMP} built out/brief.json: 2 positions: 2 supported; "
                        "4 citations", first)
        (project / "evidence.csv").write_text(BROKEN, encoding="utf-8")
        second = lines.get(timeout=15)
        assert second.rstrip().endswith("1 problem in evidence.csv; kept the previous "
                                        "out/brief.json (fix and save again)")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    reader.join(timeout=5)
    stderr = process.stderr.read()
    process.stderr.close()
    process.stdout.close()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    lines_err = stderr.splitlines()
    assert lines_err[0] == "watching evidence.csv (Ctrl-C to stop)"
    assert lines_err[1].startswith("evidence.csv:2: design: 'rtc' is not a known design;")
    assert lines_err[-1] == "stopped watching"
