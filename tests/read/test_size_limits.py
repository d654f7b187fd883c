"""The size limit: a file over --max-size is refused naming the flag; 200 MB by default."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import GOOD

from grader.cli import main

# --- the size limit ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_file_over_max_size_is_refused_naming_the_flag(good_csv, tmp_path, command):
    size = good_csv.stat().st_size
    out = ["--out", str(tmp_path / "out"), "--format", "json"] if command == "build" else []
    runner = CliRunner()
    refused = runner.invoke(main, [command, str(good_csv), "--max-size", "0.0001", *out])
    assert refused.exit_code == 1
    assert refused.stderr == (f"{good_csv}: file is {size:,} bytes, over the 100 bytes "
                              "limit; pass --max-size MB to raise it (e.g. --max-size 1)\n")
    assert not (tmp_path / "out").exists()
    allowed = runner.invoke(main, [command, str(good_csv), "--max-size", "1", *out])
    assert allowed.exit_code == 0, allowed.output


def test_the_default_limit_is_200_mb(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:  # sparse: nothing is written to disk
        handle.write(GOOD.encode())
        handle.truncate(200_000_001)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "over the 200.0 MB limit; pass --max-size MB to raise it" in result.stderr
