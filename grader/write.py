"""Write outputs as a set, and remember what built them so unchanged rebuilds skip.

A build's outputs are first written in full to temporary files in the output folder
(`.grader-tmp-<name>-<random>`), fsynced; only then is a journal (`.grader-pending.json`)
written that lists them, the old build record removed, each temporary file renamed into
place, and the new record written last. So:

- a failure (disk full, Ctrl-C, kill -9) before the journal leaves the old set and the
  old record untouched; the temporary files are removed at once, or by the next build;
- a failure among the renames leaves the journal, which the next build (even one whose
  input is invalid) rolls forward first: the folder then holds the complete new set;
- two builds into the same folder take turns: the write phase holds an exclusive
  `flock` on the folder itself, so each set lands whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from grader.errors import GraderError

MANIFEST = ".grader-build.json"
JOURNAL = ".grader-pending.json"
TEMP_PREFIX = ".grader-tmp-"
# Names the first versions used for their temporary files (`.brief.pdf.x1y2.tmp`).
_OLD_TEMP_PREFIXES = (".brief.", f"{MANIFEST}.")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp(folder: Path, name: str, data: bytes) -> Path:
    """Write data to a new `.grader-tmp-<name>-<random>` file in folder, fsynced."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{name}-")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path.parent, path.name, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder (flock on the folder itself)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock, renames still atomic
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _is_temp(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) or (
        name.startswith(_OLD_TEMP_PREFIXES) and name.endswith(".tmp"))


def remove_stale_temps(folder: Path) -> None:
    """Remove temporary files a killed build left behind (call under the folder lock)."""
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            if _is_temp(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


def _roll_forward(folder: Path) -> None:
    """Finish the renames of a build stopped among them (the journal lists them)."""
    journal = folder / JOURNAL
    try:
        pending = json.loads(journal.read_bytes())
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        pending = None  # unreadable: the next full build rewrites everything
    if pending:
        for tmp, name in pending["renames"]:
            if (folder / tmp).is_file():
                os.replace(folder / tmp, folder / name)
        _fsync_dir(folder)
        write_atomic(folder / MANIFEST, json.dumps(pending["manifest"], indent=2).encode())
    journal.unlink()
    _fsync_dir(folder)


def recover(out_dir: Path) -> None:
    """Repair what a stopped build left: finish its renames, remove its temporary files."""
    if not out_dir.is_dir():
        return
    names = os.listdir(out_dir)
    if JOURNAL not in names and not any(_is_temp(n) for n in names):
        return  # the usual case: nothing to do, and nothing touched
    with folder_lock(out_dir):
        _roll_forward(out_dir)
        remove_stale_temps(out_dir)


def write_outputs(out_dir: Path, outputs: dict[str, bytes], fingerprint: str) -> None:
    """Replace the outputs as a set; record the fingerprint last (see the module's text)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"fingerprint": fingerprint,
                "outputs": {name: len(data) for name, data in outputs.items()}}
    with folder_lock(out_dir):
        _roll_forward(out_dir)
        remove_stale_temps(out_dir)
        temps: dict[str, Path] = {}
        try:
            for name, data in outputs.items():
                temps[name] = _write_temp(out_dir, name, data)
            journal = {"renames": [[t.name, n] for n, t in temps.items()],
                       "manifest": manifest}
            write_atomic(out_dir / JOURNAL, json.dumps(journal).encode())
        except BaseException:
            for tmp in temps.values():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            raise
        # From here on the new set is complete on disk: finish it, or leave the journal.
        try:
            with contextlib.suppress(FileNotFoundError):
                (out_dir / MANIFEST).unlink()
            for name, tmp in temps.items():
                os.replace(tmp, out_dir / name)
            _fsync_dir(out_dir)
            write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2).encode())
            (out_dir / JOURNAL).unlink()
            _fsync_dir(out_dir)
        except OSError as exc:
            raise GraderError(
                f"{out_dir}: the outputs were written but not all put in place "
                f"({exc.strerror or exc}); run the build again to finish replacing "
                "them") from None


def up_to_date(out_dir: Path, fingerprint: str, names: list[str]) -> bool:
    """True when the last build had this fingerprint and its outputs are still there."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return False
    if (out_dir / JOURNAL).exists() or manifest.get("fingerprint") != fingerprint:
        return False
    sizes = manifest.get("outputs", {})
    return all(name in sizes and (out_dir / name).is_file()
               and (out_dir / name).stat().st_size == sizes[name] for name in names)
