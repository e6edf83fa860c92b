"""Markdown to HTML for bodies and summaries, with news typography and automatic summaries."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedBlockPreprocessor, FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString

from broadsheet.base.slugs import slugify
from broadsheet.base.xmltext import NOT_XML
from broadsheet.stages.links import rewrite_href, titles_from_text

MORE_MARKER = re.compile(r"^ {0,3}<!--\s*more\s*-->[ \t]*$", re.MULTILINE)  # four spaces would make it code
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_FOOTNOTE_REFERENCE = re.compile(r"\[\^[^\]\s]+\](?!:)")
# Ids the page around a body already uses (the skip link's target and the like): heading ids step around them.
THEME_IDS = frozenset({"main", "top", "content", "related-title"})
_PLACEHOLDER = re.compile("\x02[^\x03]*\x03")
_UNSAFE_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
# Text from outside contributors (summaries, bodies under `raw_html: false`) may only link to these.
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def is_safe_url(url: str, trusted: bool = True) -> bool:
    """Whether a link target may be output: never javascript:, vbscript: or data:; untrusted text only
    http(s), mailto and relative URLs."""
    target = _CONTROL.sub("", html.unescape(url))
    if _UNSAFE_SCHEME.match(target):
        return False
    scheme = _SCHEME.match(target)
    return trusted or scheme is None or scheme.group(1).lower() in _SAFE_SCHEMES
_SKIP_TYPOGRAPHY = frozenset({"code", "pre", "kbd", "samp", "script", "style", "math"})
_OPENING_CONTEXT = frozenset("([{\u2018\u201c\u2014\u2013-/\u00a0")
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019)]*\s+")
_QUOTE = re.compile(r"[\"']")
_DASHES = ((re.compile(r"(?<!-)---(?!-)"), "\u2014"), (re.compile(r"(?<!-)--(?!-)"), "\u2013"),
           (re.compile(r"\.\.\.|\. \. \."), "\u2026"))


# In the lead paragraphs: a block that automatic summaries leave out (code, a table, a quotation, a figure), so that
# a summary never ends on the sentence introducing it.
LEFT_OUT = "\x00"
_STASHED_BLOCK = re.compile("\x02wzxhzdk:[0-9]+\x03")  # Python-Markdown's placeholder of a raw block


def lead_paragraphs(found: Sequence[str]) -> tuple[str, ...]:
    """The lead paragraphs without empty ones, with LEFT_OUT only after a paragraph (never twice in a row)."""
    lead: list[str] = []
    for paragraph in found:
        if paragraph == LEFT_OUT:
            if lead and lead[-1] != LEFT_OUT:
                lead.append(paragraph)
        elif paragraph:
            lead.append(paragraph)
    return tuple(lead)


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A body rendered to HTML, with what summaries and reading time need from it."""

    html: str
    paragraphs: tuple[str, ...]  # plain text of the lead paragraphs, for automatic summaries
    word_count: int
    links: tuple[tuple[str, str], ...] = ()  # (href as written, content file) of links to other content files


def _smarten(text: str, before: str) -> str:
    """Typographic quotes, dashes and ellipses; `before` is the character preceding text."""
    if "--" in text or ". ." in text or ".." in text:  # most runs of text have none: skip the three passes
        for pattern, replacement in _DASHES:
            text = pattern.sub(replacement, text)
    if '"' not in text and "'" not in text:
        return text

    def quote(match: re.Match[str]) -> str:
        i = match.start()
        prev = text[i - 1] if i else before
        nxt = text[i + 1] if i + 1 < len(text) else ""
        opening = not prev or prev.isspace() or prev in _OPENING_CONTEXT
        if match.group() == '"':
            return "\u201c" if opening and nxt and not nxt.isspace() else "\u201d"
        if opening and nxt and not nxt.isspace() and not nxt.isdigit():
            return "\u2018"
        return "\u2019"

    return _QUOTE.sub(quote, text)


def _text_nodes(element: etree.Element) -> Iterator[tuple[etree.Element, str]]:
    """Yield (owner, 'text'|'tail') for every text node in document order, skipping code."""
    if element.tag in _SKIP_TYPOGRAPHY:
        return
    yield element, "text"
    for child in element:
        yield from _text_nodes(child)
        yield child, "tail"


_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _plain(element: etree.Element, stash: Sequence[object] | None = None) -> str:
    """The readable text of an element, without footnote markers or raw HTML tags.

    Python-Markdown leaves placeholders in the tree: backslash escapes (STX + code point + ETX) become
    their character again, stashed entities (&amp;, &copy;) their text; stashed raw HTML is dropped.
    """
    parts = [element.text or ""]
    for child in element:
        if not (child.tag == "sup" and str(child.get("id", "")).startswith("fnref")):
            parts.append(_plain(child, stash))
        parts.append(child.tail or "")

    def resolve(match: re.Match[str]) -> str:
        inner = match.group()[1:-1]
        if inner.isdigit():
            return chr(int(inner))
        number = inner.rpartition(":")[2]
        if stash is not None and inner.startswith("wzxhzdk:") and number.isdigit() and int(number) < len(stash):
            raw = str(stash[int(number)])
            # (A reference to a character XML does not allow, `&#12;`, would reach feeds in automatic summaries.)
            return NOT_XML.sub("", html.unescape(raw)) if _ENTITY.fullmatch(raw) else ""
        return ""

    return _PLACEHOLDER.sub(resolve, "".join(parts))


