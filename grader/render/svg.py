"""Vector figures as SVG images: the evidence map and the domain summary bars."""

from __future__ import annotations

import base64
import re
import textwrap
from xml.sax.saxutils import escape, quoteattr

from grader.vocab import DOMAIN_LABELS, DOMAINS, LEVELS, SYMBOLS, WORDS

# Okabe–Ito colour-blind-safe palette; shape and position carry the meaning too.
SUPPORT_COLOUR = "#0072B2"
OPPOSE_COLOUR = "#D55E00"
OPINION_COLOUR = "#7a7a7a"
JUDGMENT_COLOURS = {"not_serious": "#009E73", "serious": "#E69F00", "very_serious": "#D55E00",
                    "not_assessed": "#bdbdb8"}
JUDGMENT_MARKS = {"not_serious": "+", "serious": "−", "very_serious": "×", "not_assessed": "?"}

MAP_ROWS_PER_FIGURE = 18
_LABEL_W, _COL_W, _OPINION_W = 176, 100, 74
_CHIP_H, _HEAD_H, _PAD = 12, 30, 4
_MAX_CHIPS = 5
_FONT = "font-family=\"Grader Text, Grader Symbols, sans-serif\""
_STANCE_COLOUR = {"supports": SUPPORT_COLOUR, "opposes": OPPOSE_COLOUR}


def _text(x: float, y: float, text: str, size: float = 8, anchor: str = "start",
          weight: int = 400, fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}" {_FONT}>{escape(text)}</text>')


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _marker(x: float, cy: float, kind: str) -> str:
    """● supports, ■ opposes, ○ opinion: shape and colour both carry the stance."""
    if kind == "supports":
        return f'<circle cx="{x:.1f}" cy="{cy:.1f}" r="3.4" fill="{SUPPORT_COLOUR}"/>'
    if kind == "opposes":
        return (f'<rect x="{x - 3.2:.1f}" y="{cy - 3.2:.1f}" width="6.4" height="6.4" '
                f'fill="{OPPOSE_COLOUR}"/>')
    return (f'<circle cx="{x:.1f}" cy="{cy:.1f}" r="3.1" fill="none" '
            f'stroke="{OPINION_COLOUR}" stroke-width="1.2"/>')


def _chips(x: float, y: float, rows: list[dict], kind: str) -> list[str]:
    out = []
    shown = rows if len(rows) <= _MAX_CHIPS else rows[: _MAX_CHIPS - 1]
    for i, r in enumerate(shown):
        cy = y + i * _CHIP_H + _CHIP_H / 2
        out.append(_marker(x + 6, cy, kind))
        label = _short(r["study_id"], 15) + (" *" if r.get("overstated") else "")
        out.append(_text(x + 13, cy + 2.8, label, 8))
    if len(rows) > _MAX_CHIPS:
        cy = y + (_MAX_CHIPS - 1) * _CHIP_H + _CHIP_H / 2
        out.append(_text(x + 13, cy + 2.8, f"+{len(rows) - _MAX_CHIPS + 1:,} more", 8,
                         fill="#555"))
    return out


def _lane_height(cells: list[list[dict]]) -> float:
    return max([min(len(c), _MAX_CHIPS) for c in cells] + [1]) * _CHIP_H + 2 * _PAD


def _map_figure(positions: list[dict], first_number: int) -> str:
    level_x = _LABEL_W
    opinion_x = level_x + len(LEVELS) * _COL_W
    width = opinion_x + _OPINION_W
    parts = []
    y = _HEAD_H
    for number, p in enumerate(positions, start=first_number):
        number = p.get("number", number)  # a digest maps some positions only
        by_cell: dict[tuple[str, str], list[dict]] = {}
        for r in p["rows"]:
            by_cell.setdefault((r["stance"], r["certainty"]), []).append(r)
        lanes = [(stance, [by_cell.get((stance, lvl), []) for lvl in LEVELS])
                 for stance in ("supports", "opposes")]
        heights = [_lane_height(cells) for _, cells in lanes]
        block = sum(heights)
        parts.append(f'<rect x="0" y="{y:.1f}" width="{width}" height="{block:.1f}" '
                     f'fill="{"#f3f4f1" if number % 2 else "#ffffff"}"/>')
        parts.append(_text(3, y + 11, f"P{number}", 9, weight=600))
        parts.append(_text(24, y + 11, _short(p["advocate"], 24), 8, weight=600))
        claim = textwrap.wrap(p["position"], 40)
        if len(claim) > 2:
            claim = [claim[0], _short(claim[1] + " " + claim[2], 40)]
        for i, line in enumerate(claim):
            parts.append(_text(3, y + 21 + 8.5 * i, line, 7.2, fill="#444"))
        lane_y = y
        for (stance, cells), height in zip(lanes, heights, strict=True):
            word = "for" if stance == "supports" else "against"
            parts.append(_text(level_x - 4, lane_y + _PAD + 9, word, 7, "end",
                               fill=_STANCE_COLOUR[stance]))
            for i, rows in enumerate(cells):
                parts += _chips(level_x + i * _COL_W + 2, lane_y + _PAD, rows, stance)
            lane_y += height
        parts.append(f'<line x1="{level_x}" y1="{y + heights[0]:.1f}" x2="{opinion_x}" '
                     f'y2="{y + heights[0]:.1f}" stroke="#d9d9d4" stroke-width="0.5" '
                     'stroke-dasharray="2 2"/>')
        parts += _chips(opinion_x + 2, y + _PAD, p["opinion"], "opinion")
        y += block
        parts.append(f'<line x1="0" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" '
                     'stroke="#b9bdc2" stroke-width="0.6"/>')
    grid = []
    for i in range(len(LEVELS) + 1):
        x = level_x + i * _COL_W
        grid.append(f'<line x1="{x}" y1="{_HEAD_H - 12}" x2="{x}" y2="{y:.1f}" '
                    'stroke="#c9c9c4" stroke-width="0.5"/>')
    for i, level in enumerate(LEVELS):
        cx = level_x + i * _COL_W + _COL_W / 2
        grid.append(_text(cx, _HEAD_H - 14, WORDS[level], 8.5, "middle", 600))
        grid.append(_text(cx, _HEAD_H - 4, SYMBOLS[level], 8, "middle", fill="#444"))
    grid.append(_text(opinion_x + _OPINION_W / 2, _HEAD_H - 14, "Opinion", 8.5, "middle",
                      600))
    grid.append(_text(opinion_x + _OPINION_W / 2, _HEAD_H - 4, "not rated", 7.5, "middle",
                      fill="#444"))
    grid.append(_text(3, _HEAD_H - 14, "Position", 8.5, weight=600))
    grid.append(_text(3, _HEAD_H - 4, "● for   ■ against   ○ opinion", 7.5, fill="#444"))
    height = y + 2
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="evidence-map" role="img" '
            f'viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}">'
            "<title>Evidence map: each position's citations placed by certainty, "
            "supporting and opposing evidence in separate lanes</title>"
            + "".join(parts + grid) + "</svg>")


