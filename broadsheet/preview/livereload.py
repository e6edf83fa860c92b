"""Live reload for the preview: the script injected into served HTML, its events, and the error overlay."""

from __future__ import annotations

import html
import json
import re
import secrets
import selectors
import socket
import threading
import time
from collections.abc import Callable

from broadsheet.base.errors import Problem

EVENTS_PATH = "/__broadsheet/events"
RELOAD, CSS = "reload", "css"
_HISTORY = 64
MAX_STREAMS = 256  # open tabs listening at once; each costs a socket, not a thread
HEARTBEAT_SECONDS = 15.0  # a comment line this often finds out when a tab has gone

# Listens for rebuilds; `seen` is the build the page was served from, so a rebuild that happens between serving
# the page and connecting (or while the server restarts) still reloads it. EventSource reconnects by itself;
# after a refused connection it may give up, so it is opened again.
SCRIPT = """<script>
(() => {
  let seen = %(tag)s, source = null;
  const swapStylesheets = async () => {
    const text = await (await fetch(location.href, {cache: "no-store"})).text();
    const fresh = [...new DOMParser().parseFromString(text, "text/html").querySelectorAll('link[rel="stylesheet"]')];
    const old = [...document.querySelectorAll('link[rel="stylesheet"]')];
    if (fresh.length !== old.length) return location.reload();
    old.forEach((link, i) => { if (link.getAttribute("href") !== fresh[i].getAttribute("href")) link.href = fresh[i].href; });
  };
  const connect = () => {
    source = new EventSource(%(url)s);
    source.addEventListener("hello", (event) => { if (event.data !== seen) location.reload(); });
    source.addEventListener("reload", () => location.reload());
    source.addEventListener("css", (event) => { seen = event.data; swapStylesheets().catch(() => location.reload()); });
    source.onerror = () => { if (source.readyState === EventSource.CLOSED) setTimeout(connect, 1000); };
  };
  connect();
  addEventListener("pagehide", () => source && source.close());
})();
</script>
"""

_STYLE = ("position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.92);color:#fff;"
          "font:16px/1.5 system-ui,sans-serif;padding:2rem")


def problems_html(problems: tuple[Problem, ...]) -> str:
    """The problems of a failed build as an HTML list: `path:line: message (hint)`, one item each."""
    items = "".join(f"<li><code style=\"white-space:pre-wrap\">{html.escape(str(p))}</code></li>" for p in problems)
    return f"<ul>{items}</ul>"


def overlay(problems: tuple[Problem, ...]) -> str:
    """A layer over the last good page that shows why the latest rebuild failed."""
    return (
        f'<div id="broadsheet-error" role="alertdialog" aria-modal="true" aria-labelledby="broadsheet-error-title"'
        f' style="{_STYLE}">\n<h2 id="broadsheet-error-title">The site could not be rebuilt</h2>\n'
        f"{problems_html(problems)}\n<p>Fix the file and save it: this page reloads by itself. "
        "Underneath is the last good build.</p>\n"
        "<button type=\"button\" onclick=\"this.parentNode.remove()\">Show the last good page</button>\n</div>\n"
    )


def error_page(problems: tuple[Problem, ...]) -> str:
    """A whole page for when there is no good build to show yet."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Build failed</title>\n</head>\n'
        f'<body>\n<main>\n<h1>The site could not be built</h1>\n{problems_html(problems)}\n'
        "<p>Fix the file and save it: this page reloads by itself.</p>\n</main>\n</body>\n</html>\n"
    )


def inject(page: bytes, snippet: str) -> bytes:
    """Put snippet before the page's last </body> (or at its end)."""
    data = snippet.encode("utf-8")
    ends = [m.start() for m in re.finditer(rb"</body\s*>", page, re.IGNORECASE)]
    if not ends:
        return page + data
    return page[:ends[-1]] + data + page[ends[-1]:]


class Broadcaster:
    """Numbers the preview's builds and wakes every listening browser after each one."""

    def __init__(self) -> None:
        self.server_id = secrets.token_hex(4)  # a restarted server reloads pages served by the old one
        self.generation = 0
        self._kinds: dict[int, str] = {}
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self.closed = False

    def tag(self, generation: int | None = None) -> str:
        """What the page of a build is told it was served from."""
        return f"{self.server_id}-{self.generation if generation is None else generation}"

    def script(self) -> str:
        """The live-reload script for a page served now."""
        return SCRIPT % {"tag": json.dumps(self.tag()), "url": json.dumps(EVENTS_PATH)}

    def publish(self, kind: str = RELOAD) -> None:
        """Announce a build: RELOAD the pages, or only swap their stylesheets (CSS)."""
        with self._lock:
            self.generation += 1
            self._kinds[self.generation] = kind
            self._kinds.pop(self.generation - _HISTORY, None)
        for listener in self._listeners:
            listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call listener after every build is announced, and on close."""
        self._listeners.append(listener)

    def news(self, seen: int) -> tuple[int, str] | None:
        """What happened since build `seen`: (the latest build, RELOAD or CSS), or None if nothing did."""
        with self._lock:
            if self.generation <= seen:
                return None
            kinds = {self._kinds.get(g, RELOAD) for g in range(seen + 1, self.generation + 1)}
            return self.generation, CSS if kinds == {CSS} else RELOAD

    def close(self) -> None:
        """End every listener's wait, for shutdown."""
        with self._lock:
            self.closed = True
        for listener in self._listeners:
            listener()


