"""Long cells: cut visibly in print, whole in JSON (hardening)."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from grader.cli import main

# --- long cells: cut in print, whole in JSON ---------------------------------------------


def test_long_cells_are_cut_visibly_in_html_and_whole_in_json(tmp_path):
    long = {c: f"{c.upper()} " + "word " * 1000 for c in
            ("position", "advocate", "citation", "characterization", "notes")}
    long = {c: v.strip() for c, v in long.items()}
    header = ["position_id", "study_id", "design", "stance", "claimed_certainty", *long]
    row = ["p1", "Doe2020", "rct", "supports", "high", *long.values()]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, row])
    (tmp_path / "evidence.csv").write_text(buffer.getvalue(), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "evidence.csv"), "--out",
                                       str(tmp_path / "out"), "--format", "html,json", "-q"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "brief.html").read_text(encoding="utf-8")
    for column, text in long.items():
        assert text not in html, f"{column} printed whole"
    for column in ("position", "advocate", "citation", "notes"):
        assert long[column][:150] in html, f"{column} not printed at all"
    for column in ("position", "advocate", "citation", "notes"):
        assert f"of {len(long[column]):,} characters; full text in brief.json]" in html, column
    brief = json.loads((tmp_path / "out" / "brief.json").read_text(encoding="utf-8"))
    citation = brief["citations"][0]
    assert citation["notes"] == long["notes"]
    assert citation["characterization"] == long["characterization"]
    assert brief["studies"][0]["citation"] == long["citation"]
    assert brief["positions"][0]["position"] == long["position"]
    assert brief["positions"][0]["advocate"] == long["advocate"]