def _heading_id(text: str, used_ids: set[str]) -> str:
    """A heading's id from its text, made unique with -2, -3... and added to used_ids."""
    base = slugify(text) or "section"
    candidate, n = base, 1
    while candidate in used_ids:
        n += 1
        candidate = f"{base}-{n}"
    used_ids.add(candidate)
    return candidate


class _NewsTreeprocessor(Treeprocessor):
    """Typography, heading ids and safe link targets; records lead paragraphs and word count."""

    def __init__(self, md: markdown.Markdown, typography: bool, trusted: bool):
        super().__init__(md)
        self.typography = typography
        self.trusted = trusted
        self.paragraphs: list[str] = []
        self.word_count = 0
        self.lead = False  # rendering a <!--more--> lead for the summary toggle, shown twice beside the body
        self.source = ""  # the content file being rendered, for links relative to it
        self.base_path = "/"
        self.links: list[tuple[str, str]] = []

    def run(self, root: etree.Element) -> None:
        if self.typography:
            last = ""
            for owner, attr in _text_nodes(root):
                value = getattr(owner, attr)
                if value:
                    value = _smarten(value, last)
                    setattr(owner, attr, value)
                    last = value[-1]
        used_ids: set[str] = {str(e.get("id")) for e in root.iter() if e.get("id")} | THEME_IDS
        for element in root.iter():
            if not self.trusted:
                for name in [name for name in element.attrib if name.lower().startswith("on")]:
                    del element.attrib[name]
            if element.tag in ("a", "img"):
                attr = "href" if element.tag == "a" else "src"
                if attr in element.attrib and not is_safe_url(element.get(attr, ""), self.trusted):
                    del element.attrib[attr]
                elif attr in element.attrib:
                    href, linked = rewrite_href(element.get(attr, ""), self.source, self.base_path)
                    if linked:
                        self.links.append((element.get(attr, ""), linked))
                    element.set(attr, href)
            elif element.tag == "table":
                # The theme lets a wide table scroll in its own box; keyboard users must be able to scroll it too.
                element.set("tabindex", "0")
            elif element.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and not element.get("id"):
                element.set("id", _heading_id(_plain(element), used_ids))
        stash = self.md.htmlStash.rawHtmlBlocks
        self.paragraphs = []
        for child in root:
            if child.tag in ("h1", "h2", "h3", "h4", "h5", "h6") and any(self.paragraphs):
                break  # the lead ends where the first titled part of the article begins
            if child.tag == "p" and not (len(child) == 0 and _STASHED_BLOCK.fullmatch(child.text or "")):
                self.paragraphs.append(_plain(child, stash).strip())
            elif child.tag in ("ul", "ol"):
                self.paragraphs.extend(_plain(li, stash).strip() for li in child if li.tag == "li")
            elif isinstance(child.tag, str) and any(self.paragraphs):
                self.paragraphs.append(LEFT_OUT)  # (a table, code, a quotation; raw HTML or fenced code, stashed)
        self.paragraphs = list(lead_paragraphs(self.paragraphs))
        self.word_count = len(_PLACEHOLDER.sub(" ", "".join(root.itertext())).split())
        if self.lead:  # the body already has these ids: a page must not repeat them
            for element in root.iter():
                element.attrib.pop("id", None)


class NewsExtension(Extension):
    """Registers the news treeprocessor after attr_list, before unescaping."""

    def __init__(self, typography: bool = True, trusted: bool = True):
        super().__init__()
        self.typography = typography
        self.trusted = trusted

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_NewsTreeprocessor(md, self.typography, self.trusted), "broadsheet-news", 6)
        if not self.trusted:
            # Raw HTML is shown as text.
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")


# The characters without which an inline pattern cannot match (tab expansion can make the two spaces of a line
# break). A document lacking them all is converted without the pattern: each pattern is otherwise tried on every
# run of text, most of a body's conversion time. Patterns not named here are always tried.
_PATTERN_NEEDS = {
    "backtick": ("`",), "escape": ("\\",), "footnote": ("[^",), "reference": ("[",), "link": ("[",),
    "image_link": ("![",), "image_reference": ("![",), "short_reference": ("[",), "short_image_ref": ("![",),
    "autolink": ("<",), "automail": ("<",), "html": ("<",), "entity": ("&",), "linebreak": ("  ", "\t"),
    "em_strong": ("*", "_"), "em_strong2": ("_",), "not_strong": ("*", "_"),
}


