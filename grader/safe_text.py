"""Plain text helpers: user text on one line, escaped visibly; lists joined in a sentence."""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls and DEL: `\xNN`, as Python writes them.
_CONTROL = "\x00-\x1f\x7f-\x9f"
# Invisible characters that reorder or hide text: soft hyphen, Arabic letter mark, Mongolian
# vowel separator, zero-width space/joiners, LRM/RLM, line/paragraph separators, bidi
# embeddings, overrides and isolates, word joiner and invisible operators, deprecated
# format characters, the byte-order mark / zero-width no-break space, interlinear
# annotation marks and the tag characters: `<U+XXXX>`.
_INVISIBLE = ("\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
              "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f")
_UNSAFE = re.compile(f"[{_CONTROL}{_INVISIBLE}]")


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0x9f else f"<U+{code:04X}>"


def one_line(text: object) -> str:
    """Text safe to print as (part of) one terminal line.

    Newlines, tabs and other control characters become `\\n`, `\\t`, `\\x1b`; bidi
    overrides and zero-width characters become `<U+202E>`, `<U+200B>`. Nothing else
    changes, so ordinary text (accents, CJK, emoji) prints as typed.
    """
    value = str(text)
    return _UNSAFE.sub(_escape, value) if _UNSAFE.search(value) else value


def lines(text: str) -> str:
    """Each line of a multi-line report made one_line (the line breaks themselves kept)."""
    return "\n".join(one_line(line) for line in text.split("\n"))


def join_words(items) -> str:
    """'a', 'a and b', 'a, b and c': a list in a sentence (the engine's and the brief's)."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
