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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

from broadsheet.links import rewrite_href
from broadsheet.markup import _FOOTNOTE_REFERENCE, THEME_IDS, RenderedBody, _heading_id, _smarten, is_safe_url

ENGINE = "commonmark"
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
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
    if not is_safe_url(url, render.trusted):
        del token.attrs[name]
        return
    rewritten, linked = rewrite_href(url, render.source, render.base_path)
    if linked:
        render.links.append((md.normalizeLinkText(url), linked))  # (as written, for the line it is on)
    token.attrs[name] = rewritten


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
    render.paragraphs = [p for p in paragraphs if p]
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


def _markdown(trusted: bool, prune: bool = False, unused: frozenset[str] = frozenset()) -> MarkdownIt:
    """A parser for bodies (raw HTML passes when trusted) or for untrusted text (raw HTML shown as text); pruned,
    without the rules named in `unused` (see _RULE_NEEDS) and stopping only where its rules can match (_TRIGGERS)."""
    md = MarkdownIt("commonmark", {"html": trusted})
    md.enable(["table", "strikethrough"])
    md.options["tasklists"] = True
    md.options["strikethrough_single_tilde"] = True  # (as GitHub does)
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

    def __init__(self, trusted: bool, prune: bool) -> None:
        self.trusted, self.prune = trusted, prune
        self.made: dict[frozenset[str], MarkdownIt] = {}

    def for_text(self, text: str) -> MarkdownIt:
        """The parser for this text."""
        unused = frozenset(name for name, needs in _RULE_NEEDS.items() if not any(n in text for n in needs)) \
            if self.prune else frozenset()
        md = self.made.get(unused)
        if md is None:
            md = self.made[unused] = _markdown(self.trusted, self.prune, unused)
        return md


class CommonMarkRenderer:
    """The commonmark engine behind the interface of markup.MarkdownRenderer: body, lead and summary.

    Bodies are trusted (raw HTML passes as written) unless `trusted_bodies` is False (site.yaml `raw_html: false`);
    summaries never are. `news=False` leaves out what changes CommonMark's output on purpose (typography, heading
    ids, tables' tabindex), for the spec's examples; `prune=False` tries every rule everywhere (for tests).
    """

    def __init__(self, trusted_bodies: bool = True, news: bool = True, prune: bool = True) -> None:
        self._body = _Parsers(trusted_bodies, prune)
        self._summary = _Parsers(False, prune) if trusted_bodies else self._body
        self._trusted = trusted_bodies
        self._news = news

    def _render(self, parsers: _Parsers, text: str, render: _Render) -> RenderedBody:
        html = parsers.for_text(text).render(text, {"broadsheet": render})
        return RenderedBody(html, tuple(render.paragraphs), render.words, tuple(render.links))

    def body(self, text: str, source: str = "", base_path: str = "/") -> RenderedBody:
        """Render an article body; links are rewritten relative to `source` (see links.rewrite_href)."""
        return self._render(self._body, text, _Render(source, base_path, self._trusted, self._news))

    def lead(self, text: str, source: str = "", base_path: str = "/") -> RenderedBody:
        """Render the part of a body before `<!--more-->` as a summary: no ids, no footnote references
        (their notes are below the marker)."""
        render = _Render(source, base_path, self._trusted, self._news, lead=True)
        lead = self._render(self._body, _FOOTNOTE_REFERENCE.sub("", text), render)
        return dataclasses.replace(lead, html=lead.html.rstrip("\n"))  # (a summary, like the default engine's)

    def summary(self, text: str, source: str = "", base_path: str = "/") -> str:
        """Render a summary written in front matter (raw HTML is shown as text)."""
        return self._render(self._summary, text, _Render(source, base_path, False, self._news)).html.rstrip("\n")


_renderers: dict[bool, CommonMarkRenderer] = {}


def renderer(raw_html: bool = True) -> CommonMarkRenderer:
    """This process's commonmark renderer, created on first use; `raw_html` says whether body HTML is trusted."""
    if raw_html not in _renderers:
        _renderers[raw_html] = CommonMarkRenderer(raw_html)
    return _renderers[raw_html]
