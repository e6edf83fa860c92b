"""Live reload for the preview: the script injected into served HTML, its events, and the error overlay."""

from __future__ import annotations

import html
import json
import re
import secrets
import threading

from broadsheet.errors import Problem

EVENTS_PATH = "/__broadsheet/events"
RELOAD, CSS = "reload", "css"
_HISTORY = 64

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
        self._cond = threading.Condition()
        self.closed = False

    def tag(self, generation: int | None = None) -> str:
        """What the page of a build is told it was served from."""
        return f"{self.server_id}-{self.generation if generation is None else generation}"

    def script(self) -> str:
        """The live-reload script for a page served now."""
        return SCRIPT % {"tag": json.dumps(self.tag()), "url": json.dumps(EVENTS_PATH)}

    def publish(self, kind: str = RELOAD) -> None:
        """Announce a build: RELOAD the pages, or only swap their stylesheets (CSS)."""
        with self._cond:
            self.generation += 1
            self._kinds[self.generation] = kind
            self._kinds.pop(self.generation - _HISTORY, None)
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, str] | None:
        """Block until a build after `seen`; (generation, kind), or None on timeout or close."""
        with self._cond:
            self._cond.wait_for(lambda: self.closed or self.generation > seen, timeout)
            if self.closed or self.generation <= seen:
                return None
            kinds = {self._kinds.get(g, RELOAD) for g in range(seen + 1, self.generation + 1)}
            return self.generation, CSS if kinds == {CSS} else RELOAD

    def close(self) -> None:
        """End every listener's wait, for shutdown."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()
