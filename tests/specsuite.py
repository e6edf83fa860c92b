"""Reading Markdown spec files (the CommonMark spec's format) and comparing HTML as the spec's own runner does."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.entities import name2codepoint
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

FENCE = "`" * 32


@dataclass(frozen=True)
class Example:
    """One example of a spec: its number, the section it is in, its Markdown and the HTML expected."""

    number: int
    section: str
    markdown: str
    html: str


def read_examples(path: Path) -> list[Example]:
    """Every example of a spec file; the spec shows tabs as `→`, made tabs again here."""
    examples: list[Example] = []
    section, state = "", 0  # 0: prose, 1: an example's Markdown, 2: its HTML
    markdown: list[str] = []
    expected: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(FENCE + " example"):
            state = 1
        elif stripped == FENCE and state:
            examples.append(Example(len(examples) + 1, section, "".join(markdown).replace("→", "\t"),
                                    "".join(expected).replace("→", "\t")))
            markdown, expected, state = [], [], 0
        elif stripped == "." and state == 1:
            state = 2
        elif state == 1:
            markdown.append(line)
        elif state == 2:
            expected.append(line)
        elif re.match(r"#+ ", line):
            section = line.lstrip("#").strip()
    return examples


_BLOCK_TAGS = frozenset(
    "article header aside hgroup blockquote hr iframe body li map button object canvas ol caption output col p "
    "colgroup pre dd progress div section dl table td dt tbody embed textarea fieldset tfoot figcaption th figure "
    "thead footer tr form ul h1 h2 h3 h4 h5 h6 video script style".split())
_SPACES = re.compile(r"\s+")
_CHUNK = re.compile(r"<!\[CDATA\[.*?\]\]>|<[^>]*>|[^<]+", re.DOTALL)


class _Normaliser(HTMLParser):
    """Whitespace collapsed (outside pre) and dropped around block tags, attributes sorted, URLs percent-encoded
    one way, character references as characters (but <, >, &, " escaped), self-closing tags as opening tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.last, self.last_tag, self.in_pre = "starttag", "", False

    def _trim(self) -> None:
        text = "".join(self.out).rstrip()
        self.out = [text]

    def handle_data(self, data: str) -> None:
        after_tag = self.last in ("starttag", "endtag")
        if after_tag and self.last_tag == "br":
            data = data.lstrip("\n")
        if not self.in_pre:
            data = _SPACES.sub(" ", data)
            if after_tag and self.last_tag in _BLOCK_TAGS:
                data = data.lstrip() if self.last == "starttag" else data.strip()
        self.out.append(data)
        self.last = "data"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.in_pre = True
        if tag in _BLOCK_TAGS:
            self._trim()
        parts = [f"<{tag}"]
        for name, value in sorted(attrs, key=lambda a: (a[0], a[1] or "")):
            if value is None:
                parts.append(f" {name}")
            elif name in ("href", "src"):
                parts.append(f' {name}="{quote(unquote(value), safe="/")}"')
            else:
                parts.append(f' {name}="{html.escape(value, quote=True)}"')
        self.out.append("".join(parts) + ">")
        self.last, self.last_tag = "starttag", tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.last = "endtag"

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.in_pre = False
        elif tag in _BLOCK_TAGS:
            self._trim()
        self.out.append(f"</{tag}>")
        self.last, self.last_tag = "endtag", tag

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")
        self.last = "comment"

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")
        self.last = "decl"

    def unknown_decl(self, data: str) -> None:
        self.handle_decl(data)

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")
        self.last = "pi"

    def _reference(self, character: str | None, written: str) -> None:
        escaped = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}
        self.out.append(written if character is None else escaped.get(character, character))
        self.last = "ref"

    def handle_entityref(self, name: str) -> None:
        code = name2codepoint.get(name)
        self._reference(None if code is None else chr(code), f"&{name};")

    def handle_charref(self, name: str) -> None:
        try:
            character: str | None = chr(int(name[1:], 16) if name[:1] in "xX" else int(name))
        except (ValueError, OverflowError):
            character = None
        self._reference(character, f"&#{name};")


def normalise_html(text: str) -> str:
    """HTML as the spec's runner compares it (CDATA sections passed through as written)."""
    parser = _Normaliser()
    for chunk in _CHUNK.finditer(text):
        if chunk.group().startswith("<![CDATA["):
            parser.out.append(chunk.group())
        else:
            parser.feed(chunk.group())
    parser.close()
    return "".join(parser.out)
