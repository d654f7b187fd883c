"""User templates have a time budget: an endless loop stops with one line naming it."""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.scaffold import starter_csv

LOOPS = {
    "nested_ranges": "{% for i in range(100000) %}{% for j in range(100000) %}"
                     "{% endfor %}{% endfor %}",
    # 50 ** 20 calls, never deeper than 20: no RecursionError to end it.
    "recursive_macro": "{% macro down(n) %}{% if n < 20 %}{% for i in range(50) %}"
                       "{{ down(n + 1) }}{% endfor %}{% endif %}{% endmacro %}{{ down(0) }}",
    "cycler": "{% set c = cycler(1, 2) %}{% for i in range(100000) %}{% for j in "
              "range(100000) %}{{ c.next() }}{% endfor %}{% endfor %}",
    "attribute_loop": "{% for a in range(100000) %}{% for b in range(100000) %}"
                      "{{ positions|length }}{% endfor %}{% endfor %}",
}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "evidence.csv").write_text(starter_csv(), encoding="utf-8")
    (tmp_path / "templates").mkdir()
    return tmp_path


def _build(project, *extra):
    return CliRunner().invoke(main, ["build", str(project / "evidence.csv"), "--out",
                                     str(project / "out"), "--format", "md", "--templates",
                                     str(project / "templates"), *extra])


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_an_endless_template_stops_with_one_line_naming_it(project, loop):
    (project / "templates" / "brief.md.j2").write_text(f"# x\n{LOOPS[loop]}\n", "utf-8")
    started = time.monotonic()
    result = _build(project, "--template-timeout", "1")
    assert time.monotonic() - started < 20
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"grader: {project / 'templates' / 'brief.md.j2'}:")
    assert "template error: stopped after 1 s, the time limit for templates given with " \
           "--templates" in lines[0]
    assert "--template-timeout SECONDS" in lines[0]
    assert not (project / "out").exists()


def test_outside_the_main_thread_the_sandbox_checks_the_deadline(project):
    from grader.build import BuildOptions, build_brief
    from grader.errors import GraderError

    (project / "templates" / "brief.md.j2").write_text(LOOPS["cycler"], "utf-8")
    options = BuildOptions(csv=project / "evidence.csv", out_dir=project / "out",
                           formats=("md",), templates_dir=project / "templates",
                           template_timeout=1)
    caught = []

    def run():
        try:
            build_brief(options)
        except GraderError as exc:
            caught.append(str(exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert caught and "stopped after 1 s" in caught[0]


def test_a_quick_template_is_unaffected_and_the_default_is_60_s(project):
    (project / "templates" / "brief.md.j2").write_text("# {{ title }}\n", "utf-8")
    assert _build(project).exit_code == 0
    assert "[default: 60]" in CliRunner().invoke(main, ["build", "--help"]).stdout


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_the_timeout_must_be_a_positive_number(project, value):
    result = _build(project, "--template-timeout", value)
    assert result.exit_code == 2
    assert f"{value!r} is not a number of seconds" in result.stderr
