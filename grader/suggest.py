"""'Did you mean …?': the known spellings one small edit away from what a user typed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_EDITS = 2
"""At most this many edits (insert, delete, substitute, swap two neighbours) apart."""


def normalise(text: str) -> str:
    """The spelling compared: lower case, with spaces, hyphens and underscores removed."""
    return re.sub(r"[\s_\-]+", "", str(text).strip().lower())


def distance(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """Damerau–Levenshtein distance (optimal string alignment); limit + 1 once above it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    # Edits are local: the common start and end cost nothing, and most pairs differ in
    # a few characters, so what is left is short (thousands of ids are compared).
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    end = 0
    while end < min(len(a), len(b)) and a[-1 - end] == b[-1 - end]:
        end += 1
    if end:
        a, b = a[:-end], b[:-end]
    if not a or not b:
        return min(max(len(a), len(b)), limit + 1)
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(text: str) -> int:
    """Short words get one edit, longer ones two: 'no' is not a typo of 'yes'."""
    return 0 if len(text) <= 2 else 1 if len(text) <= 5 else MAX_EDITS


def close_matches(value: str, spellings: Mapping[str, str] | Iterable[str]) -> list[str]:
    """The known values whose spelling is a small edit away from value, closest first.

    spellings maps each accepted spelling to the value it stands for (an alias or a
    synonym to its canonical value), or is a plain list of values.
    """
    table = spellings if isinstance(spellings, Mapping) else {s: s for s in spellings}
    typed = normalise(value)
    if not typed:
        return []
    best: dict[str, int] = {}
    for spelling, target in table.items():
        known = normalise(spelling)
        if known == typed:
            continue
        d = distance(typed, known)
        if d <= min(allowed_edits(typed), allowed_edits(known)):
            best[target] = min(d, best.get(target, d))
    return sorted(best, key=lambda target: best[target])


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", str(text).lower()) if w]


def _word_in(word: str, words: list[str]) -> bool:
    return any(distance(word, w, 1) <= (1 if len(word) > 4 else 0) for w in words)


def phrase_matches(value: str, phrases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Targets with a phrase holding every word of value (each word within one edit).

    phrases maps each target to its descriptive phrases (a design's examples); the
    result maps each matching target to the first phrase that matched.
    """
    typed = _words(value)
    out: dict[str, str] = {}
    if not typed:
        return out
    for target, texts in phrases.items():
        for text in texts:
            words = _words(text)
            if all(_word_in(w, words) for w in typed):
                out[target] = text
                break
    return out


def did_you_mean(candidates: Iterable[str]) -> str:
    """'did you mean a?' or 'did you mean a or b?' ('' for none)."""
    names = list(dict.fromkeys(candidates))
    if not names:
        return ""
    if len(names) == 1:
        return f"did you mean {names[0]}?"
    return f"did you mean {', '.join(names[:-1])} or {names[-1]}?"
