"""Outputs replaced as a set: disk full, kill -9, Ctrl-C and two builds never mix two sets."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import time

import pytest

from grader import write
from grader.build import BuildOptions, build_brief
from grader.errors import GraderError
from grader.scaffold import starter_csv

OLD = starter_csv()
NEW = OLD.replace(",240,", ",8,")
FORMATS = ("html", "json", "md")


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")


def _options(project, **changes) -> BuildOptions:
    return BuildOptions(**{"csv": project / "evidence.csv", "out_dir": project / "out",
                           "formats": FORMATS, **changes})


def contents(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def sets(tmp_path):
    """The old and the new output sets (with their records), built once each."""
    found = {}
    for label, text in (("new", NEW), ("old", OLD)):
        (tmp_path / "evidence.csv").write_text(text, encoding="utf-8")
        build_brief(_options(tmp_path, force=True))
        found[label] = contents(tmp_path / "out")
    assert found["old"].keys() == found["new"].keys()
    return tmp_path, found


def assert_whole_set(folder, found, allow_pending=False) -> str:
    """The folder holds exactly the old or exactly the new set; say which."""
    now = contents(folder)
    if allow_pending and write.JOURNAL in now:
        return "pending"
    for label, files in found.items():
        if now == files:
            return label
    outputs = {n: (n in found["old"] and now.get(n) == found["old"][n],
                   n in found["new"] and now.get(n) == found["new"][n]) for n in now}
    pytest.fail(f"a mix of sets (name: (is old, is new)): {outputs}")


# --- disk full at every step --------------------------------------------------------------


def _fail_at(monkeypatch, target, step: int, exc: BaseException):
    """Make the step-th call of write.<target> (or os.<target>) raise exc."""
    module = write if hasattr(write, target) and target.startswith("_") else os
    real = getattr(module, target)
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == step:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(module, target, failing)
    return calls


ENOSPC = OSError(errno.ENOSPC, "No space left on device")


# os.fsync: the three outputs, the journal, the folder, the record, the folder again.
@pytest.mark.parametrize("target,step", [*(("fsync", n) for n in range(1, 8)),
                                         ("_write_temp", 1), ("_write_temp", 4),
                                         ("_write_temp", 5),
                                         ("replace", 1), ("replace", 2), ("replace", 3),
                                         ("replace", 4), ("replace", 5)])
@pytest.mark.parametrize("exc", [ENOSPC, KeyboardInterrupt()], ids=["ENOSPC", "SIGINT"])
def test_a_failure_at_any_step_leaves_one_whole_set(sets, monkeypatch, target, step, exc):
    project, found = sets
    (project / "evidence.csv").write_text(NEW, encoding="utf-8")
    with monkeypatch.context() as patch:
        _fail_at(patch, target, step, exc)
        with contextlib.suppress(GraderError, OSError, KeyboardInterrupt):
            build_brief(_options(project))
    state = assert_whole_set(project / "out", found, allow_pending=True)
    if state == "old":
        # Nothing was replaced, not even the record: the old set is still "up to date".
        (project / "evidence.csv").write_text(OLD, encoding="utf-8")
        assert build_brief(_options(project)).skipped
    # The next build repairs whatever was left, even when its input is invalid.
    (project / "evidence.csv").write_text(OLD.replace(",cohort,", ",cohrot,"), "utf-8")
    with contextlib.suppress(Exception):
        build_brief(_options(project))
    assert assert_whole_set(project / "out", found) in ("old", "new")
    (project / "evidence.csv").write_text(NEW, encoding="utf-8")
    build_brief(_options(project))
    assert contents(project / "out") == found["new"]


def test_a_failure_among_the_renames_is_reported_and_repaired(sets, monkeypatch):
    project, found = sets
    (project / "evidence.csv").write_text(NEW, encoding="utf-8")
    with monkeypatch.context() as patch:
        _fail_at(patch, "replace", 3, ENOSPC)  # the journal, then one output, then this
        with pytest.raises(GraderError, match="run the build again"):
            build_brief(_options(project))
    assert write.JOURNAL in contents(project / "out")
    # The next build finishes the renames, and then has nothing left to do.
    assert build_brief(_options(project)).skipped
    assert contents(project / "out") == found["new"]


def _mount_tmpfs(path, size: str) -> bool:
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def tiny_disk(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "16m"):
        pytest.skip("needs root to mount a tmpfs (the monkeypatched faults cover the rest)")
    yield disk
    subprocess.run(["umount", str(disk)], check=False)


def test_a_really_full_disk_leaves_one_whole_set(sets, tiny_disk):
    """A real tmpfs filled to leave 0 … enough bytes free before each new build."""
    project, found = sets
    out = tiny_disk / "out"
    (project / "evidence.csv").write_text(OLD, encoding="utf-8")
    build_brief(_options(project, out_dir=out, force=True))
    found = {"old": contents(out), "new": None}
    (project / "evidence.csv").write_text(NEW, encoding="utf-8")
    new_size = sum(len(v) for v in found["old"].values())
    for free in (0, 4096, 8192, new_size // 2, new_size, 2 * new_size):
        filler = tiny_disk / "filler"
        stat = os.statvfs(tiny_disk)
        filler.write_bytes(b"x" * max(0, stat.f_bavail * stat.f_frsize - free))
        try:
            build_brief(_options(project, out_dir=out))
        except (GraderError, OSError):
            pass
        filler.unlink()
        now = contents(out)
        if found["new"] is None and now != found["old"]:
            found["new"] = now  # the first success: the new set
        assert now in (found["old"], found["new"]), f"a mix with {free} bytes free"
    build_brief(_options(project, out_dir=out))
    assert not any(n.startswith(write.TEMP_PREFIX) for n in os.listdir(out))


# --- stale temporary files -----------------------------------------------------------------


def test_every_build_removes_stale_temporary_files(sets):
    project, found = sets
    out = project / "out"
    stale = [".brief.pdf.k3j_x9.tmp", ".grader-build.json.abc.tmp",
             f"{write.TEMP_PREFIX}brief.md-q1w2e3"]
    for name in stale:
        (out / name).write_bytes(b"half a file")
    (out / "notes.tmp").write_bytes(b"the user's own file")
    (project / "evidence.csv").write_text(OLD, encoding="utf-8")
    assert build_brief(_options(project)).skipped  # even a build that has nothing to do
    assert contents(out) == {**found["old"], "notes.tmp": b"the user's own file"}


# --- kill -9 and SIGINT at any moment; two builds at once ----------------------------------


def _build_process(project, csv_name, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "grader", "build", str(project / csv_name), "--out",
         str(project / "out"), "--format", ",".join(FORMATS), "-q", *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1780000000"})


def _named_sets(project) -> dict[str, dict[str, bytes]]:
    """Write new.csv and old.csv; the set each builds (the input's name is in the outputs)."""
    found = {}
    for label, text in (("new", NEW), ("old", OLD)):
        (project / f"{label}.csv").write_text(text, encoding="utf-8")
        build_brief(_options(project, csv=project / f"{label}.csv", force=True))
        found[label] = contents(project / "out")
    return found


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_kill_9_at_many_moments_never_leaves_a_mix_after_the_next_build(tmp_path):
    project, found = tmp_path, _named_sets(tmp_path)
    # Alternate old → new → old so every kill interrupts a real replacement.
    for number, delay in enumerate((0.2, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0)):
        name = "new.csv" if number % 2 == 0 else "old.csv"
        process = _build_process(project, name, "--force")
        time.sleep(delay)
        process.kill()
        process.wait()
        process.stderr.close()
        write.recover(project / "out")
        assert assert_whole_set(project / "out", found) in ("old", "new")
        build_brief(_options(project, csv=project / name))
        assert contents(project / "out") == found[name[:3]]


def test_two_builds_at_once_each_land_whole(tmp_path):
    project, found = tmp_path, _named_sets(tmp_path)
    for _ in range(3):
        processes = [_build_process(project, name, "--force") for name in ("new.csv",
                                                                          "old.csv")]
        for process in processes:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
        assert assert_whole_set(project / "out", found) in ("old", "new")
        manifest = json.loads((project / "out" / write.MANIFEST).read_bytes())
        assert manifest["outputs"].keys() == {f"brief.{f}" for f in FORMATS}


# --- --templates: the fingerprint stays inside the folder --------------------------------


def _templates(project):
    folder = project / "templates"
    folder.mkdir()
    (folder / "brief.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    return folder


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symbolic links")
def test_the_template_fingerprint_never_opens_a_file_outside_the_folder(sets):
    import threading

    project, _ = sets
    folder = _templates(project)
    outside = project / "outside"
    outside.mkdir()
    os.mkfifo(outside / "pipe")  # opening it would block the build forever
    (folder / "_unused.html.j2").symlink_to(outside / "pipe")
    big = outside / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(3 * 10**9)  # 3 GB, sparse
    (folder / "logo.png").symlink_to(big)
    options = _options(project, templates_dir=folder, formats=("md",))
    done = []
    thread = threading.Thread(target=lambda: done.append(build_brief(options)), daemon=True)
    thread.start()
    thread.join(60)
    assert done, "the build opened the FIFO outside the templates folder"
    assert build_brief(options).skipped


def test_a_large_file_in_the_templates_folder_is_not_read(sets):
    project, _ = sets
    folder = _templates(project)
    with (folder / "scan.tiff").open("wb") as handle:
        handle.truncate(10**10)  # hashing 10 GB takes many seconds, hashing its size none
    options = _options(project, templates_dir=folder, formats=("md",))
    build_brief(options)
    started = time.perf_counter()
    assert build_brief(options).skipped
    assert time.perf_counter() - started < 2
    os.utime(folder / "scan.tiff", ns=(1, 1))  # a changed resource rebuilds
    assert not build_brief(options).skipped
    (folder / "brief.css").write_text("body { color: #654321; }\n", encoding="utf-8")
    assert not build_brief(options).skipped  # and so does a changed stylesheet