class _PrunedInlineProcessor(InlineProcessor):
    """Python-Markdown's inline pass, trying on each run of text only the patterns whose characters it holds: the
    document as a whole holds a `[` or a `*` somewhere, most of its paragraphs and link texts do not, and each
    pattern tried is a Python call and a regular expression search (about a sixth of a body's conversion time)."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.needs: list[tuple[str, ...]] = []  # for each of inlinePatterns: see _PATTERN_NEEDS

    # Python-Markdown's own loop over the patterns (InlineProcessor.__handleInline, which __applyPattern calls again
    # for the text of what a pattern made), with the test of each pattern's characters added.
    def _InlineProcessor__handleInline(self, data: str, index: int = 0) -> str:
        if not isinstance(data, AtomicString):
            start = 0
            patterns, needs = self.inlinePatterns, self.needs
            while index < len(patterns):
                wanted = needs[index]
                if wanted:
                    for need in wanted:  # (a loop: a generator costs more than the test)
                        if need in data:
                            break
                    else:
                        index, start = index + 1, 0  # (as after a pattern that did not match)
                        continue
                data, matched, start = self._InlineProcessor__applyPattern(  # type: ignore[attr-defined]
                    patterns[index], data, index, start)
                if not matched:
                    index += 1
        return data


# The Python-Markdown version the two loops here (the inline loop above, the block loop below) were checked against:
# the differential tests compare them with its own loops (MarkdownRenderer(all_patterns=True)), on the version
# constraints.txt pins (a test holds the two equal). On any other version, Python-Markdown's own loops run.
LOOPS_CHECKED_WITH = "3.11.4"
_OWN_LOOPS = markdown.__version__ == LOOPS_CHECKED_WITH
_PRUNE_RUNS = _OWN_LOOPS and hasattr(InlineProcessor, "_InlineProcessor__handleInline") and hasattr(
    InlineProcessor, "_InlineProcessor__applyPattern")


class _InlinePatterns:
    """A Markdown instance's inline patterns in order, and the ones a given document can need."""

    def __init__(self, md: markdown.Markdown, prune: bool = True):
        if prune and _PRUNE_RUNS and type(md.treeprocessors["inline"]) is InlineProcessor:
            md.treeprocessors.register(_PrunedInlineProcessor(md), "inline", 20)  # in its place, at its priority
        # An InlineProcessor, pruned or not (only the pruned one reads `needs`).
        self._inline: Any = md.treeprocessors["inline"]
        names = {id(md.inlinePatterns[name]): name for name in _PATTERN_NEEDS if name in md.inlinePatterns}
        self._ordered = [(_PATTERN_NEEDS.get(names.get(id(pattern), ""), ()), pattern) for pattern in md.inlinePatterns]

    def use_for(self, text: str | None) -> None:
        """Try only the patterns that can match in text from now on, on each run of text only those that can match
        in it (all of them everywhere for None)."""
        ordered = [(needs, pattern) for needs, pattern in self._ordered
                   if text is None or not needs or any(n in text for n in needs)]
        self._inline.inlinePatterns = [pattern for _, pattern in ordered]
        self._inline.needs = [() if text is None else needs for needs, _ in ordered]


# What a block processor's test cannot pass without: one of these in the block, where a leading newline also stands
# for the start of the block. Its test searches the whole block with a regular expression, for every block the
# processors before it did not take (a fifth of a body's conversion time); a block lacking them all is not searched.
_BLOCK_NEEDS = {
    "hashheader": ("\n#",),
    "setextheader": ("\n=", "\n-"),
    "hr": ("--", "- -", "-  -", "__", "_ _", "_  _", "**", "* *", "*  *"),
    "quote": ("\n>", "\n >", "\n  >", "\n   >"),
    "deflist": ("\n:", "\n :", "\n  :", "\n   :"),
    "table": ("|",),
}


def _pruned_block_loop(md: markdown.Markdown) -> Callable[[etree.Element, list[str]], None]:
    """Python-Markdown's BlockParser.parseBlocks (each block processor in order tests the first block; the first
    whose test passes and whose run does not return False takes it), testing a processor named in _BLOCK_NEEDS only
    on a block holding what it needs, and going over the processors as a list made once instead of a copy of the
    registry for every block."""
    needs = {id(md.parser.blockprocessors[name]): (wanted, tuple(n[1:] for n in wanted if n[0] == "\n"))
             for name, wanted in _BLOCK_NEEDS.items() if name in md.parser.blockprocessors}
    processors = [(processor, *needs.get(id(processor), ((), ()))) for processor in md.parser.blockprocessors]

    def parse_blocks(parent: etree.Element, blocks: list[str]) -> None:
        while blocks:
            block = blocks[0]
            for processor, contained, starts in processors:
                if contained and not (starts and block.startswith(starts)):
                    for need in contained:  # (a loop: a generator costs more than the test)
                        if need in block:
                            break
                    else:
                        continue
                if processor.test(parent, block):
                    if processor.run(parent, blocks) is not False:
                        break
                    block = blocks[0]
    return parse_blocks


class _FencedCodeAsWritten(FencedBlockPreprocessor):
    """Python-Markdown's fenced code blocks, keeping the values of a block's attributes as written, and highlighted
    (see highlight.py) when they name a language.

    It reads some of them as options of its code highlighter (`linenums=True` as True, `hl_lines="1 3"` as [1, 3]),
    which is not enabled here, and then fails to write them back as HTML attributes (`cannot serialize True`)."""

    highlight = True

    def run(self, lines: list[str]) -> list[str]:
        stash = self.md.htmlStash.rawHtmlBlocks
        first = len(stash)
        lines = super().run(lines)
        if self.highlight:
            for index in range(first, len(stash)):
                block = _PLAIN_FENCE.fullmatch(str(stash[index]))
                if block is not None:
                    from broadsheet.stages.highlight import highlight  # (Pygments: only where a fence names a language)

                    highlighted = highlight(html.unescape(block.group(2)), html.unescape(block.group(1)))
                    if highlighted is not None:
                        stash[index] = highlighted
        return lines

    def handle_attrs(self, attrs: Any) -> tuple[str, list[str], dict[str, Any]]:
        id_, classes, configs = super().handle_attrs(attrs)
        written = {key: key if value is None else value for key, value in attrs}
        # (use_pygments stays parsed: it is never written, and only a parsed false lets the others be written.)
        return id_, classes, {key: value if key == "use_pygments" else written.get(key, value)
                              for key, value in configs.items()}


