"""answered_once: WeasyPrint's normal-flow test in one call, struts kept per style, and
boxes whose style paints nothing given no background without asking it again."""

from __future__ import annotations

import pytest

from grader.render import box_questions
from grader.render.box_questions import answered_once
from grader.render.swapped import modules_using

weasyprint = pytest.importorskip("weasyprint")
needs_adapter = pytest.mark.skipif(
    weasyprint.__version__ not in box_questions.BOX_QUESTIONS_FOR,
    reason="the adapter is for WeasyPrint 70 only")

# Every way out of the normal flow (floats of each side, footnotes, absolute and fixed
# positions, running elements), line heights of every kind, a font size of 0, SVG text.
FLOWS = """
<style>
  @page { size: 90mm 70mm; margin: 8mm; @top-center { content: element(head) }
          @footnote { margin-top: 2mm } }
  .l { float: left; width: 10mm } .r { float: right; width: 10mm }
  .s { float: inline-start; width: 8mm } .e { float: inline-end; width: 8mm }
  .n { float: footnote } .a { position: absolute; top: 2mm } .f { position: fixed; top: 0 }
  .run { position: running(head) } .rel { position: relative; left: 1mm }
  .lh1 { line-height: 1.6 } .lh2 { line-height: 14pt } .lh3 { line-height: 150% }
  .lh4 { line-height: calc(1em + 2pt) } .z { font-size: 0 } .big { font-size: 16pt }
</style>
<p class="run">running head</p>
<p>text <span class="l">left</span> <span class="r">right</span> more text
  and a note<span class="n">a footnote</span>.</p>
<div class="s">start</div><div class="e">end</div>
<div class="a">absolute</div><div class="f">fixed</div><div class="rel">relative</div>
<p class="lh1">one <b>bold</b> <i>italic</i></p><p class="lh2">two</p>
<p class="lh3">three <span class="big">big</span></p><p class="lh4">four</p>
<p class="z">zero <span>inside</span></p>
<svg width="40" height="20"><text x="2" y="12" font-size="9">svg text</text></svg>
""" + "<p>filler text on more pages</p>" * 25

# Everything layout_box_backgrounds looks at, on blocks, inline boxes, table parts, markers,
# generated content, margin boxes and the canvas: colours (transparent, currentColor),
# images (gradient, data: URL), hidden boxes, radii in lengths and percentages, shadows,
# border images and mask borders.
PAINTS = """
<style>
  @page { size: 90mm 70mm; margin: 8mm; background: #fafafa;
          @bottom-center { content: counter(page); background: #eee; border-radius: 1mm } }
  html { background: linear-gradient(#fff, #eef) } body { margin: 0 }
  .c { background: #def } .t { background: rgba(0, 0, 0, 0) } .cc { background: currentColor }
  .ct { color: transparent; background: currentColor }
  .g { background: linear-gradient(red, blue) }
  .u { background: url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='4' \
height='4'%3E%3Crect width='4' height='4' fill='green'/%3E%3C/svg%3E") }
  .h { visibility: hidden; background: #f00 } .hs { visibility: hidden; box-shadow: 1px 1px red }
  .r { border-radius: 2mm } .rp { border-radius: 20% / 10% } .r0 { border-radius: 0 3mm }
  .s { box-shadow: 0 0 2px #000 }
  .bi { border: 3px solid; border-image: linear-gradient(red, blue) 1 }
  .mb { mask-border-source: linear-gradient(red, blue) }
  tr.x { background: #ffe } tbody.y { background: #eff } col.z { background: #fef }
  li::marker { color: #c00 }
  p.b::before { content: "before "; background: #ccf; border-radius: 1mm }
</style>
<p class="c">coloured <span class="c r">inline rounded</span> <span class="t">clear</span>
  <span class="cc">current</span> <span class="ct">transparent current</span></p>
<div class="g r">gradient</div><div class="u rp">image, radii in percent</div>
<div class="h">hidden <span>child</span></div><div class="hs">hidden shadow</div>
<div class="r0">one corner</div><div class="s">shadow</div><div class="bi">border image</div>
<div class="mb">mask border</div><p class="b">generated</p>
<ul><li>one</li><li class="c">two</li></ul>
<table><colgroup><col class="z"><col></colgroup>
  <tbody class="y"><tr class="x"><td>a</td><td class="c r">b</td></tr>
    <tr><td>c</td><td>d</td></tr></tbody>
</table>
""" + "<p>filler text on more pages <span class='c'>with a background</span></p>" * 20


