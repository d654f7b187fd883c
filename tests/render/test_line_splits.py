"""remembered_line_splits: WeasyPrint's line splits kept from one render to the next."""

from __future__ import annotations

import functools

import pytest

from grader.render import line_splits
from grader.render.line_splits import LAYOUT_PROPERTIES, LineSplits, remembered_line_splits

weasyprint = pytest.importorskip("weasyprint")
needs_adapter = pytest.mark.skipif(weasyprint.__version__ not in line_splits.LINE_SPLITS_FOR,
                                   reason="the adapter is for WeasyPrint 70 only")

WORDS = ("Esketamine nasal spray adjunctive treatment-resistant depression "
         "pharmacokinetics naltrexone opioid antagonism ")
# Every text path of split_first_line: wrapping, automatic and manual hyphens, a calc()
# zone, breaking anywhere, tabs, spacing, justification, decorations, font features and
# variations, small caps, right to left, a language override, ellipsis, preferred widths
# of an automatic table (minimum and maximum content), and SVG text.
TEXTS = f"""
<style>
  @page {{ size: 90mm 120mm; margin: 8mm }}
  p {{ margin: 0 0 2mm; font-size: 9pt }}
</style>
<p lang="en" style="hyphens: auto; width: 28mm; text-align: justify">{WORDS * 2}</p>
<p lang="en" style="hyphens: manual; width: 20mm; hyphenate-character: '='">
  anti&shy;depressant ket&shy;amine pharma&shy;co&shy;kinetics</p>
<p lang="en" style="hyphens: auto; hyphenate-limit-zone: calc(2em + 1%); width: 25mm">
  {WORDS}</p>
<p style="overflow-wrap: anywhere; width: 14mm">Bonaventura2021Bonaventura2021</p>
<p style="word-break: break-all; width: 16mm">Williams2018 Williams2018</p>
<pre style="tab-size: 4">a\tb\tc
d\te</pre>
<p style="letter-spacing: 0.5pt; word-spacing: 2pt; width: 40mm">{WORDS}</p>
<p style="text-decoration: underline line-through; font-kerning: none">Very low certainty</p>
<p style="font-feature-settings: 'smcp'; font-variant-numeric: tabular-nums">1,234 vs 567</p>
<p style="font-variant: small-caps; font-weight: bold; font-style: italic;
          font-stretch: condensed; font-variation-settings: 'wght' 600">Schatzberg 2021</p>
<p dir="rtl" lang="he" style="direction: rtl">שלום עולם Ketamine</p>
<p lang="tr" style="font-language-override: 'TRK'">Istanbul ıi</p>
<p style="width: 20mm; white-space: nowrap; overflow: hidden; text-overflow: ellipsis">
  {WORDS}</p>
<table><tr><td>{WORDS}</td><td>GRADE</td><td>⊕⊕◯◯ Low</td></tr>
       <tr><td>Rush2020</td><td>{WORDS}</td><td>narrative review</td></tr></table>
<img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='200'
  height='30'%3E%3Ctext x='3' y='20' font-size='9'%3EMcIntyre2021%3C/text%3E%3C/svg%3E">
"""


def _pdf(html: str = TEXTS, font_config=None) -> bytes:
    # One font configuration for all renders, as grader keeps one (a split is kept per
    # configuration: another one could hold other fonts).
    return weasyprint.HTML(string=html).write_pdf(
        uncompressed_pdf=True, font_config=font_config or _fonts())


@functools.cache
def _fonts():
    return weasyprint.text.fonts.FontConfiguration()


@needs_adapter
def test_a_remembered_split_draws_the_very_pdf_weasyprint_draws():
    stock = _pdf()
    splits = LineSplits()
    with remembered_line_splits(splits) as installed:
        first = _pdf()
    distinct = splits.misses
    assert installed and distinct > 0 and splits.hits > 0  # table widths: the same texts
    with remembered_line_splits(splits):
        again = _pdf()
    assert splits.misses == 0 and splits.hits > 0  # the second render worked out nothing
    assert first == stock and again == stock
    other_fonts = weasyprint.text.fonts.FontConfiguration()
    with remembered_line_splits(splits):
        _pdf(font_config=other_fonts)
    assert splits.misses == distinct  # other fonts, other splits
    assert all(key[1] is other_fonts for key in splits.current)


