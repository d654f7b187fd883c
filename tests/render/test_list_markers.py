"""brief.css prints bullets inside the first line, hung left by their width: every glyph
lands where outside markers put it, without an absolutely positioned box per bullet."""

from __future__ import annotations

import pytest

from grader.render.html import builtin_templates
from grader.render.pdf import packaged_fonts

weasyprint = pytest.importorskip("weasyprint")

# The brief's bullet lists (sections, methods), in each font size they are printed at, with
# items long enough to wrap, bold and a line break inside; a numbered list for contrast.
LISTS = """
<article class="position"><div class="opinion"><h3>Opinion cited</h3><ul>
  <li><b>McIntyre2021</b>, letter, for: “the best available evidence has amply documented
  the suboptimal efficacy of monoaminergic antidepressants in treatment-resistant
  depression”</li></ul></div>
<div class="refs"><h3>Studies and notes</h3><ul>
  <li><b>Williams2018</b>. Williams NR, Heifets BD, Blasey C, et al. Attenuation of
  antidepressant effects of ketamine by opioid receptor antagonism.<br><span class="note">
  Note: a crossover trial stopped early at its interim analysis.</span></li>
  <li><b>Yoon2019</b>. Yoon G. A case series.</li></ul></div></article>
<section class="methods"><ul class="starts"><li><b>High</b>: randomized trial, crossover
  trial, and every other design a reader of a guideline would call randomized.</li></ul>
  <ul><li>A setting of the body of evidence, long enough to wrap onto a second line of
  the page at this width.</li></ul></section>
<section class="references"><ol class="references"><li>One.</li><li>Two.</li></ol></section>
"""


def _glyphs(css_overrides: str = ""):
    """(text, x, y) of every text box laid out, and how many markers are positioned apart."""
    fonts = packaged_fonts()
    sheets = [fonts.css, weasyprint.CSS(filename=str(builtin_templates() / "brief.css"),
                                        font_config=fonts.font_config)]
    if css_overrides:
        sheets.append(weasyprint.CSS(string=css_overrides, font_config=fonts.font_config))
    document = weasyprint.HTML(string=LISTS).render(font_config=fonts.font_config,
                                                    stylesheets=sheets)
    glyphs, apart = [], 0

    def walk(box):
        nonlocal apart
        box = getattr(box, "_box", box)  # an absolutely positioned box's placeholder
        if box.element_tag == "li::marker" and box.style["position"] == "absolute":
            apart += 1
        if getattr(box, "text", None) and box.text.strip():
            glyphs.append((box.text, round(box.position_x, 2), round(box.position_y, 2)))
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return sorted(glyphs, key=lambda g: (g[2], g[1])), apart


def test_bullets_print_where_outside_markers_did_without_a_box_apart_each():
    inside, apart = _glyphs()
    outside, apart_before = _glyphs("ul { list-style-position: outside; text-indent: 0 }")
    assert [g[0] for g in inside] == [g[0] for g in outside]
    assert "•" in "".join(g[0] for g in inside)
    assert all(abs(a[1] - b[1]) <= 0.05 and a[2] == b[2]
               for a, b in zip(inside, outside, strict=True))
    assert (apart, apart_before) == (2, 7)  # only the numbered list's markers
