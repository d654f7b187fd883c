"""Hardening: formula injection in the score CSV, the size limit, long cells, tracebacks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from grader import pipeline
from grader.cli import main
from grader.rubric import default_rubric_text

GOOD = """\
position_id,position,advocate,study_id,citation,design,n,stance
drug-x-works,Drug X relieves pain.,Smith,Doe2020,Doe J. A trial. 2020.,rct,240,supports
drug-x-works,,,Roe2019,Roe R. A cohort. 2019.,cohort,5000,opposes
"""


@pytest.fixture
def good_csv(tmp_path):
    path = tmp_path / "evidence.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


# --- formula injection -------------------------------------------------------------------

# The score CSV exports ids, enumerations and numbers only: position ids start with a
# letter or digit, study ids with a letter, and design ids (even from an edited rubric)
# with a letter. So no user text in it can begin with a formula character; the
# neutralising itself is tested on hostile values in test_cli.py.
FORMULA_DESIGNS = ("=1+2", "+cmd", "-2+3", "@SUM(A1)", "=HYPERLINK(x)", "\ttab", "a\rb")


def test_an_edited_rubric_cannot_smuggle_formulas_into_the_score_csv(tmp_path):
    rubric = default_rubric_text() + "".join(
        f'\n[designs.{json.dumps(design)}]\nstart = "low"\n' for design in FORMULA_DESIGNS)
    (tmp_path / "rubric.toml").write_text(rubric, encoding="utf-8")
    result = CliRunner().invoke(main, ["rubric", "--rubric", str(tmp_path / "rubric.toml")])
    assert result.exit_code == 1
    assert result.stderr.count("a design id is lower-case letters, digits and _") == len(
        FORMULA_DESIGNS)


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


# --- long cells: cut in print, whole in JSON ---------------------------------------------


def test_long_cells_are_cut_visibly_in_html_and_whole_in_json(tmp_path):
    long = {c: f"{c.upper()} " + "word " * 1000 for c in
            ("position", "advocate", "citation", "characterization", "notes")}
    long = {c: v.strip() for c, v in long.items()}
    header = ["position_id", "study_id", "design", "stance", "claimed_certainty", *long]
    row = ["p1", "Doe2020", "rct", "supports", "high", *long.values()]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, row])
    (tmp_path / "evidence.csv").write_text(buffer.getvalue(), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "evidence.csv"), "--out",
                                       str(tmp_path / "out"), "--format", "html,json", "-q"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "brief.html").read_text(encoding="utf-8")
    for column, text in long.items():
        assert text not in html, f"{column} printed whole"
    for column in ("position", "advocate", "citation", "notes"):
        assert long[column][:150] in html, f"{column} not printed at all"
    for column in ("position", "advocate", "citation", "notes"):
        assert f"of {len(long[column]):,} characters; full text in brief.json]" in html, column
    brief = json.loads((tmp_path / "out" / "brief.json").read_text(encoding="utf-8"))
    citation = brief["citations"][0]
    assert citation["notes"] == long["notes"]
    assert citation["characterization"] == long["characterization"]
    assert brief["studies"][0]["citation"] == long["citation"]
    assert brief["positions"][0]["position"] == long["position"]
    assert brief["positions"][0]["advocate"] == long["advocate"]


# --- tracebacks only with --verbose ------------------------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


@pytest.mark.parametrize("command", ["check", "score", "build"])
def test_an_internal_error_is_one_line_without_a_traceback(good_csv, tmp_path, command,
                                                           monkeypatch):
    monkeypatch.setattr(pipeline, "rate", _boom)
    out = ["--out", str(tmp_path / "out"), "--format", "json"] if command == "build" else []
    result = CliRunner().invoke(main, [command, str(good_csv), *out])
    assert result.exit_code == 1
    assert result.stderr == ("grader: internal error: RuntimeError: boom (run `grader "
                             "--verbose ...` for the traceback)\n")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_with_verbose_the_internal_error_propagates(good_csv, monkeypatch):
    monkeypatch.setattr(pipeline, "rate", _boom)
    with pytest.raises(RuntimeError, match="boom"):
        CliRunner().invoke(main, ["--verbose", "check", str(good_csv)],
                           catch_exceptions=False)


def test_a_real_process_prints_the_traceback_only_with_verbose(good_csv):
    script = ("import sys, grader.pipeline as p\n"
              "def boom(*a, **k): raise RuntimeError('boom')\n"
              "p.rate = boom\n"
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
