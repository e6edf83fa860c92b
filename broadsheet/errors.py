"""Problems found in a site, and the one exception that carries them to the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a site's input, located as precisely as we know."""

    path: str
    line: int | None
    message: str
    hint: str = ""
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {'warning: ' if self.warning else ''}{self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class SiteError(Exception):
    """A user's mistake: one or more problems that stop the build."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        super().__init__("\n".join(str(p) for p in self.problems))


def fail(path: str, line: int | None, message: str, hint: str = "") -> SiteError:
    """Shorthand for a SiteError with a single problem."""
    return SiteError(Problem(path, line, message, hint))
