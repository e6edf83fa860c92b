"""Shortcodes in Hugo's syntax, in both Markdown engines.

`{{< name arg="value" other >}}` calls the Jinja2 template templates/shortcodes/NAME.html (a site's own over the
default theme's) with its arguments, named and positional; the paired forms pass what is between the tags:
`{{< name >}}…{{< /name >}}` the text as written, `{{% name %}}…{{% /name %}}` that text rendered as Markdown.
`{{</* name */>}}` shows the shortcode itself, as in Hugo.

A body's shortcodes are cut out before its Markdown is converted, each replaced by a placeholder that both engines
pass through as text (symbols: no Markdown syntax, no typography, no word of a slug). After the
conversion a placeholder inside code becomes the shortcode as written again (shortcodes are never expanded in code),
a placeholder alone in its paragraph replaces the paragraph with the template's output (a block: a figure, a video),
any other the template's output in its place. Shortcodes are thus expanded when the body is parsed, and cached
with it; the templates' sources are part of the configuration, so of every parse's cache key.
"""

from __future__ import annotations

import functools
import html
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.names import SOURCE_SUFFIXES
from broadsheet.stages.links import rewrite_href, title_marker, titles_as_text

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

    from broadsheet.stages.markup import RenderedBody

SHORTCODES_DIR = "shortcodes"  # under templates/
CONTENT_PREFIX = "content/"
OPEN = "{{"  # a body without it has no shortcode: nothing below runs
_COMMENT = r"\{\{(?P<c_open>[<%])/\*(?P<c_text>.*?)\*/(?P<c_end>[>%])\}\}"
_QUOTED = r'"(?:[^"\\]|\\.)*"|`[^`]*`'
_TAG = (r"\{\{(?P<open>[<%])\s*(?P<closing>/)?\s*(?P<name>[A-Za-z0-9_][\w.-]*)"
        r"(?P<args>(?:" + _QUOTED + r"|[^\"`>%])*?)\s*(?P<self>/)?\s*(?P<end>[>%])\}\}")
