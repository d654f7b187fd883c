"""Reading rules of contract §1: encodings, delimiters, spellings, inheritance."""

from __future__ import annotations

import pytest
from conftest import make_rows

from grader import report
from grader.cli import main
from grader.errors import InvalidInput
from grader.pipeline import assess

HEADER = "position_id,position,advocate,study_id,citation,design,stance"
ROW = "p1,The drug works.,Smith,Doe2020,Doe J. A trial. 2020.,rct,supports"


def cited(path) -> list[dict]:
    """The rated citations of a file, as records."""
    return assess(path).ratings.to_dict("records")


def problems(path) -> list:
    """The problems assess() raises for an invalid file."""
    with pytest.raises(InvalidInput) as caught:
        assess(path)
    return caught.value.problems


def errors_at(path) -> list[tuple]:
    """(line, column) of every error, in order."""
    return [(p.line, p.column) for p in problems(path) if p.severity == "error"]


# --- encodings, delimiters, line ends, quoting ---------------------------------


def test_utf8_byte_order_mark_is_ignored(write_csv):
    path = write_csv(b"\xef\xbb\xbf" + f"{HEADER}\n{ROW}\n".encode())
    assert [r["position_id"] for r in cited(path)] == ["p1"]


def test_text_without_bom_is_read_as_utf8(write_csv):
    path = write_csv(f"{HEADER}\n{ROW.replace('Smith', 'Schätzberg')}\n")
    assert cited(path)[0]["advocate"] == "Schätzberg"


def test_semicolon_file_from_a_spreadsheet_locale(write_csv):
    text = (HEADER.replace(",", ";") + ";n\r\n"
            + "p1;The drug works, at 2 mg.;Smith;Doe2020;Doe J, Roe K. A trial. 2020.;rct;"
              "supports;1200\r\n")
    got = cited(write_csv(b"\xef\xbb\xbf" + text.encode()))[0]
    assert got["position"] == "The drug works, at 2 mg."
    assert got["citation"] == "Doe J, Roe K. A trial. 2020."
    assert got["design"] == "rct"


def test_semicolon_needs_more_semicolons_than_commas_in_the_header(write_csv):
    path = write_csv(f"{HEADER}\n{ROW.replace('The drug works.', 'Works; at 2 mg.')}\n")
    assert cited(path)[0]["position"] == "Works; at 2 mg."


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr"])
def test_line_endings(write_csv, newline):
    path = write_csv(newline.join([HEADER + ",notes", ROW + ",end", ""]))
    got = cited(path)[0]
    assert (got["stance"], got["notes"]) == ("supports", "end")


def test_quoted_cells_keep_commas_quotes_and_newlines(write_csv):
    citation = 'Doe J, Roe K. "Quoted" title,\nsecond line. 2020.'
    path = write_csv(make_rows({"citation": citation, "notes": "a, b"}).replace("\n", "\r\n"))
    got = cited(path)[0]
    assert got["citation"] == citation.replace("\n", "\r\n")
    assert got["notes"] == "a, b"


# --- header and value spellings -----------------------------------------------


def test_header_names_are_case_space_and_hyphen_insensitive(write_csv):
    header = " Position ID ,POSITION,Advocate,Study-ID,Citation, Design,STANCE,Claimed Certainty"
    got = cited(write_csv(f"{header}\n{ROW},low\n"))[0]
    assert (got["study_id"], got["claimed_certainty"]) == ("Doe2020", "low")


ENUMS = [
    ("stance", " Supports ", "supports"),
    ("stance", "OPPOSES", "opposes"),
    ("question", "Mechanism", "mechanism"),
    ("risk_of_bias", "Very Serious", "very_serious"),
    ("imprecision", "not-serious", "not_serious"),
    ("indirectness", "Not  Serious", "not_serious"),
    ("claimed_certainty", "Very-Low", "very_low"),
    ("blinded", "Double", "double"),
    ("control", "Usual Care", "usual_care"),
    ("large_effect", "very large", "very_large"),
    ("included_designs", "RCT", "rct"),
    ("species", "In-Vitro", "in_vitro"),
]
DESIGNS = [
    ("RCT", "rct"), ("rct", "rct"), ("randomised controlled trial", "rct"),
    ("Randomized Controlled Trial", "rct"), ("case-series", "case_series"),
    ("Case Series", "case_series"), ("Cross-Sectional", "cross_sectional"),
    ("meta-analysis", "meta_analysis"), ("Network Meta-Analysis", "network_meta_analysis"),
]
YES_NO = [("yes", True), ("Yes", True), ("TRUE", True), ("y", True), ("Y", True),
          ("1", True), ("no", False), ("No", False), ("false", False), ("n", False),
          ("0", False), (" no ", False)]
