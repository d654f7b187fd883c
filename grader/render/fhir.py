"""HL7 FHIR R5 evidence (brief.fhir.json): a Bundle of Citation and Evidence resources."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from grader.render.committee import (
    DOMAIN_LABELS,
    DOMAINS,
    LEVELS,
    NOT_APPLICABLE,
    NOT_RATED,
    Citation,
    Domain,
    Position,
    Study,
    Upgrades,
    checked_phrase,
    design_label,
    read_document,
    verdict_word,
    words,
)

FHIR_BASE = "https://github.com/grader-brief/grader/fhir"
"""grader's own namespace: the fullUrls of the bundle's entries, its extensions and its code
system live under it (documented in the README, "Committee formats")."""
GRADER_SYSTEM = f"{FHIR_BASE}/CodeSystem/grader"
EXTENSION = f"{FHIR_BASE}/StructureDefinition/"
CERTAINTY_TYPE = "http://hl7.org/fhir/certainty-type"
CERTAINTY_RATING = "http://hl7.org/fhir/certainty-rating"
STUDY_DESIGN = "http://hl7.org/fhir/study-design"
DOI_SYSTEM = "https://doi.org"

DOMAIN_TYPES = {"risk_of_bias": "RiskOfBias", "inconsistency": "Inconsistency",
                "indirectness": "Indirectness", "imprecision": "Imprecision",
                "publication_bias": "PublicationBias"}
UPGRADE_TYPES = {"large_effect": "LargeEffect", "dose_response": "DoseResponseGradient",
                 "plausible_confounding": "PlausibleConfounding"}
LEVEL_RATINGS = {"high": "high", "moderate": "moderate", "low": "low", "very_low": "very-low"}
JUDGMENT_RATINGS = {"not_serious": "no-concern", "serious": "serious-concern",
                    "very_serious": "very-serious-concern"}
CERTAINTY_TYPE_CODES = ("Overall", *DOMAIN_TYPES.values(), *UPGRADE_TYPES.values())
CERTAINTY_RATING_CODES = (*LEVEL_RATINGS.values(), *JUDGMENT_RATINGS.values(), "present",
                          "absent", "upcode1", "upcode2")
"""The standard codes this writer uses (FHIR R5 certainty-type and certainty-rating)."""

SEVCO = {
    # http://hl7.org/fhir/study-design (FHIR R5; SEVCO terms), only where a term fits.
    "SEVCO:01001": "Interventional research",
    "SEVCO:01002": "Observational research",
    "SEVCO:01003": "randomized assignment",
    "SEVCO:01005": "Non-randomized assignment",
    "SEVCO:01012": "Crossover cohort design",
    "SEVCO:01013": "Case control design",
    "SEVCO:01015": "Cluster as unit of allocation",
    "SEVCO:01016": "Uncontrolled cohort design",
    "SEVCO:01017": "Case report",
    "SEVCO:01023": "Non-comparative study design",
    "SEVCO:01027": "Cross sectional data collection",
    "SEVCO:01028": "Longitudinal data collection",
    "SEVCO:01037": "Post-Marketing Surveillance study",
}
DESIGN_SEVCO = {
    "rct": ("SEVCO:01001", "SEVCO:01003"),
    "crossover_rct": ("SEVCO:01001", "SEVCO:01003", "SEVCO:01012"),
    "randomized_withdrawal": ("SEVCO:01001", "SEVCO:01003"),
    "cluster_rct": ("SEVCO:01001", "SEVCO:01003", "SEVCO:01015"),
    "nonrandomized_controlled": ("SEVCO:01001", "SEVCO:01005"),
    "single_arm_trial": ("SEVCO:01001", "SEVCO:01016"),
    "cohort": ("SEVCO:01002", "SEVCO:01028"),
    "case_control": ("SEVCO:01002", "SEVCO:01013"),
    "cross_sectional": ("SEVCO:01002", "SEVCO:01027"),
    "survey": ("SEVCO:01002", "SEVCO:01027"),
    "case_series": ("SEVCO:01002", "SEVCO:01023"),
    "case_report": ("SEVCO:01017",),
    "pharmacovigilance": ("SEVCO:01037",),
}
"""grader designs with a fitting R5 study-design term; reviews, animal and in-vitro work and
opinion have none there, and carry grader's own design code and their label only."""

