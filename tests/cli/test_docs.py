"""The README documents every command and keeps its quick start true; the code is linted."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start() -> list[str]:
    section = re.search(r"^## Quick start$(.*?)^## ", README, re.M | re.S).group(1)
    block = re.search(r"```\w*\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_commands_building_the_brief_then_testing():
    setup, tests = _quick_start()
    assert "scripts/setup" in setup and "grader build" in setup
    assert tests == ".venv/bin/pytest"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _quick_start()[1] in ci
    assert "scripts/setup" in ci


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command):
    assert f"grader {command}" in README
    assert main.commands[command].help and "Example" in main.commands[command].help


def test_code_passes_ruff():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is a test dependency: run scripts/setup"
    paths = [p for p in ("grader", "tests", "benchmarks") if (ROOT / p).exists()]
    result = subprocess.run([ruff, "check", *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
