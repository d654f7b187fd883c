"""Fuzz: hostile cell text never splits a message, breaks brief.md, or reaches the terminal."""

from __future__ import annotations

import csv
import io
import re

import cmarkgfm
from click.testing import CliRunner
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from grader.cli import main

SPECIAL = list("\n\r\t\x1b\x07\x08\x0b\x0c\x7f\x85\x9b\u2028\u2029"  # controls, separators
               "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
               "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width and invisible
               "#*_[]()!<>`|~\\&:/@.=+-\"',;") + [
    "](javascript:alert(1))", "![x](https://e.example/p.png)", "<https://e.example>",
    "https://e.example", "www.e.example", "<img src=x>", "<script>", "\n# H\n", "\n---\n",
    "\n> q", "\n1. l", "```", "&lt;", "&#91;", "\x1b]0;t\x07", "\x1b[31m", "|---|",
    "fake.csv:9: design: x", "e.csv:2:"]
# Any text but NUL (it makes the file binary, refused as a whole) and lone surrogates
# (not encodable in UTF-8).
CELL_CHARS = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
TEXT = st.lists(st.sampled_from(SPECIAL) | st.text(CELL_CHARS, max_size=3), min_size=1,
                max_size=8).map("".join)
FREE = ("position", "advocate", "citation", "notes", "characterization", "result")
CHECKED = ("study_id", "stance", "design", "n", "year", "position_id")
HEADER = ("position_id", *FREE, "study_id", "design", "n", "year", "stance",
          "claimed_certainty")
# Links (but GFM's e-mail autolinks, see formatters.py), images, raw HTML, code, rules:
# nothing the template itself does not write (it writes lists and quotes of its own).
ACTIVE = re.compile(r"<(a(?! href=\"mailto:)|img|script|style|iframe|pre|code|hr|del|"
                    r"span|div|p [^>]*)\b")


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _row(i: int, free: dict, checked: dict) -> dict:
    row = {"position_id": f"p{i}", "study_id": f"S{i}", "design": "rct", "n": "40",
           "year": "2020", "stance": "supports", "claimed_certainty": "high"}
    row.update({k: "x" + v for k, v in free.items()})  # never blank: required on the row
    row.update(checked)
    return row


@settings(max_examples=10, derandomize=True, deadline=None, database=None,
          phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure reports at once
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(free=st.lists(st.fixed_dictionaries({k: TEXT for k in FREE}), min_size=1,
                     max_size=3),
       checked=st.lists(st.dictionaries(st.sampled_from(CHECKED), TEXT, max_size=2),
                        min_size=1, max_size=3))
def test_hostile_cells(tmp_path_factory, free, checked):
    folder = tmp_path_factory.mktemp("fuzz")
    runner = CliRunner()
    name = str(folder / "e.csv")

    # 1. Free text only: valid; the brief and the terminal stay intact.
    (folder / "e.csv").write_text(_csv([_row(i, f, {}) for i, f in enumerate(free)]),
                                  encoding="utf-8")
    check = runner.invoke(main, ["check", name])
    assert check.exit_code == 0, check.output
    for line in check.stderr.splitlines():
        assert re.match(rf"{re.escape(name)}(:\d+)?: \S", line), line
    score = runner.invoke(main, ["score", name])
    assert score.exit_code == 0, score.output
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b]",
                         score.stdout), repr(score.stdout)
    build = runner.invoke(main, ["build", name, "--out", str(folder / "out"), "--format",
                                 "md", "-q"])
    assert build.exit_code == 0, build.output
    html = cmarkgfm.github_flavored_markdown_to_html(
        (folder / "out" / "brief.md").read_text(encoding="utf-8"),
        options=Options.CMARK_OPT_UNSAFE)
    assert not ACTIVE.search(html), html
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    # The positions table, then one table per position: its body of evidence and its one
    # citation (contract v2 puts the body row first).
    assert [t.count("<tr>") - 1 for t in tables] == [len(free)] + [2] * len(free), html
    # title, Bottom line, one per position, References, Methods
    assert len(re.findall(r"<h[1-6]>", html)) == 4 + len(free), html

    # 2. Hostile text in checked columns: every problem is one `FILE:LINE: …` line.
    rows = [_row(i, f, c) for i, (f, c) in enumerate(zip(free, checked, strict=False))]
    (folder / "e.csv").write_text(_csv(rows), encoding="utf-8")
    check = runner.invoke(main, ["check", name])
    assert check.exit_code in (0, 1), check.output
    for line in check.stderr.splitlines():
        assert re.match(rf"{re.escape(name)}:\d+: \S", line), line
