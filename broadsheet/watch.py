"""Watching a site's sources for changes: which paths matter, and bursts of events coalesced into one batch."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from broadsheet.config import CONFIG_FILE
from broadsheet.content import CONTENT_DIR, IGNORED_SUFFIXES, SOURCE_SUFFIXES, is_ignored_name, is_section_index
from broadsheet.theme import STATIC_DIR, TEMPLATES_DIR

log = logging.getLogger(__name__)

WATCHED_DIRS = (CONTENT_DIR, TEMPLATES_DIR, STATIC_DIR)
# Events that can change what a build reads; opened/closed/attribute events cannot.
CHANGE_EVENTS = (FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
                 DirCreatedEvent, DirDeletedEvent, DirMovedEvent)
# How long the sources must stay quiet before a burst of events (an editor's save, a git checkout) is built,
# and the longest a batch waits for that quiet when files keep changing.
QUIET_SECONDS = 0.05
MAX_WAIT_SECONDS = 1.0
POLL_SECONDS = 0.5


def is_editor_file(name: str) -> bool:
    """Editor temp and backup files: Vim's .swp and 4913, Emacs's .#lock and backup~, hidden files."""
    return name.startswith(".") or name.endswith(IGNORED_SUFFIXES) or name == "4913"


def is_relevant(relative: str, is_dir: bool = False) -> bool:
    """Whether a change at this site-relative path can change the built site."""
    parts = relative.split("/")
    if parts == [CONFIG_FILE] or (is_dir and parts[0] in WATCHED_DIRS and len(parts) == 1):
        return True
    if len(parts) < 2 or parts[0] not in WATCHED_DIRS or any(is_editor_file(part) for part in parts[1:]):
        return False
    if parts[0] == CONTENT_DIR:
        # Content folders and files are read, and a section's _index.md; of other files, those that may be a page
        # bundle's (content/<section>/<bundle>/…), published beside its page. (An editor's temporary file beside an
        # article is none of these.)
        if any(is_ignored_name(part) for part in parts[1:]):
            return is_section_index(relative)
        return is_dir or parts[-1].endswith(SOURCE_SUFFIXES) or len(parts) >= 4
    if parts[0] == STATIC_DIR:
        return not any(is_ignored_name(part) for part in parts[1:])
    return True


class ChangeQueue(FileSystemEventHandler):
    """Collects relevant changed paths from watchdog's thread; the build loop takes them in batches."""

    def __init__(self, site_dir: Path):
        self.root = os.path.abspath(site_dir)
        self._changed: dict[str, None] = {}
        self._first = 0.0
        self._last = 0.0
        self._cond = threading.Condition()
        self._closed = False

    def _relative(self, path: str | bytes) -> str | None:
        path = os.fsdecode(path)
        if not path.startswith(self.root + os.sep):
            return None
        return path[len(self.root) + 1:].replace(os.sep, "/")

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not isinstance(event, CHANGE_EVENTS):
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        relevant = [r for r in map(self._relative, filter(None, paths)) if r and is_relevant(r, event.is_directory)]
        if relevant:
            self.add(relevant)

    def add(self, relatives: list[str]) -> None:
        """Record changed site-relative paths."""
        with self._cond:
            now = time.monotonic()
            if not self._changed:
                self._first = now
            self._changed.update(dict.fromkeys(relatives))
            self._last = now
            self._cond.notify_all()

    def pending(self) -> bool:
        """Whether changes are waiting to be taken."""
        with self._cond:
            return bool(self._changed)

    def close(self) -> None:
        """Wake a waiting take() for good."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def take(self, timeout: float | None = None) -> list[str]:
        """Wait for a batch: changes followed by QUIET_SECONDS of calm (at most MAX_WAIT_SECONDS after the first).

        Returns [] on timeout or after close().
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                if self._changed:
                    ready = min(self._last + QUIET_SECONDS, self._first + MAX_WAIT_SECONDS)
                    if now >= ready:
                        batch = list(self._changed)
                        self._changed.clear()
                        return batch
                    self._cond.wait(ready - now)
                elif deadline is not None and now >= deadline:
                    return []
                else:
                    self._cond.wait(None if deadline is None else deadline - now)
            return []


def start_watching(site_dir: Path, queue: ChangeQueue, poll: bool = False) -> BaseObserver:
    """Watch content/, templates/, static/ and site.yaml; fall back to polling where native watching fails."""
    site_dir = site_dir.absolute()  # events carry the watched path as given; the queue expects absolute ones
    if not poll:
        try:
            return _start(Observer(), site_dir, queue)
        except OSError as error:
            # inotify's limits (watches, instances) are per user and easily exhausted by other tools.
            print(f"Native file watching is unavailable ({error.strerror or error}); polling for changes instead.")
    return _start(PollingObserver(timeout=POLL_SECONDS), site_dir, queue)


def _start(observer: BaseObserver, site_dir: Path, queue: ChangeQueue) -> BaseObserver:
    handler = _Rescheduler(observer, site_dir, queue)
    observer.schedule(handler, str(site_dir), recursive=False)
    for name in WATCHED_DIRS:
        if (site_dir / name).is_dir():
            observer.schedule(queue, str(site_dir / name), recursive=True)
    observer.daemon = True
    try:
        observer.start()
    except BaseException:
        observer.stop()
        raise
    return observer


class _Rescheduler(FileSystemEventHandler):
    """Watches the site folder itself: site.yaml, and content/ templates/ static/ appearing after the start."""

    def __init__(self, observer: BaseObserver, site_dir: Path, queue: ChangeQueue):
        self.observer, self.site_dir, self.queue = observer, site_dir, queue

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.queue.on_any_event(event)
        target = os.fsdecode(getattr(event, "dest_path", "") or event.src_path)
        name = os.path.basename(target)
        if event.is_directory and isinstance(event, (DirCreatedEvent, DirMovedEvent)) and name in WATCHED_DIRS:
            try:
                self.observer.schedule(self.queue, target, recursive=True)
                self.queue.add([name])
            except OSError as error:
                log.warning("cannot watch %s: %s", target, error)
