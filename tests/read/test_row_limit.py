"""A limit on citation rows (--max-rows, default 10,000), checked before anything is rated."""

from __future__ import annotations

import resource

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.read import DEFAULT_MAX_ROWS

HEADER = "position_id,position,advocate,study_id,citation,design,stance\n"


def _rows(n: int, quoted: bool = False) -> str:
    cite = '"C{i}, quoted."' if quoted else "C{i}."
    return HEADER + "".join(f"p{i // 3},Claim {i // 3}.,Adv,S{i},{cite.format(i=i)},rct,"
                            "supports\n" for i in range(n))


def test_the_default_limit_is_10000_rows():
    # Measured: 10,000 benchmark citations build in 1.65 GB peak RSS, 20,000 in 2.57 GB.
    assert DEFAULT_MAX_ROWS == 10_000
    for command in ("check", "score", "build", "diff", "watch"):
        help_text = CliRunner().invoke(main, [command, "--help"]).stdout
        assert "--max-rows N" in help_text and "10000" in help_text, command


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
@pytest.mark.parametrize("command", ["check", "score", "build"])
def test_more_rows_than_the_limit_are_refused_naming_the_flag(tmp_path, quoted, command):
    path = tmp_path / "e.csv"
    path.write_text(_rows(6, quoted) + "\n,,,\n\n", encoding="utf-8")  # blank rows: not rows
    args = [command, str(path), "--max-rows", "5"] + (
        ["--out", str(tmp_path / "out")] if command == "build" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"{path}: 6 citation rows, over the 5 limit; pass --max-rows N "
                             "to raise it (e.g. --max-rows 6), or split the evidence by "
                             "question\n")
    assert not (tmp_path / "out").exists()
    ok = CliRunner().invoke(main, [*args[:2], "--max-rows", "6", *args[4:]])
    assert ok.exit_code == 0, ok.output


def test_a_million_rows_are_refused_up_front(tmp_path):
    path = tmp_path / "million.csv"
    path.write_text(_rows(1_000_000), encoding="utf-8")  # about 55 MB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "1,000,000 citation rows, over the 10,000 limit" in result.stderr
    # Counted in the bytes, without decoding or tokenising: no more than the file again.
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 200_000, grown_kb
