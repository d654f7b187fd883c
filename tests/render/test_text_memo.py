"""remembered_text: WeasyPrint's line splits and drawn lines kept from one render to the next."""

from __future__ import annotations

import functools
import logging

import pytest

from grader.render import pdf as pdf_module
from grader.render import text_memo
from grader.render.text_memo import LAYOUT_PROPERTIES, TextMemo, remembered_text

weasyprint = pytest.importorskip("weasyprint")
needs_adapter = pytest.mark.skipif(weasyprint.__version__ not in text_memo.TEXT_MEMO_FOR,
                                   reason="the adapter is for WeasyPrint 70 only")

WORDS = ("Esketamine nasal spray adjunctive treatment-resistant depression "
         "pharmacokinetics naltrexone opioid antagonism ")
# Every text path of split_first_line and draw_first_line: wrapping, automatic and manual
# hyphens, a calc() zone, breaking anywhere, tabs, spacing, justification, decorations, font
# features and variations, small caps, right to left, a language override, ellipsis, block
# ellipsis, preferred widths of an automatic table (minimum and maximum content), and SVG
# text.
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
<p style="width: 30mm; max-lines: 2; block-ellipsis: auto; overflow: hidden">{WORDS}</p>
<table><tr><td>{WORDS}</td><td>GRADE</td><td>⊕⊕◯◯ Low</td></tr>
       <tr><td>Rush2020</td><td>{WORDS}</td><td>narrative review</td></tr></table>
<img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='200'
  height='30'%3E%3Ctext x='3' y='20' font-size='9'%3EMcIntyre2021%3C/text%3E%3C/svg%3E">
