"""`grader diff` and `grader build --since`: what changed between two versions of the evidence."""

from __future__ import annotations

import hashlib
import json

import cssselect2
import pytest
import tinyhtml5

from grader import diff
from grader.build import BuildOptions, build_brief
from grader.cli import main
from grader.pipeline import assess
from grader.scaffold import starter_csv

OLD = starter_csv()
_HEADER = OLD.splitlines()[0].split(",")


def _row(**cells: str) -> str:
    """One CSV line of the starter file's columns, from named cells."""
    return ",".join(cells.get(column, "") for column in _HEADER) + "\n"


YOON = _row(position_id="drug-x-safe", study_id="Yoon2019",
            citation="Yoon G. An open-label case series. 2019.", design="case_series",
            year="2019", n="5", stance="opposes")
# Trial2020 shrinks to n = 8, Cohort2019 gains a note, Critic2021 goes, Yoon2019 comes.
NEW = ("".join(line for line in OLD.splitlines(keepends=True) if "Critic2021" not in line)
       .replace(",240,", ",8,")
       .replace("no benefit,moderate,\n", "no benefit,moderate,Registry data.\n") + YOON)

STUDIES = [
    {"study_id": "Trial2020", "change": "changed", "before": "moderate", "after": "low",
     "fields": ["n"], "values": {"n": [240, 8]}},
    {"study_id": "Cohort2019", "change": "changed", "before": "low", "after": "low",
     "fields": ["notes"], "values": {"notes": [None, "Registry data."]}},
    {"study_id": "Yoon2019", "change": "added", "before": None, "after": "very_low",
     "fields": []},
    {"study_id": "Critic2021", "change": "removed", "before": "not_rated", "after": None,
     "fields": []},
]
# Contract v2 (§4.2): the opposing cohort and case series are lower-tier evidence beside the
# trial, so both positions stay supported; only the trial's certainty moves.
POSITIONS = [
    {"position_id": "drug-x-works", "number": 1,
     "position": "Drug X relieves condition Y better than placebo.",
     "change": "changed", "verdict_before": "supported",
     "verdict_after": "supported", "before": "moderate", "after": "low"},
    {"position_id": "drug-x-safe", "number": 2, "position": "Drug X is safe for long-term use.",
     "change": "changed", "verdict_before": "supported",
     "verdict_after": "supported", "before": "low", "after": "very_low"},
]


@pytest.fixture
def versions(tmp_path):
    old, new = tmp_path / "old.csv", tmp_path / "evidence.csv"
    old.write_text(OLD, encoding="utf-8")
    new.write_text(NEW, encoding="utf-8")
    return old, new


@pytest.fixture(scope="module")
def old_brief(tmp_path_factory):
    """A real brief PDF built from the old version (its CSV attached)."""
    folder = tmp_path_factory.mktemp("old-brief")
    (folder / "evidence.csv").write_text(OLD, encoding="utf-8")
    build_brief(BuildOptions(csv=folder / "evidence.csv", out_dir=folder / "out"))
    return folder / "out" / "brief.pdf"


def _html(path):
    root = tinyhtml5.parse(path.read_text(encoding="utf-8"))
    return cssselect2.ElementWrapper.from_html_root(root)


def _text(element) -> str:
    return " ".join("".join(element.etree_element.itertext()).split())


# --- the comparison -------------------------------------------------------------------


def test_studies_added_removed_and_changed_with_certainty_before_and_after(versions):
    result = diff.diff_files(*versions)
    assert result.studies == STUDIES


def test_compared_values_are_each_cell_as_pandas_gives_it_blanks_as_none(versions):
    from pathlib import Path

    for path in (*versions, Path(__file__).parents[2] / "evidence.csv"):
        a = assess(path)
        rows = a.evidence.rows
        plain = rows.astype(object).where(rows.notna(), None)
        studies = plain.drop_duplicates("study_id").set_index("study_id")
        citations = plain.set_index(["position_id", "study_id"])
        for got, want in (
                (diff._study_values(a), studies[list(diff.STUDY_FIELDS)].to_dict("index")),
                (diff._citation_values(a),
                 citations[list(diff.CITATION_FIELDS)].to_dict("index"))):
            assert got == want and list(got) == list(want)
            cells = [(v, want[k][f]) for k in got for f, v in got[k].items()]
            assert any(v is None for v, _ in cells) and any(isinstance(v, int) for v, _ in cells)
            assert all(type(diff._json_value(v)) is type(diff._json_value(w)) for v, w in cells)


def test_positions_whose_verdict_or_certainty_changed(versions):
    assert diff.diff_files(*versions).positions == POSITIONS


def test_unchanged_positions_are_left_out(tmp_path):
    (tmp_path / "old.csv").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.csv").write_text(OLD.replace("a definitive trial", "the best trial"),
                                      encoding="utf-8")
    result = diff.diff_files(tmp_path / "old.csv", tmp_path / "new.csv")
    assert result.studies == [{"study_id": "Trial2020", "change": "changed",
                               "before": "moderate", "after": "moderate",
                               "fields": ["characterization"],
                               "values": {"characterization": ["a definitive trial",
                                                               "the best trial"]}}]
    assert result.positions == []