def hello(events: Broadcaster, seen: int) -> bytes:
    """The start of an events stream: how long to wait before reconnecting, and the build the stream starts at."""
    return f"retry: 1000\nevent: hello\ndata: {events.tag(seen)}\n\n".encode()


class EventStreams:
    """The browsers listening for builds, all written to by one thread: an open tab costs a socket, not a thread.

    After each build every stream gets `reload` or `css` with the build's tag; a comment line every heartbeat, and
    a look at what each socket reads, find the tabs that have gone.
    """

    def __init__(self, events: Broadcaster, limit: int = MAX_STREAMS, heartbeat: float = HEARTBEAT_SECONDS):
        self.events, self.limit, self.heartbeat = events, limit, heartbeat
        self._lock = threading.Lock()
        self._arrived: list[tuple[socket.socket, int]] = []
        self._count = 0
        self._closed = False
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        events.subscribe(self._wake)
        self._thread = threading.Thread(target=self._run, name="broadsheet-events", daemon=True)
        self._thread.start()

    def full(self) -> bool:
        """Whether no more streams are taken."""
        with self._lock:
            return self._count >= self.limit

    def adopt(self, connection: socket.socket, seen: int) -> bool:
        """Take over a connection that was sent the stream's headers and hello at build `seen`; False when full."""
        with self._lock:
            if self._closed or self.events.closed or self._count >= self.limit:
                return False
            self._count += 1
            self._arrived.append((connection, seen))
        self._wake()
        return True

    def count(self) -> int:
        """How many streams are open."""
        with self._lock:
            return self._count

    def close(self) -> None:
        """Close every stream and end the thread."""
        with self._lock:
            self._closed = True
        self._wake()
        self._thread.join(timeout=5)
        with self._lock:  # any that came after the thread ended (the events closed first)
            for connection, _ in self._arrived:
                connection.close()
            self._arrived = []

    def _wake(self) -> None:
        try:
            self._wake_writer.send(b"!")
        except OSError:  # its buffer is full: the thread has wake-ups enough to read
            pass

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._wake_reader, selectors.EVENT_READ)
        seen: dict[socket.socket, int] = {}
        pinged = time.monotonic()
        try:
            while not self._closed and not self.events.closed:
                for key, _ in selector.select(timeout=self.heartbeat):
                    if key.fileobj is self._wake_reader:
                        _read_all(self._wake_reader)
                    elif not _read_all(key.fileobj):  # type: ignore[arg-type]
                        self._drop(selector, seen, key.fileobj)  # type: ignore[arg-type]
                with self._lock:
                    arrived, self._arrived = self._arrived, []
                for connection, generation in arrived:
                    connection.setblocking(False)
                    selector.register(connection, selectors.EVENT_READ)
                    seen[connection] = generation
                for connection in list(seen):
                    news = self.events.news(seen[connection])
                    if news is not None:
                        seen[connection], kind = news
                        self._send(selector, seen, connection, f"event: {kind}\ndata: {self.events.tag(news[0])}\n\n")
                if time.monotonic() - pinged >= self.heartbeat:
                    pinged = time.monotonic()
                    for connection in list(seen):
                        self._send(selector, seen, connection, ": ping\n\n")
        finally:
            for connection in list(seen):
                self._drop(selector, seen, connection)
            with self._lock:
                for connection, _ in self._arrived:
                    connection.close()
                self._arrived, self._count = [], 0
            selector.close()
            self._wake_reader.close()
            self._wake_writer.close()

    def _send(self, selector: selectors.BaseSelector, seen: dict[socket.socket, int], connection: socket.socket,
              message: str) -> None:
        data = message.encode()
        try:
            sent = connection.send(data)
        except OSError:
            sent = 0
        if sent != len(data):  # gone, or not reading what it was sent: a tab that will reconnect if it can
            self._drop(selector, seen, connection)

    def _drop(self, selector: selectors.BaseSelector, seen: dict[socket.socket, int],
              connection: socket.socket) -> None:
        seen.pop(connection, None)
        try:
            selector.unregister(connection)
        except (KeyError, ValueError):
            pass
        connection.close()
        with self._lock:
            self._count -= 1


def _read_all(connection: socket.socket) -> bool:
    """Read and drop what a non-blocking socket holds; False when its other end has closed it."""
    try:
        while connection.recv(4096):
            pass
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
