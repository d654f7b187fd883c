"""Inputs that are not regular files, reads bounded by --max-size, and the size option."""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import unicodedata

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.errors import InvalidInput
from grader.read import read_bounded, read_table

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices, sockets")


def _fifo(tmp_path):
    path = tmp_path / "e.csv"
    os.mkfifo(path)
    return path, "a FIFO (named pipe)"


def _device(tmp_path):
    return "/dev/zero", "a character device"


def _socket(tmp_path):
    path = tmp_path / "s.csv"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))  # the socket's node stays after it is closed
    return path, "a socket"


KINDS = {"fifo": _fifo, "device": _device, "socket": _socket}


def _with_timeout(func, seconds=10):
    """Run func in a thread; fail (instead of hanging the suite) if it blocks."""
    outcome = {}

    def target():
        try:
            outcome["value"] = func()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still reading after {seconds} s (blocked on a FIFO?)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("command", ["check", "score", "build", "diff", "extract"])
def test_not_a_regular_file_is_wrong_usage_naming_what_it_is(tmp_path, kind, command):
    path, what = KINDS[kind](tmp_path)
    good = tmp_path / "good.csv"
    good.write_text("position_id\n", encoding="utf-8")
    args = {"check": ["check", str(path), "--max-size", "1"],
            "score": ["score", str(path)],
            "build": ["build", str(path), "--out", str(tmp_path / "out")],
            "diff": ["diff", str(good), str(path)],
            "extract": ["extract", str(path), "-o", str(tmp_path / "x.csv")]}[command]
    result = _with_timeout(lambda: CliRunner().invoke(main, args))
    assert result.exit_code == 2, result.output
    assert f"is {what}, not a regular file" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_library_refuses_them_before_reading(tmp_path, kind):
    path, what = KINDS[kind](tmp_path)
    with pytest.raises(InvalidInput, match=re.escape(f"is {what}, not a regular file")):
        _with_timeout(lambda: read_table(path, max_bytes=1))


def test_a_read_stops_at_the_limit_whatever_st_size_says():
    # /proc files are regular files whose st_size is 0, whatever they hold.
    path = "/proc/self/maps"
    if not os.path.exists(path) or os.stat(path).st_size != 0:
        pytest.skip("needs Linux /proc")
    with pytest.raises(InvalidInput, match="file has more than 10 bytes, over the 10 bytes "
                                           "limit; pass --max-size MB"):
        read_bounded(path, 10)
    assert len(read_bounded(path, 10_000_000)) > 10


def test_a_file_that_grows_after_the_size_check_is_bounded(tmp_path, monkeypatch):
    path = tmp_path / "e.csv"
    path.write_bytes(b"x" * 100)
    real_stat, real_fstat = os.stat, os.fstat

    class Shrunk:  # what the file system said before the file grew
        def __init__(self, info):
            self.st_mode, self.st_size = info.st_mode, 5

    monkeypatch.setattr(os, "stat", lambda p, **kw: Shrunk(real_stat(p, **kw)))
    monkeypatch.setattr(os, "fstat", lambda fd: Shrunk(real_fstat(fd)))
    with pytest.raises(InvalidInput, match="more than 50 bytes"):
        read_bounded(path, 50)
    monkeypatch.undo()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "-1", "abc", ""])
@pytest.mark.parametrize("command", ["check", "score", "build", "diff", "extract"])
def test_max_size_must_be_a_finite_size(tmp_path, value, command):
    good = tmp_path / "good.csv"
    good.write_text("position_id\n", encoding="utf-8")
    args = {"check": ["check", str(good)], "score": ["score", str(good)],
            "build": ["build", str(good), "--out", str(tmp_path / "out")],
            "diff": ["diff", str(good), str(good)],
            "extract": ["extract", str(good), "-o", str(tmp_path / "x")]}[command]
    result = CliRunner().invoke(main, [*args, "--max-size", value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--max-size': {value!r} is not a size in megabytes" \
        in result.stderr
    assert "internal error" not in result.output


def test_max_size_zero_and_fractions_still_work(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("position_id\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(good), "--max-size", "0.000001"])
    assert result.exit_code == 1
    assert "over the 1 bytes limit" in result.stderr


# --- NFC: one spelling of a name --------------------------------------------------------


def test_nfc_and_nfd_spellings_are_one_value(tmp_path, rows):
    nfc = "Schätzberg"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    path = tmp_path / "e.csv"
    path.write_text(rows({"advocate": nfc}, {"advocate": nfd, "study_id": "Roe2019"}),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert f"'{nfc}'" not in result.stderr  # no conflict between two identical-looking names
    assert '"advocate": "Schätzberg"' in result.stdout
    # The bytes attached to the brief and hashed stay as typed.
    assert read_table(path).data == path.read_bytes()
