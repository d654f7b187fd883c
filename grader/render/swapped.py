"""A WeasyPrint function swapped for another wherever WeasyPrint imported it by name (#18)."""

from __future__ import annotations

import contextlib
import sys


def modules_using(function) -> list:
    """Every loaded WeasyPrint module that holds `function` under its own name."""
    return [module for name, module in list(sys.modules.items())
            if name.startswith("weasyprint.") and
            getattr(module, function.__name__, None) is function]


@contextlib.contextmanager
def swapped(function, replacement):
    """replacement in place of function in every module that uses it, while the block runs;
    put back when the block ends, even on an exception."""
    users = modules_using(function)
    for module in users:
        setattr(module, function.__name__, replacement)
    try:
        yield
    finally:
        for module in users:
            setattr(module, function.__name__, function)
