"""A rubric edited only in its file changes the grades and the Methods text together (§4.1)."""

from __future__ import annotations

from conftest import assess_rows

from grader import report
from grader.render.methods import build_methods
from grader.rubric import default_rubric_text

_assess = assess_rows


def _methods_text(assessment) -> str:
    m = build_methods(assessment)
    parts = [*m["settings"], m["review"]]
    parts += [f"{r['id']} {r['when']} {r['reason']}" for r in m["rules"]]
    parts += [", ".join(s["designs"]) for s in m["starts"]]
    return "\n".join(parts)


def _certainty(assessment, study_id):
    return next(c["certainty"] for c in report.citations(assessment)
                if c["study_id"] == study_id)


def test_a_new_design_rates_and_appears_in_methods(tmp_path):
    text = default_rubric_text() + '''
[designs.stepped_wedge_rct]
label = "Stepped-wedge trial"
start = "moderate"
randomized = true
synonyms = ["stepped wedge"]
'''
    a = _assess(tmp_path, [{"study_id": "W", "design": "stepped wedge", "blinded": "double",
                            "stopped_early": "no", "n": "1000"}], text)
    assert _certainty(a, "W") == "moderate"
    assert "Stepped-wedge trial" in _methods_text(a)
    assert "Stepped-wedge trial" not in _methods_text(_assess(tmp_path, [{"study_id": "W"}]))


def test_a_new_rule_on_year_rates_and_appears_in_methods(tmp_path):
    text = default_rubric_text() + '''
[[rules]]
id = "rob-old-trials"
domain = "risk_of_bias"
when = { randomized_design = [true], year_below = 1995 }
judgment = "serious"
reason = "Trial published in {year}, before CONSORT: reporting of conduct is often incomplete."
'''
    rows = [{"study_id": "Old", "year": "1990", "blinded": "double", "stopped_early": "no",
             "n": "1000"},
            {"study_id": "New", "year": "2010", "blinded": "double", "stopped_early": "no",
             "n": "1000", "position_id": "p2"}]
    a = _assess(tmp_path, rows, text)
    assert (_certainty(a, "Old"), _certainty(a, "New")) == ("moderate", "high")
    old = next(c for c in report.citations(a) if c["study_id"] == "Old")
    assert "1990" in old["domains"]["risk_of_bias"]["reason"]
    methods = _methods_text(a)
    assert "rob-old-trials" in methods and "year below 1995" in methods


def test_a_moved_threshold_changes_rating_and_methods(tmp_path):
    rows = [{"study_id": "T", "blinded": "double", "stopped_early": "no", "n": "300"}]
    before = _assess(tmp_path, rows)
    text = default_rubric_text().replace("n_below = 400", "n_below = 250").replace(
        "n_at_least = 400", "n_at_least = 250")
    after = _assess(tmp_path, rows, text)
    assert (_certainty(before, "T"), _certainty(after, "T")) == ("moderate", "high")
    assert "n below 400" in _methods_text(before)
    assert "n below 250" in _methods_text(after) and "n below 400" not in _methods_text(after)


def test_question_starts_come_from_the_rubric(tmp_path):
    rows = [{"study_id": "C", "design": "cohort", "question": "prognosis", "n": "1000"}]
    assert _certainty(_assess(tmp_path, rows), "C") == "high"
    text = default_rubric_text().replace(
        '[designs.cohort]\nlabel = "Cohort study"\nstart = "low"\n'
        'starts_by_question = { prognosis = "high", values = "high" }\n',
        '[designs.cohort]\nlabel = "Cohort study"\nstart = "low"\n')
    a = _assess(tmp_path, rows, text)
    assert _certainty(a, "C") == "low"
    assert "Cohort study (" not in _methods_text(a)


def test_validation_asks_the_rubric_which_designs_are_non_human(tmp_path):
    text = default_rubric_text() + '''
[designs.organoid]
label = "Organoid study"
start = "low"
species = "in_vitro"
'''
    a = _assess(tmp_path, [{"study_id": "O", "design": "organoid", "question": "efficacy"}],
                text)
    c = next(c for c in report.citations(a) if c["study_id"] == "O")
    assert c["domains"]["indirectness"]["judgment"] == "very_serious"
