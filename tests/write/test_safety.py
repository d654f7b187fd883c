"""Safe writes: atomic outputs, untouched outputs on failure, no-op rebuilds, kill -9."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from importlib import resources

import pytest

from grader import build as build_module
from grader import write
from grader.build import BuildOptions, build_brief
from grader.cli import main
from grader.rubric import default_rubric_text
from grader.scaffold import starter_csv
from grader.vocab import COLUMNS

OLD = starter_csv()
FORMATS = ("html", "json", "md")


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "evidence.csv").write_text(OLD, encoding="utf-8")
    return tmp_path


def _options(project, **changes) -> BuildOptions:
    return BuildOptions(**{"csv": project / "evidence.csv", "out_dir": project / "out",
                           "formats": FORMATS, **changes})


def snapshot(folder) -> dict[str, tuple[bytes, int, int]]:
    """Every file in folder: bytes, modification time (ns) and inode."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
            for p in sorted(folder.iterdir())}


# --- a failed build touches nothing -------------------------------------------------------


def _break_csv(project):
    (project / "evidence.csv").write_text(OLD.replace(",cohort,", ",cohrot,"), "utf-8")
    return [], "evidence.csv:3: design: 'cohrot' is not a known design"


def _break_rubric(project):
    (project / "rubric.toml").write_text(default_rubric_text().replace(
        'start = "low"', 'start = "lowish"', 1), encoding="utf-8")
    return ["--rubric", str(project / "rubric.toml")], \
        "rubric.toml: designs.nonrandomized_controlled.start: must be one of:"


def _break_settings(project):
    (project / "grader.toml").write_text('title = "unclosed\n', encoding="utf-8")
    return [], "grader.toml:1: not valid TOML"


def _break_template(project):
    (project / "templates").mkdir()
    (project / "templates" / "_page1.html.j2").write_text("{% if %}\n", encoding="utf-8")
    return ["--templates", str(project / "templates")], \
        f"grader: {project / 'templates' / '_page1.html.j2'}:1: template error:"


@pytest.mark.parametrize("breaker", [_break_csv, _break_rubric, _break_settings,
                                     _break_template])
def test_a_failed_build_leaves_outputs_byte_identical(runner, project, breaker, monkeypatch):
    monkeypatch.chdir(project)
    args = ["build", "evidence.csv", "--format", ",".join(FORMATS)]
    assert runner.invoke(main, args).exit_code == 0
    before = snapshot(project / "out")
    extra, message = breaker(project)
    result = runner.invoke(main, [*args, "--force", *extra])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project / "out") == before


def test_a_failed_first_build_creates_nothing(runner, project):
    _break_csv(project)
    result = runner.invoke(main, ["build", str(project / "evidence.csv"), "--out",
                                  str(project / "out")])
    assert result.exit_code == 1
    assert not (project / "out").exists()


# --- outputs are replaced by rename ----------------------------------------------------


def test_outputs_are_replaced_by_rename_never_rewritten_in_place(project):
    build_brief(_options(project))
    before = snapshot(project / "out")
    handles = {name: open(project / "out" / name, "rb") for name in before}
    try:
        (project / "evidence.csv").write_text(OLD.replace(",240,", ",8,"), encoding="utf-8")
        assert not build_brief(_options(project)).skipped
        # Whoever had the old brief open still reads the whole old brief.
        for name, handle in handles.items():
            assert handle.read() == before[name][0]
    finally:
        for handle in handles.values():
            handle.close()
    after = snapshot(project / "out")
    assert after.keys() == before.keys()  # no temporary file left behind
    for name in before:
        assert after[name][2] != before[name][2], f"{name} was rewritten in place"
        assert after[name][0] != before[name][0]


def test_write_atomic_failure_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "brief.json"
    target.write_bytes(b"previous\n")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write.os, "replace", refuse)
    with pytest.raises(OSError):
        write.write_atomic(target, b"new contents\n")
    assert target.read_bytes() == b"previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["brief.json"]


