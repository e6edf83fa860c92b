"""Markdown rendering and summaries: written, <!--more-->, and automatic."""

from __future__ import annotations

import pytest
from htmlcheck import balance_problems, parse_html

from broadsheet.config import Config
from broadsheet.content import parse_article
from broadsheet.markup import MarkdownRenderer, describe, renderer

ENGINES = ("python-markdown", "commonmark")
BOTH = pytest.mark.parametrize("engine", ENGINES)  # a feature both Markdown engines have (site.yaml `markdown:`)


def article(body: str, front: str = "", **config: object):
    text = f"---\ntitle: T\ndate: 2024-01-01\n{front}---\n\n{body}"
    return parse_article("content/world/t.md", text.encode("utf-8"), Config(**config))  # type: ignore[arg-type]


def summary(body: str, front: str = "", **config: object) -> str:
    html = article(body, front, **config).article.summary_html
    assert balance_problems(html) == [], html
    return html


@BOTH
def test_front_matter_summary_wins(engine: str) -> None:
    html = summary("Body first sentence.\n\n<!--more-->\n\nMore.\n", "summary: Written by *a person* & checked.\n",
                   markdown=engine)
    assert html == "<p>Written by <em>a person</em> &amp; checked.</p>"


@BOTH
def test_front_matter_summary_html_renders_as_safe_elements_never_as_escaped_tags(engine: str) -> None:
    # A Jekyll excerpt holds HTML: its link stays a link, a script goes, any other tag leaves its text.
    html = summary("Body.\n", "summary: 'Click <a href=\"https://example.org/r?a=1&amp;b=2\" onclick=x>here</a> "
                   "<script>x()</script><span class=\"k\">now</span> <a href=\"javascript:alert(1)\">bad</a> "
                   "<em>*really*</em>'\n", markdown=engine)
    tree = parse_html(html)
    assert "&lt;" not in html and "<script" not in html and "<span" not in html
    assert tree.text() == "Click here now bad really"
    links = tree.find_all("a")
    assert links[0].attrs == {"href": "https://example.org/r?a=1&b=2"} and links[0].text() == "here"
    assert links[1].attrs == {} and links[1].text() == "bad"  # (an unsafe target: text, linked to nothing)
    assert tree.find("em").find("em").text() == "really"  # (the rest is Markdown, as before)


@BOTH
def test_front_matter_summary_html_that_does_not_nest_renders_as_its_text(engine: str) -> None:
    html = summary("Body.\n", "summary: \"<em>One\\n\\nTwo</em> <b>three\"\n", markdown=engine)
    assert "<em>" not in html and "<b>" not in html and "&lt;" not in html
    assert parse_html(html).text() == "One Two three"


@BOTH
def test_front_matter_summary_links_to_content_files_resolve(engine: str) -> None:
    html = summary("Body.\n", "summary: 'See <a href=\"other.md\">the other story</a>.'\n", markdown=engine)
    assert parse_html(html).find("a").attrs["href"] == "broadsheet-source:content/world/other.md"


@BOTH
def test_automatic_summary_never_ends_on_a_sentence_introducing_code_it_leaves_out(engine: str) -> None:
    body = ("The council voted on Tuesday. The new rule reads:\n\n```\nNo cars after 8 pm.\n```\n\n"
            "It takes effect in May.\n")
    assert summary(body, markdown=engine) == "<p>The council voted on Tuesday.</p>"
    fenced = ("The council voted on Tuesday. Install it with:\n\n    pip install it\n\nThen run it.\n")
    assert summary(fenced, markdown=engine) == "<p>The council voted on Tuesday.</p>"


@BOTH
def test_automatic_summary_never_ends_on_a_sentence_introducing_a_list_that_does_not_fit(engine: str) -> None:
    items = "\n".join(f"- Item number {n} of the list of measures announced" for n in range(10))
    html = summary(f"The minister announced three measures. They are:\n\n{items}\n", summary_words=8,
                   markdown=engine)
    assert html == "<p>The minister announced three measures.</p>"
    # A list that does fit follows its sentence.
    html = summary("Two measures. They are:\n\n- more buses\n- fewer cars\n", summary_words=20, markdown=engine)
    assert html == "<p>Two measures. They are:</p><p>more buses</p><p>fewer cars</p>"


