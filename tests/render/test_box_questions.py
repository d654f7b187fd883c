"""answered_once: WeasyPrint's normal-flow test in one call, and struts kept per style."""

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


@needs_adapter
def test_every_box_gets_the_same_flow_answer_and_every_style_the_same_strut(monkeypatch):
    from weasyprint.formatting_structure import boxes
    from weasyprint.text import line_break

    original_flow, original_strut = boxes.Box.is_in_normal_flow, line_break.strut
    kept = box_questions._kept_struts(original_strut)
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
def test_the_pages_lay_out_the_same_with_and_without():
    stock = weasyprint.HTML(string=FLOWS).write_pdf(uncompressed_pdf=True)
    with answered_once() as installed:
        adapted = weasyprint.HTML(string=FLOWS).write_pdf(uncompressed_pdf=True)
    assert installed and adapted == stock


def test_put_back_after_an_error_and_left_alone_where_it_does_not_apply(monkeypatch):
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    flow, strut = boxes.Box.is_in_normal_flow, line_break.strut
    with pytest.raises(RuntimeError), answered_once():
        raise RuntimeError("a render that fails")
    assert boxes.Box.is_in_normal_flow is flow and inline.strut is strut
    monkeypatch.setattr(boxes.InlineBox, "is_floated", lambda box: False, raising=False)
    with answered_once() as installed:  # a box class with its own flow method
        assert not installed and boxes.Box.is_in_normal_flow is flow
    monkeypatch.delattr(boxes.InlineBox, "is_floated")
    monkeypatch.setattr(box_questions, "BOX_QUESTIONS_FOR", set())
    with answered_once() as installed:
        assert not installed and inline.strut is strut