DOIS = ["https://doi.org/10.1176/appi.ajp.2018.18020138",
        "http://dx.doi.org/10.1176/appi.ajp.2018.18020138",
        "HTTPS://DOI.ORG/10.1176/appi.ajp.2018.18020138",
        "doi:10.1176/appi.ajp.2018.18020138",
        "10.1176/appi.ajp.2018.18020138"]


@pytest.fixture(scope="module")
def spellings(tmp_path_factory):
    """One file holding every spelling case; citations keyed by study_id."""
    rows = []
    for i, (column, cell, _) in enumerate(ENUMS):
        design = {"included_designs": "meta_analysis", "species": "in_vitro"}.get(column, "rct")
        rows.append({"position_id": f"enum{i}", "study_id": f"Enum{i}", "design": design,
                     column: cell})
    rows += [{"study_id": f"Design{i}", "design": cell} for i, (cell, _) in enumerate(DESIGNS)]
    rows += [{"study_id": f"Bool{i}", "stopped_early": cell, "peer_reviewed": cell}
             for i, (cell, _) in enumerate(YES_NO)]
    rows += [{"study_id": f"Doi{i}", "doi": cell} for i, cell in enumerate(DOIS)]
    path = tmp_path_factory.mktemp("spellings") / "evidence.csv"
    path.write_text(make_rows(*rows), encoding="utf-8")
    result = assess(path)
    studies = {s["study_id"]: s for s in report.to_json(result)["studies"]}
    return {r["study_id"]: r for r in result.ratings.to_dict("records")}, studies


@pytest.mark.parametrize(("i", "column", "value"),
                         [(i, c, v) for i, (c, _, v) in enumerate(ENUMS)],
                         ids=[f"{c}={cell!r}" for c, cell, _ in ENUMS])
def test_enumerations_are_case_space_and_hyphen_insensitive(spellings, i, column, value):
    assert spellings[0][f"Enum{i}"][column] == value


@pytest.mark.parametrize(("i", "design"), [(i, d) for i, (_, d) in enumerate(DESIGNS)],
                         ids=[c for c, _ in DESIGNS])
def test_design_synonyms_are_normalised(spellings, i, design):
    assert spellings[0][f"Design{i}"]["design"] == design


@pytest.mark.parametrize(("i", "value"), [(i, v) for i, (_, v) in enumerate(YES_NO)],
                         ids=[repr(c) for c, _ in YES_NO])
def test_yes_no_spellings(spellings, i, value):
    got = spellings[0][f"Bool{i}"]
    # stopped_early takes a reason since contract v2; its yes/no spellings map to yes/no.
    assert got["stopped_early"] == ("yes" if value else "no")
    assert bool(got["peer_reviewed"]) is value


@pytest.mark.parametrize("i", range(len(DOIS)), ids=DOIS)
def test_doi_prefix_is_stripped(spellings, i):
    assert spellings[0][f"Doi{i}"]["doi"] == "10.1176/appi.ajp.2018.18020138"
    assert spellings[1][f"Doi{i}"]["doi"] == "10.1176/appi.ajp.2018.18020138"


@pytest.mark.parametrize(("cell", "value"), [("yes", "double"), ("No", "none")])
def test_blinded_yes_means_double_and_no_means_none(write_csv, cell, value):
    assert cited(write_csv(make_rows({"blinded": cell})))[0]["blinded"] == value


def test_unrecognised_yes_no_is_an_error(write_csv):
    path = write_csv(make_rows({"stopped_early": "maybe"}))
    (problem,) = problems(path)
    assert (problem.line, problem.column) == (2, "stopped_early")
    assert "'maybe'" in problem.message and "yes" in problem.message


def test_defaults_for_blank_cells(write_csv):
    got = cited(write_csv(make_rows({"design": "rct"})))[0]
    assert (got["question"], got["species"], bool(got["peer_reviewed"]),
            bool(got["randomized"])) == ("efficacy", "human", True, True)


def test_no_on_a_randomised_design_is_an_error(write_csv):
    assert errors_at(write_csv(make_rows({"randomized": "no"}))) == [(2, "randomized")]


def test_not_a_doi_is_an_error(write_csv):
    assert errors_at(write_csv(make_rows({"doi": "https://example.org/paper"}))) == [
        (2, "doi")]


# --- rows: blank, short, long ---------------------------------------------------


def test_blank_rows_are_skipped(write_csv):
    text = f"{HEADER}\n\n{ROW}\n,,,,,,\n  , ,\n\n{ROW.replace('Doe2020', 'Roe2021')}\n\n"
    got = cited(write_csv(text))
    assert [(r["study_id"], r["line"]) for r in got] == [("Doe2020", 3), ("Roe2021", 7)]


def test_short_rows_are_padded_with_blanks(write_csv):
    header = HEADER + ",n,blinded,claimed_certainty,notes"
    got = cited(write_csv(f"{header}\n{ROW},20\n{ROW.replace('Doe2020', 'Roe2021')}\n"))
    assert [(r["n"], r["notes"]) for r in got] == [(20, None), (None, None)]
    assert [r["imprecision"] for r in got] == ["serious", "not_serious"]


