"""The commonmark engine's bodies converted directly (commonmark.subset_body) are what markdown-it makes of them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import SUBSET_BODY, SUMMARY_LINE

from broadsheet.stages.commonmark import CommonMarkRenderer, _Render, subset_body

# What CommonMark reads otherwise than the subset's rules would: autolinks, strikethrough, `1)` lists, ten-digit
# list numbers, stars beside punctuation (flanking), and a mix of them with the subset's own syntax.
_COMMONMARK_PIECES = st.sampled_from(
    ["www.example.org", "https://e.org/a", "http:", "mailto:x@y.org", "a@b.org", "~~s~~", "~t~", "1) ", "\n1) ",
     "\n- 1) ", "\n1234567890. ", "*(a)*", "*\"q\"*", "a*.b*", "**\u20ac5**", "(*a*)", "*a*.", "x*y*z", "*`c`*",
     "[l](https://www.e.org/)", "\u00e9*\u00e9*", "*a*\u2014", "**a**'s"])
COMMONMARK_BODY = st.tuples(SUBSET_BODY, st.lists(st.tuples(st.integers(min_value=0), _COMMONMARK_PIECES),
                                                   max_size=2)).map(
    lambda body: _insert(body[0], body[1]))


def _insert(text: str, pieces: list[tuple[int, str]]) -> str:
    for position, piece in pieces:
        at = position % (len(text) + 1)
        text = text[:at] + piece + text[at:]
    return text


_RENDERERS = {trusted: (CommonMarkRenderer(trusted), CommonMarkRenderer(trusted, prune=False))
              for trusted in (True, False)}


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=COMMONMARK_BODY)
def test_a_body_converted_without_markdown_it_is_what_markdown_it_makes(text: str) -> None:
    for fast, whole in _RENDERERS.values():
        assert fast.body(text, "content/world/story.md", "/news/") == whole.body(text, "content/world/story.md",
                                                                                 "/news/")


NEWS = ('**MALMÖ** — The plan -- drafted in 2019 -- would "take time". It\'s *the* [second](../a/b.md) delay (2019).\n'
        "\n## What next\n\n- One *item*\n- Two\n\n1. First\n2. Second\n\n> Quoted, with `code`.\n\n"
        "| a | b |\n|:--|--:|\n| *c* | [d](https://www.example.org/d) |\n")


def test_a_news_body_in_the_subset_is_converted_directly() -> None:
    assert subset_body(NEWS, _Render("content/world/t.md", "/news/", True, True)) is not None
    assert CommonMarkRenderer().body(NEWS, "content/world/t.md", "/news/") == CommonMarkRenderer(prune=False).body(
        NEWS, "content/world/t.md", "/news/")


@pytest.mark.parametrize("text", [
    "See www.example.org.", "At https://example.org/a.", "Write to desk@example.org.", "~~struck~~", "1) a list",
    "- 1) nested", "a*(b)*c", 'a*"quoted"*', "a*.b*", "*a*b*",
])
def test_what_commonmark_reads_otherwise_goes_to_markdown_it(text: str) -> None:
    assert subset_body(text, _Render("", "/", True, True)) is None
    assert CommonMarkRenderer().body(text) == CommonMarkRenderer(prune=False).body(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(SUMMARY_LINE, st.tuples(SUMMARY_LINE, _COMMONMARK_PIECES, SUMMARY_LINE).map("".join)))
def test_a_summary_without_syntax_rendered_without_markdown_it_is_what_markdown_it_makes(text: str) -> None:
    for fast, whole in _RENDERERS.values():
        assert fast.summary(text) == whole.summary(text)
