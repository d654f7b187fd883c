"""Write outputs atomically, and remember what built them so unchanged rebuilds skip."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

MANIFEST = ".grader-build.json"


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_outputs(out_dir: Path, outputs: dict[str, bytes], fingerprint: str) -> None:
    """Replace each output atomically; record the fingerprint last.

    The old record goes first: a build stopped between two outputs leaves a mix of old
    and new files, which the next build must not mistake for up to date.
    """
    with contextlib.suppress(FileNotFoundError):
        (out_dir / MANIFEST).unlink()
    for name, data in outputs.items():
        write_atomic(out_dir / name, data)
    manifest = {"fingerprint": fingerprint,
                "outputs": {name: len(data) for name, data in outputs.items()}}
    write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2).encode())


def up_to_date(out_dir: Path, fingerprint: str, names: list[str]) -> bool:
    """True when the last build had this fingerprint and its outputs are still there."""
    try:
        manifest = json.loads((out_dir / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return False
    if manifest.get("fingerprint") != fingerprint:
        return False
    sizes = manifest.get("outputs", {})
    return all(name in sizes and (out_dir / name).is_file()
               and (out_dir / name).stat().st_size == sizes[name] for name in names)
