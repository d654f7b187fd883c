"""`grader init`: a starter evidence.csv, GUIDE.md and grader.toml that build as they are."""

from __future__ import annotations

import csv
import io
import tomllib

import pypdf
import pytest

from grader.build import SETTINGS_KEYS
from grader.cli import main
from grader.pipeline import assess
from grader.vocab import COLUMNS

FILES = ["GUIDE.md", "evidence.csv", "grader.toml"]


@pytest.fixture
def debate(runner, tmp_path):
    folder = tmp_path / "debate"
    result = runner.invoke(main, ["init", str(folder)])
    assert result.exit_code == 0, result.stderr
    return folder


def _rows(folder) -> list[dict]:
    return list(csv.DictReader(io.StringIO((folder / "evidence.csv").read_text("utf-8"))))


def test_init_writes_the_three_starter_files(runner, tmp_path):
    folder = tmp_path / "new" / "debate"
    result = runner.invoke(main, ["init", str(folder)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == FILES
    assert result.stderr.splitlines() == [f"wrote {folder / name}" for name in
                                          ("evidence.csv", "GUIDE.md", "grader.toml")]


def test_init_defaults_to_the_current_folder(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == FILES


def test_header_has_every_contract_column(debate):
    header = (debate / "evidence.csv").read_text("utf-8").splitlines()[0]
    assert header.split(",") == [c.name for c in COLUMNS]


def test_starter_shows_a_position_with_a_supporting_and_an_opposing_study(debate):
    a = assess(debate / "evidence.csv")
    stances = a.ratings.groupby("position_id")["stance"].agg(set)
    assert any(s == {"supports", "opposes"} for s in stances)
    two = a.ratings.groupby("position_id")["study_id"].nunique()
    assert (two >= 2).all()


def test_starter_shows_a_study_on_two_positions_with_its_columns_given_once(debate):
    rows = _rows(debate)
    by_study: dict[str, list[dict]] = {}
    for row in rows:
        by_study.setdefault(row["study_id"], []).append(row)
    shared = [r for r in by_study.values() if len({x["position_id"] for x in r}) == 2]
    assert shared, "no study is cited on two positions"
    first, second = shared[0]
    assert first["citation"] and first["design"]
    assert not second["citation"] and not second["design"]  # inherited
    a = assess(debate / "evidence.csv")
    cited = a.ratings[a.ratings["study_id"] == first["study_id"]]
    assert cited["design"].nunique() == 1 and cited["design"].notna().all()


def test_starter_shows_an_opinion_piece(debate):
    a = assess(debate / "evidence.csv")
    opinion = a.ratings[a.ratings["certainty"] == "not_rated"]
    assert len(opinion) == 1
    assert opinion["design"].iloc[0] in {"editorial", "letter", "expert_opinion",
                                         "narrative_review", "guideline"}


def test_grader_build_accepts_the_starter_as_is(runner, debate, monkeypatch):
    monkeypatch.chdir(debate)
    check = runner.invoke(main, ["check", "evidence.csv"])
    assert (check.exit_code, check.stderr) == (0, "")  # no warnings either
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("built out/brief.pdf: 2 positions: 2 supported; 4 citations")
    reader = pypdf.PdfReader(debate / "out" / "brief.pdf")
    settings = tomllib.loads((debate / "grader.toml").read_text("utf-8"))
    assert reader.metadata.title == settings["title"]


def test_settings_file_has_the_known_keys(debate):
    settings = tomllib.loads((debate / "grader.toml").read_text("utf-8"))
    assert set(settings) == set(SETTINGS_KEYS)
    assert all(isinstance(v, str) for v in settings.values())


def test_guide_explains_the_row_model_and_the_commands(debate):
    guide = (debate / "GUIDE.md").read_text("utf-8")
    assert "one row per citation" in guide
    for command in ("grader check", "grader build", "grader watch", "grader diff"):
        assert command in guide


def test_init_refuses_to_overwrite(runner, debate):
    (debate / "evidence.csv").write_text("my work\n")
    result = runner.invoke(main, ["init", str(debate)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{debate / name}: already exists; not overwritten (pass --force to replace the "
        "starter files)" for name in FILES]
    assert (debate / "evidence.csv").read_text() == "my work\n"


def test_init_refuses_when_any_one_file_exists_and_writes_nothing(runner, tmp_path):
    (tmp_path / "GUIDE.md").write_text("mine\n")
    result = runner.invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == (f"{tmp_path / 'GUIDE.md'}: already exists; not overwritten "
                             "(pass --force to replace the starter files)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["GUIDE.md"]


def test_init_force_overwrites(runner, debate):
    (debate / "evidence.csv").write_text("my work\n")
    result = runner.invoke(main, ["init", str(debate), "--force"])
    assert result.exit_code == 0, result.stderr
    assert (debate / "evidence.csv").read_text().startswith("position_id,")


def test_init_into_a_file_is_wrong_usage(runner, tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("x")
    assert runner.invoke(main, ["init", str(path)]).exit_code == 2
