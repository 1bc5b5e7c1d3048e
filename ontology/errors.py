"""Errors raised while reading terminology sources."""

from __future__ import annotations

from pathlib import Path

from termnorm_utils.errors import InputError


class SourceError(InputError):
    """A terminology source could not be read: names the file, the line (1-based) and the problem."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")
