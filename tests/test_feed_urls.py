"""Every URL in every feed item is absolute and names the file it meant: RSS has no xml:base, nor has Atom's summary."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from conftest import write_tree
from imagefiles import photo
from lxml import etree

from broadsheet.feeds import absolute_urls

ORIGIN = "https://example.org"
BASE = "/news/"
A = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"

# Written for the page /news/world/story/: every kind of relative URL a body or a summary may hold.
STORY = """---
title: Story
date: 2024-03-02T09:00:00Z
section: World
summary: "A [pic](pic.png), [up](../../images/x.png), [home](/world/other/) and [a note](#note)."
tags: [Courts]
---

![A picture beside the story](pic.png)

![A picture two folders up](../../images/x.png)

[Another story](/world/other/), [the same, by its file](other.md), [a section](../) and [a footnote](#note).

<img src="./pic.png" srcset="pic.png 1x, ../../images/x.png 2x" alt="Both pictures">

<p id="note"><a href='//cdn.example.net/lib.js'>A library</a>, <a href="mailto:desk@example.org">mail</a>,
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="A dot"> and
<a href="https://example.com/?a=1&amp;b=2">elsewhere</a>.</p>
"""
OTHER = "---\ntitle: Other\ndate: 2024-03-01T09:00:00Z\nsection: World\nsummary: Other news.\n---\n\nNews.\n"


class _Urls(HTMLParser):
    """Every URL in href, src and srcset attributes of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append(value)
            elif name == "srcset" and value:
                self.urls += [candidate.split()[0] for candidate in value.split(",")]


def urls_in(fragment: str) -> list[str]:
    parser = _Urls()
    parser.feed(fragment)
    parser.close()
    return parser.urls


def output_file(url: str, out: Path) -> Path:
    """The file in the output an absolute URL of the site names."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == ORIGIN and parts.path.startswith(BASE), url
    path = out / unquote(parts.path.removeprefix(BASE))
    return path / "index.html" if url.endswith("/") or path.is_dir() else path


@pytest.fixture
def built(tmp_path: Path, run_cli) -> Path:
    site = write_tree(tmp_path / "site", {
        "site.yaml": f"title: T\nbase_url: {ORIGIN}{BASE}\nfeed_content: full\n",
        "content/world/story.md": STORY,
        "content/world/other.md": OTHER,
        "static/world/story/pic.png": photo(40, 30, "PNG"),
        "static/images/x.png": photo(30, 40, "PNG"),
    })
    result = run_cli("build", "--site", str(site), "--quiet", "--now", "2024-06-01T00:00")
    assert result.status == 0, result.err
    return site / "public"


def item_fragments(out: Path) -> list[tuple[str, str]]:
    """(feed, HTML) of every summary, description and content of every item of every feed in the output."""
    fragments = []
    for feed in sorted(out.rglob("*.xml")):
        root = etree.parse(str(feed)).getroot()
        if root.tag == "rss":
            for item in root.iter("item"):
                fragments += [(feed.name, e.text or "") for e in (item.find("description"), item.find(CONTENT))
                              if e is not None]
        elif root.tag == f"{A}feed":
            for entry in root.iter(f"{A}entry"):
                fragments += [(feed.name, e.text or "") for e in (entry.find(f"{A}summary"), entry.find(f"{A}content"))
                              if e is not None]
    return fragments


def test_every_url_in_every_feed_item_is_absolute_and_names_its_file(built: Path) -> None:
    fragments = item_fragments(built)
    feeds = {name for name, _ in fragments}
    assert {"rss.xml", "feed.xml"} <= feeds
    story_urls = [url for _, html in fragments for url in urls_in(html) if "picture" in html or "pic" in html]
    assert story_urls, "the story's body and summary are in the feeds"
    for feed, html in fragments:
        for url in urls_in(html):
            parts = urlsplit(url)
            assert parts.scheme and (parts.netloc or parts.scheme in ("mailto", "data")), (feed, url)
            if url.startswith(ORIGIN):
                assert output_file(url.partition("#")[0], built).is_file(), (feed, url)
    every = {url for _, html in fragments for url in urls_in(html)}
    assert {f"{ORIGIN}/news/world/story/pic.png", f"{ORIGIN}/news/images/x.png", f"{ORIGIN}/news/world/other/",
            f"{ORIGIN}/news/world/", f"{ORIGIN}/news/world/story/#note", "https://cdn.example.net/lib.js",
            "mailto:desk@example.org", "https://example.com/?a=1&b=2"} <= every


def test_feed_readers_see_the_same_absolute_urls(built: Path) -> None:
    for name in ("rss.xml", "feed.xml", "world/feed.xml", "tags/courts/feed.xml"):
        parsed = feedparser.parse((built / name).read_bytes(), resolve_relative_uris=False)
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        [story] = [e for e in parsed.entries if e.title == "Story"]
        htmls = [story.summary] + [c.value for c in story.get("content", [])]
        assert all(urls_in(html) for html in htmls)
        assert all(urlsplit(url).scheme for html in htmls for url in urls_in(html)), name


@pytest.mark.parametrize(("html", "expected"), [
    ('<a href="pic.png">', '<a href="https://example.org/a/b/pic.png">'),
    ("<img alt=x src='../../x.png'>", '<img alt=x src="https://example.org/x.png">'),
    ("<img src=x.png>", '<img src="https://example.org/a/b/x.png">'),
    ('<A HREF="/c/">', '<A HREF="https://example.org/c/">'),
    ('<img srcset="a.png 1x, /b.png 2x,c.png">',
     '<img srcset="https://example.org/a/b/a.png 1x, https://example.org/b.png 2x,https://example.org/a/b/c.png">'),
    ('<img srcset="data:image/png;base64,AAA 1x">', '<img srcset="data:image/png;base64,AAA 1x">'),
    ('<a href="?q=1&amp;r=2">', '<a href="https://example.org/a/b/?q=1&amp;r=2">'),
    ('<a href="https://x.org/">', '<a href="https://x.org/">'),
    ('<a href="https://[x">', '<a href="https://[x">'),
    ('<!-- <a href="pic.png"> -->', '<!-- <a href="pic.png"> -->'),
    ('<code>&lt;a href="pic.png"&gt;</code>', '<code>&lt;a href="pic.png"&gt;</code>'),
    ('<a title="x > y" href="p">', '<a title="x > y" href="https://example.org/a/b/p">'),
    ('<a data-href="p" href="#n">', '<a data-href="p" href="https://example.org/a/b/#n">'),
])
def test_absolute_urls_rewrites_only_url_attributes(html: str, expected: str) -> None:
    assert absolute_urls(html, "https://example.org/a/b/") == expected


# Fragments that are not HTML (or hardly), as Python expressions: a tag pattern whose names could hold "<" took from
# 27 s to 5 minutes on each of the first ones, a srcset pattern 2 minutes on the run of commas.
PATHOLOGICAL = ["'<a ' * 20000", "'<a href=\"x\" ' * 20000", "'<!--' * 20000", "'<a b c d e f g ' * 5000",
                "'<a\\n' * 20000", "'<a b=' + chr(39) + '<a ' * 20000 + chr(39)", "'<a' + ' b=c' * 50000",
                "'<img srcset=\"' + ',' * 3000 + '\">'", "'<img srcset=\"' + ' ' * 5000 + 'x\">'"]


def test_absolute_urls_takes_linear_time_on_text_that_is_not_html() -> None:
    # In a child process, so that a regular expression that backtracks for hours fails the test instead of hanging it.
    code = "from broadsheet.feeds import absolute_urls\n" + "".join(
        f"text = {expression}\nassert len(absolute_urls(text, 'https://example.org/')) >= len(text)\n"
        for expression in PATHOLOGICAL)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