GRADER_CODES = {
    # verdicts of graded positions
    "supported": "Supported", "contested": "Contested", "contradicted": "Contradicted",
    "unsupported": "Unsupported (only opinion is cited)",
    # results of checked positions
    "confirmed": "Checked: confirmed", "refuted": "Checked: refuted",
    "disputed": "Checked: disputed", "unchecked": "Not checked",
    # stances and leanings
    "supports": "Supports the position", "opposes": "Opposes the position",
    "neither": "Leans neither way",
    # ratings no standard code expresses
    "not-rated": "Not rated (opinion, ineligible for GRADE)",
    "not-assessed": "Not assessed (no rule or judgment applied)",
    "not-applicable": "Not applicable (a checked position is not graded)",
    # roles of a citation in its position
    "in-body": "In the body of evidence", "lower-tier": "Lower-tier evidence",
    "retracted": "Retracted, never counted", "overstated": "Overstated",
    "study-design": "Study design (grader's design vocabulary)",
}
"""Every code of grader's code system (`design:<id>` codes name grader's designs)."""

_ID_OK = re.compile(r"[A-Za-z0-9\-.]")
_ID_MAX = 64


def fhir_id(*parts: str) -> str:
    """A FHIR id from grader ids: stable, [A-Za-z0-9-.]{1,64}; an id that had to be changed
    (underscores, apostrophes, length) gets a short digest of the original, so two ids never
    collide."""
    raw = ".".join(parts)
    clean = "".join(ch if _ID_OK.fullmatch(ch) else "-" for ch in raw)
    if clean == raw and len(raw) <= _ID_MAX:
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()[:10]
    return f"{clean[:_ID_MAX - 11]}-{digest}"


def _coding(system: str, code: str, display: str | None = None) -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _grader(code: str, text: str | None = None) -> dict:
    return {"coding": [_coding(GRADER_SYSTEM, code, GRADER_CODES.get(code))],
            "text": text or GRADER_CODES.get(code, code)}


def _type(code: str, text: str) -> dict:
    return {"coding": [_coding(CERTAINTY_TYPE, code)], "text": text}


def _rating(code: str, text: str) -> dict:
    return {"coding": [_coding(CERTAINTY_RATING, code)], "text": text}


def _level_rating(level: str) -> dict:
    if level in LEVEL_RATINGS:
        return _rating(LEVEL_RATINGS[level], words(level))
    if level == NOT_APPLICABLE:
        return _grader("not-applicable")
    return _grader("not-rated")


def _ext(name: str, **value) -> dict:
    return {"url": EXTENSION + name, **value}


def _note(text: str | None) -> list[dict]:
    return [{"text": text}] if text else []


def _domain(name: str, domain: Domain) -> dict:
    """One downgrade domain; not assessed is grader's `not-assessed`, never no-concern."""
    if domain.not_assessed:
        rating = _grader("not-assessed")
    else:
        rating = _rating(JUDGMENT_RATINGS.get(domain.judgment, "no-concern"), domain.text)
    source = {"explicit": "judged in the evidence table", "derived": "derived by the rubric",
              "not_assessed": "not assessed"}.get(domain.source, domain.source)
    out = {"extension": [_ext("judgment-source", valueCode=domain.source)],
           "type": _type(DOMAIN_TYPES[name], DOMAIN_LABELS[name]),
           "rating": rating}
    if domain.source == "explicit":  # otherwise the overall certainty's rater, grader
        out["rater"] = "the evidence table's authors (explicit judgment)"
    out["note"] = _note(f"{source}: {domain.reason}" if domain.reason else source)
    return out


def _upgrades(upgrades: Upgrades | None) -> list[dict]:
    if upgrades is None:
        return []
    out = []
    for name, code in UPGRADE_TYPES.items():
        label = {"large_effect": "Large effect", "dose_response": "Dose–response gradient",
                 "plausible_confounding": "Plausible confounding"}[name]
        applied = [a for a in upgrades.applied if a.endswith(name)]
        withheld = [w for w in upgrades.withheld if w.endswith(name)]
        if withheld:
            rating = _rating("present", "present, not applied")
            note = f"entered but not applied: {upgrades.reason or 'withheld by the rubric'}"
        elif applied and upgrades.known_applied:
            steps = 2 if applied[0] == "very_large_effect" else 1
            rating = _rating(f"upcode{steps}", f"rated up {steps}")
            note = "very large effect" if steps == 2 else None
        elif applied:
            rating = _rating("present", "present")
            note = "entered in the evidence table"
        else:
            rating = _rating("absent", "absent")
            note = None
        out.append({"type": _type(code, label), "rating": rating, "note": _note(note)})
    return [{k: v for k, v in item.items() if v} for item in out]


def _overall(level: str, description: str, rater: str, notes: list[str],
             domains: dict[str, Domain] | None, upgrades: Upgrades | None) -> dict:
    out = {"type": _type("Overall", "Overall certainty"), "rating": _level_rating(level),
           "description": description, "rater": rater,
           "note": [{"text": n} for n in notes if n]}
    subs = [_domain(name, domains[name]) for name in DOMAINS] if domains else []
    subs += _upgrades(upgrades) if domains else []
    if subs:
        out["subcomponent"] = subs
    return {k: v for k, v in out.items() if v}


