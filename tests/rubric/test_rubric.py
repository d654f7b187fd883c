"""The rubric (contract §2–§3), domain by domain, through grader.pipeline.assess."""

from __future__ import annotations

import re
import tomllib

import pytest
from conftest import make_rows

from grader.cli import main
from grader.pipeline import assess
from grader.rubric import default_rubric_text, load_rubric
from grader.vocab import COLUMNS, DOMAINS

STARTS = {
    "rct": "high", "crossover_rct": "high", "randomized_withdrawal": "high",
    "cluster_rct": "high",
    "nonrandomized_controlled": "low", "cohort": "low", "case_control": "low",
    "cross_sectional": "low", "survey": "low", "single_arm_trial": "low",
    "animal": "low", "in_vitro": "low",
    "pharmacovigilance": "very_low", "case_series": "very_low", "case_report": "very_low",
    "narrative_review": "not_rated", "expert_opinion": "not_rated", "editorial": "not_rated",
    "letter": "not_rated", "guideline": "not_rated",
}
REVIEWS = ("systematic_review", "meta_analysis", "network_meta_analysis", "regulatory_review")
REVIEW_STARTS = {"rct": "high", "mixed": "moderate", "observational": "low", "": "low"}
RANDOMISED = ("rct", "crossover_rct", "randomized_withdrawal", "cluster_rct")
SCORES = {"not_rated": 0, "very_low": 1, "low": 2, "moderate": 3, "high": 4}


CASES: dict[tuple, dict] = {}


def case(**row) -> dict:
    """Register a citation row to be rated with all the others in one file; return it.

    Each case gets its own position and study, so position columns (question) and
    study columns never clash between cases.
    """
    CASES.setdefault(_key(row), row)
    return row


def _key(row: dict) -> tuple:
    return tuple(sorted(row.items()))


@pytest.fixture(scope="module")
def rated(tmp_path_factory):
    """rated(row) → the rated citation of a row registered with case()."""
    keys = list(CASES)
    rows = [{"position_id": f"p{i}", "study_id": f"S{i}", **CASES[k]}
            for i, k in enumerate(keys)]
    path = tmp_path_factory.mktemp("cases") / "evidence.csv"
    path.write_text(make_rows(*rows), encoding="utf-8")
    records = assess(path).ratings.to_dict("records")
    by_key = {k: records[i] for i, k in enumerate(keys)}
    assert [r["study_id"] for r in records] == [f"S{i}" for i in range(len(keys))]
    return lambda row: by_key[_key(row)]


def rate(tmp_path, *rows: dict, rubric=None, name="evidence.csv"):
    """Assess citation rows (dicts) in a file of their own; records keyed by study_id."""
    rows = [{"study_id": f"S{i}", **row} for i, row in enumerate(rows)]
    path = tmp_path / name
    path.write_text(make_rows(*rows), encoding="utf-8")
    cited = assess(path, rubric=rubric).ratings
    return {r["study_id"]: r for r in cited.to_dict("records")}


def one(tmp_path, rubric=None, **row):
    """Rate a single citation in a file of its own and return its record."""
    return next(iter(rate(tmp_path, row, rubric=rubric).values()))


def _threshold(rule_id: str) -> int:
    rule = next(r for r in load_rubric().rules if r.id == rule_id)
    return rule.when["n_below"]


TINY = _threshold("imprecision-tiny-sample")
SMALL = _threshold("imprecision-small-sample")


# --- §2: where each design starts ------------------------------------------------


def test_default_rubric_knows_exactly_the_contract_designs():
    assert set(load_rubric().designs) == set(STARTS) | set(REVIEWS)
    assert len(load_rubric().designs) == 24


