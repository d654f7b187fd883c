"""Two questions WeasyPrint's layout asks of every box, answered with less work (#18).

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


def is_in_normal_flow(box) -> bool:
    """Box.is_in_normal_flow of WeasyPrint 70: not floated, a footnote, absolutely
    positioned, running or a note."""
    style = box.style
    position = style["position"]
    return not (style["float"] in OUT_OF_FLOW_FLOATS or position in OUT_OF_FLOW_POSITIONS
                or position[0] in OUT_OF_FLOW_FUNCTIONS)


def _kept_struts(strut):
    """strut, its answer kept per style object (the object held, so its id is not reused)."""
    kept: dict[int, tuple] = {}

    def kept_strut(style):
        found = kept.get(id(style))
        if found is not None and found[0] is style:
            return found[1]
        answer = strut(style)
        kept[id(style)] = (style, answer)
        return answer

    return kept_strut


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
    """is_in_normal_flow and strut as above while the block runs (one render).

    Put back when the block ends, even on an exception. Only for BOX_QUESTIONS_FOR, and
    is_in_normal_flow only while no box class has its own flow methods; yields whether
    they were installed.
    """
    import weasyprint
    from weasyprint.formatting_structure import boxes
    from weasyprint.text import line_break

    if weasyprint.__version__ not in BOX_QUESTIONS_FOR or not _flow_methods_shared():
        yield False
        return
    original_flow = boxes.Box.__dict__["is_in_normal_flow"]
    boxes.Box.is_in_normal_flow = is_in_normal_flow
    try:
        with swapped(line_break.strut, _kept_struts(line_break.strut)):
            yield True
    finally:
        boxes.Box.is_in_normal_flow = original_flow
