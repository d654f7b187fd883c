"""Rows: study ids, CSV and JSON output, --into merging, and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from grader.cli import main
from grader.draft import COLUMNS, draft
from grader.draft.records import Reference
from grader.draft.rows import study_ids
from grader.draft.suggest import load_cues
from grader.rubric import load_rubric

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed_letters.txt"  # a copy of ../shared/seed/000_3bd15740a826bf50.txt


@pytest.fixture(scope="module")
def table():
    return load_cues(load_rubric())


def _ref(surname, year, title, **kw):
    return Reference(authors=(f"{surname} J",), year=year, title=title, **kw)


def test_ids_suffix_on_clash_and_ignore_file_order(table):
    refs = [_ref("Smith", 2020, "Zinc"), _ref("Smith", 2020, "Aspirin"),
            _ref("Doe", 2019, "X")]
    assert study_ids(refs, table, set()) == ["Smith2020b", "Smith2020a", "Doe2019"]
    assert study_ids(refs[::-1], table, set()) == ["Doe2019", "Smith2020a", "Smith2020b"]


def test_ids_avoid_ids_already_taken(table):
    refs = [_ref("Smith", 2020, "Zinc"), _ref("Doe", 2019, "X")]
    assert study_ids(refs, table, {"Smith2020"}) == ["Smith2020b", "Doe2019"]
    assert study_ids(refs, table, {"Smith2020a", "Smith2020b"}) == ["Smith2020c", "Doe2019"]


def test_ids_from_odd_names(table):
    refs = [Reference(authors=("Henao-Restrepo AM",), year=2021, title="a"),
            Reference(authors=("Müller-Öz K",), year=2019, title="b"),
            Reference(authors=("O'Brien S",), year=2018, title="c"),
            Reference(authors=("van der Berg J",), year=2017, title="d"),
            Reference(url="https://www.ema.europa.eu/x.pdf", title=""),
            Reference(title="Anonymous")]
    assert study_ids(refs, table, set()) == ["Henao-Restrepo2021", "Muller-Oz2019",
                                             "O'Brien2018", "VanderBerg2017",
                                             "EMA", "Ref"]


def test_csv_has_the_contract_columns_and_blank_positions():
    result = draft(SEED)
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 19
    for row in rows:
        assert row["position_id"] == row["position"] == row["advocate"] == row["stance"] == ""
        assert row["study_id"] and row["citation"] and row["notes"]


def test_json_output_for_scripts():
    result = draft(FIXTURES / "hcq.nbib", fmt="json")
    data = json.loads(result.output)
    assert data["input_format"] == "medline"
    first = data["studies"][0]
    assert first["study_id"] == "Horby2020" and first["design"] == "rct"
    assert "position_id" not in first
    assert first["reference"]["pmid"] == "33031652"
    assert "Randomized Controlled Trial" in first["reference"]["publication_types"]


def test_same_references_in_any_format_get_the_same_ids():
    ids = {name: [s.row["study_id"] for s in draft(FIXTURES / name).studies]
           for name in ("hcq.ris", "hcq.bib", "hcq.json", "hcq_endnote.xml")}
    assert len({tuple(v) for v in ids.values()}) == 1


# ------------------------------------------------------------------ --into


def _written(calls):
    def write(path, data):
        calls.append(path)
        path.write_bytes(data)
    return write


def test_into_adds_new_studies_only_and_keeps_rows_byte_identical(tmp_path):
    existing = ('\ufeffposition_id,position,advocate,study_id,citation,design,doi,stance,notes\r\n'
                'p1,"HCQ works, they say",Raoult,Gautret2020,"Gautret P. Hydroxychloroquine and '
                'azithromycin as a treatment of COVID-19: results of an open-label '
                'non-randomized clinical trial. Int J Antimicrob Agents. 2020;56:105949",'
                'nonrandomized_controlled,,supports,"two\r\nlines"\r\n'
                'p1,,,MyBoulware,Boulware. A trial.,rct,https://doi.org/10.1056/NEJMOA2016638,'
                'opposes,\r\n'
                'p1,,,Pan2021,WHO Solidarity. PMID: 33264556,rct,,opposes,')  # no final newline
    into = tmp_path / "evidence.csv"
    into.write_bytes(existing.encode("utf-8"))
    calls = []
    result = draft(FIXTURES / "hcq.nbib", into=into, write=_written(calls))
    data = into.read_bytes()
    assert data.startswith(existing.encode("utf-8") + b"\r\n")
    assert result.skipped == [
        f"skipped Boulware2020: already in {into} line 4 as MyBoulware (same DOI)",
        f"skipped Gautret2020: already in {into} line 2 as Gautret2020 (same first author, "
        "year and title)",
        f"skipped Pan2021: already in {into} line 5 as Pan2021 (same PMID)"]
    assert len(result.added) == 12 and "added Horby2020" in result.added
    added = data[len(existing.encode('utf-8')) + 2:].decode()
    assert added.count("\r\n") == 12 and "\n" not in added.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(added)))
    assert all(len(r) == 9 for r in rows)
    # a second run adds nothing and writes nothing
    again = draft(FIXTURES / "hcq.nbib", into=into, write=_written(calls))
    assert again.added == [] and len(again.skipped) == 15
    assert len(calls) == 1 and into.read_bytes() == data
    # the columns the file lacks are reported, not silently dropped
    assert (f"{into}: warning: has no column retracted: the drafted retracted of Mehra2020 "
            "is left out (add the column to the header to keep it)") in map(str, result.warnings)


def test_into_semicolon_file_keeps_its_delimiter(tmp_path):
    into = tmp_path / "evidence.csv"
    into.write_text("position_id;study_id;citation;design;stance;notes\n"
                    "p1;Doe2020;Doe J. A trial. 2020.;rct;supports;\n")
    draft(FIXTURES / "hcq.ris", into=into)
    lines = into.read_text().splitlines()
    assert lines[1] == "p1;Doe2020;Doe J. A trial. 2020.;rct;supports;"
    assert lines[2].startswith(";Horby2020;")


def test_into_a_new_file_writes_header_and_rows(tmp_path):
    into = tmp_path / "new.csv"
    result = draft(SEED, into=into)
    assert len(result.added) == 19
    assert into.read_text().splitlines()[0] == ",".join(COLUMNS)


def test_into_merges_seed_into_itself_idempotently(tmp_path):
    into = tmp_path / "evidence.csv"
    draft(SEED, into=into)
    before = into.read_bytes()
    again = draft(SEED, into=into)
    assert again.added == [] and into.read_bytes() == before


# ------------------------------------------------------------------ the CLI


def test_cli_draft_to_stdout(runner):
    result = runner.invoke(main, ["draft", str(FIXTURES / "hcq.ris")])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == ",".join(COLUMNS)
    assert result.stderr.strip().endswith("and run `grader check`")
    assert "drafted 16 studies (ris): 15 designs suggested, 1 left blank" in result.stderr


def test_cli_draft_into_reports_added_and_skipped(runner, tmp_path):
    into = tmp_path / "evidence.csv"
    first = runner.invoke(main, ["draft", str(SEED), "--into", str(into)])
    assert first.exit_code == 0 and first.stdout == ""
    assert "added Yoon2019" in first.stderr
    second = runner.invoke(main, ["draft", str(SEED), "--into", str(into)])
    assert f"{into}: nothing to add; every reference is already there" in second.stderr
    assert "skipped Yoon2019: already in" in second.stderr


def test_cli_errors_name_file_and_line(runner, tmp_path):
    bad = tmp_path / "refs.json"
    bad.write_text('[{"title": "x",\n  "author": }]')
    result = runner.invoke(main, ["draft", str(bad)])
    assert result.exit_code == 1
    assert result.stderr == f"{bad}:2: not valid JSON: Expecting value\n"
    assert "Traceback" not in result.output


def test_cli_usage_errors(runner, tmp_path):
    result = runner.invoke(main, ["draft", str(SEED), "--into", str(tmp_path / "e.csv"),
                                  "--format", "json"])
    assert result.exit_code == 2
    missing = runner.invoke(main, ["draft", str(tmp_path / "nope.ris")])
    assert missing.exit_code == 2
    unknown = runner.invoke(main, ["draft", str(SEED), "--from", "word"])
    assert unknown.exit_code == 1
    assert "unknown input format 'word'; use one of: ris, bibtex" in unknown.stderr


def test_cli_forced_format(runner, tmp_path):
    refs = tmp_path / "refs.dat"
    refs.write_text("1. Doe J. A randomized trial of X. Lancet. 2020;1:1-9.\n")
    result = runner.invoke(main, ["draft", str(refs), "--from", "text", "--format", "json"])
    assert json.loads(result.stdout)["studies"][0]["design"] == "rct"


# ------------------------------------------------------------------ grader check


def _fill_positions(text: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        row.update(position_id="p1", position="Hydroxychloroquine works in COVID-19.",
                   advocate="Raoult", stance="supports",
                   design=row["design"] or "cohort")
        writer.writerow(row)
    return out.getvalue()


@pytest.mark.parametrize("name", ["hcq.nbib", "hcq.txt"])
def test_draft_with_positions_filled_passes_check(runner, tmp_path, name):
    drafted = runner.invoke(main, ["draft", str(FIXTURES / name)]).stdout
    evidence = tmp_path / "evidence.csv"
    evidence.write_text(_fill_positions(drafted))
    result = runner.invoke(main, ["check", str(evidence)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{evidence}: ok: ")


def test_check_explains_a_drafted_row_precisely(runner, tmp_path):
    drafted = runner.invoke(main, ["draft", str(FIXTURES / "hcq.nbib")]).stdout
    evidence = tmp_path / "evidence.csv"
    evidence.write_text(drafted)
    result = runner.invoke(main, ["check", str(evidence)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line]
    assert errors[0] == (f"{evidence}:2: position_id: study Horby2020 is not cited on a "
                         "position yet: fill position_id, position, advocate, stance for "
                         "study Horby2020 (one row per position that cites it), or delete "
                         "the row")
    assert not any("required on every row" in line for line in errors)
    assert f"{evidence}:6: design: study Geleris2020 has no design" in result.stderr


BAD = Path(__file__).parent / "bad"


@pytest.mark.parametrize(("name", "message"), [
    ("ris_without_er.ris", "no references found (read as ris); each RIS record starts with "
     "'TY  - JOUR' and ends with an 'ER  - ' line"),
    ("ris_record_without_title.ris", "no references found (read as ris)"),
    ("bibtex_unclosed_brace.bib", "no references found (read as bibtex); each entry looks "
     "like @article{key, author = {…}, title = {…}, year = {…}}; check that every brace is "
     "closed"),
    ("csl_not_a_list_of_items.json", "CSL-JSON must be a list of items (objects with title, "
     "author, issued, …)"),
    ("endnote_with_entities.xml", "XML with entity declarations is refused; export again"),
    ("pubmed_xml_without_articles.xml", "no references found (read as pubmed_xml); the file "
     "holds no <PubmedArticle> records"),
])
def test_bad_reference_files(runner, name, message):
    result = runner.invoke(main, ["draft", str(BAD / name)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(f"{BAD / name}: {message}")
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_record_without_anything_to_cite_is_skipped_with_a_warning(runner):
    result = runner.invoke(main, ["draft", str(BAD / "ris_record_without_title.ris")])
    assert (f"{BAD / 'ris_record_without_title.ris'}:1: warning: record 1 has no title, "
            "author, DOI or URL; skipped") in result.stderr


def test_seed_lists_into_the_projects_own_evidence_file_add_nothing(tmp_path):
    # seed_evidence.csv: a snapshot of the project's hand-encoded evidence.csv
    into = tmp_path / "evidence.csv"
    into.write_bytes((FIXTURES / "seed_evidence.csv").read_bytes())
    result = draft(SEED, into=into)
    assert result.added == [] and len(result.skipped) == 19
    assert into.read_bytes() == (FIXTURES / "seed_evidence.csv").read_bytes()