@pytest.fixture(scope="module")
def every_design(tmp_path_factory):
    """All 24 designs, reviews once per included_designs value, in one file.

    The question is `mechanism` so that animal and in-vitro work keeps its start.
    """
    rows = [{"study_id": f"S_{d}", "design": d, "question": "mechanism"} for d in STARTS]
    rows += [{"study_id": f"R_{d}_{k or 'blank'}", "design": d, "included_designs": k}
             for d in REVIEWS for k in REVIEW_STARTS]
    path = tmp_path_factory.mktemp("designs") / "evidence.csv"
    path.write_text(make_rows(*rows), encoding="utf-8")
    return {r["study_id"]: r for r in assess(path).ratings.to_dict("records")}


@pytest.mark.parametrize("design", STARTS)
def test_design_start_level(every_design, design):
    row = every_design[f"S_{design}"]
    assert row["start"] == STARTS[design]
    assert row["certainty"] == STARTS[design]  # nothing else known: no change
    assert row["score"] == SCORES[STARTS[design]]


@pytest.mark.parametrize("included", REVIEW_STARTS, ids=lambda k: k or "blank")
@pytest.mark.parametrize("design", REVIEWS)
def test_review_start_follows_included_designs(every_design, design, included):
    assert every_design[f"R_{design}_{included or 'blank'}"]["start"] == REVIEW_STARTS[included]


def test_design_synonym_rates_like_its_design(tmp_path):
    got = rate(tmp_path, {"design": "Randomised Controlled Trial"}, {"design": "Case-Series"})
    assert [(r["design"], r["start"]) for r in got.values()] == [
        ("rct", "high"), ("case_series", "very_low")]


# --- §3: risk of bias derived for randomised designs ------------------------------

CONCERNS = {
    "not blinded": {"blinded": "none"},
    "not peer-reviewed": {"peer_reviewed": "no"},
    "stopped early": {"stopped_early": "yes"},
}
CLEAN = {"blinded": "double", "stopped_early": "no", "n": "1000"}


@pytest.mark.parametrize(("row", "concern"), [
    (case(design=d, **{**CLEAN, **CONCERNS[c]}), c) for d in RANDOMISED for c in CONCERNS],
    ids=[f"{d}-{c}" for d in RANDOMISED for c in CONCERNS])
def test_one_randomised_concern_is_serious_risk_of_bias(rated, row, concern):
    got = rated(row)
    assert got["risk_of_bias"] == "serious"
    assert got["risk_of_bias_source"] == "derived"
    assert concern in got["risk_of_bias_reason"]
    assert got["certainty"] == "moderate"


PAIRS = [("not blinded", "stopped early"), ("not blinded", "not peer-reviewed"),
         ("not peer-reviewed", "stopped early"), tuple(CONCERNS)]


@pytest.mark.parametrize(("row", "pair"), [
    (case(design="rct", **{**CLEAN, **{k: v for c in pair for k, v in CONCERNS[c].items()}}),
     pair) for pair in PAIRS], ids=["-".join(p) for p in PAIRS])
def test_two_or_more_randomised_concerns_are_very_serious(rated, row, pair):
    got = rated(row)
    assert got["risk_of_bias"] == "very_serious"
    assert all(c in got["risk_of_bias_reason"] for c in pair)
    assert got["certainty"] == "low"


CLEAN_RCT = case(design="rct", **CLEAN)


def test_clean_randomised_trial_keeps_high(rated):
    got = rated(CLEAN_RCT)
    assert got["risk_of_bias"] == "not_serious"
    assert "no information" not in got["risk_of_bias_reason"].lower()
    assert got["certainty"] == "high"


BLANK_BLINDING = case(design="rct", stopped_early="no", n="1000")
SINGLE_BLIND = case(design="rct", **{**CLEAN, "blinded": "single"})
UNBLINDED_COHORT = case(design="cohort", blinded="none", stopped_early="yes", n="5000")


def test_blank_blinding_is_no_information_not_a_downgrade(rated):
    got = rated(BLANK_BLINDING)
    # Contract v2 §4.1: no downgrade, and honestly "not assessed", never "not serious".
    assert (got["risk_of_bias"], got["risk_of_bias_source"]) == ("not_serious", "not_assessed")
    assert got["risk_of_bias_reason"].startswith("Not assessed: no information")
    assert "blinding" in got["risk_of_bias_reason"]
    assert got["certainty"] == "high"


