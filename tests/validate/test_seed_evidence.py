"""The default input, evidence.csv: the encoded facts of the letters exchange (contract v2).

Schatzberg's letter and McIntyre et al.'s reply (Am J Psychiatry 2021; 178:1130–1132),
re-encoded to a methodologist's standard (issue 11). These tests read the CSV itself
(pandas, every cell as text), so they pin the encoding independently of the engine; the
verdicts the v2 rubric must give on it are in test_seed_verdicts.py.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "evidence.csv"

STUDY_COLUMNS = ("citation", "design", "year", "doi", "n", "n_studies", "included_designs",
                 "randomized", "blinded", "control", "species", "peer_reviewed",
                 "stopped_early", "retracted")
POSITION_COLUMNS = ("position", "advocate", "question", "outcome", "conceded_by")

# Every reference in Schatzberg's letter (S1–S6) and McIntyre et al.'s reply (M1–M17),
# with its design. McIntyre2021 is S1 and M1, Bonaventura2021 is S2 and M14, Williams2018
# S4 and M16, Yoon2019 S5 and M15.
LETTER_REFERENCES = {
    "McIntyre2021": "expert_opinion",       # S1, M1
    "Bonaventura2021": "in_vitro",          # S2, M14 (binding screens)
    "Pacheco2014": "animal",                # S3
    "Williams2018": "crossover_rct",        # S4, M16
    "Yoon2019": "case_series",              # S5, M15
    "Heifets2019": "letter",                # S6
    "Rush2020": "narrative_review",         # M2
    "Rosenblat2018": "survey",              # M3
    "FDA2009": "regulatory_review",         # M4
    "Mohamed2017": "rct",                   # M5
    "Carbon2018": "meta_analysis",          # M6
    "Cha2012": "narrative_review",          # M7
    "Wajs2020": "single_arm_trial",         # M8
    "Daly2019": "randomized_withdrawal",    # M9
    "Carter2020": "network_meta_analysis",  # M10
    "Dold2020": "meta_analysis",            # M11
    "Gastaldon2021": "pharmacovigilance",   # M12
    "Freedman2018": "editorial",            # M13
    "McIntyre2014": "narrative_review",     # M17
}
# Studies the brief's authors add: every one of their citations carries cited_in_exchange = no.
ADDED = {
    "Rush2006": "cohort",                   # STAR*D, behind M2's "<15%"
    "FDA2019": "regulatory_review",         # the esketamine (Spravato) approval, NDA 211243
    "Gaynes2020": "systematic_review",      # AHRQ-commissioned review of TRD definitions
    "Bonaventura2021b": "animal",           # behavioural half of S2/M14
    "McIntyre2021b": "letter",              # the reply itself, for its uncited assertions
}

QUESTIONS = {
    "ketamine-strong-nmda-weak-mu": "mechanism",
    "ketamine-significant-nmda-affinity": "mechanism",
    "ketamine-similar-receptor-affinities": "mechanism",
    "mk801-greater-nmda-affinity": "mechanism",
    "ketamine-endogenous-opioid-release": "mechanism",
    "naltrexone-blocks-ketamine-antidepressant-effect": "mechanism",
    "mu-opioid-role-not-excluded": "mechanism",
    "krystal-case-series-significant-effects": "fact",
    "krystal-no-significance-reported": "fact",
    "krystal-ketamine-naltrexone-antidepressant-effect": "efficacy",
    "krystal-pilot-uncontrolled": "fact",
    "krystal-baseline-and-dropouts": "fact",
    "krystal-williams-false-equivalence": "fact",
    "augmentation-suboptimal-efficacy-trd": "efficacy",
    "stard-remission-below-15pct": "prognosis",
    "low-remission-unacceptable-to-patients": "values",
    "ofc-fda-approved-trd": "fact",
    "only-ofc-fda-approved-trd": "fact",
    "trd-definition-two-failed-trials": "definition",
    "antipsychotic-intolerability-mdd": "safety",
    "antipsychotic-evidence-mostly-acute": "safety",
    "esketamine-long-term-efficacy": "efficacy",
    "esketamine-long-term-safety": "safety",
    "esketamine-larger-effect-than-antipsychotics": "efficacy",
    "esketamine-faers-toxicity-signal": "safety",
    "ketamine-safe-use-framework": "safety",
}

CONCEDED = {  # Schatzberg's positions the reply concedes
    "mk801-greater-nmda-affinity",
    "mu-opioid-role-not-excluded",
    "krystal-no-significance-reported",
    "krystal-pilot-uncontrolled",
    "krystal-williams-false-equivalence",
}

OPINION_DESIGNS = {"narrative_review", "expert_opinion", "editorial", "letter", "guideline"}
CHECKED = {"fact", "definition"}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    text = SEED.read_bytes().decode("utf-8")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return frame.apply(lambda column: column.str.strip())


def _level(table: pd.DataFrame, key: str, columns) -> dict[str, dict[str, str]]:
    """Study or position attributes, each the value given on the rows that fill it."""
    out: dict[str, dict[str, str]] = {}
    for ident, group in table.groupby(key):
        values = {}
        for column in columns:
            filled = {v for v in group[column] if v}
            assert len(filled) <= 1, f"{key} {ident}: {column} disagrees across rows: {filled}"
            values[column] = filled.pop() if filled else ""
        out[ident] = values
    return out


@pytest.fixture(scope="module")
def studies(table) -> dict[str, dict[str, str]]:
    return _level(table, "study_id", STUDY_COLUMNS)


@pytest.fixture(scope="module")
def positions(table) -> dict[str, dict[str, str]]:
    return _level(table, "position_id", POSITION_COLUMNS)


def _row(table, position_id, study_id) -> dict[str, str]:
    rows = table[(table.position_id == position_id) & (table.study_id == study_id)]
    assert len(rows) == 1, (position_id, study_id)
    return rows.iloc[0].to_dict()


def _cited(row: dict[str, str]) -> bool:
    return row["cited_in_exchange"].lower() not in {"no", "false", "n", "0"}


# --- the file ------------------------------------------------------------------------

def test_file_is_utf8_lf_and_rectangular():
    raw = SEED.read_bytes()
    text = raw.decode("utf-8")  # strict
    assert "\r" not in text, "line endings must be LF"
    lines = [line for line in text.split("\n") if line]
    header = lines[0].split(",")
    assert header[0] == "position_id"
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert len(frame.columns) == len(header) and len(frame) > 0


def test_the_v2_columns_are_present(table):
    assert {"position_id", "position", "advocate", "question", "outcome", "conceded_by",
            "study_id", "citation", "design", "n", "stopped_early", "retracted", "stance",
            "result", "cited_in_exchange", "characterization", "claimed_certainty",
            "notes"} <= set(table.columns)


def test_the_independent_v2_checker_accepts_the_seed():
    script = ROOT / "scripts" / "check_evidence_v2.py"
    result = subprocess.run([sys.executable, str(script), str(SEED)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok (contract v2" in result.stdout


def test_no_study_cited_twice_on_a_position(table):
    pairs = table[["position_id", "study_id"]]
    assert not pairs.duplicated().any(), pairs[pairs.duplicated()]


def test_study_and_position_columns_agree_across_rows(studies, positions):
    assert studies and positions  # _level asserts agreement


# --- studies -------------------------------------------------------------------------

def test_every_reference_of_both_letters_present_with_its_design(studies):
    designs = {sid: s["design"] for sid, s in studies.items()}
    for sid, design in LETTER_REFERENCES.items():
        assert designs.get(sid) == design, sid


def test_studies_are_exactly_the_references_and_the_additions(studies):
    assert {sid: s["design"] for sid, s in studies.items()} == {**LETTER_REFERENCES, **ADDED}


@pytest.mark.parametrize("study_id", sorted(ADDED))
def test_added_studies_carry_the_badge_on_every_row(table, study_id):
    rows = table[table.study_id == study_id]
    assert len(rows) > 0
    assert set(rows.cited_in_exchange.str.lower()) == {"no"}, study_id


def test_every_study_has_a_citation(studies):
    for sid, study in studies.items():
        assert study["citation"], sid


def test_bonaventura_split_into_in_vitro_binding_and_animal_behaviour(table, studies):
    assert studies["Bonaventura2021"]["design"] == "in_vitro"
    assert studies["Bonaventura2021b"]["design"] == "animal"
    assert studies["Bonaventura2021"]["doi"] == studies["Bonaventura2021b"]["doi"] \
        == "10.1038/s41380-021-01093-2"
    # the binding claims rest on the in-vitro row, and the notes say which row is which
    for pid in ("ketamine-similar-receptor-affinities", "mk801-greater-nmda-affinity",
                "ketamine-strong-nmda-weak-mu"):
        _row(table, pid, "Bonaventura2021")
    notes = " ".join(table[table.study_id.str.startswith("Bonaventura")].notes)
    assert "in-vitro" in notes and "Bonaventura2021b" in notes and "animal" in notes


def test_wajs_terminated_by_sponsor_with_attrition(table, studies):
    wajs = studies["Wajs2020"]
    assert (wajs["design"], wajs["n"], wajs["stopped_early"]) == (
        "single_arm_trial", "802", "other")
    text = " ".join(table[table.study_id == "Wajs2020"][["result", "notes"]].values.ravel())
    assert "24.9%" in text and "terminated by the sponsor" in text


def test_daly_primary_analysis_enrichment_and_comparator(table, studies):
    daly = studies["Daly2019"]
    assert (daly["design"], daly["n"], daly["blinded"], daly["control"]) == (
        "randomized_withdrawal", "176", "double", "active")
    efficacy = _row(table, "esketamine-long-term-efficacy", "Daly2019")
    assert "26.7%" in efficacy["result"] and "45.3%" in efficacy["result"]
    assert "HR 0.49 (95% CI 0.29–0.84)" in efficacy["result"]
    assert "NCT02493868" in efficacy["notes"] and "nriched" in efficacy["notes"]
    safety = _row(table, "esketamine-long-term-safety", "Daly2019")
    assert safety["indirectness"] == "serious" and "enriched" in safety["notes"]


def test_mohamed_population_not_trd_and_doi(table, studies):
    assert studies["Mohamed2017"]["doi"] == "10.1001/jama.2017.8036"
    row = _row(table, "antipsychotic-intolerability-mdd", "Mohamed2017")
    assert row["indirectness"] == "serious"
    assert "at least one antidepressant" in row["notes"] and "not TRD" in row["notes"]
    assert all(x in row["result"] for x in ("22.3%", "26.9%", "28.9%"))


def test_dold_n_is_the_esketamine_evidence(table, studies):
    dold = studies["Dold2020"]
    assert dold["n"] == "641" and dold["n"] != "9004"
    row = _row(table, "esketamine-larger-effect-than-antipsychotics", "Dold2020")
    assert "4.09 (95% CI 2.01 to 6.17" in row["result"] and "2.05 (1.51 to 2.59" in row["result"]
    assert (row["indirectness"], row["imprecision"]) == ("serious", "serious")
    assert "overlap" in row["notes"]


def test_carter_class_level_result(table):
    row = _row(table, "esketamine-larger-effect-than-antipsychotics", "Carter2020")
    assert "0.91 (95% CI 0.67 to 1.16)" in row["result"] and "five trials" in row["result"]
    assert row["indirectness"] == "very_serious" and "class" in row["notes"]


def test_gastaldon_counts_reports_and_opposes_documented_safety(table, studies):
    gastaldon = studies["Gastaldon2021"]
    assert (gastaldon["design"], gastaldon["n"]) == ("pharmacovigilance", "962")
    opposing = _row(table, "esketamine-long-term-safety", "Gastaldon2021")
    assert opposing["stance"] == "opposes"
    assert "ROR 5.75" in opposing["result"]
    assert _row(table, "esketamine-faers-toxicity-signal", "Gastaldon2021")["stance"] == "supports"


def test_pacheco_outcome_is_pain_and_indirect(table):
    row = _row(table, "ketamine-endogenous-opioid-release", "Pacheco2014")
    assert row["indirectness"] == "serious"
    assert "antinociception" in row["result"] and "pain" in row["notes"]


def test_stard_is_cohort_type_evidence_for_a_prognosis_claim(table, studies, positions):
    assert studies["Rush2006"]["design"] == "cohort"
    assert positions["stard-remission-below-15pct"]["question"] == "prognosis"
    row = _row(table, "stard-remission-below-15pct", "Rush2006")
    assert not _cited(row)
    assert "13.7%" in row["result"] and "13.0%" in row["result"]
    assert "levels 2–4" in row["notes"]


def test_rush2020_subject_and_fda2009_basis_recorded(table):
    rush = " ".join(table[table.study_id == "Rush2020"].notes)
    assert "patient-centred" in rush and "not the efficacy of augmentation" in rush
    fda = _row(table, "ofc-fda-approved-trd", "FDA2009")
    assert "one pivotal trial, three supportive studies, and one inconclusive trial" in fda["notes"]


def test_esketamine_approval_is_cited_exactly(studies):
    fda = studies["FDA2019"]
    assert "NDA 211243" in fda["citation"] and "March 5, 2019" in fda["citation"]
    assert "accessdata.fda.gov" in fda["citation"]


def test_gaynes_review_cited_exactly(studies):
    gaynes = studies["Gaynes2020"]
    assert gaynes["doi"] == "10.1002/da.22968"
    assert gaynes["citation"].startswith("Gaynes BN, Lux L, Gartlehner G, et al: Defining "
                                         "treatment-resistant depression. Depress Anxiety 2020")


# --- positions -----------------------------------------------------------------------

def test_question_types_fit_the_claims(positions):
    assert {pid: p["question"] for pid, p in positions.items()} == QUESTIONS


def test_both_advocates_hold_positions(positions):
    assert {p["advocate"] for p in positions.values()} == {"Schatzberg", "McIntyre et al."}


def test_every_concession_of_the_reply_is_recorded(positions):
    conceded = {pid for pid, p in positions.items() if p["conceded_by"]}
    assert conceded == CONCEDED
    for pid in conceded:
        assert positions[pid]["conceded_by"] == "McIntyre et al."
        assert positions[pid]["advocate"] == "Schatzberg"


def test_strong_nmda_claim_and_the_retreat_are_two_positions(table, positions):
    assert positions["ketamine-strong-nmda-weak-mu"]["advocate"] == "McIntyre et al."
    retreat = positions["ketamine-significant-nmda-affinity"]
    assert retreat["advocate"] == "McIntyre et al." and "does not exclude" in retreat["position"]
    assert "does not exclude" not in positions["ketamine-strong-nmda-weak-mu"]["position"]


def test_uncited_acute_evidence_claim_rests_on_opinion_only(table, studies):
    rows = table[table.position_id == "antipsychotic-evidence-mostly-acute"]
    assert len(rows) > 0
    assert {studies[s]["design"] for s in rows.study_id} <= OPINION_DESIGNS
    assert "paucity of long-term data" in " ".join(rows.characterization)


def test_schatzbergs_baseline_and_dropout_critique_is_held(positions):
    text = positions["krystal-baseline-and-dropouts"]["position"]
    assert "baseline" in text and "dropped out" in text
    assert positions["krystal-baseline-and-dropouts"]["advocate"] == "Schatzberg"


def test_case_series_claim_is_opposed_by_the_paper_itself(table):
    rows = table[table.position_id == "krystal-case-series-significant-effects"]
    assert list(rows.study_id) == ["Yoon2019"]
    assert rows.iloc[0].stance == "opposes"


def test_only_ofc_claim_is_opposed_by_the_2019_approval(table):
    rows = table[table.position_id == "only-ofc-fda-approved-trd"]
    assert {(r.study_id, r.stance) for r in rows.itertuples()} == {("FDA2019", "opposes")}


def test_trd_definition_confirmed_by_both_indications_and_the_review(table):
    rows = table[table.position_id == "trd-definition-two-failed-trials"]
    assert {"McIntyre2014", "FDA2009", "FDA2019", "Gaynes2020"} <= set(rows.study_id)
    assert set(rows.stance) == {"supports"}


def test_every_graded_citation_of_a_rated_study_has_a_result(table, studies, positions):
    """A rated study on a graded position shows its finding (abstracts give numbers for all)."""
    missing = []
    for row in table.itertuples():
        if positions[row.position_id]["question"] in CHECKED:
            continue
        if studies[row.study_id]["design"] in OPINION_DESIGNS:
            continue
        if not row.result:
            missing.append((row.position_id, row.study_id))
    assert not missing, missing


def test_results_with_numbers_where_the_abstracts_give_them(table):
    expected = {
        ("esketamine-long-term-efficacy", "Daly2019"): ("26.7%", "45.3%", "0.29–0.84"),
        ("stard-remission-below-15pct", "Rush2006"): ("36.8%", "30.6%", "13.7%", "13.0%"),
        ("antipsychotic-intolerability-mdd", "Carbon2018"): (
            "2.6%", "6.5%", "RR 0.47", "0.39–0.57"),
        ("esketamine-larger-effect-than-antipsychotics", "Carter2020"): ("0.91", "0.67 to 1.16"),
        ("esketamine-faers-toxicity-signal", "Gastaldon2021"): ("ROR", "5.75", "24.03"),
        ("esketamine-long-term-safety", "Wajs2020"): ("24.9%", "32.9%", "27.6%"),
        ("naltrexone-blocks-ketamine-antidepressant-effect", "Williams2018"): ("7/12",),
        ("low-remission-unacceptable-to-patients", "Rosenblat2018"): ("896",),
    }
    for (pid, sid), numbers in expected.items():
        result = _row(table, pid, sid)["result"]
        for number in numbers:
            assert number in result, (pid, sid, number)


def test_explicit_judgments_carry_their_reason_in_notes(table):
    domains = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
    for row in table.itertuples():
        for domain in domains:
            judgment = getattr(row, domain)
            if judgment:
                label = domain.replace("_", " ").capitalize()
                assert re.search(rf"{label} {judgment.replace('_', ' ')} \(explicit\)",
                                 row.notes), (row.position_id, row.study_id, domain)


def test_williams_stopped_for_benefit_and_case_series_uncontrolled(studies):
    williams, yoon = studies["Williams2018"], studies["Yoon2019"]
    assert (williams["n"], williams["blinded"], williams["stopped_early"]) == (
        "12", "double", "benefit")
    assert (yoon["n"], yoon["randomized"], yoon["blinded"], yoon["control"]) == (
        "5", "no", "none", "none")
