"""Helpers shared by Broadsheet's tests: external tools, a real browser, a local HTTP server.

Nothing here runs at import time beyond defining names, so importing this module is always
cheap and safe. Tests call these helpers explicitly.

Missing tools: outside CI a test that needs a missing tool is skipped; under CI=true it fails,
so a green CI run really exercised every check (``.ci/run`` installs all of them).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import os
import shutil
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

if TYPE_CHECKING:  # pragma: no cover - typing only
    from playwright.sync_api import Browser, Playwright

#: Repository root (the parent of tests/).
REPO_ROOT = Path(__file__).resolve().parent.parent

#: Where Debian's chromium package installs the browser.
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: Flags known to work for Debian's chromium driven by Playwright on these machines
#: (headless mode is added by Playwright itself).
CHROMIUM_ARGS: list[str] = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

VNU_JAR = REPO_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def in_ci() -> bool:
    """True when running under CI (environment variable CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require_tool(name: str, available: bool, why: str) -> None:
    """Do nothing if ``available``; otherwise fail under CI=true, skip elsewhere."""
    __tracebackhide__ = True
    if available:
        return
    if in_ci():
        pytest.fail(f"{name} is required in CI: {why}")
    pytest.skip(f"{name} not available: {why}")


# --------------------------------------------------------------------------- browser


def chromium_path() -> str | None:
    """Path of the Chromium executable, or None if there is none.

    ``BROADSHEET_CHROMIUM`` overrides the default ``/usr/bin/chromium``; if it is set but does
    not name an executable file, the result is None (no silent fallback).
    """
    override = os.environ.get("BROADSHEET_CHROMIUM")
    candidate = override if override else DEFAULT_CHROMIUM
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return None


def playwright_available() -> bool:
    """True when the Python ``playwright`` package can be imported."""
    return importlib.util.find_spec("playwright") is not None


def chromium_launch_args() -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch`` (also usable as the return value
    of a pytest-playwright ``browser_type_launch_args`` fixture override).

    Skips (or fails under CI) when Playwright or Chromium is missing.
    """
    require_tool(
        "playwright",
        playwright_available(),
        "the Python package 'playwright' is needed (pip install -e '.[test]')",
    )
    path = chromium_path()
    require_tool(
        "chromium",
        path is not None,
        f"no executable at {os.environ.get('BROADSHEET_CHROMIUM') or DEFAULT_CHROMIUM} "
        "(apt-get install chromium, or set BROADSHEET_CHROMIUM); never run 'playwright install'",
    )
    return {"executable_path": path, "args": list(CHROMIUM_ARGS)}


def launch_browser(playwright: Playwright, **launch_kwargs: Any) -> Browser:
    """Launch the machine's Chromium through a started Playwright instance.

    ``playwright`` is what ``sync_playwright().start()`` (or ``with sync_playwright() as p``)
    gives. Extra keyword arguments go to ``chromium.launch``; an ``args`` list is appended to
    :data:`CHROMIUM_ARGS`. The caller closes the browser.
    """
    options = chromium_launch_args()
    extra_args = launch_kwargs.pop("args", None) or []
    options["args"] = options["args"] + list(extra_args)
    options.update(launch_kwargs)
    return playwright.chromium.launch(**options)


@contextlib.contextmanager
def open_browser(**launch_kwargs: Any) -> Iterator[Browser]:
    """Start Playwright, launch Chromium (see :func:`launch_browser`), yield it, close both."""
    require_tool(
        "playwright",
        playwright_available(),
        "the Python package 'playwright' is needed (pip install -e '.[test]')",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_browser(playwright, **launch_kwargs)
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------- validators


def vnu_command() -> list[str] | None:
    """``[java, "-jar", <repo>/node_modules/vnu-jar/build/dist/vnu.jar]`` or None.

    None when Java is not on PATH or the jar is not installed (run ``npm ci``). Append the
    checker's options and targets, e.g. ``+ ["--skip-non-html", "--errors-only", str(out)]``;
    it exits 1 when it reports errors.
    """
    java = shutil.which("java")
    if java is None or not VNU_JAR.is_file():
        return None
    return [java, "-jar", str(VNU_JAR)]


def axe_script_path() -> Path | None:
    """Path of ``node_modules/axe-core/axe.min.js`` (for ``page.add_script_tag(path=...)``),
    or None when it is not installed (run ``npm ci``)."""
    return AXE_SCRIPT if AXE_SCRIPT.is_file() else None


# --------------------------------------------------------------------------- HTTP server

_EXTRA_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".txt": "text/plain",
}


def _normalise_prefix(prefix: str) -> str:
    if not prefix.startswith("/"):
        prefix = "/" + prefix
    if not prefix.endswith("/"):
        prefix += "/"
    return prefix


class _PrefixHandler(http.server.SimpleHTTPRequestHandler):
    """Serves ``directory`` at URL ``prefix``; anything outside ``prefix`` is 404.

    Directory URLs serve their index.html; a directory without one is 404 (no listings, so a
    missing page is never hidden behind a 200).
    """

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **_EXTRA_TYPES,
    }

    def __init__(self, *args: Any, prefix: str, **kwargs: Any) -> None:
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def send_head(self):  # type: ignore[override]
        parts = urllib.parse.urlsplit(self.path)
        if self.prefix != "/" and parts.path == self.prefix[:-1]:
            # /news -> /news/
            self.send_response(http.HTTPStatus.MOVED_PERMANENTLY)
            location = self.prefix + (f"?{parts.query}" if parts.query else "")
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if not parts.path.startswith(self.prefix):
            self.send_error(http.HTTPStatus.NOT_FOUND, "Outside the served prefix")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        parts = urllib.parse.urlsplit(path)
        rest = (
            parts.path[len(self.prefix) :] if parts.path.startswith(self.prefix) else ""
        )
        return super().translate_path("/" + rest)

    def list_directory(self, path):  # type: ignore[override]
        self.send_error(http.HTTPStatus.NOT_FOUND, "No index.html in this directory")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Browsers drop connections freely (cancelled loads, closed pages): not test failures.
        pass


@contextlib.contextmanager
def serve_directory(root: Path, prefix: str = "/") -> Iterator[str]:
    """Serve ``root`` over HTTP on 127.0.0.1 (a free port) at URL path ``prefix``.

    Yields the base URL, e.g. ``http://127.0.0.1:PORT/news/`` for ``prefix="/news/"``, once the
    server accepts connections; shuts the server down on exit. Requests outside ``prefix`` get
    404, ``/news`` redirects to ``/news/``, and directory URLs serve their ``index.html``.
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory: {root}")
    prefix = _normalise_prefix(prefix)
    handler = functools.partial(_PrefixHandler, directory=str(root), prefix=prefix)
    server = _QuietServer(("127.0.0.1", 0), handler)
    host, port = server.server_address[:2]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection((host, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        yield f"http://{host}:{port}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
