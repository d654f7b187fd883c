"""An edited rubric cannot smuggle spreadsheet formulas into the score CSV (hardening)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from grader.cli import main
from grader.rubric import default_rubric_text

# --- formula injection -------------------------------------------------------------------

# The score CSV exports ids, enumerations and numbers only: position ids start with a
# letter or digit, study ids with a letter, and design ids (even from an edited rubric)
# with a letter. So no user text in it can begin with a formula character; the
# neutralising itself is tested on hostile values in test_cli.py.
FORMULA_DESIGNS = ("=1+2", "+cmd", "-2+3", "@SUM(A1)", "=HYPERLINK(x)", "\ttab", "a\rb")


def test_an_edited_rubric_cannot_smuggle_formulas_into_the_score_csv(tmp_path):
    rubric = default_rubric_text() + "".join(
        f'\n[designs.{json.dumps(design)}]\nstart = "low"\n' for design in FORMULA_DESIGNS)
    (tmp_path / "rubric.toml").write_text(rubric, encoding="utf-8")
    result = CliRunner().invoke(main, ["rubric", "--rubric", str(tmp_path / "rubric.toml")])
    assert result.exit_code == 1
    assert result.stderr.count("a design id is lower-case letters, digits and _") == len(
        FORMULA_DESIGNS)