"""


def _pdf(html: str = TEXTS, font_config=None) -> bytes:
    # One font configuration for all renders, as grader keeps one (text work is kept per
    # configuration: another one could hold other fonts).
    return weasyprint.HTML(string=html).write_pdf(
        uncompressed_pdf=True, font_config=font_config or _fonts())


@functools.cache
def _fonts():
    return text_memo.font_configuration()


def _remembered(memo: TextMemo, html: str = TEXTS, **kwargs) -> bytes:
    with remembered_text(memo) as installed:
        assert installed
        return _pdf(html, **kwargs)


@needs_adapter
def test_remembered_text_draws_the_very_pdf_weasyprint_draws():
    stock = _pdf()
    memo = TextMemo()
    first = _remembered(memo)
    splits, lines = memo.splits.misses, memo.lines.misses
    assert splits and lines and memo.splits.hits and memo.lines.hits  # the same texts again
    again = _remembered(memo)
    assert memo.splits.misses == 0  # the second render split nothing afresh
    assert memo.lines.misses < memo.lines.hits  # fonts' first lines, calc() zones: afresh
    assert first == stock and again == stock
    other_fonts = text_memo.font_configuration()
    _remembered(memo, font_config=other_fonts)
    assert (memo.splits.misses, memo.lines.misses) == (splits, lines)  # other fonts
    assert all(key[-2][0] is other_fonts
               for key in (*memo.splits.current, *memo.lines.current))


@needs_adapter
def test_a_font_face_added_later_makes_the_text_work_afresh():
    # An @font-face given to the same configuration changes which font a family gets:
    # what was worked out before it is not reused (a family falling back to serif, then
    # given a face of its own).
    face = next(p for p in pdf_module.font_folders()[0].iterdir()
                if p.name == "SourceSansPro-Bold.ttf")
    html = (f'<p style="font-family: serif">{WORDS}</p>'
            f'<p style="font-family: Foo, serif; width: 40mm">{WORDS * 2}</p>')

    def renders(memo):
        fonts = text_memo.font_configuration()
        before = _remembered(memo, html, font_config=fonts) if memo else _pdf(html, fonts)
        css = weasyprint.CSS(string=f"@font-face {{ font-family: Foo; src: url({face.as_uri()}) "
                             "}", font_config=fonts)
        if memo:
            with remembered_text(memo):
                after = weasyprint.HTML(string=html).write_pdf(
                    font_config=fonts, stylesheets=[css], uncompressed_pdf=True)
        else:
            after = weasyprint.HTML(string=html).write_pdf(
                font_config=fonts, stylesheets=[css], uncompressed_pdf=True)
        return before, after

    stock_before, stock_after = renders(None)
    assert stock_after != stock_before  # the face is used
    memo = TextMemo()
    assert renders(memo) == (stock_before, stock_after)
    assert memo.splits.hits == 0 or memo.splits.misses  # the second render split afresh


@needs_adapter
def test_a_font_configuration_that_does_not_count_its_faces_keeps_nothing():
    memo = TextMemo()
    plain = weasyprint.text.fonts.FontConfiguration()
    assert _remembered(memo, font_config=plain) == _pdf(font_config=plain)
    assert not memo.splits.current and not memo.lines.current


@needs_adapter
def test_a_width_the_font_already_has_otherwise_makes_the_line_drawn_afresh(monkeypatch):
    # Drawing afresh uses the width the document's font already holds for a glyph; a
    # remembered line computed with another one must not be written again.
    from weasyprint.pdf.stream import Stream

    html = f"<p>{WORDS}</p>"
    memo = TextMemo()
    _remembered(memo, html)
    real_add_font = Stream.add_font

    def seeded(stream, pango_font):
        font, size = real_add_font(stream, pango_font)
        if not font.widths:  # the font's first line: other widths for every glyph
            font.widths.update(dict.fromkeys(range(1, 3000), 777))
        return font, size

    monkeypatch.setattr(Stream, "add_font", seeded)
    assert _remembered(memo, html) == _pdf(html)
    assert memo.lines.hits == 0


@needs_adapter
def test_a_warm_render_draws_afresh_only_the_line_that_brings_a_font_in():
    # The document's fonts are made by the first line drawn in each: that line is drawn by
    # WeasyPrint every time, the rest are written from memory.
    html = f"<p>{WORDS * 3}</p><p><b>{WORDS}</b></p><table><tr><td>{WORDS}</td></tr></table>"
    memo = TextMemo()
    _remembered(memo, html)
    assert _remembered(memo, html) == _pdf(html)
    assert memo.lines.misses == 2 and memo.lines.hits >= 5  # regular and bold


@needs_adapter
def test_the_key_holds_every_style_property_a_split_or_a_drawing_reads(monkeypatch):
    # The memo is right only if its work depends on nothing outside the key: record every
    # property WeasyPrint's own split_first_line and draw_first_line (with the Pango
    # layout it reactivates) read while they lay out and draw TEXTS.
    from weasyprint.css import Style
    from weasyprint.draw import text as draw_text
    from weasyprint.text import line_break

    read: set[str] = set()
    inside = [False]

    def recording_getitem(style, key):
        if inside[0]:
            read.add(key)
        return dict.__getitem__(style, key)

    def recorded(function):
        def call(*args, **kwargs):
            inside[0] = True
            try:
                return function(*args, **kwargs)
            finally:
                inside[0] = False
        return call

    monkeypatch.setattr(Style, "__getitem__", recording_getitem, raising=False)
    for module in ("weasyprint.text.line_break", "weasyprint.layout.inline",
                   "weasyprint.layout.preferred"):
        monkeypatch.setattr(f"{module}.split_first_line", recorded(line_break.split_first_line))
    monkeypatch.setattr(draw_text, "draw_first_line", recorded(draw_text.draw_first_line))
    monkeypatch.setattr(line_break.Layout, "reactivate", recorded(line_break.Layout.reactivate))
    _pdf()
    assert {"hyphenate_limit_zone", "tab_size", "font_language_override"} <= read
    assert read <= set(LAYOUT_PROPERTIES)


@needs_adapter
def test_a_changed_text_property_is_laid_out_and_drawn_again():
    memo = TextMemo()
    narrow = _remembered(memo, f'<p style="width: 30mm; letter-spacing: 0">{WORDS}</p>')
    spaced = _remembered(memo, f'<p style="width: 30mm; letter-spacing: 1pt">{WORDS}</p>')
    assert memo.splits.misses and memo.lines.misses and not memo.lines.hits
    assert spaced == _pdf(f'<p style="width: 30mm; letter-spacing: 1pt">{WORDS}</p>')
    assert spaced != narrow


@needs_adapter
def test_lines_in_another_order_give_the_fonts_what_weasyprint_would():
    # A font's glyph widths and Unicode texts go to the first line that draws a glyph. In
    # another order a remembered line may have borrowed a width set at another size, or a
    # text set by a line that now comes later: it is drawn afresh, and the PDF is the same.
    small, large = '<p style="font-size: 7.3pt">', '<p style="font-size: 13.7pt">'
    lines = [f"{small}Wavy a b</p>", f"{large}Wavy a\u00a0b</p>", f"{small}AVA To</p>"]
    memo = TextMemo()
    assert _remembered(memo, "".join(lines)) == _pdf("".join(lines))
    reordered = "".join(reversed(lines))
    assert _remembered(memo, reordered) == _pdf(reordered)
    # the font's first line, and the line that read widths a line now after it had set
    assert memo.lines.misses >= 2


@needs_adapter
@pytest.mark.renderer_warnings
def test_a_glyph_the_fonts_lack_is_drawn_afresh_with_its_warning(caplog):
    missing = "<p>Ketamine \U0010FFFD</p>"
    memo = TextMemo()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        first = _remembered(memo, missing)
        caplog.clear()
        again = _remembered(memo, missing)
    assert ".notdef glyph" in caplog.text  # said on every render, as WeasyPrint says it
    assert first == again == _pdf(missing)


@needs_adapter
def test_only_the_last_renders_work_is_kept():
    memo = TextMemo()
    _remembered(memo, f"<p>{WORDS}</p>")
    _remembered(memo, "<p>Another text altogether</p>")
    _remembered(memo, "<p>Another text altogether</p>")
    kept = [*memo.splits.current, *memo.splits.previous, *memo.lines.current,
            *memo.lines.previous]
    assert kept and not any(WORDS.strip() in str(key) for key in kept)


@needs_adapter
def test_svg_texts_stand_in_style_is_remembered_too():
    # WeasyPrint's SVG text gives split_first_line a plain dict whose font_family is a list.
    svg = TEXTS[TEXTS.index("<img"):]
    memo = TextMemo()
    stock = _remembered(memo, svg)
    assert memo.splits.misses >= len("McIntyre2021")  # WeasyPrint's own path: per letter
    assert _remembered(memo, svg) == stock
    assert memo.splits.misses == 0 and memo.lines.hits >= len("McIntyre2021") - 1


@needs_adapter
def test_everything_is_put_back_even_after_an_exception():
    from weasyprint.draw import text as draw_text
    from weasyprint.layout import inline, preferred
    from weasyprint.text import line_break

    split, draw = line_break.split_first_line, draw_text.draw_first_line
    layout_methods = dict(vars(line_break.Layout))
    with pytest.raises(RuntimeError), remembered_text(TextMemo()) as installed:
        assert installed
        assert line_break.split_first_line is inline.split_first_line is not split
        assert draw_text.draw_first_line is not draw
        assert "__getattr__" in vars(line_break.Layout)
        raise RuntimeError
    assert line_break.split_first_line is inline.split_first_line is \
        preferred.split_first_line is split
    assert draw_text.draw_first_line is draw
    assert dict(vars(line_break.Layout)) == layout_methods


def test_other_weasyprint_versions_are_left_as_they_are(monkeypatch):
    from weasyprint.draw import text as draw_text
    from weasyprint.text import line_break

    split, draw = line_break.split_first_line, draw_text.draw_first_line
    monkeypatch.setattr(text_memo, "TEXT_MEMO_FOR", {"0.0"})
    with remembered_text(TextMemo()) as installed:
        assert not installed
        assert line_break.split_first_line is split and draw_text.draw_first_line is draw


def _font(widths=None, texts=None):
    from types import SimpleNamespace

    return SimpleNamespace(widths=dict(widths or {}), to_unicode=dict(texts or {}))


CONFIG = object()  # a font configuration


def _line(texts_set=0, widths_set=0):
    # A remembered line that drew glyph 1 in font "F": its operators, then the font, the
    # glyphs in drawing order, and bit masks of the glyphs whose text and width it set
    # itself (the others it read from the document's font).
    import array

    return (("matrix",), ("show", "<0001>")), (("F", array.array("I", [1]), texts_set,
                                                 widths_set),)


GLYPHS = {(CONFIG, "F"): {1: ("fi", 600)}}  # the glyph's text and width, as lines drew it


@pytest.mark.parametrize(("font", "line", "usable"), [
    (None, _line(1, 1), False),  # the font is not in this document yet: it must be made
    (_font(), _line(1, 1), True),  # a width and a text it set, absent: set again
    (_font({1: 600}, {1: "fi"}), _line(0, 0), True),  # ones it read, still there
    (_font(texts={1: "fi"}), _line(0, 0), False),  # a width it read, now absent
    (_font({1: 601}), _line(1, 1), False),  # another width now
    (_font({1: 600}, {1: "ﬁ"}), _line(1, 1), True),  # another text: left as it is
    (_font({1: 600}), _line(0, 1), False),  # a text it read, now absent
    (_font({1: 600}, {1: "b"}), _line(0, 1), True),  # a text it read: its value unused
])
def test_a_remembered_line_is_reused_only_if_drawing_it_would_change_nothing(font, line,
                                                                            usable):
    found = text_memo._still_true({} if font is None else {"F": font}, line, GLYPHS, CONFIG)
    assert (found is not None) is usable
    if usable:
        assert found == [(font, GLYPHS[CONFIG, "F"])]


def test_a_line_written_again_gives_its_fonts_what_it_gave_them_and_keeps_theirs():
    from types import SimpleNamespace

    written = []
    stream = SimpleNamespace(show_text=lambda t: written.append(("show", t)),
                             set_text_matrix=lambda *v: written.append(("matrix", *v)))
    kept, fresh = _font({1: 500}, {1: "x"}), _font()
    for font in (kept, fresh):
        text_memo._redraw(stream, _line(1, 1), [(font, GLYPHS[CONFIG, "F"])],
                          SimpleNamespace(values=(1, 0, 0, -1, 5, 7)))
    assert written == [("matrix", 1, 0, 0, -1, 5, 7), ("show", "<0001>")] * 2
    assert (kept.to_unicode, kept.widths) == ({1: "x"}, {1: 500})
    assert (fresh.to_unicode, fresh.widths) == ({1: "fi"}, {1: 600})


@needs_adapter
def test_a_line_that_would_give_a_glyph_other_values_is_not_remembered():
    # The same glyph drawn for two texts (here a made-up clash in the shared table): the
    # line is drawn afresh every time rather than give the font the other text.
    html = "<p>Ketamine</p>"
    memo = TextMemo()
    first = _remembered(memo, html)
    (table,) = memo.glyphs.values()
    glyph = next(iter(table))
    table[glyph] = ("?", table[glyph][1])
    assert _remembered(memo, html) == first  # its one line brings the font in: afresh
    assert memo.lines.misses == 0 and not memo.lines.current
