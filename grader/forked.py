"""One stage of a build run in a forked child, so that the memory of its imports ends with it.

Why: a build's data stage (read, validate, rate, judge, Jinja, JSON, docx) imports pandas,
numpy and pandera, 72 MB resident that nothing after it uses, and a process cannot give
imported modules back. Run in a child that exits before WeasyPrint starts, they are gone
when the render reaches its own peak: the seed brief's peak falls from the two added
together (about 200 MB) to the larger of the two (BENCHMARKS.md, issue 18). The child is
forked, not started afresh, so it pays no interpreter start-up or imports of its own.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import TypeVar

from grader.errors import GraderError

T = TypeVar("T")
logger = logging.getLogger("grader.build")


def can_fork() -> bool:
    """Whether forking is safe here: on Linux (macOS forbids it some libraries), one thread."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


class ChildTraceback(Exception):
    """The forked child's traceback, as the cause of the exception it raised."""

    def __str__(self) -> str:
        return "\n" + self.args[0]


def run_forked(stage: Callable[[Callable[[str], None]], T],
               progress: Callable[[str], None]) -> T:
    """stage(progress) run in a forked child: its result, or its exception raised here.

    The child reports each stage's name to `progress` in this process and sends back one
    pickled result. If it dies without one (a signal, the out-of-memory killer), that is a
    GraderError; if this process is interrupted, the child is stopped before it returns.
    If no child can be had (fork refused: too many processes, no memory to map one), the
    stage runs here: the same result, without the memory the child would have freed.
    """
    from multiprocessing.connection import Pipe

    receiver, sender = Pipe(duplex=False)
    try:
        pid = os.fork()
    except OSError as exc:
        receiver.close()
        sender.close()
        # Said, because the render then peaks with pandas still resident (an out-of-memory
        # kill later on would otherwise be a mystery).
        logger.warning("could not fork the build's data stage (%s); running it in this "
                       "process", exc.strerror or exc)
        return stage(progress)
    if pid == 0:  # the child: nothing it does may return into the parent's code
        try:
            receiver.close()
            _run_child(stage, sender)
        finally:
            os._exit(0)
    sender.close()
    child = "running"  # then "answered" (it sent its last message) or "reaped"
    try:
        while True:
            try:
                kind, value, *detail = receiver.recv()
            except EOFError:
                ending = _ending(pid)
                child = "reaped"
                raise GraderError(f"the build's data stage ended without a result "
                                  f"({ending})") from None
            if kind == "stage":
                progress(value)
                continue
            child = "answered"
            if kind == "result":
                return value
            raise value from ChildTraceback(detail[0])
    finally:
        receiver.close()
        if child == "running":
            os.kill(pid, signal.SIGKILL)
        if child != "reaped":
            os.waitpid(pid, 0)


def _run_child(stage, sender) -> None:
    """Run the stage and send its stages, then its result or exception, to the parent."""
    try:
        sender.send(("result", stage(lambda name: sender.send(("stage", name)))))
    except BaseException as exc:  # noqa: BLE001 - every ending is the parent's to report
        text = traceback.format_exc()
        try:
            # It must also rebuild there: an exception whose __init__ wants more than its
            # args pickles here and fails to unpickle in the parent, losing the error.
            pickle.loads(pickle.dumps(exc))
            sender.send(("error", exc, text))
        except Exception:  # noqa: BLE001 - an exception that does not travel: its words
            sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), text))


def _ending(pid: int) -> str:
    """How the child ended, in words, once it has (reaping it)."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return f"stopped by {name}" + (": out of memory?" if name == "SIGKILL" else "")
    return f"exit status {os.waitstatus_to_exitcode(status)}"
