"""WeasyPrint's named-page lookup made proportional to depth, not to a box's children (#18).

`ParentBox.page_values` (WeasyPrint 70) gives the page names a box starts and ends on:
its first and last in-flow (or floated) child's, recursively. It finds those two by
testing every child of the box, and block layout asks it of every pair of siblings, on
every page a container spans: seed, 4% of a warm render. The same answer is found by
testing children from each end until the first one that counts.
"""

from __future__ import annotations

import contextlib

PAGE_VALUES_FOR = {"70.0"}
"""WeasyPrint versions whose ParentBox.page_values first_and_last_page_values() was
written for."""


def _counts(child) -> bool:
    """Whether a child takes part in page-name propagation (in flow, or floated)."""
    return child.is_in_normal_flow() or child.is_floated()


def _page_values(box):
    """ParentBox.page_values, looking at children from each end only as far as needed."""
    own = box.style["page"]
    start_value = end_value = own
    children = box.children
    first = next((child for child in children if _counts(child)), None)
    if first is not None:
        last = next(child for child in reversed(children) if _counts(child))
        if first is last:
            start, end = first.page_values()
            start_value, end_value = start or own, end or own
        else:
            start_value = first.page_values()[0] or own
            end_value = last.page_values()[1] or own
    return start_value, end_value


@contextlib.contextmanager
def first_and_last_page_values():
    """ParentBox.page_values as _page_values while the block runs (one render).

    Put back when the block ends, even on an exception. Only for PAGE_VALUES_FOR, and
    only if ParentBox still has its own page_values built on Box's; yields whether it was
    installed.
    """
    import weasyprint
    from weasyprint.formatting_structure import boxes

    original = boxes.ParentBox.__dict__.get("page_values")
    if weasyprint.__version__ not in PAGE_VALUES_FOR or original is None or \
            "page_values" not in boxes.Box.__dict__:
        yield False
        return
    boxes.ParentBox.page_values = _page_values
    try:
        yield True
    finally:
        boxes.ParentBox.page_values = original
