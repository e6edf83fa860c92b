"""Property tests: random front matter, random bytes and random Markdown never crash the loader or the renderer
(only the project's own SiteError may come out), summaries never carry raw HTML or unsafe links, and a build of
random content writes nothing outside its output folder."""

from __future__ import annotations

import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import yaml
from conftest import read_tree, write_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadsheet.base.errors import SiteError
from broadsheet.pipeline.build import build
from broadsheet.stages.config import BuildOptions, Config
from broadsheet.stages.content import KNOWN_KEYS, parse_article
from broadsheet.stages.markup import MarkdownRenderer

CONFIG = Config(base_url="https://example.org/news/")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that mean something to YAML or Markdown, plus some text.
SYNTAX = st.sampled_from([*list("-:#&*!|>'\"%@`[]{},?\n\t "), "---", "\r\n", "\r", "\ufeff", "\x00", "<", ">", "](", "![", "<!--", "-->", "javascript:", "`"])
WORDS = st.sampled_from(["title", "date", "tags", "summary", "draft", "yes", "no", "null", "2024-02-30",
                         "2024-05-01T09:00:00+02:00", "0755", "1.0", "~", "<script>", "&amp;", "é", "🙂", "ｗ"])
NOISE = st.lists(st.one_of(SYNTAX, WORDS, st.text(max_size=5)), max_size=40).map("".join)

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                    st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)
FIELDS = st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=10)), VALUES, max_size=10)


def _parse(data: bytes, source: str = "content/world/story.md") -> None:
    """Parse one file; anything but a SiteError escaping is a bug."""
    try:
        parse_article(source, data, CONFIG)
    except SiteError as error:
        for problem in error.problems:
            assert problem.path == source
            assert problem.line is None or problem.line >= 1
            assert "\n" not in problem.message


@FAST
@given(front=NOISE, body=NOISE)
def test_random_front_matter_text_only_raises_site_error(front: str, body: str) -> None:
    _parse(f"---\n{front}\n---\n{body}".encode("utf-8", "surrogatepass"))


@FAST
@given(fields=FIELDS, body=NOISE)
def test_random_front_matter_values_only_raise_site_error(fields: dict, body: str) -> None:
    front = yaml.safe_dump(fields, allow_unicode=True)
    _parse(f"---\n{front}---\n{body}".encode("utf-8", "surrogatepass"))


@FAST
@given(data=st.binary(max_size=300))
def test_random_bytes_only_raise_site_error(data: bytes) -> None:
    _parse(data)
    _parse(b"---\ntitle: T\ndate: 2024-01-01\n---\n" + data)


MARKDOWN = st.lists(st.one_of(
    st.sampled_from(["# ", "## ", "> ", "- ", "1. ", "    ", "```\n", "~~~\n", "*", "**", "_", "`", "[", "]", "(", ")",
                     "![", "](", "<", ">", "<div>", "</div>", "<script>alert(1)</script>", "<b onclick=x>",
                     "javascript:alert(1)", "JAVASCRIPT:", "data:text/html,x", "vbscript:x", "&#106;", "&", "\\",
                     "{: onclick=x}", "[^1]", "[^1]: note", "|", "---", "\n", "\n\n", "<!--more-->", "<!--", "-->",
                     "http://example.org/", "mailto:a@b.c", "*[HTML]: x", "Term\n: def", "<![CDATA[", "\t"]),
    st.text(max_size=6)), max_size=60).map("".join)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


_SUMMARY_TAGS = {"p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4",
                 "h5", "h6", "hr", "br", "img", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
                 "abbr", "sup", "div", "span", "del", "ins", "small"}
# Safe: no scheme at all (a relative URL, such as "> x:y" or "a/b:c"), or http, https or mailto.
_SAFE_LINK = re.compile(r"^((?![a-z][a-z0-9+.-]*:)|https?:|mailto:)", re.IGNORECASE)


@FAST
@given(text=MARKDOWN)
def test_random_markdown_renders_and_summaries_stay_safe(text: str) -> None:
    for trusted in (True, False):
        renderer = MarkdownRenderer(trusted)
        body = renderer.body(text)
        assert isinstance(body.html, str)
        outputs = [renderer.summary(text)] + ([] if trusted else [body.html])
        for html in outputs:
            parser = _Tags()
            parser.feed(html)
            for tag, attrs in parser.tags:
                assert tag in _SUMMARY_TAGS, (tag, html)
                assert not [name for name in attrs if name.startswith("on")], html
                for name in ("href", "src"):
                    if attrs.get(name) is not None:
                        target = re.sub(r"[\x00-\x20]", "", attrs[name] or "")
                        assert _SAFE_LINK.match(target), (target, html)
        for tag, attrs in _collect(body.html):
            for name in ("href", "src"):
                target = re.sub(r"[\x00-\x20]", "", attrs.get(name) or "")
                if tag in ("a", "img") and not (trusted and "<" in text):
                    assert not re.match(r"(javascript|vbscript|data):", target, re.IGNORECASE), body.html