STOPPED_BLANK_BLINDING = case(design="rct", stopped_early="yes", n="1000")


def test_blank_blinding_beside_a_real_concern_is_still_no_information(rated):
    got = rated(STOPPED_BLANK_BLINDING)
    assert got["risk_of_bias"] == "serious"  # one concern, not two
    assert "stopped early" in got["risk_of_bias_reason"]
    assert "No information on blinding" in got["risk_of_bias_reason"]


def test_single_blind_is_not_unblinded(rated):
    assert rated(SINGLE_BLIND)["risk_of_bias"] == "not_serious"


def test_unblinded_nonrandomised_design_is_not_derived_serious(rated):
    got = rated(UNBLINDED_COHORT)
    assert got["risk_of_bias"] == "not_serious"
    assert got["certainty"] == "low"


# --- §3: imprecision from n ------------------------------------------------------

SIZES = [(0, "very_serious"), (TINY - 1, "very_serious"), (TINY, "serious"),
         (SMALL - 1, "serious"), (SMALL, "not_serious"), (100_000, "not_serious")]


@pytest.mark.parametrize(("row", "judgment"), [
    (case(design="rct", **{**CLEAN, "n": str(n)}), j) for n, j in SIZES],
    ids=[f"n={n}" for n, _ in SIZES])
def test_human_sample_size_sets_imprecision(rated, row, judgment):
    got = rated(row)
    assert got["imprecision"] == judgment
    assert got["imprecision_source"] == "derived"
    assert got["certainty"] == {"very_serious": "low", "serious": "moderate",
                                "not_serious": "high"}[judgment]
    if judgment != "not_serious":
        assert row["n"] in got["imprecision_reason"]


BLANK_N = case(design="cohort")


def test_blank_n_is_no_information(rated):
    got = rated(BLANK_N)
    assert (got["imprecision"], got["imprecision_source"]) == ("not_serious", "not_assessed")
    assert got["imprecision_reason"].startswith("Not assessed: no information")
    assert "sample size" in got["imprecision_reason"]


NONHUMAN = {
    "animal": {"design": "animal", "question": "mechanism"},
    "in_vitro": {"design": "in_vitro", "question": "mechanism"},
    "animal-rct": {"design": "rct", "species": "animal", "question": "mechanism", **CLEAN},
    "species-column": {"design": "cohort", "species": "in_vitro", "question": "mechanism"},
}


@pytest.mark.parametrize("row", [case(**{**r, "n": n}) for r in NONHUMAN.values()
                                 for n in ("0", "3", "12")],
                         ids=[f"{k}-n={n}" for k in NONHUMAN for n in ("0", "3", "12")])
def test_n_thresholds_never_apply_to_animal_or_in_vitro(rated, row):
    got = rated(row)
    assert got["imprecision"] == "not_serious"
    assert got["certainty"] == got["start"]


# --- §3: indirectness ------------------------------------------------------------

# v2: definition and fact questions are checked, not graded (§5); prognosis and values
# are clinical questions like efficacy and safety.
QUESTIONS = [("mechanism", "not_serious"), ("efficacy", "very_serious"),
             ("safety", "very_serious"), ("prognosis", "very_serious"),
             ("values", "very_serious"), ("other", "very_serious"), ("", "very_serious")]


@pytest.mark.parametrize(("row", "judgment"), [
    (case(design=d, question=q), j) for d in ("animal", "in_vitro") for q, j in QUESTIONS],
    ids=[f"{d}-{q or 'blank'}" for d in ("animal", "in_vitro") for q, _ in QUESTIONS])
def test_nonhuman_indirectness_depends_on_question(rated, row, judgment):
    got = rated(row)
    assert got["indirectness"] == judgment
    assert got["indirectness_source"] == "derived"
    assert got["certainty"] == ("low" if judgment == "not_serious" else "very_low")
    if judgment == "very_serious":
        assert (row["question"] or "efficacy") in got["indirectness_reason"]


