"""The rubric's designs for people: `grader designs`, the GUIDE's picker, design hints."""

from __future__ import annotations

import shutil
import textwrap
import tomllib

from grader.rubric import Rubric
from grader.suggest import close_matches, did_you_mean, phrase_matches
from grader.vocab import NOT_RATED, WORDS

REVIEW_START = "included_designs"


def _raw_designs(rubric: Rubric) -> dict:
    try:
        raw = tomllib.loads(rubric.text)
    except tomllib.TOMLDecodeError:  # pragma: no cover - a loaded rubric parsed already
        return {}
    designs = raw.get("designs")
    return designs if isinstance(designs, dict) else {}


def _raw_review_by_question(rubric: Rubric) -> dict:
    try:
        raw = tomllib.loads(rubric.text).get("review_start", {})
    except tomllib.TOMLDecodeError:  # pragma: no cover
        return {}
    by_question = raw.get("by_question", {}) if isinstance(raw, dict) else {}
    return by_question if isinstance(by_question, dict) else {}


def examples(rubric: Rubric) -> dict[str, list[str]]:
    """Per design id, the studies it fits ("a registry analysis"), from the rubric file."""
    raw = _raw_designs(rubric)
    out = {}
    for design in rubric.designs.values():
        given = getattr(design, "examples", None)
        if given is None:
            spec = raw.get(design.id, {})
            given = spec.get("examples", []) if isinstance(spec, dict) else []
        out[design.id] = [str(e) for e in given if isinstance(e, str)]
    return out


def starts_by_question(rubric: Rubric, design_id: str) -> dict[str, str]:
    """Where a design starts on the questions where that differs from its start."""
    design = rubric.designs[design_id]
    given = getattr(design, "starts_by_question", None)
    if given is None:
        spec = _raw_designs(rubric).get(design_id, {})
        given = spec.get("starts_by_question", {}) if isinstance(spec, dict) else {}
    return {q: level for q, level in dict(given or {}).items() if level != design.start}


def _level(level: object) -> str:
    if level == NOT_RATED:
        return "not rated (opinion)"
    return WORDS.get(str(level), str(level)).lower()


def start_text(rubric: Rubric, design_id: str) -> str:
    """'high', 'low; high on prognosis, values', or a review's start by what it pooled."""
    design = rubric.designs[design_id]
    if design.start == REVIEW_START:
        pooled = ", ".join(f"{k} {_level(v)}" for k, v in rubric.review_start.items()
                           if isinstance(v, str))
        text = f"by included_designs: {pooled}"
        by_question = _raw_review_by_question(rubric)
        for question, table in by_question.items():
            if isinstance(table, dict):
                text += (f"; on {question}: " +
                         ", ".join(f"{k} {_level(v)}" for k, v in table.items()))
    else:
        text = _level(design.start)
    groups: dict[str, list[str]] = {}
    for question, level in starts_by_question(rubric, design_id).items():
        groups.setdefault(str(level), []).append(question)
    for level, questions in groups.items():
        text += f"; {_level(level)} on {', '.join(questions)}"
    return text


def listing(rubric: Rubric, width: int | None = None) -> str:
    """Every design with its label, start, synonyms and examples, wrapped to width."""
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 100)
    width = max(width, 40)
    ids = list(rubric.designs)
    id_width = min(max(map(len, ids)), 26)
    indent = " " * (id_width + 2)
    found = examples(rubric)
    lines = [*textwrap.wrap(f"{len(ids)} designs in {rubric.name} {rubric.version}. Type "
                            "the id (or any synonym, in any case) in the design column.",
                            width), ""]

    def wrapped(label: str, text: str) -> list[str]:
        return textwrap.wrap(f"{label}{text}", width, initial_indent=indent,
                             subsequent_indent=indent + "  ", break_on_hyphens=False)

    for design_id in ids:
        design = rubric.designs[design_id]
        head = f"{design_id:<{id_width}}  {design.label}"
        if design_id != ids[0]:
            lines.append("")
        lines += textwrap.wrap(head, width, subsequent_indent=indent) or [head]
        lines += wrapped("starts: ", start_text(rubric, design_id))
        if design.synonyms:
            lines += wrapped("synonyms: ", ", ".join(design.synonyms))
        if found[design_id]:
            lines += wrapped("e.g. ", "; ".join(found[design_id]))
    lines += ["", *textwrap.wrap("A design the rubric lacks can be added to a copy of it: "
                                 "grader rubric > my-rubric.toml, then --rubric "
                                 "my-rubric.toml.", width)]
    return "\n".join(lines) + "\n"


def picker(rubric: Rubric) -> list[tuple[str, str]]:
    """("a registry analysis", "cohort") pairs for the GUIDE's 'which design' table."""
    return [(example, design_id) for design_id, texts in examples(rubric).items()
            for example in texts]


def hint(value: str, rubric: Rubric) -> str:
    """'did you mean cohort?' for a design one small edit (or a close phrase) away."""
    close = close_matches(value, rubric.design_synonyms)
    if close:
        return did_you_mean(close[:3])
    phrases = {d.id: [d.label, *d.synonyms, *found]
               for d, found in zip(rubric.designs.values(), examples(rubric).values(),
                                   strict=True)}
    matched = phrase_matches(value, phrases)
    if 0 < len(matched) <= 3:
        return did_you_mean(f"{design_id} ({phrase})" if phrase not in (design_id,)
                            else design_id for design_id, phrase in matched.items())
    return ""
