"""Atom and RSS feeds of the site, its sections and its tags, built as XML trees so escaping is never by hand; and
the site's JSON Feed, as values for its template."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from functools import partial
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from broadsheet import __version__
from broadsheet.base.model import Article, Site
from broadsheet.stages.config import Config
from broadsheet.stages.images import feed_image

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_RSS = "http://search.yahoo.com/mrss/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# A feed with no entries still needs an `updated`; a fixed moment keeps builds byte-identical.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)
ATOM_FILE = "feed.xml"
RSS_FILE = "rss.xml"
JSON_FEED_FILE = "feed.json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# The attributes of HTML whose values are URLs (srcset: a list of them).
_URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "poster", "cite", "data", "action", "formaction", "longdesc",
                             "background", "xlink:href"})
# A comment (left as it is; unclosed, it runs to the end) or a start tag, whose quoted values may hold ">". No name
# holds "<", so that a match attempted at each "<" of a fragment that is not HTML ends at the next: linear time.
_TAG = re.compile(r"""<!--.*?(?:-->|\Z)|<[A-Za-z][^\s/><]*(?:\s+[^\s/>"'=<]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*/?>""",
                  re.DOTALL)
_ATTRIBUTE = re.compile(r"""(\s)([^\s/>"'=]+)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")
_SRCSET_SEPARATORS = re.compile(r"[\s,]*")
_SRCSET_URL = re.compile(r"\S*")


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed a page points to from its <head> (rel="alternate")."""

    title: str
    url: str
    type: str = "application/atom+xml"


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed's entries and where it lives."""

    title: str
    page_url: str  # absolute URL of the HTML page the feed follows
    feed_url: str  # absolute URL of the feed itself
    output_path: str
    articles: tuple[Article, ...]


def _rfc3339(value: datetime, config: Config) -> str:
    return value.astimezone(config.zone).isoformat(timespec="seconds")


def _modified(article: Article) -> datetime:
    assert article.date is not None
    return article.updated or article.date


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _absolute(url: str, base: str) -> str:
    try:
        if urlsplit(url).scheme:
            return url
        return urljoin(base, url)
    except ValueError:  # a malformed address: left as written, as the page has it
        return url


def _absolute_srcset(value: str, base: str) -> str:
    # As HTML parses a srcset: a URL runs to whitespace, and commas at its end end its candidate; else its
    # descriptors run to the next comma. (A scan, not one pattern: a pattern's backtracking over a run of commas
    # took minutes.)
    parts: list[str] = []
    position = 0
    while position < len(value):
        start = _SRCSET_SEPARATORS.match(value, position).end()  # type: ignore[union-attr]
        if start == len(value):
            parts.append(value[position:])
            break
        end = _SRCSET_URL.match(value, start).end()  # type: ignore[union-attr]
        url = value[start:end].rstrip(",")
        parts += [value[position:start], _absolute(url, base), value[start + len(url):end]]
        position = end
        if start + len(url) == end:
            comma = value.find(",", end)
            position = len(value) if comma < 0 else comma
            parts.append(value[end:position])
    return "".join(parts)


def _absolute_attributes(tag: str, base: str) -> str:
    def rewrite(match: re.Match[str]) -> str:
        space, name, equals, quoted = match.groups()
        if name.lower() not in _URL_ATTRIBUTES:
            return match[0]
        value = html.unescape(quoted[1:-1] if quoted[0] in "\"'" else quoted)
        value = _absolute_srcset(value, base) if name.lower() == "srcset" else _absolute(value, base)
        return f'{space}{name}{equals}"{html.escape(value)}"'

    return _ATTRIBUTE.sub(rewrite, tag)


def absolute_urls(fragment: str, base: str) -> str:
    """An HTML fragment with every URL in its tags' attributes made absolute against `base` (the URL of the page
    it was written for): feed readers resolve relative URLs against the feed, or not at all."""
    if "<" not in fragment:
        return fragment
    return _TAG.sub(lambda m: m[0] if m[0].startswith("<!--") else _absolute_attributes(m[0], base), fragment)


def serialise(root: ET.Element) -> bytes:
    """An XML document as indented UTF-8 with its declaration."""
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def atom_feed(feed: Feed, config: Config, content: Callable[[Article], str]) -> bytes:
    """An Atom 1.0 document; `content` gives an article's body HTML, used when feed_content is full."""
    root = ET.Element("feed", {"xmlns": ATOM, XML_LANG: config.language})
    _sub(root, "id", feed.feed_url)
    _sub(root, "title", feed.title)
    if config.description:
        _sub(root, "subtitle", config.description)
    updated = max((_modified(a) for a in feed.articles), default=EMPTY_FEED_UPDATED)
    _sub(root, "updated", _rfc3339(updated, config))
    _sub(root, "link", rel="self", type="application/atom+xml", href=feed.feed_url)
    _sub(root, "link", rel="alternate", type="text/html", href=feed.page_url)
    _sub(_sub(root, "author"), "name", config.publisher_name)
    _sub(root, "generator", "Broadsheet", version=__version__)
    for article in feed.articles:
        assert article.date is not None
        entry = _sub(root, "entry")
        _sub(entry, "id", article.permalink)
        _sub(entry, "title", article.title)
        _sub(entry, "link", rel="alternate", type="text/html", href=article.permalink)
        _sub(entry, "published", _rfc3339(article.date, config))
        _sub(entry, "updated", _rfc3339(_modified(article), config))
        for name in article.authors:
            _sub(_sub(entry, "author"), "name", name)
        _sub(entry, "category", term=article.section)
        for tag in article.tags:
            _sub(entry, "category", term=tag)
        if (image := feed_image(article, config)) is not None:  # Images: the lead image as an enclosure
            _sub(entry, "link", rel="enclosure", type=image[1], href=image[0])
        _sub(entry, "summary", absolute_urls(article.summary_html, article.permalink), type="html")
        if config.feed_content == "full":
            _sub(entry, "content", absolute_urls(content(article), article.permalink), type="html",
                 **{XML_BASE: article.permalink})
    return serialise(root)


def rss_feed(feed: Feed, config: Config, content: Callable[[Article], str]) -> bytes:
    """An RSS 2.0 document of the same entries, dates in RFC 822 form."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM, "xmlns:dc": "http://purl.org/dc/elements/1.1/"})
    if any(article.image for article in feed.articles):
        root.set("xmlns:media", MEDIA_RSS)
    channel = _sub(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.page_url)
    _sub(channel, "description", config.description or feed.title)
    _sub(channel, "language", config.language)
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=feed.feed_url)
    _sub(channel, "generator", f"Broadsheet {__version__}")
    if feed.articles:
        _sub(channel, "lastBuildDate", format_datetime(max(_modified(a) for a in feed.articles)))
    for article in feed.articles:
        assert article.date is not None
        item = _sub(channel, "item")
        _sub(item, "title", article.title)
        _sub(item, "link", article.permalink)
        _sub(item, "guid", article.permalink, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(article.date))
        for name in article.authors:
            _sub(item, "dc:creator", name)
        _sub(item, "category", article.section)
        for tag in article.tags:
            _sub(item, "category", tag)
        if (image := feed_image(article, config)) is not None:  # Images: the lead image as Media RSS content
            sizes = {"width": str(image[2]), "height": str(image[3])} if image[2] else {}
            _sub(item, "media:content", url=image[0], type=image[1], medium="image", **sizes)
        full = config.feed_content == "full"
        _sub(item, "description", absolute_urls(content(article) if full else article.summary_html, article.permalink))
    return serialise(root)


def site_feeds(site: Site, config: Config) -> list[Feed]:
    """The site's Atom feed, then one per section and one per tag."""
    home = config.origin + config.base_path
    size = config.feed_size
    feeds = [Feed(config.title, home, home + ATOM_FILE, ATOM_FILE, site.articles[:size])]
    for section in site.sections:
        feeds.append(Feed(f"{config.title} – {section.name}", config.origin + section.url,
                          config.origin + section.feed_url, section.slug + "/" + ATOM_FILE, section.articles[:size]))
    for tag in site.tags:
        assert tag.feed_url is not None
        feeds.append(Feed(f"{config.title} – {tag.name}", config.origin + tag.url, config.origin + tag.feed_url,
                          unquote(tag.feed_url.removeprefix(config.base_path)), tag.articles[:size]))
    return feeds


def feed_makers(site: Site, config: Config) -> Iterator[tuple[str, Feed, Callable[[Callable[[Article], str]], bytes]]]:
    """(output path, the feed, a function of the body-HTML function making its bytes) for the site's RSS and every
    Atom feed."""
    feeds = site_feeds(site, config)
    home = config.origin + config.base_path
    main = feeds[0]
    rss = Feed(main.title, main.page_url, home + RSS_FILE, RSS_FILE, main.articles)
    yield RSS_FILE, rss, partial(rss_feed, rss, config)
    for feed in feeds:
        yield feed.output_path, feed, partial(atom_feed, feed, config)


def feed_links(config: Config, own: Sequence[tuple[str, str]] = ()) -> tuple[FeedLink, ...]:
    """The feeds every page links (site Atom and RSS), then the page's own (title, url) feeds."""
    return (FeedLink(config.title, config.base_path + ATOM_FILE),
            FeedLink(config.title, config.base_path + RSS_FILE, "application/rss+xml"),
            *(FeedLink(f"{config.title} – {title}", url) for title, url in own))


def json_feed(config: Config, articles: Sequence[Article], content: Callable[[str], str]) -> dict[str, Any]:
    """The site's JSON Feed 1.1 (https://jsonfeed.org/version/1.1) as values for its template: `feed`, the feed's
    own fields, and `items`, one per article; `content(source)` gives an article's body HTML, used when
    feed_content is full (else the summary). Every URL is absolute, under the site's sub-path too."""
    home = config.origin + config.base_path
    feed: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": config.title, "home_page_url": home,
                            "feed_url": home + JSON_FEED_FILE, "description": config.description,
                            "language": config.language, "authors": [{"name": config.publisher_name}]}
    items = []
    for article in articles:
        assert article.date is not None
        html = content(article.source) if config.feed_content == "full" else article.summary_html
        item: dict[str, Any] = {"id": article.permalink, "url": article.permalink, "title": article.title,
                                "content_html": absolute_urls(html, article.permalink),
                                "date_published": _rfc3339(article.date, config)}
        if article.description:
            item["summary"] = article.description
        if article.updated is not None:
            item["date_modified"] = _rfc3339(article.updated, config)
        if article.authors:
            item["authors"] = [{"name": name} for name in article.authors]
        if article.tags:
            item["tags"] = list(article.tags)
        if (image := feed_image(article, config)) is not None:  # the lead image (its social card where one is made)
            item["image"] = image[0]
        items.append(item)
    return {"feed": feed, "items": items}