def _design(study: Study, labels: dict) -> list[dict]:
    """studyDesign: R5 study-design (SEVCO) terms where one fits, then grader's design."""
    codes = DESIGN_SEVCO.get(study.design or "", ())
    out = [{"coding": [_coding(STUDY_DESIGN, code, SEVCO[code])], "text": SEVCO[code]}
           for code in codes]
    if study.design:
        out.append({"coding": [_coding(GRADER_SYSTEM, f"design:{study.design}")],
                    "text": design_label(study.design, labels)})
    return out


def _variable(claim: str) -> list[dict]:
    return [{"description": claim or "(no claim text)",
             "variableRole": {"text": "the claim assessed (a grader position)"}}]


def _ref(kind: str, rid: str, display: str | None = None) -> dict:
    out = {"reference": f"{kind}/{rid}"}
    if display:
        out["display"] = display
    return out


def _citation_resource(study: Study, labels: dict, date: str) -> dict:
    artifact: dict = {}
    if study.doi:
        artifact["identifier"] = [{"system": DOI_SYSTEM, "value": study.doi}]
    if study.year is not None:
        artifact["publicationForm"] = [{"publicationDateText": str(study.year)}]
    classifier = [{"coding": [_coding(STUDY_DESIGN, code, SEVCO[code])], "text": SEVCO[code]}
                  for code in DESIGN_SEVCO.get(study.design or "", ())]
    if study.design:
        classifier.append({"coding": [_coding(GRADER_SYSTEM, f"design:{study.design}")],
                           "text": design_label(study.design, labels)})
    if classifier:
        artifact["classification"] = [{"type": _grader("study-design"),
                                       "classifier": classifier}]
    if study.retracted:
        artifact["currentState"] = [_grader("retracted")]
    resource = {
        "resourceType": "Citation", "id": fhir_id("study", study.study_id),
        "identifier": [{"system": f"{FHIR_BASE}/study-id", "value": study.study_id}],
        "title": study.citation, "status": "active", "date": date,
        "publisher": "grader",
        "summary": [{"text": study.citation + (f" doi:{study.doi}" if study.doi else "")}],
    }
    if artifact:
        resource["citedArtifact"] = artifact
    return resource


def _role(position: Position, c: Citation) -> str:
    if c.study.retracted:
        return "retracted"
    if c.certainty == NOT_RATED and not position.checked:
        return "not-rated"
    if c.study_id in position.lower_tier or c.in_body is False:
        return "lower-tier"
    return "in-body" if c.counted else "not-rated"


def _position_resource(p: Position, rater: str, date: str, graded_ids: dict) -> dict:
    pid = fhir_id("position", p.position_id)
    extensions = [_ext("verdict", valueCodeableConcept=_grader(p.verdict, p.statement)),
                  _ext("advocate", valueString=p.advocate or "(not stated)"),
                  _ext("question", valueCode=p.question)]
    if p.leaning:
        extensions.append(_ext("leaning", valueCodeableConcept=_grader(p.leaning)))
    if p.conceded_by:
        extensions.append(_ext("conceded-by", valueString=p.conceded_by))
    if p.checked:
        certainty = _overall(NOT_APPLICABLE, checked_phrase(p), rater,
                             ["Checked against its sources, not graded: GRADE certainty is "
                              "about effect estimates."], None, None)
    elif p.certainty not in LEVELS:
        certainty = _overall(p.certainty, p.statement, rater,
                             ["Only opinion is cited; GRADE does not rate opinion."], None, None)
    else:
        domains, upgrades, notes = _position_domains(p)
        certainty = _overall(p.certainty, p.statement, rater, notes, domains, upgrades)
    related = []
    for c in p.citations:
        related.append({"type": "citation", "classifier": [_grader(_role(p, c)),
                                                           _grader(c.stance)],
                        "label": c.study_id,
                        "resourceReference": _ref("Citation", fhir_id("study", c.study_id),
                                                  c.study_id)})
        if (p.position_id, c.study_id) in graded_ids:
            related.append({"type": "composed-of", "label": c.study_id,
                            "resourceReference": _ref(
                                "Evidence", graded_ids[(p.position_id, c.study_id)])})
    resource = {
        "resourceType": "Evidence", "id": pid, "extension": extensions,
        "identifier": [{"system": f"{FHIR_BASE}/position-id", "value": p.position_id}],
        "title": p.claim or p.position_id, "status": "active", "date": date,
        "publisher": "grader",
        "description": p.claim or p.position_id,
        "assertion": f"{verdict_word(p.verdict)}: {p.statement}",
        "variableDefinition": _variable(p.claim),
        "certainty": [certainty],
        "relatedArtifact": related,
    }
    return {k: v for k, v in resource.items() if v}


