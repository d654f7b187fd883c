"""first_and_last_page_values: named pages found from each end of a box's children."""

from __future__ import annotations

import pytest

from grader.render import page_values
from grader.render.page_values import first_and_last_page_values

weasyprint = pytest.importorskip("weasyprint")
needs_adapter = pytest.mark.skipif(weasyprint.__version__ not in page_values.PAGE_VALUES_FOR,
                                   reason="the adapter is for WeasyPrint 70 only")

# Named pages started and ended by first and last children, nested, behind floats,
# absolutely positioned and running boxes (which do not count), in tables and in lines.
NAMED = """
<style>
  @page { size: 80mm 60mm; margin: 6mm }
  @page wide { size: 120mm 60mm }
  @page tall { size: 80mm 100mm }
  .wide { page: wide } .tall { page: tall }
  .float { float: left; width: 10mm } .abs { position: absolute; top: 0 }
  .run { position: running(header) } @page { @top-center { content: element(header) } }
</style>
<section><div class="abs tall">pinned</div><p class="wide">first wide</p><p>then</p>
  <div><div><p class="tall">deep tall at the end</p></div></div></section>
<section class="tall"><p class="run">running</p><div class="float wide">floated</div>
  <p>plain</p></section>
<div><span>inline</span> text <p class="wide">block in a div</p></div>
<table class="tall"><tr><td><p class="wide">cell</p></td></tr></table>
<section><p>starts plain</p><div><p class="wide">wide</p><p class="tall">then tall</p></div>
  </section>
<section></section><p>last</p>
"""


@needs_adapter
def test_every_question_weasyprint_asks_gets_its_own_answer(monkeypatch):
    # Each call layout makes (on boxes before and after they are split across pages) is
    # answered both ways and compared.
    from weasyprint.formatting_structure import boxes

    original = boxes.ParentBox.page_values
    asked = []

    def both(box):
        expected = original(box)
        assert page_values._page_values(box) == expected
        asked.append(expected)
        return expected

    monkeypatch.setattr(boxes.ParentBox, "page_values", both)
    weasyprint.HTML(string=NAMED).render()
    assert {("wide", "tall"), ("", "tall"), ("wide", "")} <= set(asked)  # starts, ends differ
    assert len(asked) > 50


@needs_adapter
def test_named_pages_lay_out_the_same():
    stock = weasyprint.HTML(string=NAMED).write_pdf(uncompressed_pdf=True)
    with first_and_last_page_values():
        fixed = weasyprint.HTML(string=NAMED).write_pdf(uncompressed_pdf=True)
    assert fixed == stock


@needs_adapter
def test_the_original_is_put_back_even_after_an_exception():
    from weasyprint.formatting_structure import boxes

    original = boxes.ParentBox.page_values
    with pytest.raises(RuntimeError), first_and_last_page_values():
        raise RuntimeError
    assert boxes.ParentBox.page_values is original


def test_other_weasyprint_versions_are_left_as_they_are(monkeypatch):
    from weasyprint.formatting_structure import boxes

    original = boxes.ParentBox.page_values
    monkeypatch.setattr(page_values, "PAGE_VALUES_FOR", {"0.0"})
    with first_and_last_page_values() as installed:
        assert not installed and boxes.ParentBox.page_values is original
