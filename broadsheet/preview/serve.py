"""The preview server: build into a temporary folder, serve it over HTTP, rebuild on every change, reload browsers."""

from __future__ import annotations

import contextlib
import errno
import http.server
import ipaddress
import logging
import mimetypes
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.names import STATIC_DIR
from broadsheet.base.options import BuildOptions
from broadsheet.pipeline.build import BuildSession, build
from broadsheet.pipeline.lock import build_lock
from broadsheet.preview.connections import IDLE_SECONDS, MAX_REQUEST_LINE, ConnectionSlots, HeaderBudget, drain
from broadsheet.preview.livereload import (
    CSS,
    EVENTS_PATH,
    RELOAD,
    Broadcaster,
    EventStreams,
    error_page,
    hello,
    inject,
    overlay,
)
from broadsheet.preview.watch import ChangeQueue, start_watching

log = logging.getLogger(__name__)

TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".json": "application/json",
         ".xml": "application/xml", ".atom": "application/atom+xml", ".rss": "application/rss+xml",
         ".svg": "image/svg+xml", ".txt": "text/plain", ".webmanifest": "application/manifest+json",
         ".woff2": "font/woff2", ".webp": "image/webp", ".avif": "image/avif"}
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/atom+xml", "application/rss+xml",
              "image/svg+xml", "application/manifest+json")
MAX_NAME_BYTES = 255  # the longest file name most file systems allow


@dataclass(frozen=True, slots=True)
class Rebuild:
    """What one build of the preview did: the files that changed, how long it took, and its problems if it failed."""

    changed: tuple[str, ...]
    seconds: float
    problems: tuple[Problem, ...] = ()  # why it failed (with any warnings); empty when it succeeded
    summary: str = ""  # the build's own summary line, when it succeeded
    warnings: tuple[Problem, ...] = ()  # what a successful build warned about

    @property
    def ok(self) -> bool:
        """Whether the build succeeded."""
        return not self.problems

    def line(self) -> str:
        """The one terminal line for this build: the first build's summary, or what changed and how it went."""
        if not self.changed:
            return self.summary if self.ok else f"Build failed in {self.seconds:.2f} s; the preview shows the problems"
        what = self.changed[0]
        if len(self.changed) > 1:
            what += f" and {len(self.changed) - 1} other file{'s' * (len(self.changed) > 2)}"
        if self.ok:
            return f"Rebuilt in {self.seconds:.2f} s — {what} changed"
        return f"Rebuild failed in {self.seconds:.2f} s — {what} changed; the preview shows the problems"


class TerminalReport:
    """Prints each build: its problems (warnings only when they differ from the last build's), then one line."""

    def __init__(self) -> None:
        self._warnings: tuple[Problem, ...] = ()

    def __call__(self, rebuild: Rebuild) -> None:
        for problem in rebuild.problems or (rebuild.warnings if rebuild.warnings != self._warnings else ()):
            print(problem, file=sys.stderr)
        if rebuild.ok:
            self._warnings = rebuild.warnings
        print(rebuild.line(), flush=True)


def resolve_file(root: Path, url_path: str) -> Path | str | None:
    """The file a URL path (below the site's base path) names inside root: a Path, a redirect target, or None.

    Only files inside root are found: `..` and `.` segments (also percent-encoded), backslashes, NUL bytes and
    symbolic links that lead out of root all give None, and so do names too long for a file system and links that
    lead round in a loop. A folder gives its index.html, and its URL without the trailing slash a redirect to the
    URL with it.
    """
    try:
        decoded = unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        return None
    segments = decoded.split("/")
    if "\\" in decoded or "\0" in decoded or any(s in (".", "..") for s in segments):
        return None
    if any(len(s.encode("utf-8")) > MAX_NAME_BYTES for s in segments):
        return None
    try:
        return _find_inside(root.resolve(), [s for s in segments if s], url_path)
    except (OSError, RuntimeError):  # a name too long for the file system, a symbolic link loop (RuntimeError
        return None                  # before Python 3.13)


