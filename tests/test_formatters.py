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


def _position(number, verdict, score, advocate="A", best=None, overstated=0):
    return {"number": number, "verdict": verdict, "score": score, "advocate": advocate,
            "certainty": {0: "not_rated", 1: "very_low", 2: "low", 3: "moderate",
                          4: "high"}[score],
            "best": best, "rows": [{}] * 2, "opinion": [], "overstated": [{}] * overstated,
            "position": f"claim {number}"}


def test_plain_summary_names_positions_by_verdict_and_advocate():
    positions = [
        _position(1, "supported", 4, "A", {"study_id": "Trial2020"}),
        _position(2, "supported", 2, "B"),
        _position(3, "contested", 2, "B"),
        _position(4, "contradicted", 2, "A", {"study_id": "Cohort2019"}, overstated=1),
        _position(5, "unsupported", 0, "B"),
    ]
    text = " ".join(plain_summary(positions))
    assert "Well supported, by moderate- or high-certainty evidence: P1 (Trial2020, high)." \
        in text
    assert "low- or very-low-certainty evidence" in text and ": P2." in text
    assert "Contested" in text and "P3" in text
    assert "Contradicted" in text and "P4 (Cohort2019, low)" in text
    assert "Resting on opinion alone" in text and "P5" in text
    assert "1 of 10 citations" in text
    assert "A: 2 positions, 1 supported at moderate or high certainty and 1 contradicted." \
        in text


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