# A fenced block as Python-Markdown writes it when it names a language and has no other attribute.
_PLAIN_FENCE = re.compile(r'<pre><code class="language-([^"]+)">(.*)</code></pre>', re.DOTALL)


def _extensions(trusted: bool) -> list[Extension]:
    """Python-Markdown's extensions for a body: `extra`'s, in its order, and sane lists; untrusted text without
    attr_list (it sets any attribute, onclick too) and md_in_html (raw HTML). Given as objects, not by name: a name
    makes Python-Markdown read every installed package's entry points first (30 ms, once in each process)."""
    if trusted:
        return [FencedCodeExtension(), FootnoteExtension(), AttrListExtension(), DefListExtension(), TableExtension(),
                AbbrExtension(), MarkdownInHtmlExtension(), SaneListExtension()]
    return [AbbrExtension(), DefListExtension(), FencedCodeExtension(), FootnoteExtension(), TableExtension(),
            SaneListExtension()]


def _markdown(trusted: bool, all_patterns: bool = False, highlight: bool = True) -> markdown.Markdown:
    md = markdown.Markdown(extensions=[*_extensions(trusted), NewsExtension(trusted=trusted)], output_format="html")
    fenced: dict[str, Any] = md.preprocessors["fenced_code_block"].config  # type: ignore[attr-defined]
    fences = _FencedCodeAsWritten(md, fenced)
    fences.highlight = highlight
    md.preprocessors.register(fences, "fenced_code_block", 25)  # in its place
    if not all_patterns and _OWN_LOOPS:
        # (Processors parse nested blocks through md.parser.parseBlocks too: this replaces it for every level.)
        md.parser.parseBlocks = _pruned_block_loop(md)  # type: ignore[method-assign, assignment]
    return md


class MarkdownRenderer:
    """One reusable Markdown instance for bodies and one for front matter summaries.

    Bodies are trusted (raw HTML passes as written) unless `trusted_bodies` is False (site.yaml `raw_html: false`);
    summaries never are. `highlight`: fenced code naming a language is highlighted (site.yaml `highlight`).
    """

    def __init__(self, trusted_bodies: bool = True, all_patterns: bool = False, subset: bool = True,
                 highlight: bool = True) -> None:
        self._body = _markdown(trusted_bodies, all_patterns, highlight)
        self._summary = _markdown(False, all_patterns, highlight)
        # (With all_patterns, Python-Markdown's own loops: what the differential tests compare with.)
        self._patterns = {id(md): _InlinePatterns(md, not all_patterns) for md in (self._body, self._summary)}
        self._all_patterns = all_patterns  # try every pattern and block processor everywhere (for tests)
        self._trusted = trusted_bodies
        self._subset = subset and not all_patterns  # bodies in the common subset converted directly (subset_body)

    def _prepare(self, md: markdown.Markdown, text: str, source: str, base_path: str) -> _NewsTreeprocessor:
        md.reset()
        self._patterns[id(md)].use_for(None if self._all_patterns else text)
        news: _NewsTreeprocessor = md.treeprocessors["broadsheet-news"]  # type: ignore[assignment]
        news.source, news.base_path, news.links = source, base_path, []
        news.paragraphs, news.word_count = [], 0  # (a blank text skips the treeprocessors)
        return news

    def body(self, text: str, source: str = "", base_path: str = "/") -> RenderedBody:
        """Render an article body; links are rewritten relative to `source` (see links.rewrite_href)."""
        lead = self._body.treeprocessors["broadsheet-news"].lead  # type: ignore[attr-defined]
        if self._subset and not lead:
            direct = subset_body(text, source, base_path, self._trusted)
            if direct is not None:
                return direct
        news = self._prepare(self._body, text, source, base_path)
        result = self._body.convert(text)
        return RenderedBody(result, tuple(news.paragraphs), news.word_count, tuple(news.links))

    def lead(self, text: str, source: str = "", base_path: str = "/") -> RenderedBody:
        """Render the part of a body before `<!--more-->` as a summary: no ids, no footnote references
        (their notes are below the marker)."""
        news: _NewsTreeprocessor = self._body.treeprocessors["broadsheet-news"]  # type: ignore[assignment]
        news.lead = True
        try:
            return self.body(_FOOTNOTE_REFERENCE.sub("", text), source, base_path)
        finally:
            news.lead = False

    def summary(self, text: str, source: str = "", base_path: str = "/") -> str:
        """Render a summary written in front matter (its HTML reduced to safe inline elements: see
        summary_with_html)."""
        if not self._all_patterns and _is_plain_line(text):
            return f"<p>{_smarten(text, '')}</p>"  # what Markdown makes of it, without going through its passes
        if "<" in text:
            return summary_with_html(self._convert_summary, text, source, base_path)
        return self._convert_summary(text, source, base_path)

    def _convert_summary(self, text: str, source: str, base_path: str) -> str:
        self._prepare(self._summary, text, source, base_path)
        return self._summary.convert(text)