HUMAN_MECHANISM = case(design="cohort", question="mechanism")
NMA = case(design="network_meta_analysis", included_designs="rct", n="5000")
MA = case(design="meta_analysis", included_designs="rct", n="5000")
NMA_STATED = case(design="network_meta_analysis", included_designs="rct", n="5000",
                  indirectness="not_serious")


def test_human_study_on_mechanism_question_is_direct(rated):
    assert rated(HUMAN_MECHANISM)["indirectness"] == "not_serious"


def test_network_meta_analysis_is_serious_indirectness(rated):
    nma, ma, stated = rated(NMA), rated(MA), rated(NMA_STATED)
    assert (nma["indirectness"], nma["certainty"]) == ("serious", "moderate")
    assert "transitivity" in nma["indirectness_reason"]
    assert (ma["indirectness"], ma["certainty"]) == ("not_serious", "high")
    assert (stated["indirectness"], stated["indirectness_source"], stated["certainty"]) == (
        "not_serious", "explicit", "high")


# --- §3: explicit judgments win ---------------------------------------------------

EXPLICIT = [("serious", "serious", "moderate"), ("Very Serious", "very_serious", "low"),
            ("not-serious", "not_serious", "high")]


@pytest.mark.parametrize(("row", "domain", "judgment", "certainty"), [
    (case(design="rct", **{**CLEAN, d: cell}), d, j, c)
    for d in DOMAINS for cell, j, c in EXPLICIT],
    ids=[f"{d}-{cell}" for d in DOMAINS for cell, _, _ in EXPLICIT])
def test_explicit_domain_judgment_is_used(rated, row, domain, judgment, certainty):
    got = rated(row)
    assert got[domain] == judgment
    assert got[f"{domain}_source"] == "explicit"
    assert "explicit" in got[f"{domain}_reason"]
    assert got["certainty"] == certainty
    assert all(got[f"{d}_source"] in ("derived", "not_assessed") for d in DOMAINS
               if d != domain)


OVERRIDES = {
    "risk_of_bias": {"design": "rct", "blinded": "none", "stopped_early": "yes", "n": "1000"},
    "imprecision": {"design": "rct", **{**CLEAN, "n": "5"}},
    "indirectness": {"design": "animal", "question": "efficacy"},
}


@pytest.mark.parametrize(("derived", "explicit", "domain"), [
    (case(**row), case(**{**row, d: "not_serious"}), d) for d, row in OVERRIDES.items()],
    ids=list(OVERRIDES))
def test_explicit_not_serious_overrides_derived_downgrade(rated, derived, explicit, domain):
    before, after = rated(derived), rated(explicit)
    assert before[domain] != "not_serious"
    assert (after[domain], after[f"{domain}_source"]) == ("not_serious", "explicit")
    assert after["score"] > before["score"]


# --- §3: floor, ceiling, upgrades -------------------------------------------------

FLOOR_RCT = case(design="rct", **dict.fromkeys(DOMAINS, "very_serious"))
FLOOR_CASE_REPORT = case(design="case_report", n="1", risk_of_bias="very_serious")
CEILING = case(design="cohort", large_effect="very_large", dose_response="yes",
               plausible_confounding="yes", n="10000")


def test_floor_is_very_low_never_not_rated(rated):
    assert (rated(FLOOR_RCT)["certainty"], rated(FLOOR_RCT)["score"]) == ("very_low", 1)
    low = rated(FLOOR_CASE_REPORT)
    assert (low["certainty"], low["score"]) == ("very_low", 1)


def test_ceiling_is_high(rated):
    assert (rated(CEILING)["certainty"], rated(CEILING)["score"]) == ("high", 4)


