"""`grader explain`: why a citation or a position got its grade, rule by rule (pure text)."""

from __future__ import annotations

import difflib

from grader.errors import GraderError
from grader.pipeline import Assessment
from grader.rate import DOMAIN_FIELDS
from grader.render.methods import rule_words
from grader.vocab import DOMAIN_LABELS, DOMAINS, NOT_ASSESSED, PENALTY, SCORE, WORDS


def explain(assessment: Assessment, name: str) -> str:
    """The explanation of a study's citations or of a position, as plain text."""
    c = assessment.ratings
    if name in set(assessment.positions["position_id"]):
        return explain_position(assessment, name)
    if name in set(c["study_id"]):
        return explain_study(assessment, name)
    known = list(dict.fromkeys([*assessment.positions["position_id"], *c["study_id"]]))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
    hint = f"; did you mean {' or '.join(close)}?" if close else \
        "; give a study_id or a position_id of the evidence file"
    raise GraderError(f"{name!r} is neither a study nor a position in "
                      f"{assessment.evidence.path}{hint}")


def _judgment(judgment: str, source: str) -> str:
    return "not assessed" if source == NOT_ASSESSED else judgment.replace("_", " ")


def _arithmetic(start: str, penalties: dict[str, int], upgrade: int, certainty: str) -> str:
    down = sum(penalties.values())
    named = ", ".join(f"{DOMAIN_LABELS[d].lower()} −{p}" for d, p in penalties.items() if p)
    return (f"{WORDS[start].lower()} ({SCORE[start]}) − {down}"
            f"{f' ({named})' if named else ''} + {upgrade} = {WORDS[certainty].lower()}"
            f" ({SCORE[certainty]}), kept within very low … high")


def explain_study(assessment: Assessment, study_id: str) -> str:
    """Every citation of a study: start, each domain with its source and rule, upgrades, sum."""
    rubric = assessment.rubric
    rules = {r.id: r for r in rubric.rules}
    rows = assessment.ratings[assessment.ratings["study_id"] == study_id]
    first = rows.iloc[0]
    design = rubric.designs[first["design"]]
    lines = [f"{study_id}: {design.label} ({first['design']})"
             + (f", n = {int(first['n']):,}" if first["n"] is not None and
                str(first["n"]) != "<NA>" else ", n not given")
             + (", RETRACTED: listed, never counted" if bool(first["retracted"]) else "")]
    for r in rows.to_dict("records"):
        lines.append("")
        lines.append(f"on {r['position_id']} ({r['question']} question), {r['stance']}:")
        if r["checked"]:
            lines.append("  a checked position (fact or definition): this source "
                         f"{'confirms' if r['stance'] == 'supports' else 'refutes'} it; "
                         "no grade, no domains.")
            continue
        if r["start"] == "not_rated":
            lines.append(f"  not rated: {design.label.lower()} is opinion, which GRADE holds "
                         "ineligible for rating; listed, never counted.")
            continue
        why = (f"{design.label.lower()} starts {WORDS[r['start']].lower()}"
               + (f" on {r['question']} questions" if r["question"] in design.starts_by_question
                  else "") + (f" (a review of {r['included_designs'] or 'unstated designs'})"
                              if design.start == "included_designs" else ""))
        lines.append(f"  start: {why}")
        penalties = {}
        for d in DOMAINS:
            result = DOMAIN_FIELDS[d].of(r)
            judgment, source, rule_id = result.judgment, result.source, result.rule
            penalties[d] = PENALTY[judgment]
            lines.append(f"  {DOMAIN_LABELS[d]}: {_judgment(judgment, source)} [{source}]")
            if source == "derived" and rule_id:
                lines.append(f"      rule {rule_id}: {rule_words(rules[rule_id], rubric)}")
            elif source == NOT_ASSESSED:
                candidates = [x.id for x in rubric.rules if x.domain == d]
                lines.append("      no rule judged it" + (
                    f" (rules of this domain: {', '.join(candidates)})" if candidates else
                    " (the rubric has no rule for this domain)"))
            lines.append(f"      {result.reason}")
        if r["upgrade"]:
            lines.append(f"  upgrades: +{int(r['upgrade'])}")
        elif r["upgrade_reason"]:
            lines.append(f"  upgrades: {r['upgrade_reason']}")
        else:
            lines.append("  upgrades: none entered")
        lines.append("  certainty: " + _arithmetic(r["start"], penalties, int(r["upgrade"]),
                                                   r["certainty"]))
        if r["overstated"]:
            lines.append(f"  overstated: claimed {r['claimed_certainty'].replace('_', ' ')}")
    return "\n".join(lines) + "\n"


def explain_position(assessment: Assessment, position_id: str) -> str:
    """A position: its counted citations, body, weights, body judgments, arithmetic and verdict."""
    p = assessment.positions.set_index("position_id").loc[position_id]
    lines = [f"{position_id}: {p['position']}", f"argued by {p['advocate']}; "
             f"{p['question']} question ({p['judged']})", ""]
    if p["judged"] == "checked":
        lines.append("checked, not graded: every cited source counts except retracted ones.")
        lines.append(f"  confirming: {', '.join(p['supporting']) or 'none'}")
        lines.append(f"  refuting: {', '.join(p['opposing']) or 'none'}")
        if p["retracted"]:
            lines.append(f"  retracted, not counted: {', '.join(p['retracted'])}")
        rule = {"confirmed": "supporting sources only → confirmed",
                "refuted": "opposing sources only → refuted",
                "disputed": "sources on both sides → disputed",
                "unchecked": "no source → not checked"}[p["verdict"]]
        lines += [f"verdict: {rule}", f"statement: {p['statement']}"]
        return "\n".join(lines) + "\n"
    if p["not_rated"]:
        lines.append(f"not counted (opinion): {', '.join(p['not_rated'])}")
    if p["retracted"]:
        lines.append(f"not counted (retracted): {', '.join(p['retracted'])}")
    body = p["body"]
    if body is None:
        lines += ["no counted citation → unsupported (only opinion is cited)",
                  f"statement: {p['statement']}"]
        return "\n".join(lines) + "\n"
    if p["lower_tier"]:
        lines.append(f"lower tier (graded, listed, not in the body): {', '.join(p['lower_tier'])}")
    weights = ", ".join(f"{s} {w:g}" for s, w in body["weights"].items())
    lines.append(f"body: the counted citations starting {WORDS[body['start']].lower()} "
                 f"(the highest tier): {', '.join(body['studies'])}")
    lines.append(f"weights ({body['weight']}): {weights}")
    penalties = {}
    for d in DOMAINS:
        j = body["domains"][d]
        penalties[d] = PENALTY[j["judgment"]]
        lines.append(f"  {DOMAIN_LABELS[d]}: {_judgment(j['judgment'], j['source'])} "
                     f"[{j['source']}]")
        lines.append(f"      {j['reason']}")
    ups = body["upgrades"]
    lines.append(f"  upgrades: +{body['upgrade']}" if body["upgrade"] else
                 f"  upgrades: {ups['reason'] or 'none held by every citation of the body'}")
    lines.append("certainty: " + _arithmetic(body["start"], penalties, body["upgrade"],
                                             p["certainty"]))
    rule = {"supported": "the body holds supporting citations only → supported",
            "contradicted": "the body holds opposing citations only → contradicted",
            "contested": f"the body holds both → contested, leaning {p['leaning']} "
                         "(the side with more weight)"}[p["verdict"]]
    lines += [f"verdict: {rule}", f"statement: {p['statement']}"]
    return "\n".join(lines) + "\n"