@BOTH
def test_automatic_summary_skips_a_first_sentence_introducing_what_it_leaves_out(engine: str) -> None:
    body = "Watch the launch:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nThe rocket left on time.\n"
    assert summary(body, markdown=engine) == "<p>The rocket left on time.</p>"


@BOTH
def test_more_marker(engine: str) -> None:
    parsed = article("Lead paragraph one.\n\nLead *two*.\n\n<!--more-->\n\nThe rest.\n", markdown=engine)
    assert parsed.article.summary_html == "<p>Lead paragraph one.</p>\n<p>Lead <em>two</em>.</p>"
    assert "more" not in parsed.body_html
    assert parsed.body_html.count("<p>") == 3


@BOTH
def test_automatic_summary_is_about_summary_words_cut_at_a_sentence(engine: str) -> None:
    sentence = "This sentence has exactly eight words in it."
    body = " ".join([sentence] * 20)
    html = summary(body + "\n", summary_words=20, markdown=engine)
    text = parse_html(html).text()
    assert text == " ".join([sentence] * 3)
    assert text.endswith(".")


@BOTH
def test_automatic_summary_spans_paragraphs(engine: str) -> None:
    html = summary("One short lead.\n\nA second paragraph follows here.\n\nThird.\n", summary_words=8, markdown=engine)
    assert html == "<p>One short lead.</p><p>A second paragraph follows here.</p>"


@BOTH
def test_one_huge_sentence_is_cut_with_an_ellipsis(engine: str) -> None:
    html = summary(" ".join(["word"] * 300) + ".\n", summary_words=10, markdown=engine)
    assert parse_html(html).text() == " ".join(["word"] * 10) + "\u2026"


@pytest.mark.parametrize("body", [
    "# A heading\n\nThe first paragraph. Second sentence.\n",
    "## Heading *with* emphasis {#custom}\n\nThe first paragraph. Second sentence.\n",
    "```python\nprint('code block.')\n```\n\nThe first paragraph. Second sentence.\n",
    "    indented code.\n\nThe first paragraph. Second sentence.\n",
    "> A quotation. Quoted words.\n\nThe first paragraph. Second sentence.\n",
    "<div class=\"box\">\n<p>Raw HTML block.</p>\n</div>\n\nThe first paragraph. Second sentence.\n",
    ("<figure><img src=\"a.jpg\" alt=\"\"><figcaption>Caption.</figcaption></figure>\n\n"
     "The first paragraph. Second sentence.\n"),
    "| a | b |\n|---|---|\n| cell. | cell |\n\nThe first paragraph. Second sentence.\n",
    "---\n\nThe first paragraph. Second sentence.\n",
])
@BOTH
def test_automatic_summary_skips_what_is_not_a_paragraph(body: str, engine: str) -> None:
    html = summary(body, summary_words=5, markdown=engine)
    assert html == "<p>The first paragraph. Second sentence.</p>"


@BOTH
def test_footnotes_never_reach_the_summary(engine: str) -> None:
    html = summary("The first paragraph[^1] has a note. Second sentence.\n\n[^1]: The footnote text.\n",
                   summary_words=50, markdown=engine)
    assert html == "<p>The first paragraph has a note. Second sentence.</p>"
    html = summary("[^1]: A footnote defined first.\n\nThe lead[^1]. Then more.\n", summary_words=2, markdown=engine)
    assert html == "<p>The lead.</p>"


@BOTH
def test_lists_give_whole_items_as_text(engine: str) -> None:
    html = summary("- First item is here.\n- Second *item* here.\n    - nested item.\n\nAfter.\n", summary_words=50,
                   markdown=engine)
    assert "<ul" not in html and "<li" not in html
    assert html.startswith("<p>First item is here.</p><p>Second item here. nested item.</p>")


