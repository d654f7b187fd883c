"""--rubric and --templates in `grader build`, and stage progress on stderr."""

from __future__ import annotations

import io
import json
import sys

import cssselect2
import pytest
import tinyhtml5

from grader import cli as cli_module
from grader.build import BuildOptions, build_brief
from grader.cli import main
from grader.rubric import default_rubric_text
from grader.scaffold import starter_csv


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "evidence.csv").write_text(starter_csv(), encoding="utf-8")
    return tmp_path


def _build(runner, project, *args, out="out"):
    return runner.invoke(main, ["build", str(project / "evidence.csv"), "--out",
                                str(project / out), "--format", "html,json,md", *args])


def _html(path):
    root = tinyhtml5.parse(path.read_text(encoding="utf-8"))
    return cssselect2.ElementWrapper.from_html_root(root)


def _text(element) -> str:
    return " ".join("".join(element.etree_element.itertext()).split())


def _certainty(project, study: str, out="out") -> str:
    data = json.loads((project / out / "brief.json").read_text("utf-8"))
    return next(s["certainty"] for s in data["studies"] if s["study_id"] == study)


# --- --rubric ---------------------------------------------------------------------------


def test_edited_rubric_changes_a_rating_and_the_brief_names_it(runner, project):
    edited = project / "committee.toml"
    edited.write_text(default_rubric_text()
                      .replace('version = "2.0.0"', 'version = "2.0.0-committee"')
                      .replace("n_below = 400", "n_below = 100"), encoding="utf-8")
    assert _build(runner, project).exit_code == 0
    result = _build(runner, project, "--rubric", str(edited), out="edited")
    assert result.exit_code == 0, result.stderr
    # n = 240 is no longer "small": Trial2020 keeps its high start.
    assert (_certainty(project, "Trial2020"), _certainty(project, "Trial2020", "edited")) \
        == ("moderate", "high")
    methods = _text(_html(project / "edited" / "brief.html").query("section#methods"))
    assert "version 2.0.0-committee" in methods
    assert "2.0.0-committee" in (project / "edited" / "brief.md").read_text("utf-8")


def test_broken_rubric_lists_every_problem_and_builds_nothing(runner, project):
    broken = project / "broken.toml"
    broken.write_text(default_rubric_text()
                      .replace('domain = "risk_of_bias"', 'domain = "bias"', 1)
                      .replace('observational = "low"', 'observational = "weak"'),
                      encoding="utf-8")
    result = _build(runner, project, "--rubric", str(broken))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{broken}: review_start.observational: must be one of: very_low, low, moderate, high",
        f"{broken}: rules[0].domain: must be one of: risk_of_bias, inconsistency, "
        "indirectness, imprecision, publication_bias",
    ]
    assert not (project / "out").exists()


def test_rubric_command_prints_the_rubric_in_use(runner, project):
    assert runner.invoke(main, ["rubric"]).stdout == default_rubric_text()
    edited = project / "committee.toml"
    edited.write_text(default_rubric_text().replace("n_below = 400", "n_below = 100"),
                      encoding="utf-8")
    assert runner.invoke(main, ["rubric", "--rubric", str(edited)]).stdout \
        == edited.read_text("utf-8")


# --- --templates ---------------------------------------------------------------------------


def test_user_page1_override_is_used_and_other_templates_fall_back(runner, project):
    templates = project / "templates"
    templates.mkdir()
    (templates / "_page1.html.j2").write_text(
        '<header class="masthead"><h1 class="title" id="committee">{{ title }}, '
        "committee edition</h1></header>\n", encoding="utf-8")
    result = _build(runner, project, "--templates", str(templates))
    assert result.exit_code == 0, result.stderr
    root = _html(project / "out" / "brief.html")
    assert _text(root.query("h1#committee")) == "Evidence brief, committee edition"
    assert root.query("section.bottom-line") is None  # the built-in page 1 is replaced
    assert root.query("section#methods") is not None  # the other parts are the built-ins
    assert len(list(root.query_all("article.position"))) == 2


