"""The news pages and files around the articles: what each is rendered from, beside the core's page views."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from broadsheet.buildinfo import BUILD_INFO_FILE, build_info
from broadsheet.config import BuildOptions, Config
from broadsheet.feeds import feed_links, feed_makers
from broadsheet.links import resolve_links
from broadsheet.markup import describe
from broadsheet.metadata import article_jsonld, listing_jsonld, page_jsonld
from broadsheet.model import Article, ListPage, Site
from broadsheet.sitemaps import sitemap_files
from broadsheet.taxonomy import ARCHIVE_PATH, AUTHORS_PATH, TAGS_PATH

View = tuple[str, str, dict[str, Any]]  # (output path, template, context)


def shared_context(site: Site, config: Config) -> dict[str, Any]:
    """What every page gets: sections, pages and the menu; the site's feeds and (by default) no structured data."""
    return {"sections": site.sections, "pages": site.pages, "menu": site.menu, "feeds": feed_links(config),
            "jsonld": ""}


def article_context(site: Site, article: Article, config: Config) -> dict[str, Any]:
    """What an article page adds to the core's context: related articles, its feeds, structured data."""
    if article.kind == "page":
        return {"jsonld": page_jsonld(article, config), "related": ()}
    section_feed = config.base_path + article.section_slug + "/feed.xml"
    return {"related": site.related.get(article.source, ()), "jsonld": article_jsonld(article, config),
            "feeds": feed_links(config, [(article.section, section_feed)])}


def listing_context(listing: ListPage, config: Config) -> dict[str, Any]:
    """What a list page adds: its own feed (sections, tags) and structured data."""
    own = [(listing.title, listing.feed_url)] if listing.feed_url else []
    return {"feeds": feed_links(config, own), "jsonld": listing_jsonld(listing, config)}


def body_html(site: Site, body: str) -> str:
    """An article's body with links to other content files pointing at their pages."""
    return resolve_links(body, site.urls)


def news_views(site: Site, config: Config) -> Iterator[View]:
    """Tags and authors indexes, the archive and its years, and a redirect page for every alias."""
    labels = config.labels
    for kind, title, terms, base in (("tag", labels.tags, site.tags, TAGS_PATH),
                                     ("author", labels.authors, site.authors, AUTHORS_PATH)):
        yield f"{base}index.html", "terms.html", {
            "kind": kind, "title": title, "terms": terms, "page_title": title,
            "description": describe(f"{title}: {config.title}"), "canonical_url": config.origin + config.base_path + base,
        }
    yield f"{ARCHIVE_PATH}index.html", "archive.html", {
        "title": labels.archive, "years": site.archive, "year": None, "all_years": site.archive,
        "page_title": labels.archive, "description": describe(f"{labels.archive}: {config.title}"),
        "canonical_url": config.origin + config.base_path + ARCHIVE_PATH,
    }
    for year in site.archive:
        title = f"{labels.archive} {year.year}"
        yield year.output_path, "archive.html", {
            "title": title, "years": (year,), "year": year, "all_years": site.archive, "page_title": title,
            "description": describe(f"{title}: {config.title}"), "canonical_url": config.origin + year.url,
        }
    for redirect in site.redirects:
        yield redirect.output_path, "redirect.html", {
            "redirect": redirect, "page_title": redirect.title, "description": "",
            "canonical_url": redirect.target_permalink,
        }


def news_files(site: Site, config: Config, options: BuildOptions, now: datetime,
               body: Callable[[Article], str]) -> list[tuple[str, Callable[[], bytes]]]:
    """Feeds, sitemaps, robots.txt, the build-info file, and GitHub Pages' .nojekyll and CNAME.

    Each as (output path, a function making its bytes), so that paths can be claimed before anything is made.
    """
    def absolute_body(article: Article) -> str:
        return resolve_links(body(article), site.urls, config.origin)

    files: list[tuple[str, Callable[[], bytes]]] = [
        (path, partial(make, absolute_body)) for path, make in feed_makers(site, config)]
    files += [(path, partial(bytes, data)) for path, data in sitemap_files(site, config, now)]
    files.append((BUILD_INFO_FILE, lambda: build_info(options, config)))
    files.append((".nojekyll", lambda: b""))
    if config.cname:
        files.append(("CNAME", lambda: (config.cname + "\n").encode("ascii")))
    return files
