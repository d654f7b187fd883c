"""Internal errors in one line, tracebacks only with --verbose; settings and file errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from grader import pipeline
from grader.cli import main

# --- tracebacks only with --verbose ------------------------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


@pytest.mark.parametrize("command", ["check", "score", "build"])
def test_an_internal_error_is_one_line_without_a_traceback(good_csv, tmp_path, command,
                                                           monkeypatch):
    monkeypatch.setattr(pipeline, "validate", _boom)  # a stage every command runs
    out = ["--out", str(tmp_path / "out"), "--format", "json"] if command == "build" else []
    result = CliRunner().invoke(main, [command, str(good_csv), *out])
    assert result.exit_code == 1
    assert result.stderr == ("grader: internal error: RuntimeError: boom (run `grader "
                             "--verbose ...` for the traceback)\n")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_with_verbose_the_internal_error_propagates(good_csv, monkeypatch):
    monkeypatch.setattr(pipeline, "validate", _boom)  # a stage every command runs
    with pytest.raises(RuntimeError, match="boom"):
        CliRunner().invoke(main, ["--verbose", "check", str(good_csv)],
                           catch_exceptions=False)


def test_a_real_process_prints_the_traceback_only_with_verbose(good_csv):
    script = ("import sys, grader.pipeline as p\n"
              "def boom(*a, **k): raise RuntimeError('boom')\n"
              "p.validate = boom\n"
              "from grader.cli import main\n"
              "sys.argv[0] = 'grader'\n"
              "main()\n")
    quiet = subprocess.run([sys.executable, "-c", script, "check", str(good_csv)],
                           capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 1
    assert "Traceback" not in quiet.stderr
    assert quiet.stderr.count("\n") == 1
    loud = subprocess.run([sys.executable, "-c", script, "--verbose", "check", str(good_csv)],
                          capture_output=True, text=True, timeout=60)
    assert loud.returncode == 1
    assert "Traceback (most recent call last)" in loud.stderr
    assert "RuntimeError: boom" in loud.stderr


# --- other files a build reads -----------------------------------------------------------


def test_a_settings_file_that_is_not_utf8_is_invalid_input(good_csv, tmp_path):
    settings = tmp_path / "grader.toml"
    settings.write_bytes('title = "Caf\u00e9"\n'.encode("cp1252"))
    result = CliRunner().invoke(main, ["build", str(good_csv), "--out", str(tmp_path / "out"),
                                       "--format", "json"])
    assert result.exit_code == 1
    assert result.stderr == f"{settings}:1: settings file is not UTF-8 text; save it as UTF-8\n"
    assert not (tmp_path / "out").exists()


def test_a_file_system_error_names_the_path_not_an_internal_error(good_csv, tmp_path):
    result = CliRunner().invoke(main, ["build", str(good_csv), "--out",
                                       str(good_csv / "out"), "--format", "json"])
    assert result.exit_code == 1
    assert result.stderr == (f"grader: {good_csv / 'out'}: Not a "
                             "directory; check the path "
                             "and its permissions (or choose another --out folder)\n")