UPGRADES = [
    ("cohort", {"large_effect": "large"}, "moderate"),
    ("cohort", {"large_effect": "very_large"}, "high"),
    ("case_control", {"dose_response": "yes"}, "moderate"),
    ("cross_sectional", {"plausible_confounding": "yes"}, "moderate"),
    ("single_arm_trial", {"large_effect": "large", "dose_response": "yes", "question": "safety"},
     "high"),
    ("case_series", {"large_effect": "large"}, "low"),
    ("pharmacovigilance", {"dose_response": "y"}, "low"),
    ("cohort", {"large_effect": "no", "dose_response": "no"}, "low"),
]


@pytest.mark.parametrize(("row", "certainty"), [
    (case(design=d, n="10000", **up), c) for d, up, c in UPGRADES],
    ids=[f"{d}-{'-'.join(up.values())}" for d, up, _ in UPGRADES])
def test_upgrades_apply_to_designs_starting_below_high(rated, row, certainty):
    assert rated(row)["certainty"] == certainty


MIXED_REVIEW_UPGRADED = case(design="meta_analysis", included_designs="mixed", n="10000",
                             large_effect="large")


def test_upgrades_apply_to_a_review_starting_below_high(rated):
    got = rated(MIXED_REVIEW_UPGRADED)
    assert (got["start"], got["certainty"]) == ("moderate", "high")


ALL_UPGRADES = {"large_effect": "very_large", "dose_response": "yes",
                "plausible_confounding": "yes"}
HIGH_STARTS = {
    "rct": {"design": "rct", **CLEAN, "risk_of_bias": "serious"},
    "cluster_rct": {"design": "cluster_rct", **CLEAN, "imprecision": "very_serious"},
    "review-of-rcts": {"design": "systematic_review", "included_designs": "rct",
                       "n": "10000", "inconsistency": "serious"},
}


@pytest.mark.parametrize(("plain", "upgraded"), [
    (case(**row), case(**{**row, **ALL_UPGRADES})) for row in HIGH_STARTS.values()],
    ids=list(HIGH_STARTS))
def test_upgrades_never_apply_to_designs_starting_at_high(rated, plain, upgraded):
    assert rated(plain)["start"] == "high"
    assert rated(upgraded)["score"] == rated(plain)["score"] < 4


OPINION = ("narrative_review", "expert_opinion", "editorial", "letter", "guideline")


@pytest.mark.parametrize("row", [
    case(design=d, n="100000", blinded="double", randomized="yes", **ALL_UPGRADES,
         **dict.fromkeys(DOMAINS, "not_serious"), claimed_certainty="high")
    for d in OPINION], ids=OPINION)
def test_opinion_stays_not_rated_whatever_the_columns_say(rated, row):
    got = rated(row)
    assert (got["start"], got["certainty"], got["score"]) == ("not_rated", "not_rated", 0)


SIZES_COMPARED = ["", "0", "1", str(TINY - 1), str(TINY), "20", "50", str(SMALL - 1),
                  str(SMALL), "5000"]


@pytest.mark.parametrize(("trial", "series"), [
    (case(design="rct", n=n, blinded="double", control="placebo"),
     case(design="case_series", n=n, control="none")) for n in SIZES_COMPARED],
    ids=[f"n={n or 'blank'}" for n in SIZES_COMPARED])
def test_small_blinded_rct_never_equals_uncontrolled_case_series(rated, trial, series):
    assert rated(trial)["score"] > rated(series)["score"]


# --- published GRADE evidence profiles ---------------------------------------------
# Each row enters a profile's published domain judgments as explicit columns; grader
# must arrive at the certainty the profile publishes. n and blinding are set so that
# derived rules would say otherwise: the explicit judgments must win.