def test_added_and_removed_positions(tmp_path):
    old = OLD.splitlines(keepends=True)
    (tmp_path / "old.csv").write_text("".join(old[:3]), encoding="utf-8")  # drug-x-works only
    (tmp_path / "new.csv").write_text(OLD, encoding="utf-8")
    forward = diff.diff_files(tmp_path / "old.csv", tmp_path / "new.csv")
    assert forward.positions == [{"position_id": "drug-x-safe", "number": 2,
                                  "position": "Drug X is safe for long-term use.",
                                  "change": "added",
                                  "verdict_before": None, "verdict_after": "supported",
                                  "before": None, "after": "low"}]
    # Trial2020 is now cited on a second position too.
    assert forward.studies[0] == {"study_id": "Trial2020", "change": "changed",
                                  "before": "moderate", "after": "moderate",
                                  "fields": ["position_id"], "values": {}}
    backward = diff.diff_files(tmp_path / "new.csv", tmp_path / "old.csv")
    assert [(p["position_id"], p["change"], p["verdict_after"]) for p in backward.positions] \
        == [("drug-x-safe", "removed", None)]


def test_row_order_and_spelling_are_not_changes(tmp_path):
    header, *rows = OLD.splitlines(keepends=True)
    shuffled = header + "".join(reversed(rows))
    shuffled = shuffled.replace(",rct,", ",Randomised Controlled Trial,") \
        .replace(",double,", ",yes,")  # blinded: yes means double
    (tmp_path / "old.csv").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.csv").write_text(shuffled, encoding="utf-8")
    result = diff.diff_files(tmp_path / "old.csv", tmp_path / "new.csv")
    assert (result.studies, result.positions) == ([], [])


def test_brief_changes_has_exactly_the_keys_the_template_uses(versions):
    old, new = versions
    changes = diff.brief_changes(old, assess(new))
    assert changes == {"old": "old.csv",
                       "old_sha12": hashlib.sha256(old.read_bytes()).hexdigest()[:12],
                       "studies": [{**s, "what": diff.field_changes(s)} for s in STUDIES],
                       "positions": POSITIONS}


def test_summary_line_for_watch():
    assert diff.summary(STUDIES, POSITIONS) == (
        "Trial2020 changed (moderate → low); Cohort2019 changed (notes); "
        "Yoon2019 added (very low); 1 other study; 2 position certainties changed")
    assert diff.summary(STUDIES[:1], POSITIONS[:1]) == \
        "Trial2020 changed (moderate → low); 1 position certainty changed"
    verdict_moved = {**POSITIONS[0], "verdict_after": "contested"}
    assert diff.summary([], [verdict_moved]) == \
        "P1 (Drug X relieves condition Y better than…) supported → contested"
    many = [{**verdict_moved, "number": i} for i in range(1, 6)]
    assert diff.summary([], many).endswith("; 2 other position verdicts changed")
    assert diff.summary([], []) == "no study or position changed"


# --- the command ----------------------------------------------------------------------


def test_diff_text(runner, versions):
    old, new = versions
    result = runner.invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.stderr
    sha = hashlib.sha256(old.read_bytes()).hexdigest()[:12]
    lines = result.stdout.splitlines()
    assert lines[0] == f"old: {old} (sha256 {sha})"
    assert lines[3:] == [
        "Studies: 1 added, 1 removed, 2 changed",
        "  changed  Trial2020   moderate → low  n: 240 → 8",
        "  changed  Cohort2019  low → low       notes: (blank) → Registry data.",
        "  added    Yoon2019    — → very low",
        "  removed  Critic2021  not rated → —",
        "",
        "Positions: 2 changed",
        "  changed  drug-x-works  certainty moderate → low",
        "  changed  drug-x-safe   certainty low → very low",
    ]


def test_diff_markdown(runner, versions):
    result = runner.invoke(main, ["diff", *map(str, versions), "--format", "md"])
    assert result.exit_code == 0, result.stderr
    md = result.stdout
    assert md.startswith("## Changes since old.csv\n")
    assert "| Study | Change | Certainty before → after | What changed |" in md
    assert "| Trial2020 | changed | moderate → low | n: 240 → 8 |" in md
    assert "| drug-x-safe | changed | supported → supported | low → very low |" in md


