"""The `commonmark` Markdown engine: CommonMark 0.31 with GitHub's extensions, and the same news features as the
default engine (markup.py).

markdown-it-py parses (the `commonmark` preset, with tables, strikethrough, task lists, GFM autolinks and
footnotes from mdit-py-plugins); one core rule, run on the tokens before they are rendered, does what the default
engine's treeprocessor does on its tree: typography (never inside code), heading ids, links to content files
rewritten (base-path aware) and collected, unsafe link targets dropped, the lead paragraphs and the word count.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

from broadsheet.links import rewrite_href
from broadsheet.markup import (
    _ALIGN,
    _CODE_SPAN,
    _FOOTNOTE_REFERENCE,
    _LINK,
    _STARS,
    LEFT_OUT,
    THEME_IDS,
    RenderedBody,
    _heading_id,
    _Inline,
    _is_plain_line,
    _outside_subset,
    _smarten,
    _subset_blocks,
    _text_of,
    is_safe_url,
    lead_paragraphs,
    summary_with_html,
)

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Top-level blocks that automatic summaries leave out (see markup.LEFT_OUT).
_LEFT_OUT_BLOCKS = frozenset({"fence", "code_block", "html_block", "hr", "table_open", "blockquote_open",
                              "footnote_block_open"})
_RAW = "\x01"  # stands for raw inline HTML in plain text: no text of its own, but it parts words (as in markup.py)


@dataclass(slots=True)
class _Render:
    """What one render asks for (in markdown-it's env) and what the news rule finds."""

    source: str
    base_path: str
    trusted: bool
    news: bool  # typography and heading ids (the spec's examples are run without them)
    lead: bool = False  # a <!--more--> lead: shown beside the body, so it repeats no ids
    links: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    words: int = 0


def _inline(md: MarkdownIt, children: Sequence[Token], render: _Render) -> str:
    """Typography and safe, rewritten links in one inline token's children; returns their plain text (code and link
    text in, footnote markers, image descriptions and raw HTML out; _RAW where raw HTML was)."""
    parts: list[str] = []
    last = "\n"  # the character before the text so far: a block starts after a newline, as in markup.py's tree
    verbatim = 0  # inside an autolink: a URL shown as written
    for child in children:
        kind = child.type
        if kind == "text":
            text = child.content
            if render.news and not verbatim and text:
                text = child.content = _smarten(text, last)
            if text:
                last = text[-1]
                parts.append(text)
        elif kind == "code_inline":
            parts.append(child.content)  # (not typography: `last` stays, as in markup.py)
        elif kind == "text_special":  # a backslash escape or an entity: the character as written, never curled
            parts.append(child.content)
            last = child.content[-1:] or last
        elif kind == "softbreak" or kind == "hardbreak":
            parts.append("\n")
            last = "\n"
        elif kind == "link_open":
            _target(md, child, "href", render)
            if child.markup in ("autolink", "linkify"):
                verbatim += 1
        elif kind == "link_close":
            verbatim = max(0, verbatim - 1)
        elif kind == "image":
            _target(md, child, "src", render)  # (its description is an attribute: neither typography nor text)
        elif kind == "html_inline":
            parts.append(_RAW)
            last = child.content[-1:] or last
    return "".join(parts)


def _target(md: MarkdownIt, token: Token, name: str, render: _Render) -> None:
    """Drop an unsafe link target; rewrite one to a content file or the site's root (see links.rewrite_href)."""
    url = token.attrs.get(name)
    if not isinstance(url, str):
        return
    rewritten = _rewrite(md, url, render)
    if rewritten is None:
        del token.attrs[name]
    else:
        token.attrs[name] = rewritten


def _rewrite(md: MarkdownIt, url: str, render: _Render) -> str | None:
    """A link target as output (see _target), or None where it is unsafe; links to content files are collected."""
    if not is_safe_url(url, render.trusted):
        return None
    rewritten, linked = rewrite_href(url, render.source, render.base_path)
    if linked:
        render.links.append((md.normalizeLinkText(url), linked))  # (as written, for the line it is on)
    return rewritten


def _footnote_caption(self: object, tokens: Sequence[Token], idx: int, options: object, env: object) -> str:
    """A footnote's marker: its number, however often the note is referred to (as on GitHub)."""
    return str(tokens[idx].meta["id"] + 1)


def _footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """A reference to a footnote, with the class on the link, as the theme styles it."""
    name = self.rules["footnote_anchor_name"](tokens, idx, options, env)
    sub = tokens[idx].meta.get("subId", -1)
    ref = f"fnref{name}:{sub}" if sub > 0 else f"fnref{name}"
    caption = _footnote_caption(self, tokens, idx, options, env)
    return f'<sup id="{ref}"><a class="footnote-ref" href="#fn{name}">{caption}</a></sup>'


def _news_rule(state: StateCore) -> None:
    """The news features over a document's tokens (see the module's docstring)."""
    render: _Render = state.env["broadsheet"]
    md = state.md
    used_ids = set(THEME_IDS)
    paragraphs: list[str] = []
    texts: list[str] = []  # for the word count
    lead_open = True  # the lead ends where the first titled part of the article begins
    item: list[str] | None = None  # the plain text of a top-level list's item so far
    tokens = state.tokens
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in _LEFT_OUT_BLOCKS and token.level == 0 and lead_open and any(paragraphs):
            paragraphs.append(LEFT_OUT)
        if kind == "inline":
            plain = _inline(md, token.children or (), render)
            texts.append(plain)
            opener = tokens[index - 1]
            if opener.tag in _HEADINGS and opener.nesting == 1:
                if render.news and not render.lead:
                    opener.attrs["id"] = _heading_id(plain.replace(_RAW, ""), used_ids)
                if opener.level == 0 and any(paragraphs):
                    lead_open = False
            elif item is not None:
                item.append(plain)
            elif opener.type == "paragraph_open" and opener.level == 0 and lead_open:
                paragraphs.append(plain.replace(_RAW, "").strip())
        elif kind == "code_block":  # (the default engine counts the words of indented code, not of fenced code)
            texts.append(token.content)
        elif kind == "list_item_open" and token.level == 1 and lead_open:  # (an item of a list at the top)
            item = []
        elif kind == "list_item_close" and item is not None and token.level == 1:
            paragraphs.append("\n".join(item).replace(_RAW, "").strip())
            item = None
        elif kind == "table_open" and render.news:
            # The theme lets a wide table scroll in its own box; keyboard users must be able to scroll it too.
            token.attrs["tabindex"] = "0"
    render.paragraphs = list(lead_paragraphs(paragraphs))
    render.words = len(" ".join(texts).replace(_RAW, " ").split())


# Rules that cannot match in a text lacking all of these strings: a text lacking them is parsed without the rules.
# markdown-it tries every inline rule at each character that may start one (`*`, `-`, `:`...; `w`, for `www.`) until
# one matches, a Python call each; a news body has a `[` or a `*` somewhere, but rarely a `<`, a `~` or `www.`.
# Without the rules the tokens are the same (tests compare the two on the spec's examples).
_RULE_NEEDS = {
    "escape": ("\\",), "backticks": ("`",), "strikethrough": ("~",), "emphasis": ("*", "_"), "link": ("[",),
    "image": ("![",), "footnote_ref": ("[^",), "footnote_def": ("[^",), "autolink": ("<",), "html_inline": ("<",),
    "html_block": ("<",), "entity": ("&",), "table": ("|",), "gfm_autolink_www": ("www.",),
    "gfm_autolink_protocol": (":",), "gfm_autolink_email": ("@",),
}
# The characters at which each inline rule may match. markdown-it's text rule stops at a fixed set of characters
# (`-`, `%`, `$`, `+`... for rules of other plugins) and tries every rule there; a parser stops only where one of its
# own rules can match. (`]` ends a link's text, which the link rule finds by skipping what the other rules match.)
_TRIGGERS = {
    "newline": "\n", "escape": "\\", "backticks": "`", "strikethrough": "~", "emphasis": "*_", "link": "[]",
    "image": "!", "footnote_ref": "[]", "autolink": "<", "html_inline": "<", "entity": "&", "gfm_autolink_www": "w",
    "gfm_autolink_protocol": ":", "gfm_autolink_email": "@",
}


def _highlight(code: str, info: str, attrs: str) -> str:
    """A fenced block highlighted (see highlight.py), or '' for markdown-it's own output."""
    if not info:
        return ""
    from broadsheet.highlight import highlight  # (Pygments: only where a fence names a language)

    return highlight(code, info) or ""


def _markdown(trusted: bool, prune: bool = False, unused: frozenset[str] = frozenset(),
              highlight: bool = False) -> MarkdownIt:
    """A parser for bodies (raw HTML passes when trusted) or for untrusted text (raw HTML shown as text); pruned,
    without the rules named in `unused` (see _RULE_NEEDS) and stopping only where its rules can match (_TRIGGERS)."""
    md = MarkdownIt("commonmark", {"html": trusted})
    md.enable(["table", "strikethrough"])
    md.options["tasklists"] = True
    md.options["strikethrough_single_tilde"] = True  # (as GitHub does)
    if highlight:
        md.options["highlight"] = _highlight
    md.use(gfm_autolink_plugin)
    md.use(footnote_plugin, inline=False)
    # Every target parses as a link; the news rule then drops the unsafe ones (is_safe_url), leaving the text
    # linked to nothing, as the default engine does (markdown-it alone would leave the Markdown as written).
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.core.ruler.before("text_join", "broadsheet_news", _news_rule)
    # Footnotes in the markup the theme styles (the default engine's): a numbered marker, a `footnote` block.
    md.add_render_rule("footnote_caption", _footnote_caption)
    md.add_render_rule("footnote_ref", _footnote_ref)
    md.add_render_rule("footnote_block_open", lambda *_: '<div class="footnote">\n<hr />\n<ol>\n')
    md.add_render_rule("footnote_block_close", lambda *_: "</ol>\n</div>\n")
    if prune:
        md.disable(sorted(unused))
        rules = md.inline.ruler.get_active_rules()
        stops = {character for name in rules if name != "text" for character in _TRIGGERS[name]}
        md.inline.terminator_re = re.compile("[" + re.escape("".join(sorted(stops))) + "]")
    return md


class _Parsers:
    """Parsers of one kind (trusted or not), each without the rules a text cannot need, made on first use."""

    def __init__(self, trusted: bool, prune: bool, highlight: bool = False) -> None:
        self.trusted, self.prune, self.highlight = trusted, prune, highlight
        self.made: dict[frozenset[str], MarkdownIt] = {}

    def for_text(self, text: str) -> MarkdownIt:
        """The parser for this text."""
        unused = frozenset(name for name, needs in _RULE_NEEDS.items() if not any(n in text for n in needs)) \
            if self.prune else frozenset()
        md = self.made.get(unused)
        if md is None:
            md = self.made[unused] = _markdown(self.trusted, self.prune, unused, self.highlight)
        return md


class CommonMarkRenderer:
    """The commonmark engine behind the interface of markup.MarkdownRenderer: body, lead and summary.

    Bodies are trusted (raw HTML passes as written) unless `trusted_bodies` is False (site.yaml `raw_html: false`);
    summaries never are. `news=False` leaves out what changes CommonMark's output on purpose (typography, heading
    ids, tables' tabindex), for the spec's examples; `prune=False` tries every rule everywhere and converts no body
    directly (for tests); `subset=False` converts no body directly; `highlight`: fenced code naming a language is
    highlighted (site.yaml `highlight`; with `news` only).
    """

    def __init__(self, trusted_bodies: bool = True, news: bool = True, prune: bool = True, subset: bool = True,
                 highlight: bool = True) -> None:
        self._body = _Parsers(trusted_bodies, prune, highlight and news)
        self._summary = _Parsers(False, prune, highlight and news) if trusted_bodies else self._body
        self._trusted = trusted_bodies
        self._news = news
        self._subset = subset and prune  # bodies in the common subset converted directly (subset_body)

    def _render(self, parsers: _Parsers, text: str, render: _Render) -> RenderedBody:
        html = parsers.for_text(text).render(text, {"broadsheet": render})
        return RenderedBody(html, tuple(render.paragraphs), render.words, tuple(render.links))

    def body(self, text: str, source: str = "", base_path: str = "/") -> RenderedBody:
        """Render an article body; links are rewritten relative to `source` (see links.rewrite_href)."""
        render = _Render(source, base_path, self._trusted, self._news)
        if self._subset:
            direct = subset_body(text, render)
            if direct is not None:
                return direct
        return self._render(self._body, text, render)

    def lead(self, text: str, source: str = "", base_path: str = "/") -> RenderedBody:
        """Render the part of a body before `<!--more-->` as a summary: no ids, no footnote references
        (their notes are below the marker)."""
        render = _Render(source, base_path, self._trusted, self._news, lead=True)
        lead = self._render(self._body, _FOOTNOTE_REFERENCE.sub("", text), render)
        return dataclasses.replace(lead, html=lead.html.rstrip("\n"))  # (a summary, like the default engine's)

    def summary(self, text: str, source: str = "", base_path: str = "/") -> str:
        """Render a summary written in front matter (its HTML reduced to safe inline elements: see
        markup.summary_with_html)."""
        if self._subset and _is_plain_line(text) and not _has_autolink(text):
            # What markdown-it makes of a line without syntax, without going through its passes (as markup.py does).
            return f"<p>{_escape(_smarten(text, '') if self._news else text)}</p>"
        if "<" in text:
            return summary_with_html(self._convert_summary, text, source, base_path)
        return self._convert_summary(text, source, base_path)

    def _convert_summary(self, text: str, source: str, base_path: str) -> str:
        return self._render(self._summary, text, _Render(source, base_path, False, self._news)).html.rstrip("\n")


_renderers: dict[tuple[bool, bool], CommonMarkRenderer] = {}


def renderer(raw_html: bool = True, highlight: bool = True) -> CommonMarkRenderer:
    """This process's commonmark renderer, created on first use; `raw_html` says whether body HTML is trusted,
    `highlight` whether fenced code is highlighted."""
    if (raw_html, highlight) not in _renderers:
        _renderers[raw_html, highlight] = CommonMarkRenderer(raw_html, highlight=highlight)
    return _renderers[raw_html, highlight]


# ---- Bodies written in the common subset of Markdown, converted directly ----
#
# markup.py converts the news bodies written in a common subset of Markdown (paragraphs, `##` headings, short `-` and
# `1.` lists, quotes, tables; emphasis, links, `code`) without Python-Markdown. Where CommonMark reads such a body as
# Python-Markdown does, the same blocks are written here as markdown-it writes them, with the news rule's features:
# in about a quarter of markdown-it's time. What CommonMark reads otherwise, or may: GitHub's autolinks and
# strikethrough, `1)` lists, list numbers of ten digits, and stars beside punctuation (CommonMark's flanking rules
# differ from the subset's there); such a body goes to markdown-it. Property tests compare the two on random bodies.

_OUTSIDE_COMMONMARK_SUBSET = ("~", "@", "www.", "http:", "https:", "mailto:", "xmpp:")
_PAREN_LIST = re.compile(r"^(?:>\s?|- |\d+\. )*\d+\)|^\d{10}", re.MULTILINE)
_ALIGN_STYLE = {(True, True): ' style="text-align:center"', (True, False): ' style="text-align:left"',
                (False, True): ' style="text-align:right"', (False, False): ""}
_STYLE_OF = {_ALIGN[key]: style for key, style in _ALIGN_STYLE.items()}  # markup.py's table style: markdown-it's
_LINKS = MarkdownIt("zero")  # (for normalizeLink and normalizeLinkText alone)


def _link_text(link: re.Match[str]) -> str:
    return link.group(1)


def _escape(text: str) -> str:
    """Text or an attribute's value as markdown-it escapes it (str.replace: quicker than str.translate)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _has_autolink(text: str) -> bool:
    """Whether GitHub's autolinks extension may find a link in text."""
    lowered = text.lower()
    for piece in _OUTSIDE_COMMONMARK_SUBSET:
        if piece != "~" and piece in lowered:
            return True
    return False


def _is_punctuation(character: str) -> bool:
    """CommonMark's punctuation: ASCII punctuation and Unicode's punctuation and symbols."""
    return unicodedata.category(character)[0] in "PS"


def _outside_commonmark_subset(text: str) -> bool:
    """Whether CommonMark may read a body of markup.py's subset otherwise than Python-Markdown does (see above)."""
    unlinked = (_LINK.sub(_link_text, text) if "](" in text else text).lower()  # (destinations are not autolinked)
    for piece in _OUTSIDE_COMMONMARK_SUBSET:  # (a loop: a generator costs more than the test)
        if piece in unlinked:
            return True
    if _PAREN_LIST.search(text):
        return True
    if "*" not in text:
        return False
    # The subset pairs star runs in turn, each leaf's runs an even number: the first opens, the next closes... As
    # CommonMark would only if each opening run is left-flanking and each closing one right-flanking.
    code = [(span.start(), span.end()) for span in _CODE_SPAN.finditer(text)] if "`" in text else []
    opening = True
    for run in _STARS.finditer(text):
        start, end = run.start(), run.end()
        if any(left <= start < right for left, right in code):
            continue
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if opening:
            flanking = not after.isspace() and (not _is_punctuation(after) or before.isspace()
                                                 or _is_punctuation(before))
        else:
            flanking = not before.isspace() and (not _is_punctuation(before) or after.isspace()
                                                  or _is_punctuation(after))
        if not flanking:
            return True
        opening = not opening
    return False


class _Writer:
    """Writes subset blocks as markdown-it does, with the news rule's features (see _news_rule)."""

    def __init__(self, render: _Render) -> None:
        self.render = render
        self.used_ids = set(THEME_IDS)
        self.texts: list[str] = []
        self.last = "\n"

    def inline(self, nodes: Sequence[_Inline], out: list[str], plain: list[str]) -> None:
        for node in nodes:
            if isinstance(node, str):
                if node:
                    if self.render.news:
                        node = _smarten(node, self.last)
                    self.last = node[-1]
                    plain.append(node)
                    out.append(_escape(node))
            elif node.tag == "code":
                code = _text_of(node)
                plain.append(code)
                out.append(f"<code>{_escape(code)}</code>")
            elif node.tag == "a":
                href = _rewrite(_LINKS, _LINKS.normalizeLink(node.href or ""), self.render)
                out.append("<a>" if href is None else f'<a href="{_escape(href)}">')
                self.inline(node.children, out, plain)
                out.append("</a>")
            else:
                out.append(f"<{node.tag}>")
                self.inline(node.children, out, plain)
                out.append(f"</{node.tag}>")

    def leaf(self, tag: str, nodes: Sequence[_Inline], attributes: str = "") -> tuple[str, str]:
        """(html, plain text) of a paragraph, heading, list item or table cell."""
        self.last = "\n"
        out: list[str] = []
        plain_parts: list[str] = []
        self.inline(nodes, out, plain_parts)
        plain = "".join(plain_parts)
        self.texts.append(plain)
        if tag[0] == "h" and tag != "th" and self.render.news and not self.render.lead:
            attributes = f' id="{_escape(_heading_id(plain, self.used_ids))}"'
        return f"<{tag}{attributes}>{''.join(out)}</{tag}>\n", plain


def subset_body(text: str, render: _Render) -> RenderedBody | None:
    """The body rendered as the engine renders it, where it is written in the common subset (see above); else None."""
    if _outside_subset(text) or _outside_commonmark_subset(text):
        return None
    blocks = _subset_blocks(text)
    if blocks is None:
        return None
    writer = _Writer(render)
    parts: list[str] = []
    paragraphs: list[str] = []
    lead_open = True
    for tag, content in blocks:
        if tag == "p" or tag[0] == "h":
            html, plain = writer.leaf(tag, content)
            parts.append(html)
            if tag[0] == "h" and any(paragraphs):
                lead_open = False
            elif tag == "p" and lead_open:
                paragraphs.append(plain.strip())
        elif tag == "table":
            if lead_open and any(paragraphs):
                paragraphs.append(LEFT_OUT)
            aligns, header, rows = content
            styles = [_STYLE_OF[align] for align in aligns]
            head = "".join(writer.leaf("th", cell, style)[0] for cell, style in zip(header, styles, strict=True))
            body = "".join("<tr>\n" + "".join(writer.leaf("td", cell, style)[0]
                                              for cell, style in zip(row, styles, strict=True)) + "</tr>\n"
                           for row in rows)
            opening = '<table tabindex="0">' if render.news else "<table>"
            parts.append(f"{opening}\n<thead>\n<tr>\n{head}</tr>\n</thead>\n<tbody>\n{body}</tbody>\n</table>\n")
        elif tag == "blockquote":
            if lead_open and any(paragraphs):
                paragraphs.append(LEFT_OUT)
            parts.append("<blockquote>\n" + "".join(writer.leaf("p", paragraph)[0] for paragraph in content)
                         + "</blockquote>\n")
        else:
            items = [writer.leaf("li", item) for item in content]
            parts.append(f"<{tag}>\n" + "".join(html for html, _ in items) + f"</{tag}>\n")
            if lead_open:
                paragraphs.extend(plain.strip() for _, plain in items)
    words = len(" ".join(writer.texts).split())
    return RenderedBody("".join(parts), lead_paragraphs(paragraphs), words, tuple(render.links))
