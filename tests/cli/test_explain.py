"""`grader explain`: why a citation or a position got its grade, rule by rule."""

from __future__ import annotations

from pathlib import Path

from grader.cli import main

SEED = Path(__file__).resolve().parents[2] / "evidence.csv"


def test_explain_a_study_gives_every_domain_its_source_rule_and_the_arithmetic(runner):
    result = runner.invoke(main, ["explain", "Williams2018", str(SEED)])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("Williams2018: Randomised crossover trial (crossover_rct), n = 12")
    assert "start: randomised crossover trial starts high" in out
    assert "Risk of bias: serious [derived]" in out
    assert "rule rob-randomised-conduct:" in out and "stopped early for benefit" in out
    assert "Imprecision: serious [derived]" in out and "rule imprecision-small-sample" in out
    assert "Inconsistency: not assessed [not_assessed]" in out
    assert "no rule judged it" in out
    assert "certainty: high (4) − 2 (risk of bias −1, imprecision −1) + 0 = low (2)" in out


def test_explain_a_position_gives_its_body_weights_and_verdict_rule(runner):
    result = runner.invoke(main, ["explain", "esketamine-long-term-safety", str(SEED)])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "body: the counted citations starting high (the highest tier): Daly2019" in out
    assert "lower tier (graded, listed, not in the body):" in out and "Gastaldon2021" in out
    assert "weights (n): Daly2019 176" in out
    assert "verdict: the body holds supporting citations only → supported" in out
    assert "statement: May be true (low certainty)." in out


def test_explain_a_checked_position_names_its_sources(runner):
    result = runner.invoke(main, ["explain", "only-ofc-fda-approved-trd", str(SEED)])
    assert result.exit_code == 0, result.stderr
    assert "refuting: FDA2019" in result.stdout
    assert "verdict: opposing sources only → refuted" in result.stdout


def test_explain_an_unknown_name_suggests_the_close_one(runner):
    result = runner.invoke(main, ["explain", "Wiliams2018", str(SEED)])
    assert result.exit_code == 1
    assert "did you mean Williams2018?" in result.stderr
    assert "Traceback" not in result.stderr
