"""WeasyPrint's used-value pass for a box, with one call where it made forty (#18).

`layout.percent.resolve_percentages` (WeasyPrint 70) runs for every box on every layout
pass: it turns the box's margins, paddings, width, height and their limits into used
values, through `resolve_one_percentage` and `percentage` for each of the fourteen, then
copies the border widths and adjusts for box-sizing. On the seed brief that is 13,000
calls and 0.2 s of a 1.6 s warm rebuild, nearly all of it function calls. The same
values are reached by taking the common case inline (a length or a percentage) and
handing everything else (auto, none, calc()) to WeasyPrint's own `percentage`.
"""

from __future__ import annotations

import contextlib
from math import inf

from grader.render.swapped import swapped

RESOLVE_PERCENTAGES_FOR = {"70.0"}
"""WeasyPrint versions whose layout.percent.resolve_percentages the function below follows."""


def _resolver():
    """resolve_percentages for WeasyPrint 70, bound to its classes and helpers."""
    from weasyprint.css.functions import check_math
    from weasyprint.css.properties import Dimension
    from weasyprint.formatting_structure.boxes import Box, PageBox
    from weasyprint.layout.percent import adjust_box_sizing, percentage

    def used(value, style, refer_to):
        """percent.percentage, a length or a percentage taken inline."""
        if type(value) is Dimension:
            return refer_to * value.value / 100 if value.unit == "%" else value.value
        return percentage(value, style, refer_to)

    def resolve_percentages(box, containing_block):
        """Set used values as attributes of the box object (percent.resolve_percentages)."""
        if isinstance(containing_block, Box):
            cb_width, cb_height = containing_block.width, containing_block.height
        else:
            cb_width, cb_height = containing_block
        maybe_height = cb_height if isinstance(box, PageBox) else cb_width
        style = box.style
        box.margin_left = used(style["margin_left"], style, cb_width)
        box.margin_right = used(style["margin_right"], style, cb_width)
        box.margin_top = used(style["margin_top"], style, maybe_height)
        box.margin_bottom = used(style["margin_bottom"], style, maybe_height)
        box.padding_left = used(style["padding_left"], style, cb_width)
        box.padding_right = used(style["padding_right"], style, cb_width)
        box.padding_top = used(style["padding_top"], style, maybe_height)
        box.padding_bottom = used(style["padding_bottom"], style, maybe_height)
        box.width = used(style["width"], style, cb_width)
        min_width = used(style["min_width"], style, cb_width)
        box.min_width = 0 if min_width == "auto" else min_width
        box.max_width = used(style["max_width"], style, cb_width)
        if cb_height == "auto":
            # The containing block's height depends on its content.
            height = style["height"]
            if height == "auto" or check_math(height) or height.unit == "%":
                box.height = "auto"
            else:
                assert height.unit.lower() == "px"
                box.height = height.value
            min_height = used(style["min_height"], style, 0)
            max_height = used(style["max_height"], style, inf)
        else:
            box.height = used(style["height"], style, cb_height)
            min_height = used(style["min_height"], style, cb_height)
            max_height = used(style["max_height"], style, cb_height)
        box.min_height = 0 if min_height == "auto" else min_height
        box.max_height = max_height
        # Used value == computed value, except a collapsed border already resolved.
        collapse = style["border_collapse"] == "collapse"
        for prop in ("border_top_width", "border_right_width", "border_bottom_width",
                     "border_left_width"):
            if not (collapse and hasattr(box, prop)):
                setattr(box, prop, style[prop])
        if style["box_sizing"] != "content-box":  # content-box changes nothing
            adjust_box_sizing(box, "width")
            adjust_box_sizing(box, "height")

    return resolve_percentages


@contextlib.contextmanager
def fewer_calls_for_used_values():
    """resolve_percentages as the function above in every layout module, while the block runs.

    Put back when the block ends, even on an exception. Only for RESOLVE_PERCENTAGES_FOR;
    yields whether it was installed.
    """
    import weasyprint
    from weasyprint.layout import percent

    if weasyprint.__version__ not in RESOLVE_PERCENTAGES_FOR:
        yield False
        return
    with swapped(percent.resolve_percentages, _resolver()):
        yield True
