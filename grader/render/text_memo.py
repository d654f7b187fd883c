"""WeasyPrint's text work remembered from one render to the next (`grader watch`, #18).

WeasyPrint lays out every piece of text with Pango twice over: in layout, to find where
its first line ends (`text.line_break.split_first_line`; a table's column widths ask the
same texts again), and in drawing, where it makes a new Pango layout for the line, shapes
it again and writes its glyphs (`draw.text.draw_first_line`). Neither depends on anything
but the text, the width offered, the font configuration (and the font faces given to
it) and the style's text properties (LAYOUT_PROPERTIES), and a save in `grader watch`
changes a few cells, so almost all of a render's text work is work the last render did.
Both are remembered under exactly those:

- a split is handed back as a new Layout object in the state WeasyPrint leaves it in after
  the split (deactivated: its text and metrics);
- a drawn line is handed back as the operators it wrote to the page's stream, written
  again at the line's new position, with the glyph widths and Unicode texts it gave its
  fonts; the Pango layout a drawing needs is made only when a line is drawn afresh.

Seed, warm render: split_first_line 0.5-0.6 s -> 0.1 s, write_pdf 1.0 -> 0.6 s CPU; a
cold render reuses 60% of its drawn lines (repeated headers, marks, names). The PDF is
byte-identical (tests/render/test_text_memo.py).
"""

from __future__ import annotations

import array
import contextlib
import functools
import operator

TEXT_MEMO_FOR = {"70.0"}
"""WeasyPrint versions whose split_first_line and draw_first_line this was written for."""

LAYOUT_PROPERTIES = (
    # split_first_line: wrapping, hyphenation, word breaking
    "white_space", "font_size", "hyphens", "lang", "hyphenate_limit_chars",
    "hyphenate_limit_zone", "hyphenate_character", "overflow_wrap", "word_break",
    # Layout.setup, get_font_description and font_features: the Pango context and font
    "direction", "font_language_override", "font_family", "font_style", "font_stretch",
    "font_weight", "font_variant_caps", "font_variation_settings", "text_decoration_line",
    "font_kerning", "font_variant_ligatures", "font_variant_position",
    "font_variant_numeric", "font_variant_alternates", "font_variant_east_asian",
    "font_feature_settings",
    # Layout.set_text, set_tabs and line_size: spacing and tabs
    "word_spacing", "letter_spacing", "tab_size",
)
"""Every style property WeasyPrint 70's split_first_line and draw_first_line read (the
tests record what they read and check it against this list)."""

_style_values = operator.itemgetter(*LAYOUT_PROPERTIES)


def _fonts_state(style):
    """The style's font configuration with the number of font faces it has been given, so
    that no work done with other fonts is reused; None for a configuration that does not
    count them (see font_configuration)."""
    config = style.font_config
    added = getattr(config, "faces_added", None)
    return None if added is None else (config, added)


def _key(style, styles: dict, *parts) -> tuple | None:
    """parts, the font configuration's state and the style's LAYOUT_PROPERTIES, as a dict
    key (the values' tuple shared through `styles`: many keys hold the same); None when
    the fonts cannot be told apart (work then not kept)."""
    fonts = _fonts_state(style)
    if fonts is None:
        return None
    values = _style_values(style)
    try:
        values = styles.setdefault(values, values)
    except TypeError:  # text_decoration_line can be a set; SVG text's font_family a list
        values = tuple(frozenset(v) if isinstance(v, set) else
                       tuple(v) if isinstance(v, list) else v for v in values)
        values = styles.setdefault(values, values)
    return (*parts, fonts, values)


@functools.cache
def _counting_configuration():
    from weasyprint.text.fonts import FontConfiguration

    class CountingFontConfiguration(FontConfiguration):
        """A FontConfiguration that counts the font faces added to it: an @font-face
        changes the fonts Pango finds for a family, so text work done before is stale."""

        faces_added = 0

        def add_font_face(self, rule_descriptors, url_fetcher):
            self.faces_added += 1  # first: even a face that fails half-way may change fonts
            return super().add_font_face(rule_descriptors, url_fetcher)

    return CountingFontConfiguration


def font_configuration():
    """A new WeasyPrint FontConfiguration whose text work remembered_text may keep."""
    return _counting_configuration()()