_SCAN = re.compile(_COMMENT + "|" + _TAG, re.DOTALL)
_ARG = re.compile(r"([A-Za-z_][\w-]*)\s*=\s*(" + _QUOTED + r"|[^\s\"`]+)|(" + _QUOTED + r"|[^\s\"`]+)")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
# A placeholder: Tai Xuan Jing symbols, printable (so a body keeps the engines' direct conversion of the common
# subset), no Markdown syntax, no typography, no letter or digit of a slug; the number in sixteen of them.
_START, _END, _DIGIT = "\U0001d300", "\U0001d301", 0x1D310
_PLACEHOLDER = re.compile("\U0001d300([\U0001d310-\U0001d31f]+)\U0001d301")
_CODE = re.compile(r"(<code\b[^>]*>)(.*?)(</code>)", re.DOTALL)
_BLOCK = re.compile("<p>\U0001d300([\U0001d310-\U0001d31f]+)\U0001d301</p>")
_HEADING = re.compile(r'<h([1-6]) id="([^"]*)"[^>]*>(.*?)</h\1>', re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")
_PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
# Text in which Markdown finds no syntax and typography nothing to change.
_PLAIN = re.compile(r"[A-Za-z0-9 ,;:!?()\u00c0-\u024f]*[A-Za-z0-9.!?)]?")


class ShortcodeError(Exception):
    """A shortcode used wrongly: raised by a template (see `required`), reported at the shortcode's line."""


@dataclass(frozen=True, slots=True)
class Call:
    """One shortcode as written in a body."""

    name: str
    named: dict[str, str]
    positional: tuple[str, ...]
    written: str  # the whole shortcode as written, with its inner text and closing tag
    line: int  # in the file
    inner: str | None = None  # the text between the tags of a paired shortcode
    markdown: bool = False  # {{% … %}}: the inner text is Markdown
    literal: str | None = None  # {{</* … */>}}: the text shown instead
    in_code: bool = False  # in fenced code (a literal only)


@dataclass(slots=True)
class Context:
    """What a body's shortcodes are expanded with: the templates, the article, the Markdown renderer."""

    templates: tuple[tuple[str, str], ...]  # (name, template source), see shortcode_templates
    source: str
    base_path: str
    page: Mapping[str, Any]  # the article's front matter
    markdown: Callable[[str], RenderedBody]  # renders inner Markdown (and its shortcodes) as a body
    trusted: bool = True  # raw HTML in inner text passes (site.yaml raw_html)
    highlight: bool = True  # the `highlight` shortcode's code is highlighted (site.yaml highlight)
    warnings: list[Problem] = field(default_factory=list)
    corrections: list[datetime] = field(default_factory=list)  # the dates of `correction` notices
    counts: dict[str, int] = field(default_factory=dict)  # shortcodes of each name so far (for unique ids)


def shortcode_templates(site_dir: Path, theme_dir: Path) -> tuple[tuple[str, str], ...]:
    """Every shortcode template, sorted by name: the site's templates/shortcodes/ over the default theme's."""
    found: dict[str, str] = {}
    for root in (theme_dir, site_dir):
        folder = root / "templates" / SHORTCODES_DIR
        if folder.is_dir():
            for path in sorted(folder.glob("*.html")):
                found[path.stem] = path.read_text(encoding="utf-8")
    return tuple(sorted(found.items()))


def placeholder(number: int) -> str:
    """The text standing for the body's shortcode `number` while its Markdown is converted."""
    digits = ""
    while True:
        number, digit = divmod(number, 16)
        digits = chr(_DIGIT + digit) + digits
        if not number:
            return f"{_START}{digits}{_END}"


def _number(digits: str) -> int:
    value = 0
    for character in digits:
        value = value * 16 + ord(character) - _DIGIT
    return value


def _fenced(text: str) -> list[tuple[int, int]]:
    """The spans of fenced code blocks (at any indentation: in list items too)."""
    spans = []
    fence, start, offset = "", 0, 0
    for line in text.split("\n"):
        found = _FENCE.match(line)
        if fence:
            if found and found.group(1)[0] == fence[0] and len(found.group(1)) >= len(fence) \
                    and not line.strip().strip(fence[0]):
                spans.append((start, offset + len(line)))
                fence = ""
        elif found:
            fence, start = found.group(1), offset
        offset += len(line) + 1
    if fence:
        spans.append((start, len(text)))
    return spans


def _unquote(value: str) -> str:
    if value[:1] == "`":
        return value[1:-1]
    if value[:1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _arguments(text: str) -> tuple[dict[str, str], tuple[str, ...]]:
    named: dict[str, str] = {}
    positional: list[str] = []
    for found in _ARG.finditer(text):
        if found.group(1):
            named[found.group(1)] = _unquote(found.group(2))
        else:
            positional.append(_unquote(found.group(3)))
    return named, tuple(positional)


def find_calls(text: str, source: str, first_line: int) -> list[tuple[int, int, Call]]:
    """The top-level shortcodes of text outside fenced code, as (start, end, call); a shortcode inside another's
    inner text is the outer one's business."""
    fenced = _fenced(text) if "```" in text or "~~~" in text else []
    # In fenced code only Hugo's comment form is read (it is how a shortcode is shown in code): see cut_out.
    tags = [m for m in _SCAN.finditer(text) if m.group("c_open") or not any(a <= m.start() < b for a, b in fenced)]
    problems: list[Problem] = []

    def line_of(offset: int) -> int:
        return first_line + text.count("\n", 0, offset)

    pairs: dict[int, int] = {}
    stack: list[int] = []
    for index, tag in enumerate(tags):
        if tag.group("c_open") or tag.group("self"):
            continue
        if tag.group("closing"):
            name = tag.group("name")
            while stack and tags[stack[-1]].group("name") != name:
                stack.pop()  # an opening tag without a closing one: a shortcode on its own
            if not stack:
                problems.append(Problem(source, line_of(tag.start()), f"closing shortcode '{name}' without its "
                                        "opening tag", f"write {{{{< {name} >}}}} before it, or remove it"))
                continue
            pairs[stack.pop()] = index
        else:
            stack.append(index)
    if problems:
        raise SiteError(problems)
    calls = []
    index = 0
    while index < len(tags):
        tag = tags[index]
        line = line_of(tag.start())
        if tag.group("c_open"):
            literal = "{{" + tag.group("c_open") + tag.group("c_text") + tag.group("c_end") + "}}"
            in_code = any(a <= tag.start() < b for a, b in fenced)
            calls.append((tag.start(), tag.end(), Call("", {}, (), tag.group(), line, literal=literal,
                                                       in_code=in_code)))
            index += 1
            continue
        named, positional = _arguments(tag.group("args"))
        if {"<": ">", "%": "%"}[tag.group("open")] != tag.group("end"):
            raise SiteError(Problem(source, line, f"shortcode '{tag.group('name')}' opens with "
                                    f"{{{{{tag.group('open')} and closes with {tag.group('end')}}}}}",
                                    "write {{< … >}} or {{% … %}}"))
        closing = pairs.get(index)
        if closing is None:
            calls.append((tag.start(), tag.end(), Call(tag.group("name"), named, positional, tag.group(), line)))
            index += 1
        else:
            end = tags[closing]
            inner = text[tag.end():end.start()]
            calls.append((tag.start(), end.end(), Call(tag.group("name"), named, positional,
                                                       text[tag.start():end.end()], line, inner.strip("\n"),
                                                       tag.group("open") == "%")))
            index = closing + 1
    return calls


def cut_out(text: str, calls: list[tuple[int, int, Call]]) -> str:
    """text with each call replaced by its placeholder; one standing on lines of its own (outside code indents)
    is set apart by blank lines, so that it is a paragraph of its own."""
    parts = []
    last = 0
    for number, (start, end, call) in enumerate(calls):
        if call.in_code and call.literal is not None:  # (highlighting would cut a placeholder in pieces)
            parts.append(text[last:start])
            parts.append(call.literal)
            last = end
            continue
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        prefix = text[line_start:start]
        alone = not prefix.strip() and not text[end:line_end].strip() and len(prefix.expandtabs(4)) < 4
        parts.append(text[last:start])
        parts.append(f"\n\n{prefix}{placeholder(number)}\n\n" if alone else placeholder(number))
        last = end
    parts.append(text[last:])
    return "".join(parts)


# ---- Expanding ----


@functools.lru_cache(maxsize=8)
def _environment(templates: tuple[tuple[str, str], ...]) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(loader=jinja2.DictLoader({f"{name}.html": text for name, text in templates}),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def _plain(fragment: str) -> str:
    return html.unescape(_TAGS.sub(" ", fragment))


def headings(body_html: str) -> list[dict[str, Any]]:
    """The headings of a rendered body, for a table of contents: level, id, text."""
    return [{"level": int(level), "id": html.unescape(ident), "text": " ".join(_plain(inner).split())}
            for level, ident, inner in _HEADING.findall(body_html)]


def contents(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A table of contents of headings: the second level, each with the third-level headings under it."""
    top: list[dict[str, Any]] = []
    for heading in found:
        entry = {**heading, "children": []}
        if heading["level"] == 2 or (heading["level"] == 3 and not top):
            top.append(entry)
        elif heading["level"] == 3:
            top[-1]["children"].append(entry)
    return top


class _Expander:
    """Turns the calls of one body into HTML (see expand)."""

    def __init__(self, context: Context, calls: list[Call], body_html: str) -> None:
        self.context, self.calls = context, calls
        self.headings = headings(body_html)
        self.contents = contents(self.headings)
        self.done: dict[int, tuple[str, list[tuple[str, str]], int]] = {}  # number: html, links, words
        self.problems: list[Problem] = []

    def written(self, match: re.Match[str]) -> str:
        call = self.calls[_number(match.group(1))]
        return call.literal if call.literal is not None else call.written

    def in_code(self, match: re.Match[str]) -> str:
        code = _PLACEHOLDER.sub(lambda m: html.escape(self.written(m), quote=False), match.group(2))
        return match.group(1) + code + match.group(3)

    def output(self, match: re.Match[str]) -> str:
        number = _number(match.group(1))
        if number not in self.done:
            self.done[number] = self.expand(self.calls[number], block=match.group().startswith("<p>"))
        return self.done[number][0]

    def expand(self, call: Call, block: bool = True) -> tuple[str, list[tuple[str, str]], int]:
        """(html, links, words) of one call; `block`: it stands for a paragraph of its own (else it is in one)."""
        from markupsafe import Markup

        context = self.context
        if call.literal is not None:
            return html.escape(call.literal, quote=False), [], 0
        names = {name for name, _ in context.templates if not name.startswith("_")}  # (_name: a part, included)
        if call.name not in names:
            known = ", ".join(sorted(names))
            self.problems.append(Problem(context.source, call.line, f"unknown shortcode '{call.name}' (known: {known})",
                                         f"add templates/shortcodes/{call.name}.html, or write it as "
                                         f"{{{{</* {call.name} */>}}}} to show it as text"))
            return "", [], 0
        links: list[tuple[str, str]] = []
        inner: Markup | str | None = None
        text: str | None = None
        if call.inner is not None:
            if call.markdown:
                rendered = context.markdown(call.inner)
                inner, links, text = Markup(rendered.html.strip()), list(rendered.links), call.inner
            else:
                text = self.nested(call, links)
                inner = Markup(text) if context.trusted else text
        number = context.counts[call.name] = context.counts.get(call.name, 0) + 1

        def arg(name: str, position: int | None = None, default: Any = None) -> Any:
            """A named argument, else the one at `position`, else default."""
            if name in call.named:
                return call.named[name]
            if position is not None and position < len(call.positional):
                return call.positional[position]
            return default

        def required(name: str, position: int | None = None) -> str:
            """An argument the shortcode cannot do without (see arg)."""
            value = arg(name, position)
            if value is None or not str(value).strip():
                where = f" (or as its argument {position + 1})" if position is not None else ""
                raise ShortcodeError(f"shortcode '{call.name}' needs the argument '{name}'{where}")
            return str(value)

        def warn(message: str) -> str:
            """Report a warning at the shortcode's line (the build goes on)."""
            context.warnings.append(Problem(context.source, call.line, message, warning=True))
            return ""

        def resolved(path: str) -> tuple[str, str | None]:
            """(href, the content file it links to or None) of an address; see link."""
            from broadsheet.stages.markup import is_safe_url

            target = path.strip()
            if target.endswith(SOURCE_SUFFIXES) and (target.startswith(("/", CONTENT_PREFIX))):
                site_path = target if target.startswith(CONTENT_PREFIX) else CONTENT_PREFIX + target.lstrip("/")
                target = posixpath.relpath(site_path, posixpath.dirname(context.source) or ".")
            if not is_safe_url(target, context.trusted):
                raise ShortcodeError(f"shortcode '{call.name}': {path!r} is not an address it can link to")
            href, linked = rewrite_href(target, context.source, context.base_path)
            if linked and (path, linked) not in links:
                links.append((path, linked))
            return href, linked

        def link(path: str) -> str:
            """An address for href or src: a content file (`cuba.md` beside the article, `content/world/cuba.md`
            or `/world/cuba.md`) becomes a link resolved at render time; a root-relative path gets the site's base
            path; an unsafe address (javascript:) is refused."""
            return resolved(path)[0]

        def title_of(path: str, fallback: str | None = None) -> Markup:
            """The title of the content file at `path` (as `link` takes it), decided when the page is rendered; if
            that file is not published (or `path` is no content file), `fallback`, else the file's name."""
            linked = resolved(path)[1]
            if fallback is None:
                fallback = path.strip().rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").capitalize()
            return Markup(title_marker(linked, fallback) if linked else html.escape(fallback, quote=False))

        def once(key: str) -> bool:
            """True the first time on the page (the article's body), for what a page needs once (a script)."""
            seen = f"once:{key}" in context.counts
            context.counts[f"once:{key}"] = 1
            return not seen

        def fail(message: str) -> None:
            """Stop the build with a problem at the shortcode's line."""
            raise ShortcodeError(f"shortcode '{call.name}': {message}")

        def highlight(code: str, language: str) -> Markup:
            """Code highlighted as a fenced block naming `language` is (see highlight.py), or plain."""
            info = language.strip()
            highlighted = None
            if context.highlight and info:
                from broadsheet.stages.highlight import highlight as with_pygments

                highlighted = with_pygments(code if code.endswith("\n") else code + "\n", info)
            if highlighted is None:
                escaped = html.escape(code if code.endswith("\n") else code + "\n", quote=False)
                name = html.escape(info.split(",")[0].split()[0]) if info else ""
                highlighted = f'<pre><code class="language-{name}">{escaped}</code></pre>' if name else \
                    f"<pre><code>{escaped}</code></pre>"
            return Markup(highlighted)

        def markdownify(text: str) -> Markup:
            """Markdown in an argument (a caption), rendered inline."""
            if _PLAIN.fullmatch(text):
                return Markup(html.escape(text, quote=False))  # (what Markdown makes of it, without its passes)
            rendered = context.markdown(text).html.strip()
            if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
                rendered = rendered[3:-4]
            return Markup(rendered)

        def corrected(value: str) -> datetime:
            """Record the date of a correction (it sets the article's dateModified); returns it."""
            try:
                when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ShortcodeError(f"shortcode '{call.name}': {value!r} is not a date like 2024-05-01 or "
                                     "2024-05-01T09:00:00+00:00") from None
            context.corrections.append(when)
            return when

        variables = {"name": call.name, "args": call.named, "positional": call.positional, "inner": inner,
                     "markdown": call.markdown, "page": context.page, "ordinal": number, "arg": arg,
                     "required": required, "warn": warn, "link": link, "title_of": title_of, "corrected": corrected,
                     "once": once, "fail": fail, "markdownify": markdownify, "headings": self.headings,
                     "contents": self.contents, "source": context.source, "block": block, "text": text,
                     "highlight": highlight}
        try:
            output = _environment(context.templates).get_template(f"{call.name}.html").render(variables)
        except ShortcodeError as error:
            self.problems.append(Problem(context.source, call.line, str(error)))
            return "", [], 0
        except Exception as error:  # a site's template failing: its problem, at the shortcode's line
            self.problems.append(Problem(context.source, call.line, f"shortcode '{call.name}' failed: "
                                         f"{type(error).__name__}: {error}",
                                         f"see templates/shortcodes/{call.name}.html"))
            return "", [], 0
        return output.strip(), links, len(_plain(_PRE.sub(" ", output)).split())  # (code's words do not count)

    def nested(self, call: Call, links: list[tuple[str, str]]) -> str:
        """The inner text of a `{{< >}}` pair, its own shortcodes expanded (no Markdown); adds their links."""
        assert call.inner is not None
        if OPEN not in call.inner:
            return call.inner
        found = find_calls(call.inner, self.context.source, call.line)
        parts, last = [], 0
        for start, end, inner_call in found:
            parts.append(call.inner[last:start])
            output, inner_links, _ = self.expand(inner_call, block=False)
            parts.append(output)
            links.extend(inner_links)
            last = end
        parts.append(call.inner[last:])
        return "".join(parts)


def expand(context: Context, calls: list[Call], rendered: RenderedBody) -> RenderedBody:
    """A rendered body with its placeholders replaced (see the module's docstring); problems raise SiteError."""
    from broadsheet.stages.markup import LEFT_OUT, lead_paragraphs

    expander = _Expander(context, calls, rendered.html)
    body = _CODE.sub(expander.in_code, rendered.html) if "<code" in rendered.html else rendered.html
    body = _BLOCK.sub(expander.output, body)
    body = _PLACEHOLDER.sub(expander.output, body)
    if expander.problems:
        raise SiteError(expander.problems)
    links = list(rendered.links)
    words = rendered.word_count
    for _, found, count in expander.done.values():
        links.extend(found)
        words += count - 1  # (the placeholder counted as a word)

    def lead_text(paragraph: str) -> str:
        if _PLACEHOLDER.fullmatch(paragraph.strip()):
            return LEFT_OUT  # a block the summary leaves out
        return " ".join(_PLACEHOLDER.sub(lambda m: _plain(titles_as_text(expander.output(m))), paragraph).split())

    paragraphs = lead_paragraphs([lead_text(p) for p in rendered.paragraphs])
    return replace(rendered, html=body, paragraphs=paragraphs, word_count=max(words, 0), links=tuple(links))


# Hugo's ref and relref: the address of another content file, as a link's target (`[text]({{< ref "other.md" >}})`).
_REFERENCE = re.compile(r'\{\{([<%])\s*(?:rel)?ref\s+(?:"([^"]*)"|([^\s">%]+))\s*(?:>|%)\}\}')


def _references(text: str, source: str) -> str:
    """text with Hugo's ref and relref shortcodes outside code replaced by the relative path of the content file they
    name (`post.md` beside the article, `/world/post.md` from content/; `.md` added where missing), which the
    engines then link like any link to a .md file: resolved at render time, base-path aware, checked."""
    fenced = _fenced(text) if "```" in text or "~~~" in text else []

    def replace(match: re.Match[str]) -> str:
        line_start = text.rfind("\n", 0, match.start()) + 1
        if any(a <= match.start() < b for a, b in fenced) or text.count("`", line_start, match.start()) % 2:
            return match.group()  # (in code: shown as written, see find_calls)
        path, _, fragment = (match.group(2) or match.group(3) or "").partition("#")
        if not path:
            return "#" + fragment if fragment else match.group()
        if not path.endswith(SOURCE_SUFFIXES):
            path = path.rstrip("/") + ".md"
        folder = posixpath.dirname(source) or "."
        target = CONTENT_PREFIX + path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
        return posixpath.relpath(target, folder) + ("#" + fragment if fragment else "")

    return _REFERENCE.sub(replace, text)


def render(convert: Callable[[str], RenderedBody], text: str, context: Context, first_line: int) -> RenderedBody:
    """Render a body with shortcodes: cut them out, convert the rest with `convert`, put them back."""
    if OPEN not in text:
        return convert(text)
    if "ref" in text:
        text = _references(text, context.source)
        if OPEN not in text:
            return convert(text)
    found = find_calls(text, context.source, first_line)
    if not found:
        return convert(text)
    rendered = convert(cut_out(text, found))
    return expand(context, [call for _, _, call in found], rendered)


def toc(context: Context, body_html: str) -> str:
    """The `toc` shortcode's output for a rendered body (front matter `toc: true`)."""
    call = Call("toc", {}, (), "", 1)
    expander = _Expander(context, [call], body_html)
    output = expander.expand(call)[0]
    if expander.problems:
        raise SiteError(expander.problems)
    return output