@needs_adapter
def test_the_key_holds_every_style_property_a_split_reads(monkeypatch):
    # The memo is right only if a split depends on nothing outside its key: record every
    # property WeasyPrint's own split_first_line reads while it lays out TEXTS.
    from weasyprint.css import Style
    from weasyprint.text import line_break

    read: set[str] = set()
    inside = [False]
    real_split = line_break.split_first_line

    def recording_getitem(style, key):
        if inside[0]:
            read.add(key)
        return dict.__getitem__(style, key)

    def split(*args, **kwargs):
        inside[0] = True
        try:
            return real_split(*args, **kwargs)
        finally:
            inside[0] = False

    monkeypatch.setattr(Style, "__getitem__", recording_getitem, raising=False)
    for module in ("weasyprint.text.line_break", "weasyprint.layout.inline",
                   "weasyprint.layout.preferred"):
        monkeypatch.setattr(f"{module}.split_first_line", split)
    _pdf()
    assert {"hyphenate_limit_zone", "tab_size", "font_language_override"} <= read
    assert read <= set(LAYOUT_PROPERTIES)


@needs_adapter
def test_a_changed_text_property_is_split_again():
    splits = LineSplits()
    with remembered_line_splits(splits):
        narrow = _pdf(f'<p style="width: 30mm; letter-spacing: 0">{WORDS}</p>')
    with remembered_line_splits(splits):
        spaced = _pdf(f'<p style="width: 30mm; letter-spacing: 1pt">{WORDS}</p>')
    assert splits.misses > 0
    assert spaced == _pdf(f'<p style="width: 30mm; letter-spacing: 1pt">{WORDS}</p>')
    assert spaced != narrow


@needs_adapter
def test_only_the_last_renders_splits_are_kept():
    splits = LineSplits()
    with remembered_line_splits(splits):
        _pdf(f"<p>{WORDS}</p>")
    with remembered_line_splits(splits):
        _pdf("<p>Another text altogether</p>")
    with remembered_line_splits(splits):
        _pdf("<p>Another text altogether</p>")
    assert not any(WORDS.strip() in key[0] for key in (*splits.current, *splits.previous))


@needs_adapter
def test_the_original_is_put_back_even_after_an_exception():
    from weasyprint.layout import inline, preferred
    from weasyprint.text import line_break

    original = line_break.split_first_line
    with pytest.raises(RuntimeError), remembered_line_splits(LineSplits()) as installed:
        assert installed
        assert line_break.split_first_line is inline.split_first_line is not original
        raise RuntimeError
    assert line_break.split_first_line is inline.split_first_line is \
        preferred.split_first_line is original


def test_other_weasyprint_versions_are_left_as_they_are(monkeypatch):
    from weasyprint.text import line_break

    original = line_break.split_first_line
    monkeypatch.setattr(line_splits, "LINE_SPLITS_FOR", {"0.0"})
    with remembered_line_splits(LineSplits()) as installed:
        assert not installed and line_break.split_first_line is original


@needs_adapter
def test_svg_texts_stand_in_style_is_remembered_too():
    # WeasyPrint's SVG text gives split_first_line a plain dict whose font_family is a list.
    svg = TEXTS[TEXTS.index("<img"):]
    splits = LineSplits()
    with remembered_line_splits(splits):
        stock = _pdf(svg)
    calls = splits.hits + splits.misses
    assert splits.misses >= len("McIntyre2021")  # WeasyPrint's own path: letter by letter
    with remembered_line_splits(splits):
        assert _pdf(svg) == stock
    assert splits.hits == calls and splits.misses == 0
