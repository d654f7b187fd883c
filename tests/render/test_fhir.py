"""brief.fhir.json: a FHIR R5 Bundle that fhir.resources validates, with only known codes."""

from __future__ import annotations

import datetime as dt
import json
import re

import fhir.resources
import pytest
from fhir.resources import get_fhir_model_class
from fhir.resources.bundle import Bundle

from grader.render.fhir import GRADER_CODES, GRADER_SYSTEM, fhir_bundle, fhir_bytes, fhir_id

BUILT = dt.date(2026, 1, 2)
# The codes of FHIR R5's code systems this export may use (the library does not check codes):
CERTAINTY_TYPE = {"Overall", "RiskOfBias", "Inconsistency", "Indirectness", "Imprecision",
                  "PublicationBias", "LargeEffect", "DoseResponseGradient",
                  "PlausibleConfounding"}
CERTAINTY_RATING = {"high", "moderate", "low", "very-low", "no-concern", "serious-concern",
                    "very-serious-concern", "extremely-serious-concern", "present", "absent",
                    "no-change", "downcode1", "downcode2", "downcode3", "upcode1", "upcode2"}
STUDY_DESIGN = {"SEVCO:01001", "SEVCO:01002", "SEVCO:01003", "SEVCO:01005", "SEVCO:01012",
                "SEVCO:01013", "SEVCO:01015", "SEVCO:01016", "SEVCO:01017", "SEVCO:01023",
                "SEVCO:01027", "SEVCO:01028", "SEVCO:01037"}
ALLOWED = {"http://hl7.org/fhir/certainty-type": CERTAINTY_TYPE,
           "http://hl7.org/fhir/certainty-rating": CERTAINTY_RATING,
           "http://hl7.org/fhir/study-design": STUDY_DESIGN}
LONG_POSITION = ("a-very-long-position-id-that-goes-on-and-on-well-past-the-sixty-four-"
                 "character-limit")
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def _codings(node, path=""):
    """Every Coding in a resource, with where it sits."""
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield path, node
        for key, value in node.items():
            yield from _codings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _codings(value, f"{path}[{i}]")


def _resources(bundle, kind=None):
    return [e["resource"] for e in bundle["entry"]
            if kind is None or e["resource"]["resourceType"] == kind]


def _position(bundle, position_id):
    return next(r for r in _resources(bundle, "Evidence")
                if r["identifier"][0]["value"] == position_id)


def _subcomponent(certainty, code):
    return next(s for s in certainty["subcomponent"] if s["type"]["coding"][0]["code"] == code)


@pytest.fixture
def bundle(v2_document, settings):
    return fhir_bundle(v2_document, settings, BUILT)


def test_the_library_is_fhir_r5():
    assert fhir.resources.__fhir_version__.startswith("5.")


@pytest.mark.parametrize("which", ["v2", "v1", "seed"])
def test_every_resource_validates_with_fhir_resources(which, v2_document, v1_document,
                                                      seed_document, settings):
    document = {"v2": v2_document, "v1": v1_document, "seed": seed_document}[which]
    bundle = json.loads(fhir_bytes(document, settings, BUILT))
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")


@pytest.mark.parametrize("which", ["v2", "v1", "seed"])
def test_every_code_is_a_listed_code(which, v2_document, v1_document, seed_document,
                                     settings):
    document = {"v2": v2_document, "v1": v1_document, "seed": seed_document}[which]
    bundle = fhir_bundle(document, settings, BUILT)
    seen = set()
    for path, coding in _codings(bundle):
        system, code = coding["system"], coding["code"]
        seen.add(system)
        if system == GRADER_SYSTEM:
            assert code in GRADER_CODES or code.startswith("design:"), path
        else:
            assert system in ALLOWED, f"{path}: unexpected system {system}"
            assert code in ALLOWED[system], f"{path}: {code} is not a {system} code"
    assert {"http://hl7.org/fhir/certainty-type", "http://hl7.org/fhir/certainty-rating",
            "http://hl7.org/fhir/study-design"} <= seen