@BOTH
def test_inline_markup_and_raw_html_never_open_an_element(engine: str) -> None:
    html = summary('Some **bold <span class="x">and raw</span>** text. Then `code` and [a link](http://x).\n'
                   "Another <em>sentence</em> here.\n", summary_words=6, markdown=engine)
    assert parse_html(html).text().startswith("Some bold and raw text.")
    assert "<span" not in html and "<strong" not in html and "<a " not in html


@BOTH
def test_entities_and_escapes_survive_in_the_summary(engine: str) -> None:
    html = summary("AT&amp;T costs \\*five\\* &copy; 5 &lt; 6 &amp; R&D.\n", markdown=engine)
    assert parse_html(html).text() == "AT&T costs *five* © 5 < 6 & R&D."


@BOTH
def test_typographic_quotes_and_dashes(engine: str) -> None:
    parsed = article('He said "yes" -- and it\'s done... `"code"`\n', markdown=engine)
    assert "\u201cyes\u201d \u2013 and it\u2019s done\u2026" in parsed.body_html
    assert '<code>"code"</code>' in parsed.body_html.replace("&quot;", '"')  # (markdown-it escapes quotes)


@BOTH
def test_summary_of_an_empty_body_is_empty(engine: str) -> None:
    assert summary("# Only a heading\n", markdown=engine) == ""


@BOTH
def test_unsafe_links_are_not_links(engine: str) -> None:
    parsed = article("[x](javascript:alert(1)) ![y](data:text/html,hi)\n", markdown=engine)
    assert "javascript:" not in parsed.body_html and "data:" not in parsed.body_html


@BOTH
def test_heading_ids_are_unique(engine: str) -> None:
    parsed = article("# Intro\n\n# Intro\n\nText.\n", markdown=engine)
    assert 'id="intro"' in parsed.body_html and 'id="intro-2"' in parsed.body_html


@BOTH
def test_description_is_plain_and_short(engine: str) -> None:
    long = " ".join(["word"] * 100) + "."
    parsed = article(long + "\n", markdown=engine)
    description = parsed.article.description
    assert len(description) <= 160 and description.endswith("\u2026") and "<" not in description
    assert describe("<p>A &amp; B</p>") == "A & B"


def test_renderer_is_reused_without_leaking_state() -> None:
    first = renderer().body("Text[^1].\n\n[^1]: Note.\n").html
    second = renderer().body("Plain.\n").html
    assert "footnote" in first and "footnote" not in second


@pytest.mark.parametrize(("text", "expected"), [
    ("*Read more: [The story](https://example.org/a)*", ('<p><em>Read more: <a href="https://example.org/a">The story</a>'
                                                         "</em></p>")),
    ("**Bold [link `code`](https://example.org/b)** and `more`", ('<p><strong>Bold <a href="https://example.org/b">link '
                                                                 "<code>code</code></a></strong> and <code>more</code></p>")),
    ("Plain text, then *one* word &amp; [a link][x].\n\n[x]: https://example.org/c",
     '<p>Plain text, then <em>one</em> word &amp; <a href="https://example.org/c">a link</a>.</p>'),
])
def test_inline_markup_around_and_inside_links_in_runs_of_text_that_skip_patterns(text: str, expected: str) -> None:
    # Each run of text is tried only with the patterns whose characters it holds; a pattern skipped must leave the
    # next one to search from the start, as one that did not match does.
    assert renderer().body(text).html == expected


@pytest.mark.parametrize("text", [
    "Text\n\n***\n\nMore", "Text\n\n___\n\nMore", "Text\n\n- - -\n\nMore", "# Head\n\nText", "Head\n===\n",
    "Head\n---\n", "> quoted\n> lines", "Term\n:   Its definition", "| a | b |\n|---|---|\n| 1 | 2 |",
    "a | b\n--|--\n1 | 2", "Plain paragraph\nof two lines", "1. one\n2. two", "- one\n- two",
])
def test_block_processors_tried_only_where_a_block_has_their_characters_change_nothing(text: str) -> None:
    pruned, every = MarkdownRenderer(), MarkdownRenderer(all_patterns=True)
    assert pruned.body(text) == every.body(text)