# Inline Markdown of every kind and the markers of blocks, and the characters that start them, mixed with plain words.
INLINE = st.lists(st.one_of(st.sampled_from(
    ["`", "``", "\\", "\\*", "[", "]", "](", "[^1]", "[^1]: note", "![", "<", ">", "<b>", "</b>", "<a@b.c>",
     "<https://x.org/>", "&", "&amp;", "&#x41;", "*", "**", "_", "__", "  \n", "\t", "\n", "\n\n", "[x]: /y",
     "*[HTML]: Hyper", "HTML", "~~~", "```", "> ", "- ", "1. ", "| a | b |\n|---|---|\n", "{: #id }", ":", "'", '"',
     "# ", "###", "\n===", "\n---", "***", "___", "* * *", ": ", "|", "a | b\n--|--\n"]),
    st.text(alphabet="ab -.", max_size=6)), max_size=40).map("".join)


@FAST
@given(text=INLINE)
def test_converting_with_only_the_patterns_and_block_tests_a_text_can_need_changes_nothing(text: str) -> None:
    for trusted in (True, False):
        pruned, every = MarkdownRenderer(trusted), MarkdownRenderer(trusted, all_patterns=True)
        assert pruned.body(text) == every.body(text)
        assert pruned.lead(text) == every.lead(text)
        assert pruned.summary(text) == every.summary(text)


# Mostly what a summary is written with (words, quotes, dashes, figures, currency), some characters that make a
# line Markdown (a star, an ampersand, a bracket...) or more than one line, and whitespace of several kinds.
SUMMARY_LINE = st.lists(st.sampled_from(
    ["Ab", "zé", " ", "  ", "'", '"', "\u201c", "\u2019", "(", ")", "-", "--", "---", ".", "...", ",", ";", ":", "!",
     "?", "$4.0bn", "\u00a37", "1.", "3)", "\u2013", "\u2014", "\u00a0", "\t", "\n", "*", "_", "&", "<b>", "#", "[",
     "]", "=", "+", ">", "|", "`", "\\", "~", "{", "}"]), max_size=30).map("".join)
_SUMMARIES = {trusted: (MarkdownRenderer(trusted), MarkdownRenderer(trusted, all_patterns=True))
              for trusted in (True, False)}


@FAST
@given(text=SUMMARY_LINE)
def test_a_summary_rendered_without_markdown_where_it_holds_no_syntax_is_what_markdown_makes(text: str) -> None:
    for fast, every in _SUMMARIES.values():  # (the renderer trying everything always goes through Markdown)
        assert fast.summary(text) == every.summary(text)


# Bodies made of the blocks news is written in (paragraphs, headings, lists, quotes, tables), of text with the inline
# Markdown it uses, and of what takes a line or a body out of the subset that is converted without Python-Markdown
# (markup.subset_body): syntax at the start of a line, stray stars and brackets, code, entities, odd whitespace.
_IN_SUBSET = st.sampled_from(
    ["Ab", "zé", "1", "2024", "3.5%", "\u20ac4bn", "'", '"', "\u201c", "\u2019", "(", ")", "-", "--", "---", "...", ",",
     ".", ":", "!", " ", " ", " ", "& ", ">", "*a*", "**b**", "`c`", "`a*b`", "[a](/x/)", "[b b](https://e.org/a_b?q=1)",
     "[c](other.md)", "[d](javascript:x)", "\n", "\n", "\n"])
_OUT_OF_SUBSET = st.sampled_from(
    ["1.", "  ", "&", "&amp;", "&x", "*", "**", "***", "_", "`", "``", "[", "]", "](", "[e](/y/ 't')", "[f]: /z", "#",
     "|", "<b>", "\\", "{", "}", "\t", "\u00a0", "![i](/j)", "[^1]", "\n\n"])
SUBSET_TEXT = st.lists(_IN_SUBSET, min_size=1, max_size=14).map(
    lambda words: "\n".join(line.strip(" ") for line in "".join(words).split("\n")))