def as_image(svg: str) -> str:
    """An SVG document as an <img> with a data: URI, its <title> as the alternative text.

    Inline, every element of a figure (hundreds in the evidence map) went through
    WeasyPrint's HTML cascade and box building before its SVG renderer parsed the markup
    again; as an image it is parsed once, drawn the same, and tagged as a Figure with /Alt.
    """
    kind = re.search(r'class="([^"]+)"', svg).group(1)
    title = re.search(r"<title>(.*?)</title>", svg, re.S)
    alt = title.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") \
        if title else ""
    data = base64.b64encode(svg.encode()).decode()
    return f'<img class="{kind}" alt={quoteattr(alt)} src="data:image/svg+xml;base64,{data}">'


_IMAGE = re.compile(r'<img class="(?:evidence-map|domain-bars)" alt="[^"]*" '
                    r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]*)">')


def inline_images(html: str) -> str:
    """HTML with every figure of as_image() put back as inline SVG (for brief.html, where a
    browser draws inline SVG text in the page's own fonts)."""
    return _IMAGE.sub(lambda m: base64.b64decode(m.group(1)).decode(), html)


def evidence_map(positions: list[dict]) -> str:
    """One or more SVG figures (a page-sized chunk of positions each), as images."""
    figures = []
    for start in range(0, len(positions), MAP_ROWS_PER_FIGURE):
        chunk = positions[start:start + MAP_ROWS_PER_FIGURE]
        figures.append(f'<div class="map-figure">{as_image(_map_figure(chunk, start + 1))}'
                       '</div>')
    return "".join(figures)


def certainty_bars(domain_counts: dict[str, dict[str, int]]) -> str:
    """robvis-style summary: share of citations per judgment, domain by domain (an image)."""
    return as_image(_certainty_bars(domain_counts))


def _certainty_bars(domain_counts: dict[str, dict[str, int]]) -> str:
    width, label_w, bar_w, row_h = 640, 110, 440, 16
    parts = []
    for i, domain in enumerate(DOMAINS):
        counts = domain_counts.get(domain, {})
        total = sum(counts.values()) or 1
        y = 18 + i * row_h
        parts.append(_text(0, y + 10, DOMAIN_LABELS[domain], 8))
        x = label_w
        for judgment, colour in JUDGMENT_COLOURS.items():
            share = counts.get(judgment, 0) / total
            w = share * bar_w
            if w <= 0:
                continue
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 4}" '
                         f'fill="{colour}"/>')
            if w > 26:
                parts.append(_text(x + w / 2, y + 9.5, f"{share:.0%}", 7, "middle", 600,
                                   "#fff" if judgment in ("not_serious", "very_serious")
                                   else "#222"))
            x += w
    legend_y = 18 + len(DOMAINS) * row_h + 8
    x = label_w
    for judgment, colour in JUDGMENT_COLOURS.items():
        mark = JUDGMENT_MARKS[judgment]
        parts.append(f'<rect x="{x}" y="{legend_y}" width="9" height="9" fill="{colour}"/>')
        parts.append(_text(x + 13, legend_y + 8, f"{mark} {judgment.replace('_', ' ')}", 7.5))
        x += 110
    height = legend_y + 14
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="domain-bars" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
            "<title>Share of graded citations judged not serious, serious or very serious, "
            "or not assessed, by domain</title>"
            + _text(label_w, 10, "Share of rated citations", 7.5, fill="#555")
            + "".join(parts) + "</svg>")