def _find_inside(real_root: Path, segments: list[str], url_path: str) -> Path | str | None:
    target = real_root.joinpath(*segments).resolve()
    if not target.is_relative_to(real_root):
        return None
    if target.is_dir():
        if not url_path.endswith("/") and url_path:
            return url_path.rsplit("/", 1)[-1] + "/"
        target = (target / "index.html").resolve()
        if not target.is_relative_to(real_root):
            return None
    return target if target.is_file() else None


_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")


def host_allowed(host_header: str | None, bound: str) -> bool:
    """Refuse DNS rebinding: the Host must be localhost, the bound name, or an IP address (which cannot rebind)."""
    match = _HOST.fullmatch((host_header or "").strip())
    if not match:
        return False
    host = match.group(1).strip("[]").lower()
    if host in ("localhost", bound.strip("[]").lower()):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def content_type(path: Path) -> str:
    """The Content-Type of a served file; text is UTF-8."""
    kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith(TEXT_TYPES) else kind


class Preview:
    """What the server shows: the preview's output folder, the latest build's problems, and the browsers to tell."""

    def __init__(self, options: BuildOptions):
        self.options = options
        self.output_dir = options.output_dir
        self.base_path = "/"
        self.problems: tuple[Problem, ...] = ()
        self.has_site = False
        self.events = Broadcaster()
        # Kept for the preview's lifetime: worker processes and the last build's index, so a rebuild
        # re-renders only the pages a change affects.
        self.session: BuildSession | None = None

    def rebuild(self, changed: tuple[str, ...] = ()) -> Rebuild:
        """Build the site again; a failure keeps the last good build in place and is shown over its pages."""
        started = time.perf_counter()
        try:
            if self.session is None:
                self.session = BuildSession(self.options.jobs, defer_saves=True)
            self.session.note_changes(changed)
            result = build(self.options, self.session)
        except SiteError as error:
            self.problems = error.problems
        except Exception as error:  # a bug must not end the preview; its traceback goes to the terminal
            log.exception("the build crashed")
            self.problems = (Problem("broadsheet", None, f"internal error: {error!r}", "see the terminal"),)
        else:
            css_only = self.has_site and not self.problems and bool(changed) and all(
                path.startswith(STATIC_DIR + "/") and path.endswith(".css") for path in changed)
            self.problems, self.has_site = (), True
            self.base_path = urlsplit(result.base_url).path or "/"
            self.events.publish(CSS if css_only else RELOAD)
            self._save()  # after the browsers were told: writing the index does not delay the reload
            return Rebuild(changed, time.perf_counter() - started, summary=result.summary_line(),
                           warnings=result.warnings)
        self.events.publish(RELOAD)
        return Rebuild(changed, time.perf_counter() - started, self.problems)

    def watched(self) -> None:
        """From the next build on, every change reaches rebuild(): builds after that one look only at the
        content files that changed, not at all of them."""
        if self.session is not None:
            self.session.watch()

    def _save(self) -> None:
        """Write the last build's index to the cache folder, which builds from the command line share: under the
        build's lock, or not at all if another build holds it too long (the index is kept here all the same)."""
        assert self.session is not None
        with contextlib.suppress(SiteError), build_lock(self.options):
            self.session.save()

    def close(self) -> None:
        """End the build session's worker processes."""
        if self.session is not None:
            with contextlib.suppress(SiteError), build_lock(self.options):
                self.session.cache(self.options).forget(self.options.output_dir)
            self.session.close()
            self.session = None


