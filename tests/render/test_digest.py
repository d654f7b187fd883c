"""Above FULL_BRIEF_POSITIONS positions the brief is a digest: page 1 lists them all,
sections and the map cover those most in question, brief.md and brief.json keep everything."""

from __future__ import annotations

import re

import pytest
from conftest import make_rows

from grader.pipeline import assess
from grader.render import context as ctx
from grader.render.context import Settings, build_context, select_sections
from grader.render.html import make_environment, render_html, render_markdown


def _position(number: int, verdict: str, overstated: bool = False) -> dict:
    return {"number": number, "verdict": verdict, "overstated": [1] if overstated else []}


def test_small_briefs_keep_every_section():
    positions = [_position(i, "supported") for i in range(1, ctx.FULL_BRIEF_POSITIONS + 1)]
    assert select_sections(positions) == positions


def test_digest_keeps_the_positions_most_in_question_in_order(monkeypatch):
    monkeypatch.setattr(ctx, "FULL_BRIEF_POSITIONS", 4)
    monkeypatch.setattr(ctx, "DIGEST_SECTIONS", 3)
    positions = [_position(1, "supported"), _position(2, "contested"),
                 _position(3, "supported", overstated=True), _position(4, "contradicted"),
                 _position(5, "unsupported")]
    assert [p["number"] for p in select_sections(positions)] == [2, 3, 4]


@pytest.fixture
def digest(tmp_path, monkeypatch):
    monkeypatch.setattr(ctx, "FULL_BRIEF_POSITIONS", 2)
    monkeypatch.setattr(ctx, "DIGEST_SECTIONS", 1)
    rows = [{"position_id": f"p{i}", "position": f"Claim number {i}.",
             "study_id": f"Doe{2000 + i}", "design": "rct" if i != 2 else "case_report",
             "stance": "supports" if i != 2 else "opposes"} for i in range(1, 5)]
    rows.append({"position_id": "p2", "position": "Claim number 2.", "study_id": "Roe2001",
                 "design": "case_report", "stance": "supports"})
    path = tmp_path / "evidence.csv"
    path.write_text(make_rows(*rows), encoding="utf-8")
    context = build_context(assess(path), Settings(), "2026-05-28")
    env = make_environment()
    return context, render_html(context, env), render_markdown(context, env)


def test_digest_lists_every_position_on_page_one_and_links_only_to_sections(digest):
    context, html, _ = digest
    assert context["digest"] and len(context["sections"]) == 1
    page1 = html[html.index('<table class="summary"'):html.index("</table>")]
    assert all(f"Claim number {i}." in page1 for i in range(1, 5))
    anchors = set(re.findall(r'id="(p-[^"]+)"', html))
    links = set(re.findall(r'href="#(p-[^"]+)"', html))
    assert links == anchors == {"p-p2"}  # the contested position
    assert html.count("<article") == 1
    assert "This brief is a digest" in html


def test_digest_markdown_keeps_every_section(digest):
    _, _, markdown = digest
    assert all(f"Claim number {i}." in markdown for i in range(1, 5))
