"""Problems found in a site, and the one exception that carries them to the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# What an unforeseen failure on one file says besides what happened: the user can do no more than report it.
UNEXPECTED_HINT = "an unexpected error, in Broadsheet or a library it uses: please report it; --debug shows where"


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


def describe(error: BaseException) -> str:
    """An exception as one line: its type and message; the system's message and its file for a refused file
    operation (an OSError: a full disk, a missing permission)."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return " ".join(f"{type(error).__name__}: {error}".split())


def unexpected(path: str, description: str, line: int | None = None, by_system: bool = False) -> Problem:
    """A failure no check foresaw (see describe), on one file, as a problem of that file; `by_system`: an OSError,
    which says what to do itself (free some space), where another is for a bug report."""
    return Problem(path, line, f"failed: {description}", "" if by_system else UNEXPECTED_HINT)


def problem_of(path: str, error: Exception, line: int | None = None) -> Problem:
    """An unforeseen exception raised on one file, as a problem of that file; its traceback is logged (--debug)."""
    import logging  # (here: a build with nothing to do imports no logging)

    logging.getLogger(__name__).debug("%s failed", path, exc_info=error)
    return unexpected(path, describe(error), line, isinstance(error, OSError))
