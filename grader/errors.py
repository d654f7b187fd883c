"""Problems found in user input, and the exception that carries them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from grader.safe_text import one_line


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in an input file."""

    path: str
    line: int | None
    column: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        parts = [where]
        if self.column:
            parts.append(self.column)
        if self.severity == "warning":
            parts.append("warning")
        parts.append(self.message)
        # One line, always: a newline or escape sequence in a cell or a file name is shown
        # escaped, so no cell can forge a problem line or retitle the terminal.
        return one_line(": ".join(parts))

    def to_dict(self) -> dict:
        """The problem as a JSON-ready record."""
        return asdict(self)


class GraderError(Exception):
    """Base class for errors grader reports to the user without a traceback."""


class InvalidInput(GraderError):
    """The input (CSV, spreadsheet or rubric) has one or more problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem_order(problem: Problem) -> tuple:
    return (problem.path, problem.line or 0, problem.column or "", problem.message)