NOTHING = dict.fromkeys(DOMAINS, "not_serious")
PROFILES = {
    "rcts-serious-rob-and-imprecision":
        ({"design": "rct", **NOTHING, "risk_of_bias": "serious", "imprecision": "serious"},
         "low"),
    "observational-large-effect":
        ({"design": "cohort", **NOTHING, "large_effect": "large"}, "moderate"),
    "rct-very-serious-imprecision":
        ({"design": "rct", **NOTHING, "imprecision": "very_serious"}, "low"),
    "pooled-rcts-three-serious-domains":
        ({"design": "meta_analysis", "included_designs": "rct", **NOTHING,
          "risk_of_bias": "serious", "inconsistency": "serious", "indirectness": "serious"},
         "very_low"),
    "observational-large-effect-and-gradient":
        ({"design": "case_control", **NOTHING, "large_effect": "large",
          "dose_response": "yes"}, "high"),
}


@pytest.mark.parametrize(("row", "published"), [
    (case(**{"n": "40", "blinded": "none", **profile}), published)
    for profile, published in PROFILES.values()], ids=list(PROFILES))
def test_published_grade_profile_is_reproduced(rated, row, published):
    got = rated(row)
    assert got["certainty"] == published
    assert all(got[f"{d}_source"] == "explicit" for d in DOMAINS)


# --- the rubric is data: --rubric and broken rubric files --------------------------


def _edited(tmp_path, old: str, new: str, name: str = "rubric.toml"):
    text = default_rubric_text()
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_edited_rubric_copy_changes_results(runner, tmp_path, write_csv):
    import json

    csv = write_csv(make_rows({"design": "rct", "n": "100", "blinded": "double",
                               "stopped_early": "no"}))
    edited = _edited(tmp_path, 'version = "2.0.0"', 'version = "2.0.0-local"')
    edited.write_text(edited.read_text().replace("n_below = 400", "n_below = 50"))
    default = json.loads(runner.invoke(main, ["score", str(csv), "--format", "json"]).output)
    result = runner.invoke(main, ["score", str(csv), "--format", "json", "--rubric",
                                  str(edited)])
    assert result.exit_code == 0, result.output
    custom = json.loads(result.output)
    assert default["citations"][0]["certainty"] == "moderate"
    assert custom["citations"][0]["certainty"] == "high"
    assert custom["rubric"]["version"] == "2.0.0-local"


def test_edited_design_start_changes_results(tmp_path):
    rubric = load_rubric(_edited(
        tmp_path, '[designs.cohort]\nlabel = "Cohort study"\nstart = "low"',
        '[designs.cohort]\nlabel = "Cohort study"\nstart = "moderate"'))
    assert one(tmp_path, rubric=rubric, design="cohort", n="5000")["certainty"] == "moderate"


def test_rubric_command_prints_a_loadable_copy(runner, tmp_path):
    result = runner.invoke(main, ["rubric"])
    assert result.exit_code == 0
    data = tomllib.loads(result.output)
    assert data["name"] and data["version"]
    path = tmp_path / "copy.toml"
    path.write_text(result.output, encoding="utf-8")
    assert load_rubric(path).designs.keys() == load_rubric().designs.keys()