class LastRender:
    """What the last render and the running one worked out, by key; older work is let go.

    So at most two renders' distinct entries are kept (seed: about 2,200 splits and 1,600
    lines).
    """

    def __init__(self):
        self.current: dict = {}
        self.previous: dict = {}
        self.hits = self.misses = 0

    def next_render(self):
        """Start a render: the last one's entries become the ones to reuse."""
        self.previous, self.current = self.current, {}
        self.hits = self.misses = 0

    def get(self, key):
        found = self.current.get(key)
        if found is None:
            found = self.previous.pop(key, None)
            if found is not None:
                self.current[key] = found
        return found

    def keep(self, key, value):
        self.misses += 1
        self.current[key] = value


class TextMemo:
    """The line splits and drawn lines of the last render, for one font configuration."""

    def __init__(self):
        self.splits = LastRender()
        self.lines = LastRender()
        self.styles: dict[tuple, tuple] = {}  # style values and Layout names, one of each
        self.glyphs: dict[tuple, dict] = {}
        """(font state, font) -> {glyph: (Unicode text, width)}, as lines drew them (a line
        that would give a glyph other values is not remembered). Bounded by the glyphs of
        the fonts used; a font state's tables go when its lines have gone."""

    def next_render(self):
        """Start a render: the last one's work becomes the work to reuse."""
        self.splits.next_render()
        self.lines.next_render()
        self.styles = {}  # keys kept from the last render still compare equal
        live = {key[-2] for key in self.lines.previous}
        self.glyphs = {state: table for state, table in self.glyphs.items()
                       if state[0] in live}


# --- line splits ------------------------------------------------------------------------


def _remembering_splits(split_first_line, layout_class, memo: TextMemo):
    """split_first_line, answering from the memo's splits what it has worked out before."""
    splits = memo.splits

    def split(text, style, context, max_width, justification_spacing, is_line_start=True,
              minimum=False):
        key = found = None
        try:
            # A calc() hyphenation zone is resolved against other properties: not kept.
            if getattr(style["hyphenate_limit_zone"], "unit", None) is not None:
                key = _key(style, memo.styles, text, max_width, justification_spacing,
                           is_line_start, minimum)
                found = None if key is None else splits.get(key)
        except (TypeError, KeyError):  # a value that cannot be hashed, a missing property
            key = None
        if found is None:
            result = split_first_line(text, style, context, max_width,
                                      justification_spacing, is_line_start, minimum)
            state = vars(result[0])
            if key is not None and "layout" not in state:  # deactivated, as 70 leaves it
                names = tuple(state)
                splits.keep(key, (memo.styles.setdefault(names, names),
                                  tuple(state.values()), result[1:]))
            return result
        splits.hits += 1
        names, values, metrics = found
        layout = layout_class.__new__(layout_class)
        layout.__dict__.update(zip(names, values, strict=True))
        return (layout, *metrics)

    return split


# --- drawn lines ------------------------------------------------------------------------


class _Logged:
    """A font's glyph table seen through one drawing: each glyph's value as it was read or
    set, and whether this drawing set it, in the order the drawing came to them."""

    def __init__(self, table: dict):
        self.table, self.seen = table, {}

    def __contains__(self, glyph) -> bool:
        if glyph in self.table:
            self.seen.setdefault(glyph, (self.table[glyph], False))
            return True
        return False

    def __getitem__(self, glyph):
        value = self.table[glyph]
        self.seen.setdefault(glyph, (value, False))
        return value

    def __setitem__(self, glyph, value):
        self.table[glyph] = value
        self.seen.setdefault(glyph, (value, True))


class _FontSeen:
    """A document font as one drawing sees it: its glyph tables logged, the rest its own."""

    def __init__(self, font):
        # No reference back to the recorder: a cycle would outlive the render's paused
        # collector (4 kB for each line drawn afresh: 17 MB at 300 citations).
        self.__dict__.update(vars(font))  # read per glyph: as attributes, not __getattr__
        self._font, self.kept = font, True
        self.to_unicode = _Logged(font.to_unicode)
        self.widths = _Logged(font.widths)

    def get_unused_glyph_id(self, codepoint):
        self.kept = False  # a glyph the fonts lack (.notdef, and a warning): drawn afresh
        return self._font.get_unused_glyph_id(codepoint)

    def __getattr__(self, name):
        return getattr(self._font, name)


