"""A committee secretary's first hour (issue 14): defaults, designs, settings and the
build's summary (the guide's tests are in tests/init, extract's in tests/extract)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from grader.build import BuildResult, toml_problem, verdict_counts
from grader.cli import main
from grader.rubric import default_rubric_text, load_rubric, parse_rubric

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


# --- item 1: ./evidence.csv by default; the README stands alone -----------------------


@pytest.mark.parametrize("command", ["check", "score", "build", "watch"])
def test_commands_default_to_evidence_csv(runner, rows, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    if command in ("check", "score"):
        (tmp_path / "evidence.csv").write_text(rows())
        result = runner.invoke(main, [command])
        assert result.exit_code == 0, result.stderr
    result = None
    (tmp_path / "evidence.csv").unlink(missing_ok=True)
    result = runner.invoke(main, [command])
    assert result.exit_code == 2
    assert "no evidence.csv in this folder" in result.stderr
    assert "grader init" in result.stderr


def test_readme_does_not_link_outside_the_repository():
    assert "../shared" not in README
    assert "spec/evidence-csv.md" not in README


def test_readme_says_how_to_put_grader_on_path():
    section = re.search(r"^## Using grader on your own debate$(.*?)^## ", README,
                        re.M | re.S).group(1)
    assert ". .venv/bin/activate" in section and "pipx install ." in section
    for command in ("grader init", "grader check", "grader build"):
        assert command in section


def test_init_help_says_how_to_put_grader_on_path(runner):
    help_text = runner.invoke(main, ["init", "--help"]).stdout
    assert ". .venv/bin/activate" in help_text and "pipx install ." in help_text


# --- item 2: `grader designs`, the GUIDE's tables ------------------------------------


def test_designs_lists_every_design_with_label_synonyms_and_start(runner):
    result = runner.invoke(main, ["designs"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    rubric = load_rubric()
    for design in rubric.designs.values():
        assert re.search(rf"^{design.id} +{re.escape(design.label)}$", result.stdout, re.M)
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert "registry analysis" in result.stdout


def test_designs_reads_the_given_rubric_and_its_starts_by_question(runner, tmp_path):
    text = default_rubric_text()
    if "starts_by_question" not in text:  # rubric 1: add it; rubric 2 has it already
        text = text.replace('[designs.cohort]\nlabel = "Cohort study"',
                            '[designs.cohort]\nlabel = "Cohort study"\n'
                            'starts_by_question = { prognosis = "high", values = "high" }')
    text = text.replace('[designs.survey]', '[designs.stepped_wedge]\nlabel = "Stepped '
                        'wedge"\nstart = "high"\nrandomized = true\n\n[designs.survey]')
    path = tmp_path / "mine.toml"
    path.write_text(text)
    parse_rubric(text, str(path))
    stdout = runner.invoke(main, ["designs", "--rubric", str(path)]).stdout
    assert "stepped_wedge" in stdout
    cohort = stdout[stdout.index("\ncohort "):stdout.index("\ncase_control ")]
    assert "starts: low; high on prognosis, values" in " ".join(cohort.split())


def test_rubric_help_points_to_designs(runner):
    assert "grader designs" in runner.invoke(main, ["rubric", "--help"]).stdout


# --- item 7: a duplicated key in grader.toml ----------------------------------------


def test_a_duplicated_settings_key_is_named_with_its_lines(runner, rows, tmp_path):
    (tmp_path / "evidence.csv").write_text(rows())
    (tmp_path / "grader.toml").write_text('title = "A"\nexchange = "B"\n\ntitle = "C"\n')
    result = runner.invoke(main, ["build", str(tmp_path / "evidence.csv"),
                                  "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == (f"{tmp_path / 'grader.toml'}:4: title: set twice (first on "
                             "line 1); keep one of the two lines\n")


def test_other_toml_errors_are_on_their_line_in_plain_words():
    problem = toml_problem("g.toml", 'title = "A\n', tomllib.TOMLDecodeError(
        "Illegal character '\\n' (at line 1, column 11)"))
    assert str(problem) == ('g.toml:1: not valid TOML (column 11): a quoted text is not '
                            'closed on its line (add the closing "); each line is key = '
                            '"text", e.g. title = "My debate"')


# --- item 10: the build says what came out ------------------------------------------


def test_build_summary_counts_verdicts_in_a_fixed_order():
    import pandas as pd

    positions = pd.DataFrame({"verdict": ["contested", "supported", "confirmed",
                                          "supported", "contradicted", "novel"]})
    counts = verdict_counts(positions)
    assert list(counts) == ["supported", "contested", "contradicted", "confirmed", "novel"]
    result = BuildResult([Path("out/brief.pdf")], False, 1.0, positions=6, citations=38,
                         verdicts=counts)
    assert result.summary == ("built out/brief.pdf: 6 positions: 2 supported, 1 contested, "
                              "1 contradicted, 1 confirmed, 1 novel; 38 citations (1.0 s)")


def test_build_prints_the_verdicts(runner, rows, tmp_path):
    path = tmp_path / "evidence.csv"
    path.write_text(rows({}, {"position_id": "p2", "position": "Other.", "stance": "opposes"}))
    result = runner.invoke(main, ["build", str(path), "--out", str(tmp_path / "out"),
                                  "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert "2 positions: 1 supported, 1 contradicted; 2 citations" in result.stderr
