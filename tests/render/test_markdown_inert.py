"""brief.md: cell text is inert (one line, no markup, no link or image), checked by GFM itself."""

from __future__ import annotations

import re

import cmarkgfm
import pytest
from click.testing import CliRunner
from cmarkgfm.cmark import Options

from grader.cli import main
from grader.render.formatters import markdown_inline

HOSTILE = [
    "# HEADING\n\n- a list\n> a quote",
    "![remote](https://evil.example/pixel.png) and ![i][ref]",
    "[click](javascript:alert(1)) [x](  javascript:alert(2) )",
    "<https://evil.example> <mailto:a@b.c> https://evil.example www.evil.example a@b.example",
    "<img src=x onerror=alert(1)> <script>alert(1)</script> <!-- c --> <?php ?>",
    "a | b || c\n|---|",
    "*em* **strong** _u_ `code` ~~del~~ \\*not\\* \\[a](b)",
    "&lt;b&gt; &#91;x&#93;(y) &amp;",
    "1. one\n2) two\n+ plus\n= setext\n---",
    "line\r\nbreak\u2028sep\tTab\x1b]0;title\x07\u202eRLO\u200bZW",
    "```\nfenced\n```",
]


def render(markdown: str) -> str:
    """GitHub's own Markdown (tables, autolinks, raw HTML allowed) as HTML."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


# Any link but GFM's e-mail autolinks (mailto:), which no escape stops (formatters.py).
ACTIVE = re.compile(r"<(a(?! href=\"mailto:)|img|script|h[1-6]|blockquote|ul|ol|li|pre|code|"
                    r"em|strong|del|hr)\b")


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_renders_as_its_own_text_in_one_paragraph(text):
    html = render(markdown_inline(text))
    assert html.startswith("<p>") and html.count("<p>") == 1, html
    assert not ACTIVE.search(html), html
    assert not re.search(r"<(?!/?p>|a href=\"mailto:|/a>)", html), html


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_keeps_a_table_row_whole(text):
    table = f"| a | b |\n|---|---|\n| {markdown_inline(text)} | x |\n"
    html = render(table)
    assert html.count("<tr>") == 2 and html.count("<td>") == 2, html
    assert not ACTIVE.search(html), html


def test_brief_md_has_one_row_per_citation_and_nothing_active(tmp_path, rows):
    cells = [{"study_id": f"S{i}", "position": "The drug works.", "citation": text,
              "notes": text, "characterization": text, "claimed_certainty": "high",
              "advocate": "Smith"} for i, text in enumerate(HOSTILE)]
    cells[0]["position"] = HOSTILE[0]
    for row in cells:
        row["position"] = HOSTILE[0]
    path = tmp_path / "e.csv"
    path.write_text(rows(*cells), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(path), "--out", str(out), "--format",
                                       "md", "-q"])
    assert result.exit_code == 0, result.output
    md = (out / "brief.md").read_text(encoding="utf-8")
    html = render(md)
    # The template's own headings only: "# title", "## Bottom line", "## P1.",
    # "## References", "## Methods".
    assert len(re.findall(r"<h[1-6]>", html)) == 5, html
    # Footnotes and references are paragraphs: nothing in brief.md is a list, a link, an
    # image or code, so no cell can open one.
    assert not re.search(r"<(a(?! href=\"mailto:)|img|script|ul|ol|li|pre|code|hr)\b", html), \
        html
    # One table of positions (one row), one of citations: the body row and a row per
    # citation (contract v2: each section's table starts with its body of evidence).
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    assert [t.count("<tr>") - 1 for t in tables] == [1, len(HOSTILE) + 1]
