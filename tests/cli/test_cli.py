"""The command line (contract §5–§6): exit codes, JSON keys, score CSV, help."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys

import pytest
from conftest import make_rows

from grader import report
from grader.cli import main
from grader.pipeline import assess
from grader.vocab import DOMAINS

VALID = make_rows(
    {"study_id": "Williams2018", "design": "crossover_rct", "n": "12", "blinded": "double",
     "claimed_certainty": "high", "characterization": "a rigorous trial"},
    {"study_id": "Roe2021", "design": "cohort", "n": "5000", "stance": "opposes"},
    {"position_id": "p2", "position": "It is safe.", "advocate": "Jones",
     "study_id": "Op2019", "design": "editorial", "claimed_certainty": "low"},
    {"position_id": "p2", "position": "", "advocate": "", "study_id": "Williams2018",
     "design": "", "citation": "", "n": "", "blinded": ""},  # inherits study and position
)


@pytest.fixture
def valid_csv(write_csv):
    return write_csv(VALID)


# --- exit codes ---------------------------------------------------------------


@pytest.mark.parametrize("args", [["check"], ["score"], ["score", "--format", "table"],
                                  ["score", "--format", "json"], ["score", "--format", "csv"]])
def test_valid_input_exits_0(runner, valid_csv, args):
    result = runner.invoke(main, [args[0], str(valid_csv), *args[1:]])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout


def test_check_reports_what_it_read(runner, valid_csv):
    result = runner.invoke(main, ["check", str(valid_csv)])
    assert result.stdout == f"{valid_csv}: ok: 4 citations of 3 studies on 2 positions\n"


@pytest.mark.parametrize("command", ["check", "score"])
def test_invalid_input_exits_1(runner, write_csv, command):
    path = write_csv(make_rows({"stance": "neutral"}))
    result = runner.invoke(main, [command, str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:2: stance: 'neutral' is not allowed")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [
    ["check", "{csv}", "--bogus"],
    ["score", "{csv}", "--format", "xml"],
    ["score", "{csv}", "--rubric", "{missing}"],
    ["check", "{missing}"],
    ["score", "{missing}"],
    ["check", "{dir}"],
    ["score", "{dir}"],
    ["score", "{csv}", "--rubric", "{dir}"],
    ["rubric", "--rubric", "{missing}"],
    ["build", "{missing}"],
    ["build", "{dir}"],
    ["check", "{csv}", "--sheet", "Evidence"],
    ["nonsense"],
], ids=["unknown-option", "unknown-format", "missing-rubric", "check-missing",
        "score-missing", "check-dir", "score-dir", "rubric-dir", "rubric-missing",
        "build-missing", "build-dir", "sheet-on-csv", "unknown-command"])
def test_wrong_usage_exits_2(runner, valid_csv, tmp_path, args):
    values = {"csv": str(valid_csv), "missing": str(tmp_path / "nowhere.csv"),
              "dir": str(tmp_path)}
    result = runner.invoke(main, [a.format(**values) for a in args])
    assert result.exit_code == 2, result.output
    # click's usage error: the usage line, then one "Error: …" line saying what is wrong.
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.output


# --- §6 JSON ---------------------------------------------------------------------


@pytest.fixture
def scored(runner, valid_csv, monkeypatch):
    monkeypatch.chdir(valid_csv.parent)
    result = runner.invoke(main, ["score", "evidence.csv", "--format", "json"])
    assert result.exit_code == 0
    return json.loads(result.stdout)


def test_json_top_level_keys(scored, valid_csv):
    assert list(scored) == ["input", "rubric", "studies", "citations", "positions"]
    assert scored["input"] == {"path": "evidence.csv",
                               "sha256": hashlib.sha256(valid_csv.read_bytes()).hexdigest()}
    assert set(scored["rubric"]) == {"name", "version"}
    assert all(isinstance(v, str) and v for v in scored["rubric"].values())


def test_json_studies(scored):
    for study in scored["studies"]:
        assert set(study) >= {"study_id", "design", "n", "certainty", "score"}
    assert [s["study_id"] for s in scored["studies"]] == ["Williams2018", "Roe2021", "Op2019"]
    williams = scored["studies"][0]
    assert (williams["design"], williams["n"], williams["certainty"], williams["score"]) == (
        "crossover_rct", 12, "moderate", 3)
    assert (scored["studies"][2]["certainty"], scored["studies"][2]["score"]) == (
        "not_rated", 0)


def test_json_citations(scored):
    keys = {"position_id", "study_id", "stance", "start", "domains", "upgrades",
            "certainty", "score", "claimed_certainty", "overstated"}
    assert len(scored["citations"]) == 4
    for c in scored["citations"]:
        assert set(c) >= keys
        assert list(c["domains"]) == list(DOMAINS)
        for domain in c["domains"].values():
            assert set(domain) == {"judgment", "source", "reason"}
            assert domain["judgment"] in ("not_serious", "serious", "very_serious")
            assert domain["source"] in ("derived", "explicit", "not_assessed")  # v2 §4.1
            assert isinstance(domain["reason"], str) and domain["reason"]
        assert set(c["upgrades"]) == {"large_effect", "dose_response",
                                      "plausible_confounding", "withheld", "reason"}  # v2 §7
        assert c["upgrades"]["large_effect"] in ("no", "large", "very_large")
        assert isinstance(c["upgrades"]["dose_response"], bool)
        assert isinstance(c["upgrades"]["plausible_confounding"], bool)
        assert isinstance(c["score"], int) and isinstance(c["overstated"], bool)
    first = scored["citations"][0]
    assert (first["position_id"], first["study_id"], first["stance"], first["start"]) == (
        "p1", "Williams2018", "supports", "high")
    assert first["domains"]["imprecision"]["judgment"] == "serious"
    assert first["domains"]["imprecision"]["source"] == "derived"
    assert (first["certainty"], first["score"], first["claimed_certainty"],
            first["overstated"]) == ("moderate", 3, "high", True)
    assert scored["citations"][1]["claimed_certainty"] is None


def test_json_positions(scored):
    keys = {"position_id", "position", "advocate", "verdict", "certainty", "score",
            "supporting", "opposing", "not_rated"}
    p1, p2 = scored["positions"]
    assert set(p1) >= keys and set(p2) >= keys
    assert (p1["position_id"], p1["position"], p1["advocate"]) == (
        "p1", "The drug works.", "Smith")
    assert (p1["verdict"], p1["certainty"], p1["score"]) == ("supported", "moderate", 3)
    assert (p1["supporting"], p1["opposing"], p1["not_rated"]) == (
        ["Williams2018"], ["Roe2021"], [])
    assert (p2["verdict"], p2["supporting"], p2["not_rated"]) == (
        "supported", ["Williams2018"], ["Op2019"])


def test_json_is_identical_on_rerun(runner, valid_csv):
    first = runner.invoke(main, ["score", str(valid_csv), "--format", "json"]).stdout
    assert runner.invoke(main, ["score", str(valid_csv), "--format", "json"]).stdout == first


# --- score --format csv / table ----------------------------------------------------


def test_score_csv_has_one_row_per_citation(runner, valid_csv):
    result = runner.invoke(main, ["score", str(valid_csv), "--format", "csv"])
    rows = list(csv.reader(io.StringIO(result.stdout)))
    # Contract v2 §6: the five judgments, then their sources, then the upgrades.
    assert rows[0] == ["position_id", "study_id", "stance", "design", "start", *DOMAINS,
                       *(f"{d}_source" for d in DOMAINS), "upgrades", "upgrades_withheld",
                       "certainty", "score", "overstated"]
    assert len(rows) == 5
    assert rows[1] == ["p1", "Williams2018", "supports", "crossover_rct", "high",
                       "not_serious", "not_serious", "not_serious", "serious",
                       "not_serious", "not_assessed", "not_assessed", "not_assessed",
                       "derived", "not_assessed", "", "", "moderate", "3", "yes"]
    assert [r[1] for r in rows[1:]] == ["Williams2018", "Roe2021", "Op2019", "Williams2018"]


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx",
                                  '=HYPERLINK("http://x","y")'])
def test_neutralize_prefixes_formula_triggers(cell):
    assert report.neutralize(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Doe2020", "p1", "", "a=b", "'quoted"])
def test_neutralize_leaves_other_cells(cell):
    assert report.neutralize(cell) == cell


def test_score_csv_neutralizes_formula_cells(valid_csv):
    result = assess(valid_csv)
    cited = result.ratings
    cited["study_id"] = cited["study_id"].astype(object)
    cited.loc[0, "study_id"] = "=cmd|' /C calc'!A0"
    cited.loc[1, "study_id"] = "@SUM(1)"
    cited.loc[2, "study_id"] = "-2+3"
    cited.loc[3, "study_id"] = "\tTab"
    rows = list(csv.reader(io.StringIO(report.to_score_csv(result))))
    assert [r[1] for r in rows[1:]] == ["'=cmd|' /C calc'!A0", "'@SUM(1)", "'-2+3", "'\tTab"]
    score = rows[0].index("score")
    assert [r[score] for r in rows[1:]] == ["3", "2", "0", "3"]  # numbers stay numbers


def test_score_table_names_positions_and_verdicts(runner, valid_csv):
    out = runner.invoke(main, ["score", str(valid_csv)]).stdout
    assert "p1" in out and "SUPPORTED" in out and "Williams2018" in out
    assert "OVERSTATED" in out


# --- help --------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    assert "Example" in result.stdout
    assert f"grader {command}" in result.stdout


def test_main_help_lists_commands(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout
    for command in ("build", "check", "score", "rubric"):
        assert command in result.stdout


def test_python_dash_m_grader_help():
    result = subprocess.run([sys.executable, "-m", "grader", "--help"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: ")
    assert "score" in result.stdout


def test_score_csv_judges_no_position_and_check_rates_nothing(runner, good_csv, monkeypatch):
    # The score CSV is one row per citation and check only validates: each stops at the
    # stage its output needs (at 100,000 citations judging is most of the time).
    from grader import pipeline

    expected = report.to_score_csv(assess(good_csv))

    def never(*args, **kwargs):
        raise AssertionError("this stage should not run")

    monkeypatch.setattr(pipeline, "judge", never)
    scored = runner.invoke(main, ["score", str(good_csv), "--format", "csv"])
    assert scored.exit_code == 0, scored.output
    assert scored.stdout == expected
    monkeypatch.setattr(pipeline, "rate", never)
    checked = runner.invoke(main, ["check", str(good_csv)])
    assert checked.exit_code == 0, checked.output
    assert ": ok: 2 citations" in checked.stdout
    assert runner.invoke(main, ["score", str(good_csv), "--format", "json"]).exit_code == 1


@pytest.mark.parametrize("args", [["check"], ["score", "--format", "csv"],
                                  ["score", "--format", "json"]])
def test_check_and_score_run_with_the_collector_paused(runner, good_csv, monkeypatch, args):
    # Their frames live until the output is written, so the collector's passes find almost
    # no garbage (0.06 s of `score` at 100,000 citations); it is on again afterwards.
    import gc

    from grader import pipeline

    seen = []
    for step in ("load", "rate_only", "assess"):
        real = getattr(pipeline, step)

        def spy(*a, _real=real, **kw):
            seen.append(gc.isenabled())
            return _real(*a, **kw)

        monkeypatch.setattr(pipeline, step, spy)
    assert gc.isenabled()
    result = runner.invoke(main, [args[0], str(good_csv), *args[1:]])
    assert result.exit_code == 0, result.output
    assert seen and not any(seen)
    assert gc.isenabled()