# A summary written in front matter may hold HTML (a Jekyll `excerpt` does: `<a href="…">`). Its inline elements of
# these kinds are kept, links only to safe addresses; any other HTML tag is dropped, its text kept (a script's or a
# style's too: dropped); the rest is Markdown as before.
_SUMMARY_TAGS = frozenset({"a", "em", "strong", "i", "b", "code", "s", "del", "sub", "sup", "abbr", "q", "br"})
# What reads as an HTML tag: a name of HTML's (`<than>` in "less <than> more" stays text, shown as written).
_HTML_ELEMENTS = _SUMMARY_TAGS | frozenset(
    "address area article aside audio bdi bdo big blockquote body button canvas caption center cite col colgroup data "
    "dd details dfn dialog div dl dt embed fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 head header "
    "hr html iframe img input ins kbd label legend li link main map mark meta meter nav noscript object ol optgroup "
    "option output p picture pre progress rp rt ruby samp script section select small source span strike style "
    "summary sup table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr".split())
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)/?>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_KEPT_TAG = re.compile("\ue002([\ue100-\ue1ff]+)\ue003")


def summary_with_html(convert: Callable[[str, str, str], str], text: str, source: str, base_path: str) -> str:
    """A front matter summary holding HTML, rendered by `convert` (text, source, base_path) with its safe inline
    elements kept as elements (see above), never shown as escaped tags; where the kept tags would not nest
    properly in the result, its text alone."""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        closing, name = match.group(1), match.group(2).lower()
        if name not in _HTML_ELEMENTS:
            return match.group()
        if name not in _SUMMARY_TAGS:
            return ""
        if closing:
            tag = f"</{name}>"
        elif name == "a":
            found = _HREF.search(match.group(3))
            href = html.unescape(next((g for g in found.groups() if g is not None), "")) if found else ""
            if href and is_safe_url(href, trusted=False):
                tag = f'<a href="{html.escape(rewrite_href(href, source, base_path)[0])}">'
            else:
                tag = "<a>"
        else:
            tag = f"<{name}>" if name != "br" else "<br>"
        kept.append(tag)
        digits = "".join(chr(0xE100 + int(d)) for d in str(len(kept) - 1))
        return f"\ue002{digits}\ue003"

    marked = _HTML_TAG.sub(keep, _SCRIPT.sub("", text))
    rendered = convert(marked, source, base_path)

    def tag(match: re.Match[str]) -> str:
        return kept[int("".join(str(ord(c) - 0xE100) for c in match.group(1)))]

    result = _KEPT_TAG.sub(tag, rendered)
    return result if is_balanced(result) else _KEPT_TAG.sub("", rendered)


# ---- Bodies written in the common subset of Markdown, converted directly ----
#
# Most news bodies are paragraphs, `##` headings, short `-` and `1.` lists, quotes and tables, with emphasis, links
# and the odd `code`. Such a body is converted here without Python-Markdown's passes (a tree, each block processor's
# test, each inline pattern's search, serialising), in about a quarter of the time; anything else in it, or anything
# the checks below are not sure of, and the whole body goes to Python-Markdown. The result is the same: property
# tests compare the two on random bodies.

# Anywhere in a body: syntax left to Python-Markdown (escapes, raw HTML, attribute lists; images and footnotes, by a
# `[` of their own, see _outside_subset). Space at the start of a line is refused line by line below.
_OUTSIDE_SUBSET = ("\\", "<", "{", "}")
# The start of a line that may begin a block, or that the checks below do not read as text.
_BLOCK_START = re.compile(r"[ #>\-+=:~`_]|\d+\.|\[[^\[\]]*\]:|\*(?:[ \[]|$|\*(?:[ *]|$))")
_HEADING = re.compile(r"(#{1,6}) ([^#\s][^#]*)")
_TABLE_RULE = re.compile(r":?-+:?")
_ALIGN = {(True, True): ' style="text-align: center;"', (True, False): ' style="text-align: left;"',
          (False, True): ' style="text-align: right;"', (False, False): ""}
_ITEM = {"ul": re.compile(r"- (.+)"), "ol": re.compile(r"\d+\. (.+)")}
_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_LINK = re.compile(r"\[([^\[\]`*\n]+)\]\(([^\s()<>\"'`\[\]*&]+)\)")
_STARS = re.compile(r"\*+")
_INLINE_SYNTAX_IN_SUBSET = re.compile(r"[`\[\]*&_]")
_LONE_AMPERSAND = re.compile(r"&(?=[ \n]|$)")
_ENTITY_LIKE = re.compile(r"&(?!(?:#[0-9]+|#x[0-9a-f]+|[0-9a-z]+);)", re.IGNORECASE)  # as Python-Markdown escapes


@dataclass(slots=True)
class _Element:
    """An inline element of the subset: em, strong, code (text in children[0]) or a (with its href)."""

    tag: str
    children: list[_Inline]
    href: str | None = None