def test_a_build_stopped_between_outputs_is_not_taken_for_up_to_date(project, monkeypatch):
    # Outputs are now replaced as a set (tests/build/test_safety_sets.py): a build stopped
    # among its renames leaves a journal, and no record that could call it up to date.
    build_brief(_options(project))
    real = os.replace
    renamed = []

    def stop_on_the_third(src, dst):
        renamed.append(os.path.basename(dst))
        if len(renamed) == 3:
            raise KeyboardInterrupt  # Ctrl-C after the journal and brief.html
        real(src, dst)

    (project / "evidence.csv").write_text(OLD.replace(",240,", ",8,"), encoding="utf-8")
    monkeypatch.setattr(write.os, "replace", stop_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        build_brief(_options(project))
    monkeypatch.setattr(write.os, "replace", real)
    assert renamed == [write.JOURNAL, "brief.html", "brief.json"]
    assert not (project / "out" / write.MANIFEST).exists()
    # Back to the old input: the stopped build is finished first, then rebuilt, not skipped.
    (project / "evidence.csv").write_text(OLD, encoding="utf-8")
    assert not build_brief(_options(project)).skipped


def test_new_outputs_get_ordinary_permissions(project):
    build_brief(_options(project))
    mask = os.umask(0)
    os.umask(mask)
    for path in (project / "out").iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path.name


# --- no-op rebuild -----------------------------------------------------------------------


def test_unchanged_rebuild_skips_rendering_and_touches_nothing(project, monkeypatch):
    first = build_brief(_options(project))
    assert not first.skipped
    before = snapshot(project / "out")

    def must_not_render(*args, **kwargs):
        raise AssertionError("rendered although nothing changed")

    monkeypatch.setattr(build_module, "assess_inputs", must_not_render)
    monkeypatch.setattr(build_module, "prepare", must_not_render)
    monkeypatch.setattr(build_module, "finish", must_not_render)
    second = build_brief(_options(project))
    assert second.skipped
    assert second.summary.startswith("up to date: ")
    assert second.outputs == first.outputs
    assert snapshot(project / "out") == before  # same bytes, mtimes and inodes


def test_cli_says_up_to_date(runner, project, monkeypatch):
    monkeypatch.chdir(project)
    args = ["build", "--format", "json"]
    assert runner.invoke(main, args).stderr.startswith("built out/brief.json: ")
    result = runner.invoke(main, args)
    assert result.exit_code == 0
    assert result.stderr.startswith("up to date: out/brief.json unchanged (")
    assert runner.invoke(main, [*args, "-q"]).stderr == ""


def _edit_input(project):
    (project / "evidence.csv").write_text(OLD.replace("a definitive trial", "a trial"), "utf-8")
    return {}


def _edit_rubric(project):
    (project / "rubric.toml").write_text(default_rubric_text() + "\n# edited\n", "utf-8")
    return {"rubric_path": project / "rubric.toml"}


def _edit_templates(project):
    folder = project / "templates"
    folder.mkdir()
    page = resources.files("grader.templates").joinpath("_page1.html.j2").read_text("utf-8")
    (folder / "_page1.html.j2").write_text(page, encoding="utf-8")
    assert not build_brief(_options(project, templates_dir=folder)).skipped
    (folder / "_page1.html.j2").write_text(page + "<!-- edited -->\n", encoding="utf-8")
    return {"templates_dir": folder}


def _edit_settings(project):
    (project / "grader.toml").write_text('title = "Another title"\n', encoding="utf-8")
    return {}


def _other_title(project):
    return {"title": "A new title"}


def _other_formats(project):
    return {"formats": ("json",)}


def _force(project):
    return {"force": True}


def _delete_an_output(project):
    (project / "out" / "brief.md").unlink()
    return {}


def _corrupt_an_output(project):
    (project / "out" / "brief.json").write_text("{}")
    return {}


@pytest.mark.parametrize("change", [_edit_input, _edit_rubric, _edit_templates, _edit_settings,
                                    _other_title, _other_formats, _force, _delete_an_output,
                                    _corrupt_an_output])
def test_anything_that_shapes_the_outputs_rebuilds(project, change):
    assert not build_brief(_options(project)).skipped
    options = change(project)
    assert not build_brief(_options(project, **options)).skipped


# --- kill -9 in the middle of rendering ----------------------------------------------------


def big_csv(positions: int) -> str:
    """A valid evidence table large enough that rendering its PDF takes several seconds."""
    names = [c.name for c in COLUMNS]
    designs = ("rct", "cohort", "case_series", "meta_analysis", "editorial", "crossover_rct")
    lines = [",".join(names)]
    for p in range(positions):
        for k in range(3):
            row = dict.fromkeys(names, "")
            row.update(position_id=f"p{p}", study_id=f"S{p}x{k}",
                       citation=f"Author {p}-{k}. Study {k} of claim {p}. J Ex 2020;1:{k}.",
                       design=designs[(p + k) % len(designs)], n=str(20 + 37 * (p + k)),
                       stance="opposes" if k == 1 else "supports")
            if k == 0:
                row.update(position=f"Claim {p} about drug X holds in population {p % 7}.",
                           advocate=f"Advocate {p % 5}")
            lines.append(",".join(row[name] for name in names))
    return "\n".join(lines) + "\n"


def _read_until(fd: int, process: subprocess.Popen, wanted: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        if process.poll() is not None:
            pytest.fail(f"the build ended before it could be killed: {seen!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {wanted!r} on stderr after {timeout} s: {seen!r}")
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            seen += os.read(fd, 4096)
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal and SIGKILL")
def test_kill_9_while_rendering_keeps_the_previous_outputs(tmp_path):
    import pty

    out = tmp_path / "out"
    (tmp_path / "small.csv").write_text(OLD, encoding="utf-8")
    previous = BuildOptions(csv=tmp_path / "small.csv", out_dir=out, formats=("pdf", "json"))
    build_brief(previous)
    before = snapshot(out)
    (tmp_path / "big.csv").write_text(big_csv(60), encoding="utf-8")

    # stderr on a terminal, so the build shows its stages once it has run for ~2 s.
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "build", str(tmp_path / "big.csv"), "--out", str(out),
         "--format", "pdf,json"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=follower)
    os.close(follower)
    try:
        seen = _read_until(leader, process, b"grader: rendering", timeout=60)
        assert b"writing" not in seen
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)

    # Same files, same bytes, not even a stray temporary file.
    assert snapshot(out) == before
    # And the manifest still describes them, so the next build can trust it.
    manifest = json.loads((out / write.MANIFEST).read_bytes())
    assert manifest["outputs"] == {name: len(before[name][0])
                                   for name in ("brief.pdf", "brief.json")}