class _Recorder:
    """A page's stream as draw_first_line writes to it, keeping what it writes."""

    def __init__(self, stream, font_key):
        self._stream, self._font_key = stream, font_key
        self.operations: list[tuple] = []
        self.fonts: list[tuple] = []
        self.unknown = False

    def __getattr__(self, name):
        if name not in ("ink_rect", "logical_rect"):  # scratch rectangles for Pango
            self.unknown = True  # a call not recorded: the line is not kept
        return getattr(self._stream, name)

    def set_text_matrix(self, *values):
        self.operations.append(("matrix",))
        self._stream.set_text_matrix(*values)

    def add_font(self, pango_font):
        font, size = self._stream.add_font(pango_font)
        seen = _FontSeen(font)
        self.fonts.append((self._font_key(pango_font)[0], seen))
        return seen, size

    def set_font_size(self, font, size):
        self.operations.append(("font", font, size))
        self._stream.set_font_size(font, size)

    def show_text(self, text):
        self.operations.append(("show", text))
        self._stream.show_text(text)

    def set_text_rise(self, height):
        self.operations.append(("rise", height))
        self._stream.set_text_rise(height)

    def line(self, glyphs: dict, fonts_state) -> tuple | None:
        """The drawn line: its operators, and per font the glyphs it drew in the order it
        came to them (an array), with bit masks of those whose Unicode text and width it
        set itself (the others it read). Their values go to `glyphs`, shared by all lines;
        None if this line's values disagree with those (it is then not remembered).
        """
        if self.unknown:
            return None
        fonts = []
        for key, seen in self.fonts:
            texts, widths = seen.to_unicode.seen, seen.widths.seen
            if not seen.kept or list(texts) != list(widths):
                return None
            table = glyphs.setdefault((fonts_state, key), {})
            texts_set = widths_set = 0
            for i, (glyph, (text, text_own)) in enumerate(texts.items()):
                width, width_own = widths[glyph]
                if table.setdefault(glyph, (text, width)) != (text, width):
                    return None
                texts_set |= text_own << i
                widths_set |= width_own << i
            fonts.append((key, array.array("I", texts), texts_set, widths_set))
        return tuple(self.operations), tuple(fonts)


def _still_true(fonts: dict, line: tuple, glyphs: dict, fonts_state) -> list | None:
    """The document fonts a remembered line used, if drawing it afresh now would write the
    same operators and glyph tables; else None.

    A width the line read (another line set it) must still be there, the same; one it set
    must be absent or the same. A Unicode text it read must still be set (its value then
    changes nothing); one it set is set again only where absent, as the drawing does.
    """
    used = []
    for key, drawn, texts_set, widths_set in line[1]:
        font = fonts.get(key)
        if font is None:  # the font's first use in this document: it must be made
            return None
        table, widths, texts = glyphs[fonts_state, key], font.widths, font.to_unicode
        for i, glyph in enumerate(drawn):
            now = widths.get(glyph)
            if now is None:
                if not widths_set >> i & 1:
                    return None
            elif now != table[glyph][1]:
                return None
            if not texts_set >> i & 1 and glyph not in texts:
                return None
        used.append((font, table))
    return used


def _redraw(stream, line: tuple, fonts: list, matrix) -> None:
    """Write a remembered line at `matrix`, giving its fonts the tables it gave them."""
    for (font, table), (_, drawn, _, _) in zip(fonts, line[1], strict=True):
        for glyph in drawn:
            text, width = table[glyph]
            font.to_unicode.setdefault(glyph, text)
            font.widths.setdefault(glyph, width)
    for operation in line[0]:
        kind = operation[0]
        if kind == "show":
            stream.show_text(operation[1])
        elif kind == "font":
            stream.set_font_size(operation[1], operation[2])
        elif kind == "matrix":
            stream.set_text_matrix(*matrix.values)
        else:
            stream.set_text_rise(operation[1])