_Inline = str | _Element


def _text_of(element: _Element) -> str:
    """The text of a code span, or of a link whose text is plain."""
    text = element.children[0]
    return text if isinstance(text, str) else ""


def _attribute(value: str) -> str:
    value = _ENTITY_LIKE.sub("&amp;", value)
    return value.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _subset_inline(text: str) -> list[_Inline] | None:
    """The inline content of a block, or None where it holds more than the subset (or what may read otherwise)."""
    if _INLINE_SYNTAX_IN_SUBSET.search(text) is None:
        return [text]
    tokens: list[_Inline] = []  # text and the elements no star can be in: code spans (found first) and links
    start = 0
    for code in _CODE_SPAN.finditer(text):
        content = code.group(1)
        if content != content.strip() or "&" in content or ">" in content:
            return None
        tokens.append(text[start:code.start()])
        tokens.append(_Element("code", [content]))
        start = code.end()
    tokens.append(text[start:])
    linked: list[_Inline] = []
    for token in tokens:
        if isinstance(token, _Element):
            linked.append(token)
            continue
        start = 0
        for link in _LINK.finditer(token):
            linked.append(token[start:link.start()])
            linked.append(_Element("a", [link.group(1)], link.group(2)))
            start = link.end()
        linked.append(token[start:])
    for token in linked:
        text_of = token if isinstance(token, str) else _text_of(token) if token.tag == "a" else ""
        if "`" in text_of or "[" in text_of or "]" in text_of or "_" in text_of \
                or text_of.count("&") != len(_LONE_AMPERSAND.findall(text_of)):
            return None
    return _emphasis(linked) if "*" in text else linked


def _emphasis(tokens: list[_Inline]) -> list[_Inline] | None:
    """Tokens with their stars made em and strong elements: each opening run of one or two stars before a
    non-space, closed by the next run, of the same length, after a non-space, on the same line; else None."""
    nodes: list[_Inline] = []
    current = nodes
    opened = 0
    for index, token in enumerate(tokens):
        if isinstance(token, _Element):
            current.append(token)
            continue
        start = 0
        for run in _STARS.finditer(token):
            length = run.end() - run.start()
            before = token[start:run.start()]
            if not opened:
                following = token[run.end():run.end() + 1] or ("x" if index + 1 < len(tokens) else "")
                if length > 2 or not following or following.isspace():
                    return None
                current.append(before)
                element = _Element("strong" if length == 2 else "em", [])
                current.append(element)
                current, opened = element.children, length
            else:
                preceding = token[run.start() - 1] if run.start() else ("x" if index else "")
                if length != opened or not preceding or preceding.isspace():
                    return None
                current.append(before)
                if any(isinstance(node, str) and "\n" in node for node in current):  # (DOTALL: left to Markdown)
                    return None
                current, opened = nodes, 0
            start = run.end()
        current.append(token[start:])
    return None if opened else nodes


class _SubsetWriter:
    """Serialises subset blocks as Python-Markdown does, with the news treeprocessor's typography, heading ids
    and link rewriting, and gathers the lead paragraphs, word count and links."""

    def __init__(self, source: str, base_path: str, trusted: bool):
        self.source, self.base_path, self.trusted = source, base_path, trusted
        self.links: list[tuple[str, str]] = []
        self.used_ids: set[str] = set(THEME_IDS)
        self.words = 0
        self.last = ""  # the last character of typography's text so far (see _NewsTreeprocessor.run)

    def inline(self, nodes: list[_Inline], html_out: list[str], plain_out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, str):
                if node:
                    node = _smarten(node, self.last)
                    self.last = node[-1]
                    plain_out.append(node)
                    html_out.append(node.replace("&", "&amp;").replace(">", "&gt;"))
            elif node.tag == "code":
                code = _text_of(node)
                plain_out.append(code)  # (not typography: `last` stays)
                html_out.append(f"<code>{code}</code>")
            elif node.tag == "a":
                href = node.href or ""
                if not is_safe_url(href, self.trusted):
                    html_out.append("<a>")
                else:
                    rewritten, linked = rewrite_href(href, self.source, self.base_path)
                    if linked:
                        self.links.append((href, linked))
                    html_out.append(f'<a href="{_attribute(rewritten)}">')
                self.inline(node.children, html_out, plain_out)
                html_out.append("</a>")
            else:
                html_out.append(f"<{node.tag}>")
                self.inline(node.children, html_out, plain_out)
                html_out.append(f"</{node.tag}>")

    def leaf(self, tag: str, nodes: list[_Inline], attributes: str = "") -> tuple[str, str]:
        """(html, plain text) of a paragraph, heading, list item or table cell."""
        self.last = "\n"  # Python-Markdown's tree puts a newline between blocks
        html_out: list[str] = []
        plain_out: list[str] = []
        self.inline(nodes, html_out, plain_out)
        plain = "".join(plain_out)
        self.words += len(plain.split())
        if tag[0] == "h" and tag != "th":
            attributes = f' id="{_attribute(_heading_id(plain, self.used_ids))}"'
        return f"<{tag}{attributes}>{''.join(html_out)}</{tag}>", plain


