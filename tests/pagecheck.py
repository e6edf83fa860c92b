"""Reading built sites in tests: the links of every page, and whether each one leads to a file."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class LinkCollector(HTMLParser):
    """Every href/src of a page, in order, with the text of each <a>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.anchors: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append(value)
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.anchors.append((self._href, " ".join("".join(self._text).split())))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)


def links_of(page: Path) -> LinkCollector:
    """The links of one HTML file."""
    collector = LinkCollector()
    collector.feed(page.read_text(encoding="utf-8"))
    return collector


def target_file(out: Path, url: str, base_path: str = "/") -> Path | None:
    """The output file a site-internal URL leads to, or None for external links."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    assert parts.path.startswith(base_path), f"{url} is outside {base_path}"
    path = unquote(parts.path[len(base_path):])
    return out / (path + "index.html" if path.endswith("/") or not path else path)


def broken_links(out: Path, base_path: str = "/") -> list[str]:
    """'page -> url' for every internal link in every HTML page that leads to no file."""
    broken = []
    for page in sorted(out.rglob("*.html")):
        for url in links_of(page).urls:
            target = target_file(out, url, base_path)
            if target is not None and not target.is_file():
                broken.append(f"{page.relative_to(out)} -> {url}")
    return broken
