"""The small pure helpers behind the templates."""

from __future__ import annotations

import pytest

from grader.render.context import _footnoted, plain_summary, position_refs
from grader.render.formatters import (
    clip,
    count,
    join_words,
    letter,
    placeholders,
    symbols,
    truncate,
    words,
)


@pytest.mark.parametrize(("index", "expected"), [(0, "a"), (25, "z"), (26, "aa"), (27, "ab"),
                                                 (701, "zz"), (702, "aaa")])
def test_footnote_letters_never_run_out(index, expected):
    assert letter(index) == expected


def test_symbols_and_words_go_together():
    assert symbols("moderate") == "⊕⊕⊕◯" and words("moderate") == "Moderate"
    assert symbols("not_rated") == "—" and "opinion" in words("not_rated")


def test_truncate_says_where_the_rest_is():
    assert truncate("short") == "short"
    cut = truncate("x" * 700, 600)
    assert cut.startswith("x" * 600) and "cut at 600 of 700 characters" in cut
    assert "brief.json" in cut


def test_clip_stops_at_a_word():
    assert clip("alpha beta gamma", 12) == "alpha beta …"
    assert clip("alpha", 12) == "alpha"


def test_join_words_and_count():
    assert join_words([]) == "" and join_words(["a"]) == "a"
    assert join_words(["a", "b", "c"]) == "a, b and c"
    assert count(1, "study", "studies") == "1 study"
    assert count(1200, "study", "studies") == "1,200 studies"


def test_placeholders_are_shown_as_guillemets():
    assert placeholders("Only {n} participants") == "Only ‹n› participants"


def test_position_refs_join_runs():
    items = [{"number": n} for n in (1, 2, 3, 5, 7, 8)]
    assert position_refs(items) == "P1–P3, P5, P7 and P8"


def _position(number, verdict, score, question="efficacy", overstated=0, short=None,
              **extra):
    from grader.render.context import CLINICAL_QUESTIONS, verdict_phrase

    p = {"number": number, "verdict": verdict, "score": score, "advocate": "A",
         "certainty": {0: "not_rated", 1: "very_low", 2: "low", 3: "moderate",
                       4: "high", None: "not_applicable"}[score],
         "rows": [{}] * 2, "opinion": [], "overstated": [{}] * overstated,
         "position": f"claim {number}", "short": short or f"claim {number}",
         "question": question, "clinical": question in CLINICAL_QUESTIONS,
         "checked": question in ("fact", "definition"), "supporting": ["FDA2009"],
         "opposing": ["FDA2019"], **extra}
    p["phrase"] = verdict_phrase(p)
    return p


def test_bottom_line_names_claims_clinical_first_and_facts_last():
    positions = [
        _position(1, "supported", 2, "mechanism", short="ketamine binds mu receptors"),
        _position(2, "supported", 3, "efficacy", short="esketamine prevents relapse"),
        _position(3, "refuted", None, "fact", short="only OFC is approved"),
        _position(4, "contested", 2, "safety", overstated=1, short="esketamine is safe"),
        _position(5, "contradicted", 4, "efficacy", short="drug X works"),
        _position(6, "unsupported", 0, "safety", short="a framework exists"),
    ]
    sentences = plain_summary(positions)
    assert 3 <= len(sentences) <= 5
    text = " ".join(sentences)
    assert "P1" not in text and "P2" not in text  # claims, not numbers
    clinical, mechanism, facts = (text.index(s) for s in (
        "esketamine prevents relapse", "ketamine binds mu receptors", "only OFC is approved"))
    assert clinical < mechanism < facts
    assert "“esketamine prevents relapse” is probably true" in text
    assert "“drug X works” is shown not to be true" in text
    assert "“only OFC is approved” is refuted by FDA2019" in text
    assert "Of 1 fact or definition checked against their sources (not graded), 0 are" in text
    assert "“esketamine is safe” meets conflicting evidence" in text
    assert "“a framework exists” rests on opinion only" in text
    assert "1 of 12" in text
    assert "A:" not in text  # no per-advocate scorecard


def test_identical_reasons_share_a_footnote_letter():
    def row(reason):
        return {"study_id": "S", "notes": None, "domains": [
            {"label": "Imprecision", "judgment": "serious", "source": "derived",
             "reason": reason, "letter": None}]}

    rows = [row("Few participants."), row("Few participants."), row("Other.")]
    notes = _footnoted(rows)
    assert [n["letter"] for n in notes] == ["a", "b"]
    assert [r["domains"][0]["letter"] for r in rows] == ["a", "a", "b"]


def test_markdown_cells_cannot_open_html_or_break_tables():
    from grader.render.html import _markdown_safe

    assert _markdown_safe("<img src=http://127.0.0.1/x>") == "\\<img src=http&#58;//127.0.0.1/x>"
    assert _markdown_safe("remission <15%") == "remission <15%"
    assert _markdown_safe("a | b") == "a \\| b"
    assert _markdown_safe(12) == 12


def test_rubric_design_ids_are_plain_identifiers():
    from grader.errors import InvalidInput
    from grader.rubric import default_rubric_text, parse_rubric

    text = default_rubric_text().replace("[designs.survey]", '[designs."=HYPERLINK(x)"]')
    with pytest.raises(InvalidInput) as caught:
        parse_rubric(text, "edited.toml")
    assert "edited.toml: designs.=HYPERLINK(x): a design id is lower-case letters" \
        in str(caught.value)