def test_ratings_sit_under_the_right_kind_of_certainty(bundle):
    for evidence in _resources(bundle, "Evidence"):
        overall = evidence["certainty"][0]
        assert overall["type"]["coding"][0]["code"] == "Overall"
        for sub in overall.get("subcomponent", []):
            code = sub["type"]["coding"][0]["code"]
            rating = sub["rating"]["coding"][0]["code"]
            if code in ("LargeEffect", "DoseResponseGradient", "PlausibleConfounding"):
                assert rating in ("present", "absent", "upcode1", "upcode2")
            else:
                assert rating in ("no-concern", "serious-concern", "very-serious-concern",
                                  "not-assessed")


def test_one_citation_per_study_with_doi_title_and_design(bundle, v2_document):
    citations = {r["identifier"][0]["value"]: r for r in _resources(bundle, "Citation")}
    assert set(citations) == {s["study_id"] for s in v2_document["studies"]}
    trial = citations["Trial2020"]
    assert trial["title"] == "Doe J, et al. A big trial. NEJM 2020."
    assert trial["citedArtifact"]["identifier"] == [{"system": "https://doi.org",
                                                     "value": "10.1056/trial2020"}]
    classifier = trial["citedArtifact"]["classification"][0]["classifier"]
    assert [c["coding"][0]["code"] for c in classifier] == ["SEVCO:01001", "SEVCO:01003",
                                                            "design:rct"]
    opinion = citations["O'Brien2020"]["citedArtifact"]["classification"][0]["classifier"]
    assert [c["coding"][0]["code"] for c in opinion] == ["design:expert_opinion"]
    retracted = citations["Fraud2020"]["citedArtifact"]["currentState"][0]
    assert retracted["coding"][0]["code"] == "retracted"


def test_graded_position_has_overall_certainty_domains_reasons_and_upgrades(bundle):
    evidence = _position(bundle, "drug-works")
    overall = evidence["certainty"][0]
    assert overall["rating"]["coding"][0] == {"system": "http://hl7.org/fhir/certainty-rating",
                                              "code": "moderate"}
    assert overall["description"] == "Drug X probably prevents relapse."
    codes = [s["type"]["coding"][0]["code"] for s in overall["subcomponent"]]
    assert codes == ["RiskOfBias", "Inconsistency", "Indirectness", "Imprecision",
                     "PublicationBias", "LargeEffect", "DoseResponseGradient",
                     "PlausibleConfounding"]
    risk = _subcomponent(overall, "RiskOfBias")
    assert risk["rating"]["coding"][0]["code"] == "serious-concern"
    assert risk["note"][0]["text"] == "derived by the rubric: Most of the weight is unblinded."
    verdict = evidence["extension"][0]
    assert verdict["valueCodeableConcept"]["coding"][0] == {
        "system": GRADER_SYSTEM, "code": "supported", "display": "Supported"}


def test_a_domain_not_assessed_is_never_coded_no_concern(bundle):
    overall = _position(bundle, "drug-works")["certainty"][0]
    imprecision = _subcomponent(overall, "Imprecision")
    assert imprecision["rating"]["coding"] == [{"system": GRADER_SYSTEM, "code": "not-assessed",
                                                "display": GRADER_CODES["not-assessed"]}]
    assert imprecision["extension"][0]["valueCode"] == "not_assessed"
    assert "No n-based rule applies." in imprecision["note"][0]["text"]


def test_withheld_upgrades_are_present_but_not_applied(bundle):
    overall = _position(bundle, LONG_POSITION)["certainty"][0]
    large = _subcomponent(overall, "LargeEffect")
    assert large["rating"]["coding"][0]["code"] == "present"
    assert "entered but not applied: not applied: imprecision is rated down" == \
        large["note"][0]["text"]
    assert _subcomponent(overall, "PlausibleConfounding")["rating"]["coding"][0]["code"] == \
        "absent"