def _subset_table(lines: list[str]) -> list[Any] | None:
    """A table with a border on both sides, a header, a rule and rows of as many cells, none holding code: [the
    cells' alignments, the header's cells, the rows' cells], each cell's inline nodes; or None."""
    if len(lines) < 3 or "`" in "".join(lines) or any(line[0] != "|" or line[-1] != "|" or len(line) < 2
                                                      for line in lines):
        return None
    rows = [[cell.strip(" ") for cell in line[1:-1].split("|")] for line in lines]
    width = len(rows[0])
    if width < 2 or any(len(row) != width for row in rows) or not all(_TABLE_RULE.fullmatch(c) for c in rows[1]):
        return None
    cells = [[_subset_inline(cell) for cell in row] for row in (rows[0], *rows[2:])]
    if any(None in row for row in cells):
        return None
    return [[_ALIGN[rule[0] == ":", rule[-1] == ":"] for rule in rows[1]], cells[0], cells[1:]]


def _subset_blocks(text: str) -> list[tuple[str, list[Any]]] | None:
    """The body's blocks as (tag, content), or None where it holds more than the subset: `p` and `hN` hold inline
    nodes, `ul` and `ol` a list of items' inline nodes, `blockquote` a list of paragraphs' inline nodes, `table`
    what _subset_table returns."""
    blocks: list[tuple[str, list[Any]]] = []
    previous = ""
    for chunk in re.split(r"\n\n+", text.strip("\n")):
        lines = chunk.split("\n")
        first = lines[0]
        if "|" in chunk:  # (Python-Markdown tries every block as a table)
            table = _subset_table(lines) if first[0] == "|" else None
            block: tuple[str, list[Any]] = ("table", table) if table is not None else ("", [])
        elif first[0] == "#":
            heading = _HEADING.fullmatch(first)
            if heading is None or len(lines) > 1:
                return None
            content = _subset_inline(heading.group(2))
            block = (f"h{len(heading.group(1))}", content) if content is not None else ("", [])
        elif first[0] == ">":
            if previous == "blockquote" or any(line[0] != ">" for line in lines):
                return None
            quoted = "\n".join(line[2:] if line.startswith("> ") else line[1:] for line in lines)
            if quoted != quoted.strip("\n"):  # (Python-Markdown keeps a newline at the end of the last paragraph)
                return None
            paragraphs = _subset_blocks(quoted) if quoted else None
            if not paragraphs or any(tag != "p" for tag, _ in paragraphs):
                return None
            block = ("blockquote", [content for _, content in paragraphs])
        elif first[0] == "-" or (first[0].isdigit() and _ITEM["ol"].match(first)):
            kind = "ul" if first[0] == "-" else "ol"
            # (A list right after one of its kind, past a blank line, continues it with loose items.)
            if previous == kind or (kind == "ol" and not first.startswith("1. ")):
                return None
            items = []
            for line in lines:
                item = _ITEM[kind].fullmatch(line)
                if item is None or _BLOCK_START.match(item.group(1)):
                    return None
                items.append(_subset_inline(item.group(1)))
            block = (kind, items) if None not in items else ("", [])
        else:
            if any(_BLOCK_START.match(line) for line in lines):
                return None
            content = _subset_inline(chunk)
            block = ("p", content) if content is not None else ("", [])
        if not block[0]:
            return None
        blocks.append(block)
        previous = block[0]
    return blocks


def _outside_subset(text: str) -> bool:
    """Whether a body is blank or holds, anywhere, what the subset leaves to Python-Markdown (a test of each
    character or pair, quicker than one regular expression; a body has few `[`)."""
    if not text.strip() or text[-1] == " " or " \n" in text:  # (spaces at the end of a line: a line break)
        return True
    for character in _OUTSIDE_SUBSET:
        if character in text:
            return True
    bracket = text.find("[")
    while bracket >= 0:
        if text[bracket - 1:bracket] == "!" or text[bracket + 1:bracket + 2] == "^":  # an image, a footnote
            return True
        bracket = text.find("[", bracket + 1)
    return not text.replace("\n", "").isprintable()  # other whitespace, control characters


def subset_body(text: str, source: str, base_path: str, trusted: bool) -> RenderedBody | None:
    """The body rendered as Python-Markdown with the news extension renders it, where it is written in the common
    subset of Markdown (see above); None otherwise."""
    if _outside_subset(text):
        return None
    blocks = _subset_blocks(text)
    if blocks is None:
        return None
    writer = _SubsetWriter(source, base_path, trusted)
    parts: list[str] = []
    paragraphs: list[str] = []
    lead_open = True
    for tag, content in blocks:
        if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6"):
            html_text, plain = writer.leaf(tag, content)
            parts.append(html_text)
            if tag[0] == "h" and any(paragraphs):
                lead_open = False
            elif tag == "p" and lead_open:
                paragraphs.append(plain.strip())
        elif tag == "table":
            if lead_open and any(paragraphs):
                paragraphs.append(LEFT_OUT)
            aligns, header, rows = content
            trs = ["<tr>\n" + "\n".join(writer.leaf(cell_tag, cell, align)[0] for cell, align in zip(row, aligns, strict=False))
                   + "\n</tr>" for cell_tag, row in (("th", header), *(("td", row) for row in rows))]
            parts.append(f'<table tabindex="0">\n<thead>\n{trs[0]}\n</thead>\n<tbody>\n' + "\n".join(trs[1:])
                         + "\n</tbody>\n</table>")
        elif tag == "blockquote":
            if lead_open and any(paragraphs):
                paragraphs.append(LEFT_OUT)
            inner = [writer.leaf("p", paragraph)[0] for paragraph in content]
            parts.append("<blockquote>\n" + "\n".join(inner) + "\n</blockquote>")
        else:
            items = [writer.leaf("li", item) for item in content]
            parts.append(f"<{tag}>\n" + "\n".join(html_text for html_text, _ in items) + f"\n</{tag}>")
            if lead_open:
                paragraphs.extend(plain.strip() for _, plain in items)
    return RenderedBody("\n".join(parts), lead_paragraphs(paragraphs), writer.words, tuple(writer.links))


