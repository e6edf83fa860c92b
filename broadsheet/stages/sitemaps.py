"""sitemap.xml, the Google News sitemap and robots.txt."""

from __future__ import annotations

import hashlib
import marshal
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from broadsheet.base.model import Article, Site
from broadsheet.stages.config import Config
from broadsheet.stages.feeds import serialise
from broadsheet.stages.taxonomy import ARCHIVE_PATH, AUTHORS_PATH, TAGS_PATH

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP_FILE = "sitemap.xml"
NEWS_SITEMAP_FILE = "news-sitemap.xml"
# Google News reads articles of the last two days, at most 1,000 per sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000
SITEMAP_LIMIT = 50_000  # URLs per sitemap file (the sitemaps.org limit); above it sitemap.xml is an index


def sitemap_pages(site: Site, config: Config) -> tuple[tuple[str, datetime | None], ...]:
    """(root-relative URL, last modified) of every page a search engine should know."""
    return tuple(_pages(site, config))


def _pages(site: Site, config: Config) -> Iterator[tuple[str, datetime | None]]:
    # The latest time of each news article (they all have a date) with its timestamp first: comparing times in
    # different zones costs more than comparing numbers, and a site's lists hold many articles.
    latest = {id(a): ((a.updated or a.date).timestamp(), a.updated or a.date) for a in site.articles}  # type: ignore[union-attr]
    last_of = latest.__getitem__

    def modified(articles: Iterable[Article]) -> datetime | None:
        newest = max(map(last_of, map(id, articles)), default=None)
        return newest[1] if newest else None

    for listing in site.lists:
        yield listing.url, modified(listing.articles)
    for article in site.articles:
        yield article.url, latest[id(article)][1]
    for page in site.pages:
        yield page.url, page.updated or page.date
    yield config.base_path + ARCHIVE_PATH, modified(site.articles)
    for year in site.archive:
        yield year.url, modified(a for month in year.months for a in month.articles)
    yield config.base_path + TAGS_PATH, modified(t.articles[0] for t in site.tags)
    yield config.base_path + AUTHORS_PATH, modified(t.articles[0] for t in site.authors)


def sitemap(pages: Iterable[tuple[str, datetime | None]], config: Config) -> bytes:
    """Every page of the site with its <lastmod>, from (URL, last modified)."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for url, modified in pages:
        entry = ET.SubElement(root, "url")
        ET.SubElement(entry, "loc").text = config.origin + url
        if modified is not None:
            ET.SubElement(entry, "lastmod").text = modified.astimezone(config.zone).isoformat(timespec="seconds")
    return serialise(root)


def recent_articles(site: Site, now: datetime) -> tuple[Article, ...]:
    """What the news sitemap lists: articles published in the two days before `now`, newest first, at most 1,000."""
    since, recent = now - NEWS_WINDOW, list[Article]()
    for article in site.articles:  # newest first: the look ends at the first one older than the window
        if article.date is None or article.date > now:
            continue
        if article.date < since or len(recent) == NEWS_LIMIT:
            break
        recent.append(article)
    return tuple(recent)


def news_sitemap(recent: Iterable[Article], config: Config) -> bytes:
    """The news sitemap of the `recent_articles`."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:news": NEWS_NS})
    for article in recent:
        assert article.date is not None
        entry = ET.SubElement(root, "url")
        ET.SubElement(entry, "loc").text = article.permalink
        news = ET.SubElement(entry, "news:news")
        publication = ET.SubElement(news, "news:publication")
        ET.SubElement(publication, "news:name").text = config.publisher_name
        ET.SubElement(publication, "news:language").text = config.language.lower()
        ET.SubElement(news, "news:publication_date").text = article.date.astimezone(config.zone).isoformat(
            timespec="seconds")
        ET.SubElement(news, "news:title").text = article.title
    return serialise(root)


def robots_txt(config: Config) -> bytes:
    """robots.txt allowing everything and naming both sitemaps."""
    home = config.origin + config.base_path
    return (f"User-agent: *\nAllow: /\n\nSitemap: {home}{SITEMAP_FILE}\nSitemap: {home}{NEWS_SITEMAP_FILE}\n"
            ).encode()


def sitemap_index(parts: Iterable[tuple[str, datetime | None]], config: Config) -> bytes:
    """A sitemap index of (sitemap URL, the latest modification of its pages)."""
    root = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for url, modified in parts:
        entry = ET.SubElement(root, "sitemap")
        ET.SubElement(entry, "loc").text = url
        if modified is not None:
            ET.SubElement(entry, "lastmod").text = modified.astimezone(config.zone).isoformat(timespec="seconds")
    return serialise(root)


def _inputs(pages: tuple[tuple[str, datetime | None], ...]) -> bytes:
    """What a sitemap of these pages is made from besides the config (its time zone): URLs and moments, as one
    digest (taken in C: a sitemap lists every page; 6 ms for 16,000 pages)."""
    return hashlib.blake2b(marshal.dumps([(url, None if modified is None else modified.timestamp())
                                          for url, modified in pages], 2), digest_size=20).digest()


def sitemap_files(site: Site, config: Config, now: datetime,
                  pages: tuple[tuple[str, datetime | None], ...]) -> Iterator[tuple[str, Any, Callable[[], bytes]]]:
    """(output path, what its bytes are made from, a function making them) of sitemap.xml, news-sitemap.xml and
    robots.txt, from the site's `sitemap_pages`. Above SITEMAP_LIMIT pages, sitemap.xml is an index of
    sitemap-1.xml, sitemap-2.xml …"""
    if len(pages) <= SITEMAP_LIMIT:
        yield SITEMAP_FILE, _inputs(pages), partial(sitemap, pages, config)
    else:
        parts = []
        for number, start in enumerate(range(0, len(pages), SITEMAP_LIMIT), start=1):
            chunk = pages[start:start + SITEMAP_LIMIT]
            name = f"sitemap-{number}.xml"
            yield name, _inputs(chunk), partial(sitemap, chunk, config)
            modified = max((m for _, m in chunk if m is not None), default=None)
            parts.append((config.origin + config.base_path + name, modified))
        yield SITEMAP_FILE, tuple(parts), partial(sitemap_index, tuple(parts), config)
    recent = recent_articles(site, now)
    yield NEWS_SITEMAP_FILE, recent, partial(news_sitemap, recent, config)
    yield "robots.txt", None, partial(robots_txt, config)