def test_checked_and_opinion_positions_carry_grader_codes_not_a_grade(bundle):
    checked = _position(bundle, "drug-approved")
    assert checked["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "confirmed"
    overall = checked["certainty"][0]
    assert overall["rating"]["coding"][0]["code"] == "not-applicable"
    assert "subcomponent" not in overall
    opinion = _position(bundle, "only-opinion")["certainty"][0]
    assert opinion["rating"]["coding"][0]["code"] == "not-rated"
    contested = _position(bundle, "drug_is_contested")
    leaning = next(e for e in contested["extension"] if e["url"].endswith("/leaning"))
    assert leaning["valueCodeableConcept"]["coding"][0]["code"] == "supports"


def test_one_evidence_per_graded_citation(bundle, v2_document):
    retracted = {s["study_id"] for s in v2_document["studies"] if s["retracted"]}
    graded = {(c["position_id"], c["study_id"]) for c in v2_document["citations"]
              if c["certainty"] in ("high", "moderate", "low", "very_low")
              and c["study_id"] not in retracted}
    found = {tuple(r["identifier"][0]["value"].split("/")) for r in _resources(bundle, "Evidence")
             if r["identifier"][0]["system"].endswith("/citation-id")}
    assert found == graded
    trial = next(r for r in _resources(bundle, "Evidence")
                 if r["identifier"][0]["value"] == "drug-works/Trial2020")
    assert trial["statistic"][0]["description"].startswith("relapse 26.7%")
    assert trial["statistic"][0]["sampleSize"]["numberOfParticipants"] == 400
    flags = {e["url"].rsplit("/", 1)[1]: e for e in trial["extension"]}
    assert flags["overstated"]["valueBoolean"] is True
    assert flags["stance"]["valueCodeableConcept"]["coding"][0]["code"] == "supports"
    assert flags["claimed-certainty"]["valueCodeableConcept"]["coding"][0]["code"] == "high"
    design = [c["coding"][0]["code"] for c in trial["studyDesign"]]
    assert design == ["SEVCO:01001", "SEVCO:01003", "design:rct"]


def test_ids_are_valid_unique_and_stable(bundle, v2_document, settings):
    ids = [(r["resourceType"], r["id"]) for r in _resources(bundle)]
    assert len(ids) == len(set(ids))
    assert all(FHIR_ID.fullmatch(rid) for _, rid in ids)
    again = fhir_bundle(v2_document, settings, BUILT)
    assert [(r["resourceType"], r["id"]) for r in _resources(again)] == ids
    assert fhir_id("position", "drug-works") == "position.drug-works"
    assert fhir_id("position", "a_b") != fhir_id("position", "a-b")
    assert len(fhir_id("position", "x" * 200)) == 64
    references = {f"{t}/{i}" for t, i in ids}
    for _, ref in _codings_refs(bundle):
        assert ref in references


def _codings_refs(node, path=""):
    if isinstance(node, dict):
        if "reference" in node:
            yield path, node["reference"]
        for key, value in node.items():
            yield from _codings_refs(value, f"{path}.{key}")
    elif isinstance(node, list):
        for value in node:
            yield from _codings_refs(value, path)


def test_bytes_are_utf8_json_with_a_trailing_newline(v2_document, settings):
    data = fhir_bytes(v2_document, settings, BUILT)
    assert data == fhir_bytes(v2_document, settings, BUILT)
    assert data.endswith(b"}\n")
    assert "⊕".encode() not in data and "–".encode() in data  # UTF-8, not \\u escapes
    assert json.loads(data)["timestamp"] == "2026-01-02T00:00:00Z"


def test_applied_upgrades_are_upcodes(v2_document, settings):
    position = v2_document["positions"][-1]
    position["body"]["upgrades"] = {"large_effect": "very_large", "dose_response": True,
                                    "plausible_confounding": False, "withheld": [],
                                    "reason": None}
    overall = _position(fhir_bundle(v2_document, settings, BUILT), LONG_POSITION)["certainty"][0]
    codes = {s["type"]["coding"][0]["code"]: s["rating"]["coding"][0]["code"]
             for s in overall["subcomponent"]}
    assert (codes["LargeEffect"], codes["DoseResponseGradient"],
            codes["PlausibleConfounding"]) == ("upcode2", "upcode1", "absent")
