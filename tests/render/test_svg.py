"""The SVG figures, drawn from small hand-made inputs (no build)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.render import svg

NS = "{http://www.w3.org/2000/svg}"


def _position(number, rows, opinion=()):
    return {"number": number, "advocate": "Smith", "position": f"Claim {number}.",
            "rows": list(rows), "opinion": list(opinion)}


def _row(study, stance, certainty, overstated=False):
    return {"study_id": study, "stance": stance, "certainty": certainty,
            "overstated": overstated}


def test_evidence_map_places_each_citation_in_its_lane_and_column():
    figure = svg._map_figure([_position(1, [_row("Trial", "supports", "high"),
                                            _row("Cohort", "opposes", "low", True)],
                                        [{"study_id": "Op"}])], 1)
    root = ET.fromstring(re.search(r"<svg.*</svg>", figure, re.S).group(0))
    texts = {t.text: float(t.get("x")) for t in root.iter(f"{NS}text")}
    high_x = texts["High"]
    low_x = texts["Low"]
    assert abs(texts["Trial"] - high_x) < svg._COL_W  # in the high column
    assert abs(texts["Cohort *"] - low_x) < svg._COL_W  # overstated marked with *
    assert texts["Op"] > texts["High"]  # opinion apart, right of the graded columns
    circles = list(root.iter(f"{NS}circle"))
    squares = [r for r in root.iter(f"{NS}rect") if r.get("width") == "6.4"]
    assert any(c.get("fill") == svg.SUPPORT_COLOUR for c in circles)  # ● supports
    assert len(squares) == 1 and squares[0].get("fill") == svg.OPPOSE_COLOUR  # ■ opposes


def test_evidence_map_splits_into_page_sized_figures():
    positions = [_position(i, [_row(f"S{i}", "supports", "low")])
                 for i in range(1, svg.MAP_ROWS_PER_FIGURE + 3)]
    figures = svg.evidence_map(positions)
    assert figures.count('<div class="map-figure"><img ') == 2  # as images (issue 18)
    assert 'alt="Evidence map' in figures


def test_certainty_bars_fill_each_domain_to_the_full_width_with_not_assessed_in_grey():
    counts = {"risk_of_bias": {"not_serious": 2, "serious": 1, "not_assessed": 1},
              "inconsistency": {"not_assessed": 4}}
    figure = svg._certainty_bars(counts)
    root = ET.fromstring(figure)
    bars = [r for r in root.iter(f"{NS}rect") if r.get("height") == "12"]
    widths = {}
    for r in bars:
        widths.setdefault(r.get("y"), []).append((r.get("fill"), float(r.get("width"))))
    first, second = (widths[y] for y in sorted(widths, key=float)[:2])
    assert abs(sum(w for _, w in first) - 440) < 0.5
    assert (svg.JUDGMENT_COLOURS["not_assessed"], 440.0) in second
    assert "? not assessed" in figure
