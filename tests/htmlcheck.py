"""Reading built HTML in tests: a tiny element tree, a balance check and a link crawler (stdlib only)."""

from __future__ import annotations

import posixpath
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr"})
# Elements whose end tag HTML lets a writer leave out; a balanced fragment from Broadsheet never does.
OPTIONAL_END = frozenset({"li", "p", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody"})


@dataclass(eq=False)
class Node:
    """An element with its attributes and children (text children are plain strings)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        """This element and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Elements with this tag (any when None) whose attributes include `attrs` (class_ for class)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        found = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if all(v in node.attrs.get(k, "").split() if k == "class" else node.attrs.get(k) == v
                   for k, v in wanted.items()):
                found.append(node)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        """The first matching element; fails the test when there is none."""
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def text(self) -> str:
        """The element's text with whitespace collapsed."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)

        walk(self)
        return " ".join("".join(parts).split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    """Parse an HTML document or fragment into a Node tree."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def parse_file(path: Path) -> Node:
    """Parse a written HTML file."""
    return parse_html(path.read_text(encoding="utf-8"))


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def balance_problems(fragment: str) -> list[str]:
    """Why an HTML fragment is not balanced (every element explicitly closed, in order); [] when it is."""
    checker = _Balance()
    checker.feed(fragment)
    checker.close()
    return checker.problems + [f"<{tag}> is never closed" for tag in checker.stack]


# --------------------------------------------------------------------------- link crawler


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"] or "")
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"] or "")
        for name in ("href", "src"):
            if attributes.get(name) is not None and not (tag == "link" and attributes.get("rel") == "canonical"):
                self.urls.append(attributes[name] or "")
        if attributes.get("srcset"):
            self.urls.extend(part.split()[0] for part in (attributes["srcset"] or "").split(",") if part.strip())


def _scan(path: Path) -> _Links:
    scanner = _Links()
    scanner.feed(path.read_text(encoding="utf-8"))
    scanner.close()
    return scanner


def crawl(output: Path, base_url: str) -> tuple[list[str], int]:
    """Check every internal href/src of every HTML file under `output`, published at `base_url`.

    A URL under base_url's path must name a written file (`dir/` means `dir/index.html`), and a
    `#fragment` an element id in that file; an internal URL outside base_url's path is a broken link
    too. Returns (problems, number of links checked).
    """
    parts = urllib.parse.urlsplit(base_url)
    origin, base_path = f"{parts.scheme}://{parts.netloc}", parts.path or "/"
    scans: dict[Path, _Links] = {}

    def scan(path: Path) -> _Links:
        if path not in scans:
            scans[path] = _scan(path)
        return scans[path]

    problems: list[str] = []
    checked = 0
    for page in sorted(output.rglob("*.html")):
        relative = page.relative_to(output).as_posix()
        page_url = base_path + relative
        for url in scan(page).urls:
            target = urllib.parse.urlsplit(url)
            if target.scheme in ("mailto", "tel"):
                continue
            if (target.scheme or target.netloc) and f"{target.scheme}://{target.netloc}" != origin:
                continue  # another site
            checked += 1
            path = posixpath.normpath(posixpath.join(posixpath.dirname(page_url), target.path)) if target.path \
                else page_url
            if target.path.endswith("/") and not path.endswith("/"):
                path += "/"
            if not path.startswith(base_path):
                problems.append(f"{relative}: {url} points outside {base_path}")
                continue
            file = output / urllib.parse.unquote(path[len(base_path):])
            if path.endswith("/") or file.is_dir():
                file = file / "index.html"
            if not file.is_file():
                problems.append(f"{relative}: {url} -> no file {file.relative_to(output)}")
                continue
            if target.fragment and file.suffix == ".html" and target.fragment not in scan(file).ids:
                problems.append(f"{relative}: {url} -> no id {target.fragment!r} in {file.relative_to(output)}")
    return problems, checked
