"""`grader build --format docx,fhir` writes brief.docx and brief.fhir.json, reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

import docx

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_build_writes_both_committee_formats(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = runner.invoke(main, ["build", str(ROOT / "evidence.csv"), "--out", str(out),
                                      "--format", "docx,fhir"])
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
            ["brief.docx", "brief.fhir.json"]
    for name in ("brief.docx", "brief.fhir.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    bundle = json.loads((first / "brief.fhir.json").read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["timestamp"] == "2026-01-02T00:00:00Z"
    word = docx.Document(str(first / "brief.docx"))
    assert word.core_properties.created.isoformat() == "2026-01-02T00:00:00+00:00"
    assert word.paragraphs[0].text  # the title from grader.toml beside the CSV


def test_unknown_format_lists_the_committee_formats(runner, tmp_path):
    result = runner.invoke(main, ["build", str(ROOT / "evidence.csv"), "--out",
                                  str(tmp_path), "--format", "odt"])
    assert result.exit_code == 2
    assert "pdf, html, json, md, docx, fhir" in result.stderr