@BOTH
def test_automatic_summary_stops_at_the_first_heading_after_the_lead(engine: str) -> None:
    html = summary("<div>raw</div>\n\nThe lead is short.\n\n## Details\n\nAfter the heading.\n", summary_words=50,
                   markdown=engine)
    assert html == "<p>The lead is short.</p>"


@BOTH
def test_heading_ids_never_take_an_id_of_the_page_around_the_body(engine: str) -> None:
    parsed = article("# Main\n\nText.\n", markdown=engine)
    assert '<h1 id="main-2">' in parsed.body_html


@BOTH
def test_more_marker_inside_code_is_code(engine: str) -> None:
    parsed = article("Lead.\n\n```html\n<!--more-->\n```\n\n    <!--more-->\n\nRest of the story.\n", markdown=engine)
    assert parsed.article.summary_html == "<p>Lead.</p><p>Rest of the story.</p>"  # automatic: no marker outside code
    assert parsed.body_html.count("&lt;!--more--&gt;") == 2


def test_more_lead_repeats_no_ids_and_no_footnote_markers() -> None:
    parsed = article("## Key points {#key}\n\nThe lead[^1] paragraph.\n\n<!--more-->\n\n## Key points\n\nRest.\n\n"
                     "[^1]: A note.\n")
    html = parsed.article.summary_html
    assert html == "<h2>Key points</h2>\n<p>The lead paragraph.</p>"
    assert 'id="key"' in parsed.body_html and 'id="key-points"' in parsed.body_html
    assert "fnref" in parsed.body_html


@BOTH
def test_more_marker_without_blank_lines_keeps_paragraphs_apart(engine: str) -> None:
    parsed = article("Lead line.\n<!--more-->\nRest line.\n", markdown=engine)
    assert parsed.article.summary_html == "<p>Lead line.</p>"
    assert parsed.body_html.rstrip("\n") == "<p>Lead line.</p>\n<p>Rest line.</p>"  # (markdown-it ends with a newline)


@BOTH
def test_more_marker_that_cuts_raw_html_in_two_gives_a_balanced_summary(engine: str) -> None:
    parsed = article('<div class="box">\n<p>Boxed lead.</p>\n\n<!--more-->\n\n<p>Rest.</p>\n</div>\n\nAfter.\n',
                     markdown=engine)
    assert parsed.article.summary_html == "<p>After.</p>"


@pytest.mark.parametrize("text", [
    "The council met on Tuesday -- and said \"no\".",
    "\u201cI have never seen anything like it,\u201d said a spokesperson... Costs rose to $4.0bn and \u00a37.6bn.",
    "'Tis the season (again): prices up 5% in Malm\u00f6; \u0141\u00f3d\u017a unchanged!",
])
def test_a_summary_of_plain_sentences_skips_markdown_and_comes_out_as_markdown_makes_it(text: str) -> None:
    from broadsheet.markup import _is_plain_line

    assert _is_plain_line(text)
    assert MarkdownRenderer(False).summary(text) == MarkdownRenderer(False, all_patterns=True).summary(text)


NEWS_BODY = """**MALMÖ** — Officials said on Tuesday that the plan -- first drafted in 2019 -- would "take time". It's the
*second* delay this year; costs rose by 12% to €4bn & counting, with `max_connections` set > 10.

Among the measures announced:

- A pilot scheme in [Kyiv](/world/kyiv/) in the spring
- A **freeze** on new contracts

1. Consultation
2. A vote in [parliament](../politics/vote.md)

> “We are not going to rush this.”
>
> — A spokesperson, quoted by [the agency](https://example.org/a_b?q=1)

## What happens next

More text... and 'quotes'.

## What happens next

| Party | Seats | Share |
|:------|------:|:-----:|
| *Centre* | 41 | 30.2% |
| [Greens](/politics/greens/) & allies | 12 | 9.8% |

*Read more: [Five things to know](https://example.org/five/)*
"""


