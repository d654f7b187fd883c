"""Vector figures as inline SVG: the evidence map and the domain summary bars."""

from __future__ import annotations

from xml.sax.saxutils import escape

from grader.vocab import DOMAIN_LABELS, DOMAINS, LEVELS, WORDS

# Okabe–Ito colour-blind-safe palette; shape and position carry the meaning too.
SUPPORT_COLOUR = "#0072B2"
OPPOSE_COLOUR = "#D55E00"
OPINION_COLOUR = "#7a7a7a"
JUDGMENT_COLOURS = {"not_serious": "#009E73", "serious": "#E69F00", "very_serious": "#D55E00"}

MAP_ROWS_PER_FIGURE = 18
_LABEL_W, _COL_W, _GAP, _OPINION_W = 172, 60, 14, 54
_CHIP_H, _HEAD_H, _PAD = 11, 30, 5
_MAX_CHIPS = 6
_FONT = "font-family=\"Grader Text, Grader Symbols, sans-serif\""


def _text(x: float, y: float, text: str, size: float = 7.5, anchor: str = "start",
          weight: int = 400, fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}" {_FONT}>{escape(text)}</text>')


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _chips(x: float, y: float, rows: list[dict], kind: str) -> list[str]:
    colour = {"supports": SUPPORT_COLOUR, "opposes": OPPOSE_COLOUR}.get(kind, OPINION_COLOUR)
    out = []
    shown = rows if len(rows) <= _MAX_CHIPS else rows[: _MAX_CHIPS - 1]
    for i, r in enumerate(shown):
        cy = y + i * _CHIP_H + _CHIP_H / 2
        if kind == "supports":
            out.append(f'<circle cx="{x + 5:.1f}" cy="{cy:.1f}" r="3.2" fill="{colour}"/>')
        elif kind == "opposes":
            out.append(f'<rect x="{x + 1.8:.1f}" y="{cy - 3.2:.1f}" width="6.4" height="6.4" '
                       f'fill="{colour}"/>')
        else:
            out.append(f'<circle cx="{x + 5:.1f}" cy="{cy:.1f}" r="3" fill="none" '
                       f'stroke="{colour}" stroke-width="1.2"/>')
        label = _short(r["study_id"], 11) + ("*" if r.get("overstated") else "")
        out.append(_text(x + 11, cy + 2.6, label, 7))
    if len(rows) > _MAX_CHIPS:
        cy = y + (_MAX_CHIPS - 1) * _CHIP_H + _CHIP_H / 2
        out.append(_text(x + 11, cy + 2.6, f"+{len(rows) - _MAX_CHIPS + 1} more", 7,
                         fill="#555"))
    return out


def _map_figure(positions: list[dict], first_number: int) -> str:
    levels = LEVELS  # very_low … high, left to right within each panel
    oppose_x = _LABEL_W
    support_x = oppose_x + 4 * _COL_W + _GAP
    opinion_x = support_x + 4 * _COL_W + _GAP
    width = opinion_x + _OPINION_W
    parts = []
    y = _HEAD_H
    for number, p in enumerate(positions, start=first_number):
        cells: dict[tuple[str, str], list[dict]] = {}
        for r in p["rows"]:
            cells.setdefault((r["stance"], r["certainty"]), []).append(r)
        stack = max([min(len(v), _MAX_CHIPS) for v in cells.values()]
                    + [min(len(p["opinion"]), _MAX_CHIPS), 2])
        height = stack * _CHIP_H + 2 * _PAD
        if number % 2 == 0:
            parts.append(f'<rect x="0" y="{y}" width="{width}" height="{height}" '
                         'fill="#f4f4f1"/>')
        parts.append(_text(4, y + _PAD + 8, f"P{number} · {_short(p['advocate'], 22)}",
                           7.5, weight=600))
        parts.append(_text(4, y + _PAD + 18, _short(p["position"], 44), 6.8, fill="#444"))
        for i, level in enumerate(levels):
            for stance, x0 in (("opposes", oppose_x), ("supports", support_x)):
                rows = cells.get((stance, level), [])
                parts += _chips(x0 + i * _COL_W + 3, y + _PAD, rows, stance)
        parts += _chips(opinion_x + 3, y + _PAD, p["opinion"], "opinion")
        y += height
    grid = []
    for x0 in (oppose_x, support_x):
        for i in range(5):
            x = x0 + i * _COL_W
            grid.append(f'<line x1="{x}" y1="{_HEAD_H - 10}" x2="{x}" y2="{y}" '
                        'stroke="#c9c9c4" stroke-width="0.5"/>')
        for i, level in enumerate(levels):
            grid.append(_text(x0 + i * _COL_W + _COL_W / 2, _HEAD_H - 3,
                              WORDS[level], 6.8, "middle", fill="#444"))
    grid.append(f'<line x1="{opinion_x}" y1="{_HEAD_H - 10}" x2="{opinion_x}" y2="{y}" '
                'stroke="#c9c9c4" stroke-width="0.5"/>')
    heads = [
        _text(oppose_x + 2 * _COL_W, 9, "■ Opposing evidence, by certainty →", 8, "middle",
              600, OPPOSE_COLOUR),
        _text(support_x + 2 * _COL_W, 9, "● Supporting evidence, by certainty →", 8, "middle",
              600, SUPPORT_COLOUR),
        _text(opinion_x + _OPINION_W / 2, 9, "○ Opinion", 8, "middle", 600, OPINION_COLOUR),
        _text(opinion_x + _OPINION_W / 2, _HEAD_H - 3, "not rated", 6.8, "middle",
              fill="#444"),
    ]
    height = y + 2
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="evidence-map" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
            f'<title>Evidence map: each position\'s citations placed by certainty, '
            f'opposing on the left, supporting on the right</title>'
            + "".join(heads + parts + grid) + "</svg>")


def evidence_map(positions: list[dict]) -> str:
    """One or more SVG figures (a page-sized chunk of positions each)."""
    figures = []
    for start in range(0, len(positions), MAP_ROWS_PER_FIGURE):
        chunk = positions[start:start + MAP_ROWS_PER_FIGURE]
        figures.append(f'<div class="map-figure">{_map_figure(chunk, start + 1)}</div>')
    return "".join(figures)


def certainty_bars(domain_counts: dict[str, dict[str, int]]) -> str:
    """robvis-style summary: share of citations per judgment, domain by domain."""
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
                parts.append(_text(x + w / 2, y + 9.5, f"{share:.0%}", 7, "middle",
                                   600, "#fff" if judgment != "serious" else "#222"))
            x += w
    legend_y = 18 + len(DOMAINS) * row_h + 8
    x = label_w
    for judgment, colour in JUDGMENT_COLOURS.items():
        mark = {"not_serious": "+", "serious": "−", "very_serious": "×"}[judgment]
        parts.append(f'<rect x="{x}" y="{legend_y}" width="9" height="9" fill="{colour}"/>')
        parts.append(_text(x + 13, legend_y + 8, f"{mark} {judgment.replace('_', ' ')}", 7.5))
        x += 110
    height = legend_y + 14
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="domain-bars" role="img" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
            "<title>Share of citations judged not serious, serious or very serious, "
            "by domain</title>"
            + _text(label_w, 10, "Share of rated citations", 7.5, fill="#555")
            + "".join(parts) + "</svg>")