BROKEN = [
    pytest.param('name = "grader default rubric (GRADE-like)"', 'name = ', "not valid TOML",
                 id="toml-syntax"),
    pytest.param('name = "grader default rubric (GRADE-like)"', '', "name: required",
                 id="no-name"),
    pytest.param('[designs.cohort]\nlabel = "Cohort study"\nstart = "low"',
                 '[designs.cohort]\nlabel = "Cohort study"\nstart = "medium"',
                 "designs.cohort.start: must be one of", id="bad-start"),
    pytest.param('domain = "risk_of_bias"', 'domain = "bias"', "rules[0].domain: must be one of",
                 id="bad-domain"),
    pytest.param('when = { randomized_design = [true] }', 'when = { colour = [true] }',
                 "rules[0].when.colour: unknown attribute", id="bad-condition"),
    pytest.param('when = { randomized_design = [true] }', 'when = "randomised"',
                 "rules[0].when: must be a table", id="when-not-a-table"),
    pytest.param('serious_at = 1', 'serious_at = "one"', "rules[0].serious_at", id="bad-count"),
    pytest.param('synonyms = ["sr"]', 'synonyms = "sr"', "designs.systematic_review.synonyms",
                 id="synonyms-not-a-list"),
    pytest.param('Only {n} participants', 'Only {size} participants',
                 "rules[3].reason: {size} is not a column", id="unknown-reason-field"),
    pytest.param('{ blinded = ["none"] }', '{ blinded = ["nonee"] }',
                 "rules[0].concerns[0].when.blinded: 'nonee' never matches",
                 id="condition-value-typo"),
    pytest.param('randomized_design = [true]', 'randomized_design = ["yes"]',
                 "rules[0].when.randomized_design: 'yes' never matches",
                 id="condition-value-not-boolean"),
    pytest.param('observational = "low"', 'observational = "weak"',
                 "review_start.observational", id="bad-review-start"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN)
@pytest.mark.parametrize("command", ["score", "rubric"])
def test_broken_rubric_is_a_clear_error(runner, tmp_path, write_csv, old, new, message,
                                        command):
    broken = _edited(tmp_path, old, new)
    args = [command, str(write_csv(make_rows()))] if command == "score" else [command]
    result = runner.invoke(main, [*args, "--rubric", str(broken)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(f"{broken}") for line in lines)
    assert any(message in line for line in lines), result.stderr
    assert result.stdout == ""


def test_broken_rubric_lists_every_problem(tmp_path):
    from grader.errors import InvalidInput

    path = _edited(tmp_path, 'domain = "risk_of_bias"', 'domain = "bias"')
    path.write_text(path.read_text().replace('start = "very_low"', 'start = "tiny"'))
    with pytest.raises(InvalidInput) as caught:
        load_rubric(path)
    where = [p.column for p in caught.value.problems]
    assert "rules[0].domain" in where
    assert len([w for w in where if re.fullmatch(r"designs\.\w+\.start", w)]) == 3


@pytest.mark.parametrize(("row", "judgment"), [
    (case(design="single_arm_trial", question="efficacy", n="1000"), "serious"),
    (case(design="single_arm_trial", question="safety", n="1000"), "not_serious"),
    (case(design="cohort", control="none", question="efficacy", n="1000"), "serious"),
    (case(design="cohort", control="placebo", question="efficacy", n="1000"), "not_serious"),
], ids=["single-arm-efficacy", "single-arm-safety", "no-control-efficacy", "controlled"])
def test_uncontrolled_designs_on_efficacy_questions_have_serious_risk_of_bias(rated, row,
                                                                             judgment):
    got = rated(row)
    assert got["risk_of_bias"] == judgment
    # v2 §4.1: where no rule judges the design, its risk of bias is not assessed.
    assert got["risk_of_bias_source"] == ("derived" if judgment == "serious" else "not_assessed")
    if judgment == "serious":
        assert "natural course" in got["risk_of_bias_reason"]


NOTED = case(design="rct", n="1000", inconsistency="serious",
             notes="I2 = 80% across the pooled trials")


def test_explicit_judgment_footnote_quotes_the_notes(rated):
    got = rated(NOTED)
    assert got["inconsistency_reason"] == ("Judged serious in the evidence table (explicit "
                                           "judgment): I2 = 80% across the pooled trials")


def test_a_rules_columns_are_what_its_conditions_concerns_unknowns_and_reasons_read():
    from grader.rubric import Concern, Rule

    rule = Rule("r1", "risk_of_bias", when={"design": ("rct",), "year_below": 2000},
                reason="Old trial ({citation}): {concerns}.",
                concerns=(Concern("open", {"blinded": ("none",)}, {"outcome": ("objective",)}),),
                unknown={"stopped_early": "stopping"}, unless={"peer_reviewed": (False,)},
                no_concern_reason="Fine ({n} people).")
    assert rule.columns() == {"design", "year", "citation", "blinded", "outcome",
                              "stopped_early", "peer_reviewed", "n"}
    rubric = load_rubric(None)
    assert "n" in rubric.columns_read("imprecision")
    assert rubric.columns_read("imprecision") <= {c.name for c in COLUMNS} | {
        "randomized_design"}