def test_empty_templates_folder_gives_the_builtin_brief(runner, project):
    (project / "templates").mkdir()
    assert _build(runner, project).exit_code == 0
    result = _build(runner, project, "--templates", str(project / "templates"), out="custom")
    assert result.exit_code == 0, result.stderr
    for name in ("brief.html", "brief.md"):
        assert (project / "custom" / name).read_bytes() == (project / "out" / name).read_bytes()


def test_user_stylesheet_and_markdown_overrides(runner, project):
    templates = project / "templates"
    templates.mkdir()
    (templates / "brief.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    (templates / "brief.md.j2").write_text("# {{ title }}\n\n{{ counts.positions }} positions\n",
                                           encoding="utf-8")
    result = _build(runner, project, "--templates", str(templates))
    assert result.exit_code == 0, result.stderr
    assert "body { color: #123456; }" in (project / "out" / "brief.html").read_text("utf-8")
    assert (project / "out" / "brief.md").read_text("utf-8") == \
        "# Evidence brief\n\n2 positions\n"


def test_user_templates_are_sandboxed(runner, project):
    templates = project / "templates"
    templates.mkdir()
    (templates / "_page1.html.j2").write_text("{{ title.__class__.__mro__ }}\n",
                                              encoding="utf-8")
    result = _build(runner, project, "--templates", str(templates))
    assert result.exit_code == 1
    assert result.stderr.startswith("grader: ")
    assert "template error" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "out").exists()


# --- progress --------------------------------------------------------------------------------

STAGES = ["grader: reading…", "grader: rating…", "grader: rendering…", "grader: writing…"]


def test_progress_names_the_stages_once_the_build_is_slow(project, monkeypatch, capsys):
    monkeypatch.setattr(cli_module, "PROGRESS_AFTER_SECONDS", 0)
    progress = cli_module.Progress(True)
    build_brief(BuildOptions(csv=project / "evidence.csv", out_dir=project / "out",
                             formats=("html",), progress=progress))
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    # The timer thread may fire just after the first stage began: every line is a stage,
    # in order, ending with writing.
    assert lines and lines[-1] == STAGES[-1]
    assert [s for s in STAGES if s in lines] == list(dict.fromkeys(lines))
    assert "grader: rendering…" in lines


def test_the_build_reports_its_stages_to_the_callback_and_prints_nothing(project, capsys):
    stages: list[str] = []
    build_brief(BuildOptions(csv=project / "evidence.csv", out_dir=project / "out",
                             formats=("html",), progress=stages.append))
    assert stages == ["reading", "rating", "rendering", "writing"]
    assert capsys.readouterr() == ("", "")


def test_no_progress_for_a_quick_build(project, monkeypatch, capsys):
    monkeypatch.setattr(cli_module, "PROGRESS_AFTER_SECONDS", 60)
    progress = cli_module.Progress(True)
    build_brief(BuildOptions(csv=project / "evidence.csv", out_dir=project / "out",
                             formats=("html",), progress=progress))
    progress.close()
    assert capsys.readouterr().err == ""


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_cli_shows_progress_on_a_terminal_unless_quiet(project, monkeypatch, quiet):
    monkeypatch.setattr(cli_module, "PROGRESS_AFTER_SECONDS", 0)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    main(["build", str(project / "evidence.csv"), "--out", str(project / "out"),
          "--format", "html", *(["-q"] if quiet else [])], standalone_mode=False)
    lines = terminal.getvalue().splitlines()
    if quiet:
        assert lines == []
    else:
        assert "grader: rendering…" in lines
        assert lines[-1].startswith(f"built {project / 'out' / 'brief.html'}: 2 positions")


def test_cli_shows_no_progress_when_stderr_is_not_a_terminal(runner, project, monkeypatch):
    monkeypatch.setattr(cli_module, "PROGRESS_AFTER_SECONDS", 0)
    result = _build(runner, project)
    assert result.exit_code == 0
    assert result.stderr.startswith("built ")
    assert "grader: rendering" not in result.stderr
