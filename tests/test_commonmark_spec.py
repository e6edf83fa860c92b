"""The CommonMark spec's own examples (npm commonmark-spec, 0.31.2) through the commonmark engine.

The news features that change CommonMark's output on purpose (typography, heading ids, tables' tabindex) are off
(`news=False`); HTML is compared after normalising it as the spec's runner does (tests/specsuite.py).
"""

from __future__ import annotations

import re

import pytest
from specsuite import Example, normalise_html, read_examples
from tooling import REPO_ROOT, require_tool

from broadsheet.stages.commonmark import CommonMarkRenderer

SPEC = REPO_ROOT / "node_modules" / "commonmark-spec" / "spec.txt"
EXAMPLES = read_examples(SPEC) if SPEC.is_file() else []
# Examples whose output differs, by number, with the reason: the engine always has GitHub's extensions on, and its
# autolinks extension makes links of these bare URLs and addresses on purpose, as github.com does (GitHub's own spec
# runs its core examples without the extension).
_AUTOLINK = "GFM autolinks extension: a bare URL or e-mail address is a link, as on GitHub"
KNOWN_DIFFERENCES: dict[int, str] = {608: _AUTOLINK, 611: _AUTOLINK, 612: _AUTOLINK}


def test_the_spec_is_installed_and_whole() -> None:
    require_tool("commonmark-spec", SPEC.is_file(), "run `npm ci` for node_modules/commonmark-spec")
    assert len(EXAMPLES) == 652


@pytest.fixture(scope="module")
def engine() -> CommonMarkRenderer:
    return CommonMarkRenderer(news=False)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{e.number}" for e in EXAMPLES])
def test_spec_example(example: Example, engine: CommonMarkRenderer) -> None:
    html = engine.body(example.markdown).html
    if example.number in KNOWN_DIFFERENCES:
        # The difference is the one named, and only that: without the links, the output is the spec's.
        assert "<a href=" in html and "<a href=" not in example.html, KNOWN_DIFFERENCES[example.number]
        unlinked = re.sub(r"<a href=\"[^\"]*\">(.*?)</a>", r"\1", html)
        assert normalise_html(unlinked) == normalise_html(example.html), f"{example.section}: {example.markdown!r}"
        return
    assert normalise_html(html) == normalise_html(example.html), f"{example.section}: {example.markdown!r}"


def test_pruned_parsers_give_the_tokens_of_the_whole_parser_on_every_example() -> None:
    # Each body is parsed without the rules it cannot need, stopping only where its rules can match: the output must
    # be markdown-it's own, news features on, trusted or not.
    differing = []
    for trusted in (True, False):
        pruned, whole = CommonMarkRenderer(trusted), CommonMarkRenderer(trusted, prune=False)
        differing += [e.number for e in EXAMPLES if pruned.body(e.markdown) != whole.body(e.markdown)]
    assert differing == []
