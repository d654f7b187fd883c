"""benchmarks/run.py measures each command's own peak memory, not its own process's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
