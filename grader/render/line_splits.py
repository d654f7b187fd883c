"""WeasyPrint's line splits remembered from one render to the next (`grader watch`, #18).

WeasyPrint lays out every piece of text with Pango to find where its first line ends
(`text.line_break.split_first_line`), and a table's column widths lay the same texts out
again; a save in `grader watch` changes a few cells, so almost every split of the next
render is one the last render already made. A split depends on nothing but its text, the
width offered, the font configuration and the text properties of the style, so it is
remembered under exactly those (LAYOUT_PROPERTIES) and handed back as a new Layout object
in the state WeasyPrint leaves it in after the split: deactivated, holding its text and
metrics, re-created from the box's own style when drawn. Seed, warm: 0.5-0.6 s of a render
in split_first_line down to 0.1 s, the PDF byte-identical.
"""

from __future__ import annotations

import contextlib
import operator

LINE_SPLITS_FOR = {"70.0"}
"""WeasyPrint versions whose `split_first_line` remembered_line_splits() was written for."""

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
"""Every style property WeasyPrint 70's split_first_line reads (tests/render/
test_line_splits.py records what it reads and checks it against this list)."""


class LineSplits:
    """The splits of the last render and of the one running; older ones are let go.

    So what is kept is at most two renders' distinct splits (seed: about 2,100, 2 MB).
    """

    def __init__(self):
        self.current: dict = {}
        self.previous: dict = {}
        self.hits = self.misses = 0

    def next_render(self):
        """Start a render: the last one's splits become the ones to reuse."""
        self.previous, self.current = self.current, {}
        self.hits = self.misses = 0

    def get(self, key):
        found = self.current.get(key)
        if found is None:
            found = self.previous.pop(key, None)
            if found is not None:
                self.current[key] = found
        return found


def _hashable(values: tuple) -> tuple:
    """The style's values as a key: SVG text's stand-in style gives font_family as a list."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


def _remembering(split_first_line, layout_class, splits: LineSplits):
    """split_first_line, answering from `splits` what it has worked out before."""
    style_key = operator.itemgetter(*LAYOUT_PROPERTIES)

    def key_of(text, style, *arguments):
        """The split's key, or None if it is not to be kept."""
        # A calc() hyphenation zone is resolved against other properties: not kept.
        if getattr(style["hyphenate_limit_zone"], "unit", None) is None:
            return None
        key = (text, style.font_config, style_key(style), *arguments)
        try:
            hash(key)
        except TypeError:
            key = (text, style.font_config, _hashable(key[2]), *arguments)
        return key

    def split(text, style, context, max_width, justification_spacing, is_line_start=True,
              minimum=False):
        try:
            key = key_of(text, style, max_width, justification_spacing, is_line_start,
                         minimum)
            found = None if key is None else splits.get(key)
        except (TypeError, KeyError):  # a value that cannot be hashed, a missing property
            key = found = None
        if found is None:
            result = split_first_line(text, style, context, max_width,
                                      justification_spacing, is_line_start, minimum)
            state = vars(result[0])
            if key is not None and "layout" not in state:  # deactivated, as 70 leaves it
                splits.misses += 1
                splits.current[key] = (dict(state), result[1:])
            return result
        splits.hits += 1
        state, metrics = found
        layout = layout_class.__new__(layout_class)
        layout.__dict__.update(state)
        return (layout, *metrics)

    return split


@contextlib.contextmanager
def remembered_line_splits(splits: LineSplits):
    """Answer WeasyPrint's line splits from `splits` while the block runs (one render).

    Installed where WeasyPrint 70 looks split_first_line up (text.line_break, and the
    names layout.inline and layout.preferred imported), put back when the block ends,
    even on an exception. Only for LINE_SPLITS_FOR; yields whether it was installed.
    """
    import weasyprint
    from weasyprint.layout import inline, preferred
    from weasyprint.text import line_break

    original = line_break.__dict__.get("split_first_line")
    modules = (line_break, inline, preferred)
    if weasyprint.__version__ not in LINE_SPLITS_FOR or original is None or any(
            module.__dict__.get("split_first_line") is not original for module in modules):
        yield False
        return
    splits.next_render()
    split = _remembering(original, line_break.Layout, splits)
    for module in modules:
        module.split_first_line = split
    try:
        yield True
    finally:
        for module in modules:
            module.split_first_line = original
