"""'Did you mean …?' for designs, enumerations, columns and ids (issue 14, items 3 and 6)."""

from __future__ import annotations

import pytest

from grader.cli import main
from grader.suggest import close_matches, did_you_mean, distance, phrase_matches


@pytest.mark.parametrize(("a", "b", "edits"), [
    ("cohort", "cohort", 0), ("cohrot", "cohort", 1), ("opose", "opposes", 2),
    ("Maisonasse2020", "Maisonnasse2020", 1), ("rct", "cohort", 3)])
def test_distance_counts_edits_and_swaps(a, b, edits):
    assert distance(a, b) == edits


def test_close_matches_maps_spellings_to_their_value_and_ignores_far_ones():
    assert close_matches("case seris", {"case_series": "case_series",
                                        "caseseries": "case_series"}) == ["case_series"]
    assert close_matches("no", ["yes", "none"]) == []
    assert close_matches("banana", ["rct", "cohort"]) == []


def test_phrase_matches_every_word_within_one_edit():
    phrases = {"a": ["an open-label non-randomised trial with a control group"],
               "b": ["an open-label non-randomised trial without a control group"],
               "c": ["a registry analysis"]}
    assert list(phrase_matches("Open-label non-randomized trial", phrases)) == ["a", "b"]


def test_did_you_mean_joins_candidates():
    assert did_you_mean([]) == ""
    assert did_you_mean(["a"]) == "did you mean a?"
    assert did_you_mean(["a", "b"]) == "did you mean a or b?"


@pytest.mark.parametrize(("column", "typed"), [
    ("design", "registry"), ("design", "registry study"),
    ("design", "pharmacovigilance study"), ("blinded", "open-label"), ("blinded", "open"),
    ("blinded", "open_label"), ("control", "standard of care"), ("species", "macaque"),
    ("species", "mouse"), ("species", "rat"), ("stance", "oppose"), ("stance", "support"),
    ("stance", "for"), ("stance", "against")])
def test_natural_spellings_are_accepted(runner, rows, write_csv, column, typed):
    design = {"design": "cohort"} if column == "species" else {}
    path = write_csv(rows({column: typed, **design}))
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 0, result.stderr


def test_a_design_typo_suggests_the_design_without_listing_all(runner, rows, write_csv):
    path = write_csv(rows({"design": "cohrot"}))
    result = runner.invoke(main, ["check", str(path)])
    assert result.stderr == (f"{path}:2: design: 'cohrot' is not a known design; did you "
                             "mean cohort? (`grader designs` lists the 24 designs with "
                             "their synonyms and what each fits)\n")


def test_a_design_far_from_any_points_to_grader_designs(runner, rows, write_csv):
    path = write_csv(rows({"design": "banana"}))
    assert runner.invoke(main, ["check", str(path)]).stderr == (
        f"{path}:2: design: 'banana' is not a known design; `grader designs` lists the 24 "
        "designs with their synonyms and what each fits\n")


def test_an_ambiguous_design_suggests_both_readings(runner, rows, write_csv):
    path = write_csv(rows({"design": "open-label non-randomized trial"}))
    stderr = runner.invoke(main, ["check", str(path)]).stderr
    assert "did you mean nonrandomized_controlled (an open-label non-randomised trial " \
           "with a control group) or single_arm_trial (an open-label non-randomised " \
           "trial without a control group)?" in stderr
    assert "crossover_rct" not in stderr


@pytest.mark.parametrize(("column", "typed", "meant"), [
    ("stance", "opose", "opposes"), ("blinded", "dubble", "double"),
    ("control", "placeb", "placebo"), ("claimed_certainty", "moderat", "moderate")])
def test_an_enumeration_typo_suggests_the_value(runner, rows, write_csv, column, typed,
                                                meant):
    path = write_csv(rows({column: typed}))
    stderr = runner.invoke(main, ["check", str(path)]).stderr
    assert stderr.rstrip().endswith(f"; did you mean {meant}?"), stderr


def test_an_unknown_column_close_to_a_contract_column_is_suggested(runner, write_csv):
    path = write_csv("position_id,position,advocate,study_id,citation,design,stance,blnded\n"
                     "p1,Claim,Smith,S1,Cite,rct,supports,double\n")
    result = runner.invoke(main, ["check", str(path)])
    assert f"{path}:1: blnded: warning: unknown column, ignored; did you mean blinded?" \
        in result.stderr


def test_a_study_id_typo_suggests_the_study(runner, rows, write_csv):
    path = write_csv(rows({"study_id": "Maisonnasse2020"},
                          {"position_id": "p2", "position": "Other.",
                           "study_id": "Maisonasse2020", "citation": "", "design": ""}))
    stderr = runner.invoke(main, ["check", str(path)]).stderr
    assert (f"{path}:3: citation: study Maisonasse2020 has no citation on any of its rows; "
            "did you mean Maisonnasse2020? (if not, give it on at least one row)") in stderr


def test_a_position_id_typo_is_reported_on_the_typos_line(runner, rows, write_csv):
    path = write_csv(rows({"position_id": "hcq-mortalty"},
                          {"position_id": "hcq-mortality", "position": "", "advocate": "",
                           "study_id": "B2020"},
                          {"position_id": "hcq-mortality", "position": "", "advocate": "",
                           "study_id": "C2020"}))
    stderr = runner.invoke(main, ["check", str(path)]).stderr
    assert (f"{path}:2: position_id: 'hcq-mortalty' looks like a typo: did you mean "
            "hcq-mortality? (hcq-mortality is on lines 3, 4)") in stderr.splitlines()
    assert (f"{path}:3: position: position hcq-mortality has no position on any of its "
            "rows; line 2 gives it for hcq-mortalty, which looks like a typo of "
            "hcq-mortality") in stderr.splitlines()


def test_ids_a_suffix_apart_are_not_typos_when_both_are_complete(runner, rows, write_csv):
    path = write_csv(rows({"study_id": "Smith2020a"}, {"study_id": "Smith2020b",
                                                      "position_id": "p2"}))
    assert runner.invoke(main, ["check", str(path)]).exit_code == 0
