"""One line per problem, always: user text is escaped visibly wherever grader prints it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.errors import Problem
from grader.safe_text import one_line


@pytest.mark.parametrize("text,shown", [
    ("plain text, accents é, CJK 漢字, emoji 🙂", "plain text, accents é, CJK 漢字, emoji 🙂"),
    ("a\nb\r\nc\td", "a\\nb\\r\\nc\\td"),
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
    ("S1\u202eevil\u202c", "S1<U+202E>evil<U+202C>"),
    ("p\u200bq\u200d\u2060\ufeff", "p<U+200B>q<U+200D><U+2060><U+FEFF>"),
    ("\u2028\u2029\u2066\u2069\u061c\u00ad", "<U+2028><U+2029><U+2066><U+2069><U+061C><U+00AD>"),
    ("tag\U000e0041", "tag<U+E0041>"),
])
def test_one_line_escapes_controls_bidi_and_zero_width_visibly(text, shown):
    assert one_line(text) == shown
    assert "\n" not in one_line(text) and "\x1b" not in one_line(text)


def test_a_problem_is_one_line_whatever_its_parts_hold():
    problem = Problem("e\n.csv", 2, "col\u202e", "'x' conflicts\nfake.csv:99: design: bad",
                      code="conflicting-values")
    assert str(problem) == "e\\n.csv:2: col<U+202E>: 'x' conflicts\\nfake.csv:99: design: bad"


def test_a_file_name_cannot_forge_a_problem_line(tmp_path, rows):
    path = tmp_path / "e.csv\nfake.csv:99: design: forged\u202e"
    path.write_text(rows({"stance": "maybe"}), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{tmp_path}/e.csv\\nfake.csv:99: design: forged<U+202E>:2: "
                               "stance: 'maybe'")


def test_the_score_table_writes_no_escape_sequence(tmp_path, rows):
    path = tmp_path / "e.csv"
    path.write_text(rows({"advocate": "\x1b]0;pwned\x07Smith\x1b[31m",
                          "position": "Claim \u202eelbat\u202c with a\u200bzero width."}),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "[\\x1b]0;pwned\\x07Smith\\x1b[31m]" in result.stdout
    assert "Claim <U+202E>elbat<U+202C> with a<U+200B>zero width." in result.stdout


def test_status_lines_are_one_line(tmp_path, rows):
    path = tmp_path / "e\x1b[2J.csv"
    path.write_text(rows(), encoding="utf-8")
    check = CliRunner().invoke(main, ["check", str(path)])
    assert check.exit_code == 0
    assert check.stdout == f"{tmp_path}/e\\x1b[2J.csv: ok: 1 citations of 1 studies on 1 " \
                           "positions\n"
    out = tmp_path / "out\nx"
    build = CliRunner().invoke(main, ["build", str(path), "--out", str(out), "--format", "md"])
    assert build.exit_code == 0, build.output
    assert len(build.stderr.splitlines()) == 1 and "out\\nx/brief.md" in build.stderr
