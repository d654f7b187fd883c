"""Shared fixtures: a CLI runner and small evidence CSVs written to tmp_path."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

HEADER = ("position_id", "position", "advocate", "study_id", "citation", "design", "stance")


def make_rows(*rows: dict, header: tuple[str, ...] | None = None) -> str:
    """CSV text for citation rows given as dicts; missing required cells get defaults.

    With no rows, one valid RCT citation supporting position `p1`. Columns are the
    required ones plus any a row names, in first-seen order.
    """
    defaults = {"position_id": "p1", "position": "The drug works.", "advocate": "Smith",
                "study_id": "Doe2020", "citation": "Doe J. A trial. 2020.", "design": "rct",
                "stance": "supports"}
    rows = rows or ({},)
    columns = list(header or HEADER)
    for row in rows:
        columns += [k for k in row if k not in columns]
    lines = [",".join(columns)]
    for row in rows:
        full = {**defaults, **row}
        lines.append(",".join(_quote(str(full.get(c, ""))) for c in columns))
    return "\n".join(lines) + "\n"


def assess_rows(folder, rows, rubric_text: str | None = None):
    """Assess citation rows (dicts) written to folder/evidence.csv, with an edited rubric text."""
    from grader.pipeline import assess

    path = folder / "evidence.csv"
    path.write_text(make_rows(*rows), encoding="utf-8")
    rubric = None
    if rubric_text is not None:
        rubric = folder / "rubric.toml"
        rubric.write_text(rubric_text, encoding="utf-8")
    return assess(path, rubric=rubric)


def _quote(cell: str) -> str:
    if any(ch in cell for ch in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


GOOD = """\
position_id,position,advocate,study_id,citation,design,n,stance
drug-x-works,Drug X relieves pain.,Smith,Doe2020,Doe J. A trial. 2020.,rct,240,supports
drug-x-works,,,Roe2019,Roe R. A cohort. 2019.,cohort,5000,opposes
"""
"""A valid two-citation evidence file: a trial for the claim, a cohort against it."""


@pytest.fixture
def good_csv(tmp_path):
    """GOOD written to tmp_path/evidence.csv."""
    path = tmp_path / "evidence.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


@pytest.fixture
def runner() -> CliRunner:
    """A click CliRunner (click ≥ 8.2 keeps stderr apart: use result.stderr)."""
    return CliRunner()


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(text, name="evidence.csv", encoding="utf-8") → path of the written file.

    Text is written byte for byte (no newline translation); pass bytes to write raw.
    """

    def write(text: str | bytes, name: str = "evidence.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    return write


@pytest.fixture
def rows():
    """The make_rows helper: rows(dict, ...) → CSV text of valid citations."""
    return make_rows


@pytest.fixture(autouse=True)
def no_unexpected_renderer_warnings(request):
    """Fail a test on any WeasyPrint warning it did not declare (as WeasyPrint's assert_no_logs).

    A test that provokes warnings on purpose (a refused URL, say) is marked
    ``@pytest.mark.renderer_warnings`` and checks them itself.
    """
    import logging

    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if records and not request.node.get_closest_marker("renderer_warnings"):
        pytest.fail("unexpected WeasyPrint warnings:\n" + "\n".join(
            f"  {r.levelname}: {r.getMessage()}" for r in records[:10]), pytrace=False)


def tree_rows(root) -> list[tuple]:
    """An ElementTree as comparable rows: depth, tag, attributes, text and tail, in order."""
    rows = []

    def walk(element, depth):
        rows.append((depth, element.tag, tuple(element.attrib.items()), element.text,
                     element.tail if depth else None))
        for child in element:
            walk(child, depth + 1)

    walk(root, 0)
    return rows


def html5_tree(html: str):
    """The tree WeasyPrint's own parser (tinyhtml5) builds from html."""
    import tinyhtml5

    return tinyhtml5.parse(html, namespace_html_elements=False)


@pytest.fixture(autouse=True)
def fast_html_builds_what_tinyhtml5_builds(monkeypatch):
    """Every tree grader.render.fast_html builds in any test is the tree tinyhtml5 builds
    from the same HTML (issue 18): each brief rendered to PDF here is one more case."""
    from grader.render import fast_html

    real = fast_html.parse

    def checked(html: str):
        root = real(html)
        if root is not None:
            assert tree_rows(root) == tree_rows(html5_tree(html)), "fast_html differs"
        return root

    monkeypatch.setattr(fast_html, "parse", checked)
