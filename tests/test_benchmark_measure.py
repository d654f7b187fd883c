"""benchmarks/run.py measures each command's own peak memory, not its own process's."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PARENT = """
import sys
sys.path.insert(0, sys.argv[1])
import run
grown = bytearray(300 * 1024 * 1024)
grown[::4096] = b"x" * len(grown[::4096])  # resident: Linux counts it into children
del grown
small = run.measure(["/bin/true"])
sized = run.measure([sys.executable, "-c", "x = bytearray(80_000_000); x[::4096] = "
                     "b'x' * len(x[::4096]); raise SystemExit(3)"])
print(small.rss_mb, sized.rss_mb, small.status, sized.status)
"""


def test_a_commands_peak_memory_leaves_out_the_benchmarks_own(tmp_path):
    # Spawned straight from a process that once held 300 MB, a child reports at least
    # that as its peak; run.measure spawns through a small launcher.
    out = subprocess.run([sys.executable, "-c", PARENT, str(ROOT / "benchmarks")],
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    small, sized, small_status, sized_status = out.split()
    assert float(small) < 50
    assert 80 < float(sized) < 150
    assert (small_status, sized_status) == ("0", "3")


FAKE_WATCH = """
import os, sys, time
evidence = sys.argv[2]
print("12:00:00 built out/brief.pdf", flush=True)
seen = os.stat(evidence).st_mtime_ns
while True:
    time.sleep(0.02)
    now = os.stat(evidence).st_mtime_ns
    if now != seen:
        seen = now
        # One save seen as two events, the first answered late: as the issue's code once did.
        print("12:00:01 no change: out/brief.pdf up to date", flush=True)
        print("12:00:01 " + ("rebuilt out/brief.pdf" if b"edit" in open(evidence, "rb").read()
                             else "internal error"), flush=True)
        print("12:00:01 no change: out/brief.pdf up to date", flush=True)
"""


def test_a_watchers_no_change_lines_are_not_taken_for_its_answer_to_a_save(tmp_path):
    # A fake `python -m grader watch` on PYTHONPATH, which says "no change" around each rebuild.
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    package = tmp_path / "fake" / "grader"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(FAKE_WATCH)
    root = tmp_path / "root"
    root.mkdir()
    (root / "evidence.csv").write_bytes(b"position_id,notes\np1,first\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "fake")}
    watcher = run._Watcher(tmp_path / "watch", root, env)
    try:
        assert 0 < watcher.save() < 5 and 0 < watcher.save() < 5
        watcher.evidence.write_bytes(b"position_id,notes\np1,no mark\n")  # answered with an error
        time.sleep(0.3)
        with pytest.raises(RuntimeError, match="internal error"):
            watcher.save()
    finally:
        watcher.stop()