def test_long_rows_are_an_error(write_csv):
    path = write_csv(f"{HEADER}\n{ROW}\n{ROW.replace('Doe2020', 'Roe2021')},extra\n")
    (problem,) = problems(path)
    assert problem.line == 3
    assert "8 cells" in problem.message and "7" in problem.message


# --- unknown columns -------------------------------------------------------------


def test_unknown_column_is_a_warning_not_an_error(runner, write_csv):
    path = write_csv(f"{HEADER},Colour\n{ROW},blue\n")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 0
    assert result.stderr == f"{path}:1: colour: warning: unknown column, ignored\n"
    score = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert score.exit_code == 0
    assert "warning:" in score.stderr and "colour" not in score.stdout


# --- study and position columns: inheritance, conflicts, duplicates ----------------


def test_study_columns_are_inherited_whatever_the_row_order(write_csv):
    rows = [
        {"position_id": "p1", "study_id": "Doe2020", "design": "", "citation": "", "n": ""},
        {"position_id": "p2", "position": "", "advocate": "", "study_id": "Doe2020",
         "design": "", "citation": "", "stance": "opposes"},
        {"position_id": "p3", "position": "It is safe.", "study_id": "Doe2020",
         "design": "RCT", "citation": "Doe J. Full reference.", "n": "50"},
        {"position_id": "p2", "position": "It does not work.", "advocate": "Roe",
         "study_id": "Roe2021"},
    ]
    got = cited(write_csv(make_rows(*rows)))
    doe = [r for r in got if r["study_id"] == "Doe2020"]
    assert [(r["design"], r["citation"], r["n"]) for r in doe] == [
        ("rct", "Doe J. Full reference.", 50)] * 3
    p2 = [r for r in got if r["position_id"] == "p2"]
    assert {(r["position"], r["advocate"]) for r in p2} == {("It does not work.", "Roe")}


def test_study_column_given_on_no_row_is_an_error(write_csv):
    rows = [{"study_id": "Doe2020", "design": ""},
            {"position_id": "p2", "study_id": "Doe2020", "design": ""}]
    assert errors_at(write_csv(make_rows(*rows))) == [(2, "design")]


def test_conflicting_study_attributes_are_an_error(write_csv):
    rows = [{"position_id": "p1", "n": "10"},
            {"position_id": "p2", "n": "12"},
            {"position_id": "p3", "n": ""},
            {"position_id": "p4", "design": "randomised controlled trial", "n": "10"}]
    found = problems(write_csv(make_rows(*rows)))
    assert [(p.line, p.column) for p in found] == [(3, "n")]
    assert "'12' conflicts with '10' on line 2" in found[0].message


def test_equivalent_spellings_on_two_rows_agree(write_csv):
    rows = [{"position_id": "p1", "stopped_early": "yes", "peer_reviewed": "1",
             "blinded": "yes", "doi": "https://doi.org/10.1000/x1", "design": "RCT"},
            {"position_id": "p2", "stopped_early": "True", "peer_reviewed": "Y",
             "blinded": "double", "doi": "10.1000/x1", "design": "randomised trial"}]
    got = cited(write_csv(make_rows(*rows)))
    assert [(bool(r["stopped_early"]), r["blinded"], r["design"]) for r in got] == [
        (True, "double", "rct")] * 2


def test_conflicting_position_attributes_are_an_error(write_csv):
    rows = [{"study_id": "Doe2020", "advocate": "Smith"},
            {"study_id": "Roe2021", "advocate": "Jones"}]
    assert errors_at(write_csv(make_rows(*rows))) == [(3, "advocate")]


def test_duplicate_position_and_study_is_an_error(write_csv):
    rows = [{"study_id": "Doe2020"}, {"study_id": "Roe2021"},
            {"study_id": "Doe2020", "stance": "opposes"}]
    found = problems(write_csv(make_rows(*rows)))
    assert [(p.line, p.column) for p in found] == [(4, "study_id")]
    assert "line 2" in found[0].message


def test_same_study_on_two_positions_is_fine(write_csv):
    rows = [{"study_id": "Doe2020"}, {"position_id": "p2", "study_id": "Doe2020"}]
    assert len(cited(write_csv(make_rows(*rows)))) == 2


# --- files with no citations -------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n\r\n", " , ,\n", HEADER + "\n",
                                  HEADER + "\n\n,,,,,,\n", "\ufeff"],
                         ids=["empty", "blank-lines", "blank-cells", "header-only",
                              "header-and-blank-rows", "bom-only"])
def test_file_without_citation_rows_is_invalid(runner, write_csv, text):
    path = write_csv(text)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: ")
    assert "Traceback" not in result.output