_CELL_WORD = _IN_SUBSET.filter(lambda word: "\n" not in word and "`" not in word)
SUBSET_BLOCK = st.one_of(
    SUBSET_TEXT,
    st.tuples(st.sampled_from(["# ", "## ", "## ", "### ", "####### ", "##", "## #"]), SUBSET_TEXT).map("".join),
    st.lists(st.tuples(st.sampled_from(["- ", "- ", "- ", "-  ", "* "]), SUBSET_TEXT).map("".join),
             min_size=1, max_size=4).map("\n".join),
    st.lists(st.tuples(st.sampled_from(["1. ", "2. ", "10. "]), SUBSET_TEXT).map("".join),
             min_size=1, max_size=4).map(lambda items: "\n".join(["1. " + items[0].split(" ", 1)[1], *items[1:]])),
    st.lists(st.one_of(st.just(""), SUBSET_TEXT), min_size=1, max_size=4).map(
        lambda lines: "\n".join(f"> {line}" if line else ">" for line in lines)),
    st.integers(min_value=1, max_value=4).flatmap(lambda width: st.tuples(  # (a table: code in cells is left out)
        st.sampled_from([" | ", "|", " |"]),
        st.lists(st.lists(_CELL_WORD, max_size=4).map("".join), min_size=width, max_size=width),
        st.lists(st.sampled_from([":--", "--:", ":-:", "---", "-", ":--", "---", ":", "- -"]), min_size=width,
                 max_size=width),
        st.lists(st.lists(st.lists(_CELL_WORD, max_size=4).map("".join), min_size=width, max_size=width + 1),
                 max_size=3),
    )).map(lambda table: "\n".join(
        "|" + table[0].join(row).strip(" ") + "|" for row in (table[1], table[2], *table[3]))),
)
# ... and, in one body out of two, one piece of what takes it out of the subset, somewhere.
SUBSET_BODY = st.tuples(
    st.lists(st.tuples(SUBSET_BLOCK, st.sampled_from(["\n\n", "\n\n", "\n\n", "\n", "\n\n\n"])), max_size=6).map(
        lambda blocks: "".join(block + separator for block, separator in blocks)),
    st.one_of(st.none(), st.tuples(st.integers(min_value=0), st.one_of(_OUT_OF_SUBSET, st.sampled_from(
        [" \n", "\n ", "\n\n ", "\n>\n", "\n- ", "\n1. ", "\n## ", "\n---\n", "\n===\n", "\n: "]))))).map(
    lambda body: body[0] if body[1] is None else
    body[0][:body[1][0] % (len(body[0]) + 1)] + body[1][1] + body[0][body[1][0] % (len(body[0]) + 1):])
_BODIES = {trusted: (MarkdownRenderer(trusted), MarkdownRenderer(trusted, all_patterns=True))
           for trusted in (True, False)}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=SUBSET_BODY)
def test_a_body_converted_without_python_markdown_is_what_python_markdown_makes(text: str) -> None:
    for fast, every in _BODIES.values():
        assert fast.body(text, "content/world/story.md", "/news/") == every.body(text, "content/world/story.md",
                                                                                 "/news/")


def _collect(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


ARTICLE = st.tuples(
    st.sampled_from(["world", "sports", "Ünï", "a b", "..", "pages"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    FIELDS, MARKDOWN)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles=st.lists(ARTICLE, min_size=1, max_size=5))
def test_a_build_of_random_content_writes_only_inside_its_output(articles: list) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files: dict[str, str | bytes] = {"site/site.yaml": "title: Random\nbase_url: https://example.org/\n"}
        for number, (section, name, fields, body) in enumerate(articles):
            safe_name = re.sub(r"[/\\\x00]", "_", name) or "x"
            front = yaml.safe_dump({"title": f"Story {number}", "date": "2024-01-01", **fields}, allow_unicode=True)
            files[f"site/content/{section}/{number}-{safe_name}.md"] = \
                f"---\n{front}---\n{body}".encode("utf-8", "surrogatepass")
        write_tree(root, files)
        before = read_tree(root)
        try:
            build(BuildOptions(root / "site", root / "site/public", now=None, quiet=True))
        except SiteError:
            pass
        after = read_tree(root)
        # The output folder, and the build cache's own folder, are the only places written.
        outside = {path for path in after.keys() - before.keys()
                   if not path.startswith(("site/public/", "site/.broadsheet-cache/"))}
        assert outside == set()
        assert all(after[path] == data for path, data in before.items())
        assert sorted(p.name for p in (root / "site").iterdir() if p.name.startswith(".")) in ([], [".broadsheet-cache"])
