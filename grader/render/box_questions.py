"""Three questions WeasyPrint's layout asks of every box, answered with less work (#18).

- `Box.is_in_normal_flow` (WeasyPrint 70) asks five other methods (floated, absolutely
  positioned, running, footnote, note), each a style lookup: 56,000 times on the seed
  brief. The same test is made on the two style values in one call.
- `text.line_break.strut` (a style's used line height and baseline) builds a text key of
  sixteen style values to find its cached answer, 9,000 times on the seed (5% of a warm
  rebuild). The boxes of one element share its style object, so its answer is kept per
  style object for one render: WeasyPrint changes a style's values only while building
  boxes (display, white-space, position, overflow) or on a copy it has just made
  (footnotes, flex and grid items, SVG text, character ratios), never the font and line
  height values a strut is made of once they have been asked.
- `layout.background.layout_box_backgrounds`, run on every box of every laid-out page,
  looks up eleven style values of each (radii, border image, mask border, visibility,
  background image and colour, box shadow) to find that most boxes have nothing to paint
  behind them: 11,000 boxes on the seed, 0.095 s of a warm rebuild. Whether a style leaves
  its boxes with square corners, no background, border image or mask border, whatever
  the box, is kept per style object, and such a box is given what WeasyPrint would give
  it; any other box is laid out by WeasyPrint.
"""

from __future__ import annotations

import contextlib

from grader.render.swapped import swapped

BOX_QUESTIONS_FOR = {"70.0"}
"""WeasyPrint versions whose Box.is_in_normal_flow and line_break.strut these follow."""

FLOW_METHODS = ("is_in_normal_flow", "is_floated", "is_absolutely_positioned", "is_running",
                "is_footnote", "is_note")
"""Box's methods the one-call test stands for: none may be overridden by a box class."""

OUT_OF_FLOW_FLOATS = ("left", "right", "inline-start", "inline-end", "footnote")
OUT_OF_FLOW_POSITIONS = ("absolute", "fixed")
OUT_OF_FLOW_FUNCTIONS = ("running()", "note()")
CORNER_RADII = tuple(f"border_{corner}_radius"
                     for corner in ("top_left", "top_right", "bottom_right", "bottom_left"))
SQUARE_CORNERS = dict.fromkeys(CORNER_RADII, (0, 0))


def is_in_normal_flow(box) -> bool:
    """Box.is_in_normal_flow of WeasyPrint 70: not floated, a footnote, absolutely
    positioned, running or a note."""
    style = box.style
    position = style["position"]
    return not (style["float"] in OUT_OF_FLOW_FLOATS or position in OUT_OF_FLOW_POSITIONS
                or position[0] in OUT_OF_FLOW_FUNCTIONS)


def _kept_per_style(question):
    """question (of a style), its answer kept per style object (the object held, so its id
    is not reused)."""
    kept: dict[int, tuple] = {}

    def kept_answer(style):
        found = kept.get(id(style))
        if found is not None and found[0] is style:
            return found[1]
        answer = question(style)
        kept[id(style)] = (style, answer)
        return answer

    return kept_answer


def paints_nothing(style) -> bool:
    """Whether WeasyPrint 70's layout_box_backgrounds leaves any box of this style (but the
    page) with square corners and no background, border image or mask border."""
    from weasyprint.draw.color import get_color

    return (all((0, "px") in style[radius] for radius in CORNER_RADII)
            and style["border_image_source"][0] == "none"
            and style["mask_border_source"][0] == "none"
            and not style["box_shadow"]
            and (style["visibility"] == "hidden" or (
                get_color(style, "background_color").alpha == 0
                and not any(kind == "url" or value
                            for kind, value in style["background_image"]))))


def _plain_boxes_skipped(layout_box_backgrounds):
    """layout_box_backgrounds, a box whose style paints nothing given its square corners
    and no background without asking its style again; its children still each asked."""
    plain = _kept_per_style(paints_nothing)

    def layout(page, box, get_image_from_uri, layout_children=True, style=None):
        if style is not None or box is page or not plain(box.style):
            return layout_box_backgrounds(page, box, get_image_from_uri, layout_children,
                                          style)
        vars(box).update(SQUARE_CORNERS)
        if layout_children:
            for child in box.all_children():
                layout(page, child, get_image_from_uri)
        box.background = None

    return layout


def _flow_methods_shared() -> bool:
    """Whether every box class takes the flow methods from Box itself."""
    from weasyprint.formatting_structure import boxes

    classes = [boxes.Box]
    while classes:
        cls = classes.pop()
        if cls is not boxes.Box and any(name in vars(cls) for name in FLOW_METHODS):
            return False
        classes.extend(cls.__subclasses__())
    return True


@contextlib.contextmanager
def answered_once():
    """is_in_normal_flow, strut and plain boxes' backgrounds as above while the block runs
    (one render).

    Put back when the block ends, even on an exception. Only for BOX_QUESTIONS_FOR, and
    is_in_normal_flow only while no box class has its own flow methods; yields whether
    they were installed.
    """
    import weasyprint
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import background
    from weasyprint.text import line_break

    if weasyprint.__version__ not in BOX_QUESTIONS_FOR or not _flow_methods_shared():
        yield False
        return
    original_flow = boxes.Box.__dict__["is_in_normal_flow"]
    boxes.Box.is_in_normal_flow = is_in_normal_flow
    try:
        backgrounds = background.layout_box_backgrounds
        with swapped(line_break.strut, _kept_per_style(line_break.strut)), \
                swapped(backgrounds, _plain_boxes_skipped(backgrounds)):
            yield True
    finally:
        boxes.Box.is_in_normal_flow = original_flow