def _position_domains(p: Position) -> tuple:
    """The body's judgments (v2); a v1 document has none: its best citation's, said so."""
    if p.body is not None and p.body.domains:
        notes = ["certainty = the body's start − its downgrades + its upgrades",
                 f"body of evidence: {', '.join(p.body.studies)}" if p.body.studies else "",
                 f"body starts {words(p.body.start).lower()}" if p.body.start else "",
                 f"weight: {p.body.weight}" if p.body.weight else ""]
        return p.body.domains, p.body.upgrades, notes
    best = next(iter(p.best_evidence()), None)
    if best is None or not best.domains:
        return None, None, ["certainty = start − downgrades + upgrades"]
    return best.domains, best.upgrades, [
        "certainty = start − downgrades + upgrades",
        f"judgments of the position's best citation, {best.study_id} (the document carries "
        "no body of evidence)"]


def _citation_evidence(p: Position, c: Citation, rid: str, rater: str, labels: dict,
                       date: str) -> dict:
    notes = ["certainty = start − downgrades + upgrades",
             f"starts {words(c.start).lower()}" if c.start in LEVELS else ""]
    extensions = [_ext("stance", valueCodeableConcept=_grader(c.stance)),
                  _ext("role", valueCodeableConcept=_grader(_role(p, c))),
                  _ext("overstated", valueBoolean=c.overstated),
                  _ext("cited-in-exchange", valueBoolean=c.cited_in_exchange)]
    if c.claimed_certainty in LEVEL_RATINGS:
        extensions.append(_ext("claimed-certainty",
                               valueCodeableConcept=_level_rating(c.claimed_certainty)))
    if c.characterization:
        extensions.append(_ext("characterization", valueString=c.characterization))
    statistic = {}
    if c.result:
        statistic["description"] = c.result
    if c.study.n is not None:
        statistic["sampleSize"] = {"numberOfParticipants": c.study.n}
    resource = {
        "resourceType": "Evidence", "id": rid, "extension": extensions,
        "identifier": [{"system": f"{FHIR_BASE}/citation-id",
                        "value": f"{p.position_id}/{c.study_id}"}],
        "title": f"{c.study_id} as evidence on {p.position_id}", "status": "active",
        "date": date, "publisher": "grader",
        "description": c.result,
        "note": _note(c.notes),
        "variableDefinition": _variable(p.claim),
        "studyDesign": _design(c.study, labels),
        "statistic": [statistic] if statistic else None,
        "certainty": [_overall(c.certainty, f"{words(c.certainty)} certainty", rater, notes,
                               c.domains, c.upgrades)],
        "relatedArtifact": [
            {"type": "derived-from", "label": c.study_id,
             "resourceReference": _ref("Citation", fhir_id("study", c.study_id), c.study_id)},
            {"type": "part-of", "label": p.position_id,
             "resourceReference": _ref("Evidence", fhir_id("position", p.position_id))},
        ],
    }
    return {k: v for k, v in resource.items() if v}


def fhir_bundle(doc: dict, settings: dict, built: dt.date) -> dict:
    """A FHIR R5 Bundle (collection): a Citation per study, an Evidence per position and per
    graded citation; ids come from grader's ids, so a re-export diffs cleanly."""
    data = read_document(doc)
    labels = settings.get("design_labels") or {}
    date = built.isoformat()
    rater = f"grader ({data.rubric_name or 'rubric'} {data.rubric_version})".strip()
    entries = [_citation_resource(s, labels, date) for s in data.studies.values()]
    graded_ids = {(c.position_id, c.study_id): fhir_id("citation", c.position_id, c.study_id)
                  for p in data.positions if not p.checked
                  for c in p.citations if c.graded and not c.study.retracted}
    for p in data.positions:
        entries.append(_position_resource(p, rater, date, graded_ids))
        for c in p.citations:
            rid = graded_ids.get((p.position_id, c.study_id))
            if rid:
                entries.append(_citation_evidence(p, c, rid, rater, labels, date))
    bundle = {
        "resourceType": "Bundle", "id": "grader-brief",
        "identifier": {"system": f"{FHIR_BASE}/input-sha256",
                       "value": data.sha256 or "unknown"},
        "type": "collection",
        "timestamp": f"{date}T00:00:00Z",
        "entry": [{"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r}
                  for r in entries],
    }
    return bundle


def fhir_bytes(doc: dict, settings: dict, built: dt.date) -> bytes:
    """brief.fhir.json: the bundle as UTF-8 JSON in a fixed key order, newline-terminated."""
    return (json.dumps(fhir_bundle(doc, settings, built), indent=2, ensure_ascii=False)
            + "\n").encode()
