"""fewer_calls_for_used_values: WeasyPrint's used values for a box, the same in one call."""

from __future__ import annotations

import copy

import pytest

from grader.render import percentages
from grader.render.percentages import fewer_calls_for_used_values
from grader.render.swapped import modules_using

weasyprint = pytest.importorskip("weasyprint")
needs_adapter = pytest.mark.skipif(
    weasyprint.__version__ not in percentages.RESOLVE_PERCENTAGES_FOR,
    reason="the adapter is for WeasyPrint 70 only")

# Lengths, percentages, calc(), auto and none, every box-sizing, min/max limits, collapsed
# and separate table borders, page margins in percent, floats, inline and absolute boxes.
BOXES = """
<style>
  @page { size: 90mm 70mm; margin: 5% 6mm calc(4mm + 2%) 8% }
  body { margin: 2mm }
  .a { width: 60%; padding: 2% 1mm calc(1mm + 1%); margin: 0 auto; min-width: 20mm }
  .b { box-sizing: border-box; width: 40mm; padding: 3mm; border: 1mm solid; max-width: 80% }
  .c { box-sizing: padding-box; width: 50%; padding: 2mm; height: 30%; min-height: 5mm }
  .d { height: 12mm; max-height: none; min-width: auto; margin: -2mm 5% }
  .e { float: right; width: calc(20% - 1mm); padding: 1% }
  .f { position: absolute; top: 10%; left: 5mm; width: 25%; height: 10mm }
  table.g { border-collapse: collapse; width: 100% } table.g td { border: 0.5mm solid; padding: 1% }
  table.h { border-spacing: 1mm; width: 70% } table.h td { border: 0.3mm dotted; width: 30% }
  span.i { padding: 0 2%; margin: 0 1mm; border-left: 0.4mm solid }
</style>
<div class="a">percent <span class="i">inline</span> text</div>
<div class="b">border box</div><div class="c">padding box</div><div class="d">fixed</div>
<div class="e">floated</div><div class="f">absolute</div>
<table class="g"><tr><td>one</td><td>two</td></tr><tr><td colspan="2">both</td></tr></table>
<table class="h"><tr><td>spaced</td><td>cells</td></tr></table>
""" + "<p>more text to fill the pages and break them</p>" * 30


@needs_adapter
def test_every_box_weasyprint_resolves_gets_the_same_used_values(monkeypatch):
    # Each call layout makes is answered both ways, on the box and on a twin, and compared.
    from weasyprint.layout import percent

    original = percent.resolve_percentages
    ours = percentages._resolver()
    asked = []

    def both(box, containing_block):
        twin = copy.copy(box)
        original(twin, containing_block)
        ours(box, containing_block)
        assert vars(box) == vars(twin), (type(box).__name__, box.element_tag)
        asked.append((type(box).__name__, box.style["box_sizing"],
                      containing_block[1] if isinstance(containing_block, tuple)
                      else containing_block.height))

    for module in modules_using(original):
        monkeypatch.setattr(module, "resolve_percentages", both)
    weasyprint.HTML(string=BOXES).render()
    kinds = {kind for kind, _, _ in asked}
    assert {"PageBox", "BlockBox", "InlineBox", "TableCellBox", "MarginBox"} <= kinds
    assert {"border-box", "padding-box", "content-box"} <= {s for _, s, _ in asked}
    assert "auto" in {h for _, _, h in asked} and len(asked) > 100


@needs_adapter
def test_the_pages_lay_out_the_same_with_and_without():
    stock = weasyprint.HTML(string=BOXES).write_pdf(uncompressed_pdf=True)
    with fewer_calls_for_used_values() as installed:
        adapted = weasyprint.HTML(string=BOXES).write_pdf(uncompressed_pdf=True)
    assert installed and adapted == stock


def test_put_back_after_an_error_and_left_alone_for_other_versions(monkeypatch):
    from weasyprint.layout import block, percent

    original = percent.resolve_percentages
    with pytest.raises(RuntimeError), fewer_calls_for_used_values():
        raise RuntimeError("a render that fails")
    assert block.resolve_percentages is original and percent.resolve_percentages is original
    monkeypatch.setattr(percentages, "RESOLVE_PERCENTAGES_FOR", set())
    with fewer_calls_for_used_values() as installed:
        assert not installed and block.resolve_percentages is original
