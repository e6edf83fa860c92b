"""What a long build or check tells the person waiting: live progress, what was rebuilt and why, the summary line.

The pipeline calls a `Reporter`'s few hooks (`step`, `done`, `rebuilt`) and never prints; how that is shown is
decided here (Lektor's Reporter): a quiet one for the preview server and for tests, a console one for the CLI, a
recording one for tests that assert on events. Light to import: `broadsheet build` with nothing to do imports it
for the summary line, so it uses nothing but the standard library's smallest modules.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

MYPY = False
if MYPY:  # (for the type checker only: importing typing costs a build with nothing to do a few milliseconds)
    from typing import TextIO

# The steps a build or check reports, with the words for its progress line.
STEPS = {"parse": ("parsed", "articles"), "render": ("rendered", "pages"), "check": ("checked", "pages")}
REDRAW_EVERY = 0.1  # seconds between two redraws of the progress line


class Reporter:
    """Keeps quiet: the hooks a build calls, doing nothing (the preview server's and tests' reporter)."""

    verbose = False  # whether the build should work out why it rebuilds what it does (see `rebuilt`)

    def step(self, name: str, total: int) -> None:
        """A step of the build begins: `total` items (articles to parse, pages to render) to go."""

    def done(self, label: str) -> None:
        """One item of the current step is finished."""

    def rebuilt(self, label: str, why: str) -> None:
        """An article is parsed again or a page rendered again, and why (only called when `verbose`)."""

    def finish(self) -> None:
        """The work is over (successful or not): clear whatever is on screen."""


class RecordingReporter(Reporter):
    """Keeps every event, for tests."""

    verbose = True

    def __init__(self) -> None:
        self.events: list[tuple[str, str, object]] = []

    def step(self, name: str, total: int) -> None:
        self.events.append(("step", name, total))

    def done(self, label: str) -> None:
        self.events.append(("done", label, None))

    def rebuilt(self, label: str, why: str) -> None:
        self.events.append(("rebuilt", label, why))

    def finish(self) -> None:
        self.events.append(("finish", "", None))


class ConsoleReporter(Reporter):
    """Prints to a stream (standard error): with `live`, one progress line replaced as the work goes on (a
    terminal); with `verbose`, a line for every article parsed and page rendered, saying why."""

    def __init__(self, stream: TextIO, live: bool, verbose: bool = False) -> None:
        self.stream, self.live, self.verbose = stream, live, verbose
        self.started = time.monotonic()
        self.counts: dict[str, list[int]] = {}  # step: [done, total]
        self.current = ""
        self.step_started = self.started
        self.drawn_at = 0.0
        self.shown = False

    def step(self, name: str, total: int) -> None:
        self.counts[name] = [0, total]
        self.current, self.step_started = name, time.monotonic()
        self._draw(force=True)

    def done(self, label: str) -> None:
        if self.current:
            self.counts[self.current][0] += 1
        self._draw()

    def rebuilt(self, label: str, why: str) -> None:
        self._clear()
        self.stream.write(f"  {label}: {why}\n")
        self._draw(force=True)

    def finish(self) -> None:
        self._clear()
        self.stream.flush()

    def line(self, now: float) -> str:
        """The progress line as of `now` (time.monotonic)."""
        parts = [f"{STEPS[name][0]} {done:,} of {total:,} {STEPS[name][1]}"
                 for name, (done, total) in self.counts.items()]
        text = ", ".join(parts)
        text = text[:1].upper() + text[1:] + f" · {now - self.started:.1f} s"
        done, total = self.counts.get(self.current, [0, 0])
        if 0 < done < total:
            left = (now - self.step_started) / done * (total - done)
            text += f", about {left:.0f} s left" if left >= 1 else ", less than a second left"
        return text

    def _draw(self, force: bool = False) -> None:
        if not self.live or not self.counts:
            return
        now = time.monotonic()
        if not force and now - self.drawn_at < REDRAW_EVERY:
            return
        self.drawn_at, self.shown = now, True
        self.stream.write("\r\x1b[K" + self.line(now))
        self.stream.flush()

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.shown = False


def _count(number: int, word: str) -> str:
    return f"{number:,} {word}{'s' * (number != 1)}"


def seconds_text(seconds: float) -> str:
    """A duration as the summary line shows it: 0.12 s, 9.8 s, 125 s."""
    return f"{seconds:.2f} s" if seconds < 1 else f"{seconds:.1f} s" if seconds < 100 else f"{seconds:.0f} s"


def moment_text(moment: datetime) -> str:
    """A moment in UTC to the minute: 2026-12-08 06:00 UTC."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def summary_line(pages: int, articles: int, seconds: float, drafts: int = 0, scheduled: int = 0, expired: int = 0,
                 next_publication: datetime | None = None) -> str:
    """The one line printed after a build: what was built and what was left out, naming no unpublished article."""
    line = f"Built {_count(pages, 'page')} from {_count(articles, 'article')} in {seconds_text(seconds)}"
    left = [text for n, text in ((drafts, _count(drafts, "draft")), (scheduled, f"{scheduled:,} scheduled"),
                                 (expired, f"{expired:,} expired")) if n]
    if not left:
        return line
    due = f"; next publication {moment_text(next_publication)}" if next_publication is not None else ""
    return f"{line} ({', '.join(left)}{due})"