# Characters that Markdown may read as syntax anywhere in a line (a line's first character is checked apart).
_INLINE_SYNTAX = re.compile(r"[\\`*_\[\]<>&#|~{}]")


def _is_plain_line(text: str) -> bool:
    """Whether Markdown makes of text one paragraph of the text as it is (a summary usually is such a sentence or
    two): one line, nothing around it, no character of inline syntax, and a first character that starts no block
    (a letter, a quotation mark, a parenthesis; not a digit, a dash, a `>`, a colon...)."""
    return (text != "" and (text[0].isalpha() or text[0] in "\"'(\u2018\u201c") and text.isprintable()
            and text == text.rstrip() and _INLINE_SYNTAX.search(text) is None)


_renderers: dict[tuple[bool, bool], MarkdownRenderer] = {}


def renderer(raw_html: bool = True, highlight: bool = True) -> MarkdownRenderer:
    """This process's renderer, created on first use; `raw_html` says whether body HTML is trusted, `highlight`
    whether fenced code is highlighted."""
    if (raw_html, highlight) not in _renderers:
        _renderers[raw_html, highlight] = MarkdownRenderer(raw_html, highlight=highlight)
    return _renderers[raw_html, highlight]


_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.ok = False


def is_balanced(fragment: str) -> bool:
    """Whether every element of an HTML fragment is closed, in order: safe to place inside another element."""
    checker = _Balance()
    checker.feed(fragment)
    checker.close()
    return checker.ok and not checker.open


def split_more(text: str) -> tuple[str, str] | None:
    """Split a body at its `<!--more-->` line, outside code: (lead, whole body without the marker), or None."""
    lines = text.split("\n")
    fence = ""
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                fence = ""
        elif opening:
            fence = opening.group(1)
        elif MORE_MARKER.fullmatch(line):
            # The marker's line stays as a blank line, so the paragraphs around it stay apart.
            return "\n".join(lines[:index]), "\n".join([*lines[:index], "", *lines[index + 1:]])
    return None


def auto_summary(paragraphs: tuple[str, ...], words: int) -> str:
    """The first sentences of the lead paragraphs, about `words` words, as safe HTML paragraphs.

    It never ends on a sentence introducing what it leaves out (one ending in `:` before code, a table, a figure:
    LEFT_OUT; or before a list, where the summary stops before the end of the lead); such a sentence coming first
    is skipped."""
    chosen: list[tuple[int, str]] = []  # (paragraph, sentence)
    count = 0
    complete = True  # every sentence of the lead is in the summary
    for position, paragraph in enumerate(paragraphs):
        if paragraph == LEFT_OUT:
            continue
        split = _split_sentences(paragraph)
        for number, sentence in enumerate(split):
            if count >= words:
                complete = False
                break
            if sentence.endswith(":") and number == len(split) - 1 and (
                    position + 1 == len(paragraphs) or paragraphs[position + 1] == LEFT_OUT):
                complete = not chosen  # (the summary ends before it, or goes on without a first such sentence)
                break
            sentence_words = sentence.split()
            if count + len(sentence_words) > words * 2 and not chosen:
                sentence = " ".join(sentence_words[:words]).rstrip(",;:") + "\u2026"
            chosen.append((position, sentence))
            count += len(sentence_words)
        if not complete:
            break
    if not complete:  # what a sentence ending a paragraph with `:` introduces may not all be in the summary
        for index, (position, sentence) in enumerate(chosen):
            if sentence.endswith(":") and (index + 1 == len(chosen) or chosen[index + 1][0] != position):
                chosen = chosen[:index] if index else chosen[1:]
                break
    grouped: dict[int, list[str]] = {}
    for position, sentence in chosen:
        grouped.setdefault(position, []).append(sentence)
    return titles_from_text("".join(f"<p>{html.escape(' '.join(s), quote=False)}</p>" for s in grouped.values()))


def _split_sentences(paragraph: str) -> list[str]:
    """Split plain text after sentence-ending punctuation followed by space."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        sentences.append(paragraph[start:match.start() + len(match.group().rstrip())].strip())
        start = match.end()
    sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


_TAG = re.compile(r"<[^>]*>")


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment, with whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def describe(fragment: str, limit: int = 160) -> str:
    """A plain-text description of at most `limit` characters, cut at a word."""
    text = plain_text(fragment)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "\u2026"