def test_diff_json(runner, versions):
    old, new = versions
    result = runner.invoke(main, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["old"] == {"path": str(old),
                           "sha256": hashlib.sha256(old.read_bytes()).hexdigest()}
    assert data["new"]["sha256"] == hashlib.sha256(new.read_bytes()).hexdigest()
    assert data["rubric"]["name"].startswith("grader default rubric")
    assert (data["studies"], data["positions"]) == (STUDIES, POSITIONS)


def test_no_change(runner, versions):
    old, _ = versions
    result = runner.invoke(main, ["diff", str(old), str(old)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "No study or position changed."


def test_invalid_version_is_reported_with_its_lines(runner, versions):
    old, new = versions
    old.write_text(OLD.replace(",cohort,", ",cohrot,"), encoding="utf-8")
    result = runner.invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{old}:3: design: 'cohrot' is not a known design;")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["diff", "OLD"], ["diff", "OLD", "missing.csv"],
                                  ["diff", "OLD", "NEW", "--format", "html"]])
def test_wrong_usage_exits_2(runner, versions, args):
    old, new = versions
    args = [str(old) if a == "OLD" else str(new) if a == "NEW" else a for a in args]
    assert runner.invoke(main, args).exit_code == 2


# --- a brief PDF as OLD ----------------------------------------------------------------


def test_old_may_be_a_brief_pdf(runner, old_brief, versions):
    _, new = versions
    result = diff.diff_files(old_brief, new)
    assert (result.studies, result.positions) == (STUDIES, POSITIONS)
    assert result.old.path == f"{old_brief}#evidence.csv"
    assert result.old.sha256 == hashlib.sha256(OLD.encode()).hexdigest()
    text = runner.invoke(main, ["diff", str(old_brief), str(new)]).stdout
    assert text.startswith(f"old: {old_brief}#evidence.csv (sha256 ")


def test_a_brief_pdf_is_read_once_and_its_attachment_never_written_to_disk(old_brief,
                                                                         versions,
                                                                         monkeypatch):
    import os
    import tempfile

    def no_temporary_files(*args, **kwargs):
        raise AssertionError("diff wrote a temporary file")

    for name in ("TemporaryDirectory", "NamedTemporaryFile", "mkstemp", "mkdtemp"):
        monkeypatch.setattr(tempfile, name, no_temporary_files)
    opened = []

    def counting(real):
        def wrapper(path, *args, **kwargs):
            opened.append(str(path))
            return real(path, *args, **kwargs)
        return wrapper

    import builtins
    import io

    monkeypatch.setattr(os, "open", counting(os.open))
    monkeypatch.setattr(io, "open", counting(io.open))
    monkeypatch.setattr(builtins, "open", counting(builtins.open))
    result = diff.diff_files(old_brief, versions[1])
    assert (result.studies, result.positions) == (STUDIES, POSITIONS)
    assert opened.count(str(old_brief)) == 1


def test_pdf_without_its_csv_is_invalid_input(runner, tmp_path, versions):
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    bare = tmp_path / "bare.pdf"
    with open(bare, "wb") as handle:
        writer.write(handle)
    result = runner.invoke(main, ["diff", str(bare), str(versions[1])])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bare}: has no attached evidence file")


# --- build --since ---------------------------------------------------------------------


def test_build_since_adds_the_changes_section(runner, versions, tmp_path):
    old, new = versions
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(new), "--out", str(out), "--format", "html",
                                  "--since", str(old)])
    assert result.exit_code == 0, result.stderr
    root = _html(out / "brief.html")
    section = root.query("section#changes")
    assert section is not None
    assert "Changes since the previous version" in _text(section)
    assert f"Compared with old.csv (sha256 {hashlib.sha256(OLD.encode()).hexdigest()[:12]})" \
        in _text(section)
    tables = list(section.query_all("table.diff"))
    studies = [[_text(td) for td in tr.query_all("td")] for tr in tables[0].query_all("tbody tr")]
    assert studies[0] == ["Trial2020", "changed", "Moderate → Low", "n: 240 → 8"]
    assert [row[0] for row in studies] == ["Trial2020", "Cohort2019", "Yoon2019", "Critic2021"]
    positions = [[_text(td) for td in tr.query_all("td")]
                 for tr in tables[1].query_all("tbody tr")]
    # Positions by their number and claim, as the rest of the brief names them.
    assert positions[1] == ["P2 Drug X is safe for long-term use.", "changed",
                            "supported → supported", "Low → Very low"]


def test_build_since_a_brief_pdf(runner, old_brief, versions, tmp_path):
    _, new = versions
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(new), "--out", str(out), "--format", "html",
                                  "--since", str(old_brief)])
    assert result.exit_code == 0, result.stderr
    lede = _text(_html(out / "brief.html").query("section#changes p.lede"))
    assert lede.startswith("Compared with evidence.csv in brief.pdf (sha256 ")


def test_build_without_since_has_no_changes_section(runner, versions, tmp_path):
    _, new = versions
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(new), "--out", str(out), "--format", "html"]) \
        .exit_code == 0
    assert _html(out / "brief.html").query("section#changes") is None


def test_build_since_the_same_version_says_nothing_changed(runner, versions, tmp_path):
    old, _ = versions
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(old), "--out", str(out), "--format", "html",
                                  "--since", str(old)])
    assert result.exit_code == 0, result.stderr
    section = _html(out / "brief.html").query("section#changes")
    assert "No study or position changed." in _text(section)
    assert section.query("table") is None