def test_a_news_body_in_the_common_subset_is_converted_directly_and_as_python_markdown_does() -> None:
    from broadsheet.markup import subset_body

    direct = subset_body(NEWS_BODY, "content/world/t.md", "/news/", True)
    assert direct is not None
    assert direct == MarkdownRenderer(all_patterns=True).body(NEWS_BODY, "content/world/t.md", "/news/")
    assert direct == renderer().body(NEWS_BODY, "content/world/t.md", "/news/")
    assert "<p><strong>MALMÖ</strong> — Officials" in direct.html
    assert "\u201ctake time\u201d. It\u2019s the\n<em>second</em> delay" in direct.html
    assert "&amp; counting, with <code>max_connections</code> set &gt; 10." in direct.html
    assert '<li>A pilot scheme in <a href="/news/world/kyiv/">Kyiv</a> in the spring</li>' in direct.html
    assert '<ol>\n<li>Consultation</li>' in direct.html
    assert '<blockquote>\n<p>\u201cWe are not going to rush this.\u201d</p>\n<p>\u2014 A spokesperson' in direct.html
    assert ('<table tabindex="0">\n<thead>\n<tr>\n<th style="text-align: left;">Party</th>\n'
            '<th style="text-align: right;">Seats</th>\n<th style="text-align: center;">Share</th>\n</tr>\n</thead>\n'
            '<tbody>\n<tr>\n<td style="text-align: left;"><em>Centre</em></td>') in direct.html
    assert '<h2 id="what-happens-next">' in direct.html and '<h2 id="what-happens-next-2">' in direct.html
    assert direct.links == (("../politics/vote.md", "content/politics/vote.md"),)
    lead = ("MALMÖ \u2014 Officials said on Tuesday that the plan \u2013 first drafted in 2019 \u2013 would \u201ctake "
            "time\u201d. It\u2019s the\nsecond delay this year; costs rose by 12% to €4bn & counting, with "
            "max_connections set > 10.")
    assert direct.paragraphs[:3] == (lead,
                                     "Among the measures announced:", "A pilot scheme in Kyiv in the spring")


@pytest.mark.parametrize("text", [
    "Text with a \\* star.", "A <b>tag</b>.", "Two spaces at the end  \nof a line.", "Tab\there.",
    "A * lone star.", "A **bold *nested* word**.", "A [reference][x].\n\n[x]: /y", "An ![image](/i.png).",
    "A note[^1].\n\n[^1]: Note.", "snake_case", "&copy; 2024", "Term\n: definition", "> a\n\n> b", "- a\n\n- b",
    "2. starts at two", "## Heading {: #id }", "Line\n===", "```\ncode\n```", "    indented code", "| a | b |",
    "| a | b |\n|---|---|", "a | b\n--|--\n1 | 2", "| a | b |\n|---|---|\n| 1 |", "| `a | b` |\n|---|\n| c |",
    "*a\nb*", "`a``b`", "> a\n>", "##No space", "A\u00a0non-breaking space.", "1. a\n- b",
])
def test_a_body_outside_the_subset_goes_to_python_markdown(text: str) -> None:
    from broadsheet.markup import subset_body

    assert subset_body(text, "content/world/t.md", "/", True) is None
    assert renderer().body(text) == MarkdownRenderer(all_patterns=True).body(text)


def test_a_blank_body_after_another_has_no_words_and_no_lead_of_its_own() -> None:
    md = MarkdownRenderer()
    md.body("Some words here.\n\n- And a list\n")
    md.body("Text with a \\* star, through Python-Markdown.\n")
    blank = md.body("  \n")
    assert (blank.html, blank.paragraphs, blank.word_count, blank.links) == ("", (), 0, ())


def test_a_malformed_link_address_is_output_as_written() -> None:
    parsed = article("See [the site](https://[example.org/page) for more.\n")
    assert '<a href="https://[example.org/page">the site</a>' in parsed.body_html