def _every_box(box):
    yield box
    for child in box.all_children():
        yield from _every_box(child)


@needs_adapter
def test_a_box_whose_style_paints_nothing_is_left_by_weasyprint_as_the_adapter_leaves_it():
    pages = weasyprint.HTML(string=PAINTS).render().pages
    plain = painted = 0
    for page in pages:
        for box in _every_box(page._page_box):
            if box is page._page_box or not box_questions.paints_nothing(box.style):
                painted += box.background is not None
                continue
            plain += 1
            assert box.background is None, box.element_tag
            assert all(getattr(box, r) == (0, 0) for r in box_questions.CORNER_RADII)
            assert not {"border_image", "mask_border_image"} & set(vars(box))
    assert plain > 100 and painted > 20


@needs_adapter
def test_every_box_gets_the_same_flow_answer_and_every_style_the_same_strut(monkeypatch):
    from weasyprint.formatting_structure import boxes
    from weasyprint.text import line_break

    original_flow, original_strut = boxes.Box.is_in_normal_flow, line_break.strut
    kept = box_questions._kept_per_style(original_strut)
    flows, struts = [], []

    def both_flow(box):
        expected = original_flow(box)
        assert box_questions.is_in_normal_flow(box) == expected, box.element_tag
        flows.append(expected)
        return expected

    def both_strut(style):
        # Asked later in the render, the kept answer must still be the one WeasyPrint
        # would give now.
        expected = original_strut(style)
        assert kept(style) == expected
        struts.append(expected)
        return expected

    monkeypatch.setattr(boxes.Box, "is_in_normal_flow", both_flow)
    for module in modules_using(original_strut):
        monkeypatch.setattr(module, "strut", both_strut)
    weasyprint.HTML(string=FLOWS).render()
    assert {True, False} <= set(flows) and len(flows) > 200
    assert (0, 0) in struts and len(set(struts)) >= 5 and len(struts) > len(set(struts))


@needs_adapter
@pytest.mark.parametrize("html", [FLOWS, PAINTS], ids=["flows", "paints"])
def test_the_pages_lay_out_the_same_with_and_without(html):
    stock = weasyprint.HTML(string=html).write_pdf(uncompressed_pdf=True)
    with answered_once() as installed:
        adapted = weasyprint.HTML(string=html).write_pdf(uncompressed_pdf=True)
    assert installed and adapted == stock


def test_put_back_after_an_error_and_left_alone_where_it_does_not_apply(monkeypatch):
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import background, inline
    from weasyprint.text import line_break

    flow, strut = boxes.Box.is_in_normal_flow, line_break.strut
    backgrounds = background.layout_box_backgrounds
    with pytest.raises(RuntimeError), answered_once():
        raise RuntimeError("a render that fails")
    assert boxes.Box.is_in_normal_flow is flow and inline.strut is strut
    assert background.layout_box_backgrounds is backgrounds
    monkeypatch.setattr(boxes.InlineBox, "is_floated", lambda box: False, raising=False)
    with answered_once() as installed:  # a box class with its own flow method
        assert not installed and boxes.Box.is_in_normal_flow is flow
    monkeypatch.delattr(boxes.InlineBox, "is_floated")
    monkeypatch.setattr(box_questions, "BOX_QUESTIONS_FOR", set())
    with answered_once() as installed:
        assert not installed and inline.strut is strut