class PreviewHandler(http.server.BaseHTTPRequestHandler):
    """Answers GET and HEAD from the preview's current output folder, resolved afresh for every request.

    A request line over MAX_REQUEST_LINE bytes is answered 414 and header lines over MAX_HEADER_BYTES 431, each
    before more is read; then the connection is closed.
    """

    server: PreviewServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS  # idle keep-alive connections and clients that stop sending end, so their threads do

    def version_string(self) -> str:
        return "Broadsheet"

    def handle_one_request(self) -> None:
        """Read one request head within the bounds, then answer it (http.server's own, with the bounds)."""
        slots = self.server.slots
        slots.waiting(self.connection)
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.requestline, self.request_version, self.command = "", "", ""
                self.send_error(414)
                return self.refused()
            if not self.raw_requestline:
                self.close_connection = True
                return None
            if not self.parse_request():
                return self.refused()
            if not slots.busy(self.connection):  # closed meanwhile, to make room for a new connection
                self.close_connection = True
                return None
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(501, f"Unsupported method ({self.command!r})")
                return None
            method()
            self.wfile.flush()
        except TimeoutError as error:
            self.log_error("Request timed out: %r", error)
            self.close_connection = True
        return None

    def parse_request(self) -> bool:
        """http.server's parsing, with the header lines read within their budget (431 beyond it)."""
        stream = self.rfile
        self.rfile = HeaderBudget(stream)  # type: ignore[assignment]
        try:
            return super().parse_request()
        finally:
            self.rfile = stream

    def refused(self) -> None:
        """After an error answer to a request not read whole: close, but so that the client gets the answer."""
        self.close_connection = True
        self.wfile.flush()
        drain(self.connection)

    def do_GET(self) -> None:
        self.respond(head=False)

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def respond(self, head: bool) -> None:
        """Check the Host, then serve the events stream, a file, a redirect or the 404 page."""
        preview = self.server.preview
        if not host_allowed(self.headers.get("Host"), self.server.bound):
            return self.send_bytes(403, b"Forbidden: unknown Host header.\n", "text/plain; charset=utf-8", head)
        path, _, query = self.path.partition("#")[0].partition("?")
        if path == EVENTS_PATH and not head:
            return self.stream_events()
        base = preview.base_path
        if base != "/" and path in ("/", base[:-1]):
            return self.redirect(base + (f"?{query}" if query else ""))
        found = resolve_file(preview.output_dir, path[len(base):]) if path.startswith(base) else None
        if isinstance(found, str):
            return self.redirect(found + (f"?{query}" if query else ""))
        status = 200
        if found is None:
            status, found = 404, resolve_file(preview.output_dir, "404.html")
        if not preview.has_site:
            return self.send_html(500, error_page(preview.problems).encode("utf-8"), head)
        try:
            data = found.read_bytes() if isinstance(found, Path) else None
        except OSError:  # swapped away by a rebuild between resolving and reading
            data = None
        if data is None:
            return self.send_bytes(404, b"Not found.\n", "text/plain; charset=utf-8", head)
        assert isinstance(found, Path)
        kind = content_type(found)
        if kind.startswith("text/html"):
            return self.send_html(status, data, head)
        self.send_bytes(status, data, kind, head)

    def send_html(self, status: int, page: bytes, head: bool) -> None:
        """Send a page with the live-reload script, and the error overlay after a failed rebuild."""
        preview = self.server.preview
        extra = (overlay(preview.problems) if preview.problems and preview.has_site else "") + preview.events.script()
        self.send_bytes(status, inject(page, extra), "text/html; charset=utf-8", head)

    def send_bytes(self, status: int, data: bytes, kind: str, head: bool) -> None:
        """Send a whole response; no CORS headers, never cached."""
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def redirect(self, location: str) -> None:
        """A 301 to location."""
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def stream_events(self) -> None:
        """Server-Sent Events: `hello` with the current build, then (from the events thread) `reload` or `css`
        after every build."""
        streams = self.server.streams
        if streams.full():
            return self.send_bytes(503, b"Too many live-reload connections.\n", "text/plain; charset=utf-8", False)
        events = self.server.preview.events
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        seen = events.generation
        self.wfile.write(hello(events, seen))
        self.wfile.flush()
        if streams.adopt(self.connection, seen):
            self.server.handed_off(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class PreviewServer(http.server.ThreadingHTTPServer):
    """A threaded HTTP server for one Preview: at most MAX_CONNECTIONS connections served at once, a thread each;
    the live-reload streams are handed to one thread of their own (see EventStreams)."""

    daemon_threads = True
    request_queue_size = 128  # connections the system holds until they are accepted

    def __init__(self, preview: Preview, bind: str, port: int):
        self.preview = preview
        self.bound = bind
        self.address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.slots = ConnectionSlots()
        self._streaming: set[socket.socket] = set()  # connections handed to the events thread: not to be closed
        self._streaming_lock = threading.Lock()
        self.streams = EventStreams(preview.events)  # (closed by server_close, also when listening fails)
        try:
            super().__init__((bind.strip("[]"), port), PreviewHandler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise SiteError(Problem("--port", None, f"port {port} on {bind} is already in use",
                                        "stop the other server, or choose another port (--port 0 picks a free one)")) from None
            raise SiteError(Problem("--bind", None, f"cannot listen on {bind}:{port}: {error.strerror}")) from None

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection on a thread of its own if a slot is free (or can be freed); else answer 503."""
        if not self.slots.admit(request):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def handed_off(self, connection: socket.socket) -> None:
        """The connection now belongs to the events thread: its handler's end must not close it."""
        with self._streaming_lock:
            self._streaming.add(connection)

    def shutdown_request(self, request: Any) -> None:
        """Free the connection's slot, and close it unless the events thread took it over."""
        self.slots.release(request)
        with self._streaming_lock:
            if request in self._streaming:
                self._streaming.discard(request)
                return
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Stop listening and close the live-reload streams."""
        super().server_close()
        self.streams.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Browsers drop connections all the time (cancelled loads, closed tabs); anything else is logged."""
        log.debug("request from %s failed", client_address, exc_info=sys.exc_info())


def _refuse_busy(connection: socket.socket) -> None:
    """A 503 to a connection for which no slot could be had (every one busy answering), without waiting on it."""
    body = b"The preview server is busy; try again.\n"
    try:
        connection.setblocking(False)
        connection.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    except OSError:
        pass


def display_host(bind: str) -> str:
    """The host part of the preview's address: wildcard binds are shown (and linked) as the loopback address."""
    host = bind.strip("[]")
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def is_loopback(bind: str) -> bool:
    """Whether only this machine can reach the address."""
    host = bind.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class PreviewSession:
    """A running preview: the server thread, the watcher, and the build loop (run) until close()."""

    def __init__(self, options: BuildOptions, bind: str = "127.0.0.1", port: int = 8000, poll: bool = False,
                 report: Callable[[Rebuild], None] | None = None):
        self.options, self.bind, self.port, self.poll = options, bind, port, poll
        self.report = report or TerminalReport()
        self.folder = Path(tempfile.mkdtemp(prefix="broadsheet-preview-"))
        self.preview = Preview(replace(options, output_dir=self.folder / "site", preview=True))
        self.server: PreviewServer | None = None
        self.queue = ChangeQueue(options.site_dir)
        self._threads: list[threading.Thread] = []
        self._observer: Any = None
        self._building = False
        self._rebuilding = threading.Lock()  # close() waits for a running rebuild before ending its workers

    @property
    def url(self) -> str:
        """The preview's address, with base_url's path."""
        assert self.server is not None
        return f"http://{display_host(self.bind)}:{self.server.server_address[1]}{self.preview.base_path}"

    def start(self) -> None:
        """Listen, build once, then serve and watch; on failure (a port in use), clean up and raise."""
        try:
            self.server = PreviewServer(self.preview, self.bind, self.port)
            origin = f"http://{display_host(self.bind)}:{self.server.server_address[1]}"
            self.preview.options = replace(self.preview.options, origin=origin)
            self.report(self.preview.rebuild())
            thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                      name="broadsheet-server", daemon=True)
            thread.start()
            self._threads.append(thread)
            self._observer = start_watching(self.options.site_dir, self.queue, self.poll)
            self.preview.watched()
        except BaseException:
            self.close()
            raise

    def run(self) -> None:
        """Rebuild after every batch of changes, until close()."""
        while batch := self.queue.take():
            with self._rebuilding:
                self._building = True
                try:
                    self.report(self.preview.rebuild(tuple(batch)))
                finally:
                    self._building = False

    def idle(self) -> bool:
        """Whether no change is waiting and no rebuild is running."""
        return not self._building and not self.queue.pending()

    def close(self) -> None:
        """Stop watching and serving, and remove the preview's folder."""
        self.queue.close()
        self.preview.events.close()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self.server is not None:
            if self._threads:
                self.server.shutdown()
            self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        with self._rebuilding:
            self.preview.close()
        shutil.rmtree(self.folder, ignore_errors=True)