def _remembering_lines(draw_first_line, font_key, memo: TextMemo):
    """draw_first_line, writing again the memo's lines that would be drawn the same."""
    lines = memo.lines

    def draw(stream, textbox, text_overflow, block_ellipsis, matrix):
        layout, key = textbox.pango_layout, None
        fonts = getattr(stream, "_fonts", None)
        if text_overflow != "ellipsis" and block_ellipsis == "none" and fonts is not None:
            try:
                key = _key(textbox.style, memo.styles, textbox.text, layout.text,
                           layout.justification_spacing)
                line = None if key is None else lines.get(key)
            except (TypeError, KeyError):  # a value that cannot be hashed, a missing one
                key = line = None
            if line is not None and (used := _still_true(
                    fonts, line, memo.glyphs, key[-2])) is not None:
                lines.hits += 1
                _redraw(stream, line, used, matrix)
                return []
        _materialize(layout)
        if key is None:
            return draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
        recorder = _Recorder(stream, font_key)
        emojis = draw_first_line(recorder, textbox, text_overflow, block_ellipsis, matrix)
        line = None if emojis else recorder.line(memo.glyphs, key[-2])
        if line is not None:
            lines.keep(key, line)
        else:
            lines.current.pop(key, None)  # drawn afresh now: an older drawing goes too
        return emojis

    return draw


_PENDING = "_grader_pending_style"
"""Where a lazily reactivated Layout keeps the style it is to be set up with."""


def _materialize(layout) -> None:
    """Make a lazily reactivated Layout's Pango layout now (WeasyPrint's reactivate)."""
    style = layout.__dict__.pop(_PENDING, None)
    if style is not None:
        type(layout)._grader_reactivate(layout, style)


def _lazy_layout_methods(layout_class) -> dict:
    """Layout methods that put off the Pango layout of a drawing until something uses it:
    a line written again from memory never does."""
    deactivate = layout_class.deactivate

    def reactivate(self, style):
        self.__dict__[_PENDING] = style

    def lazy_deactivate(self):
        if self.__dict__.pop(_PENDING, None) is None:
            deactivate(self)

    def getattr_(self, name):  # only for attributes the object lacks
        if _PENDING not in self.__dict__:
            raise AttributeError(name)
        _materialize(self)
        return getattr(self, name)

    return {"_grader_reactivate": layout_class.reactivate, "reactivate": reactivate,
            "deactivate": lazy_deactivate, "__getattr__": getattr_}


# --- installing -------------------------------------------------------------------------


@contextlib.contextmanager
def remembered_text(memo: TextMemo):
    """Answer WeasyPrint's line splits and line drawings from `memo` while the block runs
    (one render).

    Installed where WeasyPrint 70 looks the functions up (text.line_break and the names
    layout.inline and layout.preferred imported; draw.text, where draw_text and SVG text
    find draw_first_line), with Layout's reactivation made lazy; all put back when the
    block ends, even on an exception. Only for TEXT_MEMO_FOR; yields whether installed.
    """
    import weasyprint
    from weasyprint.draw import text as draw_text
    from weasyprint.layout import inline, preferred
    from weasyprint.text import fonts, line_break

    split = line_break.__dict__.get("split_first_line")
    draw = draw_text.__dict__.get("draw_first_line")
    layout_class = line_break.Layout
    split_modules = (line_break, inline, preferred)
    if weasyprint.__version__ not in TEXT_MEMO_FOR or split is None or draw is None or any(
            module.__dict__.get("split_first_line") is not split for module in split_modules
    ) or "__getattr__" in layout_class.__dict__:
        yield False
        return
    memo.next_render()
    lazy = _lazy_layout_methods(layout_class)
    originals = {name: layout_class.__dict__.get(name) for name in lazy}
    remembered_split = _remembering_splits(split, layout_class, memo)
    remembered_draw = _remembering_lines(draw, fonts.get_pango_font_key, memo)
    try:
        for module in split_modules:
            module.split_first_line = remembered_split
        draw_text.draw_first_line = remembered_draw
        for name, method in lazy.items():
            setattr(layout_class, name, method)
        yield True
    finally:
        for module in split_modules:
            module.split_first_line = split
        draw_text.draw_first_line = draw
        for name, method in originals.items():
            if method is not None:
                setattr(layout_class, name, method)
            elif name in layout_class.__dict__:
                delattr(layout_class, name)
