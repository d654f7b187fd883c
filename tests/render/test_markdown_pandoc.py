"""brief.md pasted into a committee paper: pandoc reads it as intended (issue #12)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cssselect2
import pytest
import tinyhtml5

from grader.build import BuildOptions, build_brief

SEED = Path(__file__).resolve().parents[2] / "evidence.csv"


@pytest.fixture(scope="module")
def pandoc_html(tmp_path_factory):
    pandoc = shutil.which("pandoc")
    assert pandoc, "pandoc is needed for this test: run scripts/setup (Debian package pandoc)"
    folder = tmp_path_factory.mktemp("md")
    build_brief(BuildOptions(csv=SEED, out_dir=folder, formats=("md",), force=True))
    html = subprocess.run([pandoc, "-f", "markdown", "-t", "html", str(folder / "brief.md")],
                          check=True, capture_output=True, text=True, timeout=60).stdout
    root = tinyhtml5.parse(f"<html><body>{html}</body></html>")
    return cssselect2.ElementWrapper.from_html_root(root)


def _text(element) -> str:
    return " ".join("".join(element.etree_element.itertext()).split())


def test_each_claimed_versus_graded_item_is_its_own_paragraph(pandoc_html):
    items = [_text(p) for p in pandoc_html.query_all("p")
             if _text(p).startswith("Claimed versus graded,")]
    assert len(items) >= 3
    assert all(item.count("Claimed versus graded,") == 1 for item in items)


def test_tables_stay_tables(pandoc_html):
    tables = list(pandoc_html.query_all("table"))
    assert len(tables) >= 10  # page 1 and the sections
    heads = [_text(th) for th in tables[0].query_all("th")]
    assert heads == ["#", "Claim", "Argued by", "Verdict", "Certainty",
                     "Best evidence and its finding"]


def test_the_statement_is_its_own_paragraph(pandoc_html):
    strong = [_text(p) for p in pandoc_html.query_all("p")
              if _text(p) == "May not be true (low certainty)."]
    assert strong
