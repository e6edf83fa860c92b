"""Bodies written in HTML (`.html` content files: Jekyll posts, WordPress exports), made safe and well formed.

The body is read with the standard library's HTML parser and written out again: every element closed, links
rewritten as in Markdown bodies (see links.rewrite_href), javascript:, vbscript: and data: URLs removed, headings
given ids. Under `raw_html: false` only the elements Markdown makes are kept, with harmless attributes: scripts,
styles, frames and forms are dropped with their content, other elements leave their text, comments go.
Text at the top level, outside any element, is set in paragraphs at blank lines (as WordPress's editor does).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from broadsheet.links import rewrite_href
from broadsheet.markup import THEME_IDS, RenderedBody, _heading_id, is_safe_url

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                  "track", "wbr"})
BLOCK = frozenset({"address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset",
                   "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
                   "li", "main", "nav", "ol", "p", "pre", "section", "table", "ul", "iframe", "video", "audio",
                   "script", "style", "template", "noscript", "canvas", "object", "embed", "svg", "math"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# What an untrusted body keeps: the elements Markdown makes, and attributes that cannot run anything.
SAFE_ELEMENTS = frozenset({"p", "br", "hr", *HEADINGS, "em", "strong", "b", "i", "u", "s", "del", "ins", "sub",
                           "sup", "small", "mark", "code", "pre", "kbd", "samp", "var", "blockquote", "q", "cite",
                           "abbr", "dfn", "time", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody",
                           "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "a", "img", "figure",
                           "figcaption", "span", "div"})
SAFE_ATTRIBUTES = frozenset({"href", "src", "alt", "title", "id", "class", "lang", "dir", "colspan", "rowspan",
                             "scope", "start", "reversed", "type", "datetime", "cite", "width", "height", "abbr"})
# Dropped with everything inside them when untrusted.
DROPPED = frozenset({"script", "style", "iframe", "object", "embed", "applet", "frame", "frameset", "noscript",
                     "template", "textarea", "select", "button", "form", "input", "svg", "math", "base", "link",
                     "meta", "title", "head"})
_BLOCK = BLOCK | {"td", "th", "tr", "tbody", "thead", "tfoot", "dt", "dd"}
# A start tag that closes an open element of the first name, unless one of the second set is open inside it.
_IMPLIED: dict[str, tuple[str, frozenset[str]]] = {
    "li": ("li", frozenset({"ul", "ol"})), "dt": ("dd", frozenset({"dl"})), "dd": ("dt", frozenset({"dl"})),
    "td": ("td", frozenset({"tr", "table"})), "th": ("td", frozenset({"tr", "table"})),
    "tr": ("tr", frozenset({"table", "tbody", "thead", "tfoot"})),
}
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


class _Writer(HTMLParser):
    def __init__(self, source: str, base_path: str, trusted: bool, lead: bool):
        super().__init__(convert_charrefs=True)
        self.source, self.base_path, self.trusted, self.lead = source, base_path, trusted, lead
        self.out: list[str] = []
        self.open: list[str] = []  # elements written and not yet closed
        self.dropping = 0  # depth inside an element dropped with its content
        self.paragraph = False  # a paragraph opened around top-level text
        self.links: list[tuple[str, str]] = []
        self.used_ids: set[str] = set(THEME_IDS)
        self.text: list[str] = []  # all the text, for the word count
        self.heading: tuple[int, int] | None = None  # (index in out of an open heading's tag, its text's start)
        self.paragraphs: list[str] = []
        self.current: list[str] | None = None  # the text of a lead paragraph being read
        self.lead_done = False

    # -- structure

    def _top_text(self, data: str) -> None:
        """Text outside any element: paragraphs at blank lines."""
        parts = _BLANK_LINE.split(data)
        for number, part in enumerate(parts):
            if number:
                self._close_paragraph()
            if part.strip():
                if not self.paragraph:
                    self.out.append("<p>")
                    self.paragraph, self.current = True, [] if not self.lead_done else None
                    self.open.append("p")
                self._text(part.lstrip() if self.out[-1] == "<p>" else part)
            elif not self.paragraph:
                self.out.append(part)

    def _close_paragraph(self) -> None:
        """Close a paragraph opened around top-level text, and what is open inside it."""
        if self.paragraph:
            while self.open and self._end(self.open[-1]) != "p":
                pass
            self.paragraph = False

    def _text(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))
        self.text.append(data)
        if self.current is not None:
            self.current.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag not in VOID:
                self.dropping += 1
            return
        if not self.trusted and tag in DROPPED:
            if tag not in VOID:
                self.dropping = 1
            return
        self._close_implied(tag)
        if not self.open and tag not in _BLOCK and not self.paragraph:
            self.out.append("<p>")  # an inline element at the top level starts a paragraph
            self.paragraph, self.current = True, [] if not self.lead_done else None
            self.open.append("p")
        if not self.trusted and tag not in SAFE_ELEMENTS:
            return  # its text stays
        kept: dict[str, str] = {}
        for name, value in attrs:
            if not self.trusted and (name not in SAFE_ATTRIBUTES or name.startswith("on")):
                continue
            kept[name] = value or ""
        for name in ("href", "src"):
            if name in kept and tag in ("a", "img", "source", "area", "iframe", "video", "audio", "embed"):
                if not is_safe_url(kept[name], self.trusted):
                    del kept[name]
                else:
                    href, linked = rewrite_href(kept[name], self.source, self.base_path)
                    if linked:
                        self.links.append((kept[name], linked))
                    kept[name] = href
        if self.lead:
            kept.pop("id", None)
        elif "id" in kept:
            self.used_ids.add(kept["id"])
        if tag == "table":
            kept["tabindex"] = "0"  # a wide table scrolls in its own box: keyboard users must reach it
        written = "".join(f' {name}="{html.escape(value)}"' for name, value in kept.items())
        if tag in HEADINGS and "id" not in kept and not self.lead:
            self.heading = (len(self.out), len(self.text))
        self.out.append(f"<{tag}{written}>")
        if tag in VOID:
            return
        self.open.append(tag)
        if tag in HEADINGS and any(self.paragraphs):
            self.lead_done = True
        if tag in ("p", "li") and len(self.open) <= 2 and not self.lead_done:
            self.current = []

    def _close_implied(self, tag: str) -> None:
        """Close what a start tag ends where the end tag was left out, as browsers do: a paragraph before a block,
        a list item before the next, a cell before the next."""
        closes = _IMPLIED.get(tag)
        if tag in BLOCK:
            closes = ("p", _BLOCK) if closes is None else closes
        if closes is None or not self.open:
            return
        closed, within = closes
        for at in range(len(self.open) - 1, -1, -1):
            if self.open[at] == closed:
                while len(self.open) > at:
                    self._end(self.open[-1])
                return
            if self.open[at] in within:
                return

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and not self.dropping and tag in self.open[-1:]:
            self._end(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag not in VOID:
                self.dropping -= 1
            return
        if tag in self.open:
            while self.open:
                if self._end(self.open[-1]) == tag:
                    break
            if tag == "p":
                self.paragraph = False

    def _end(self, tag: str) -> str:
        """Close the innermost open element (which is `tag`)."""
        self.open.pop()
        self.out.append(f"</{tag}>")
        if not self.open:
            self.paragraph = False
        if tag in HEADINGS and self.heading is not None:
            at, start = self.heading
            name = _heading_id("".join(self.text[start:]), self.used_ids)
            self.out[at] = self.out[at][:-1] + f' id="{name}">'
            self.heading = None
        if tag in ("p", "li") and self.current is not None:
            self.paragraphs.append(" ".join("".join(self.current).split()))
            self.current = None
        return tag

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.open and self.open[-1] in ("script", "style"):
            self.out.append(data)  # (raw text: trusted only, untrusted drops these elements)
        elif not self.open or (self.paragraph and self.open == ["p"] and "\n" in data):
            self._top_text(data)
        else:
            self._text(data)

    def handle_comment(self, data: str) -> None:
        if self.trusted and not self.dropping:
            self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        pass  # a doctype has no place in a body

    def handle_pi(self, data: str) -> None:
        pass

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA[") and not self.dropping:
            self._text(data[6:])

    def finish(self) -> RenderedBody:
        self.close()
        while self.open:
            self._end(self.open[-1])
        words = len(" ".join(self.text).split())
        return RenderedBody("".join(self.out).strip() + "\n", tuple(p for p in self.paragraphs if p), words,
                            tuple(self.links))


def render_html_body(text: str, source: str = "", base_path: str = "/", trusted: bool = True,
                     lead: bool = False) -> RenderedBody:
    """A body written in HTML, well formed and safe (see the module's docstring); `lead`: the part before
    `<!--more-->`, shown as the summary beside the body (so without ids)."""
    writer = _Writer(source, base_path, trusted, lead)
    writer.feed(text)
    return writer.finish()


_ANCHOR = re.compile(r"""<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>(.*?)</a\s*>""",
                     re.IGNORECASE | re.DOTALL)
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
# The tags of HTML elements a summary is written with (and the blocks around them): `a <b> c` is a tag, `Less <than>`
# is text, as it always was.
_TAG = re.compile(r"</?(?:a|abbr|b|bdi|bdo|big|blockquote|br|center|cite|code|del|dfn|div|em|font|h[1-6]|hr|i|img|ins|"
                  r"kbd|li|mark|ol|p|pre|q|s|samp|small|span|strike|strong|sub|sup|time|tt|u|ul|var|wbr)"
                  r"(?=[\s/>])[^>]*>", re.IGNORECASE)


def summary_markdown(text: str) -> str:
    """A summary written with HTML in it (Jekyll's `excerpt`, as WordPress exports write it too) as the Markdown
    summaries are written in: a link with a safe URL becomes a Markdown link, any other tag leaves its text (a script, a style or
    a comment nothing), so the summary never shows tags as text nor runs anything."""
    if "<" not in text or not _TAG.search(text):
        return text
    text = _HIDDEN.sub("", text)

    def link(match: re.Match[str]) -> str:
        url = html.unescape(next(group for group in match.groups()[:3] if group is not None)).strip()
        inner = _TAG.sub("", match.group(4)).replace("[", "\\[").replace("]", "\\]")
        if not inner.strip() or not is_safe_url(url, trusted=False):
            return inner
        return f"[{inner}]({url.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})"

    return _TAG.sub("", _ANCHOR.sub(link, text))
