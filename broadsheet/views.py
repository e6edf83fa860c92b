"""The news pages and files around the articles: what each is rendered from, beside the core's page views."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from broadsheet.buildinfo import BUILD_INFO_FILE, build_info
from broadsheet.config import Config
from broadsheet.feeds import feed_links, feed_makers
from broadsheet.links import resolve_links
from broadsheet.markup import describe
from broadsheet.metadata import article_jsonld, listing_jsonld, page_jsonld
from broadsheet.model import Article, ListPage, Site
from broadsheet.options import BuildOptions
from broadsheet.redirects import REDIRECTS_FILE, redirect_rules, redirects_file
from broadsheet.search import SEARCH_PAGE, search_context
from broadsheet.sitemaps import sitemap_files, sitemap_pages
from broadsheet.slugs import quote_path
from broadsheet.taxonomy import ARCHIVE_PATH, AUTHORS_PATH, TAGS_PATH


@dataclass(frozen=True, slots=True)
class View:
    """A page of the site: where it goes, its template, and what its context is made from.

    `kind` and `index` name the site's object the page shows (site.articles[index] for "article"); the context is
    made only when the page is rendered, by `view_context`, a pure function of the site, the view and the config.
    """

    output_path: str
    template: str
    kind: str  # "article", "page", "list", "404", or one of the news_views' kinds
    index: int
    label: str  # the file named when the page fails: the article's source, else the output path

    @property
    def shows_one_article(self) -> bool:
        """An article's or page's own page (which reads its article whole), rather than a page listing articles."""
        return self.kind in ("article", "page")


def site_views(site: Site, config: Config) -> list[View]:
    """Every page of the site, in a fixed order."""
    views = [View(a.output_path, "article.html", "article", i, a.source) for i, a in enumerate(site.articles)]
    views += [View(p.output_path, "page.html", "page", i, p.source) for i, p in enumerate(site.pages)]
    views += [View(listing.output_path, "list.html", "list", i, listing.output_path)
              for i, listing in enumerate(site.lists)]
    views += [View(path, template, kind, i, path) for path, template, kind, i in news_views(site)]
    views.append(View("404.html", "404.html", "404", 0, "404.html"))
    if config.search:  # Search: the page that shows Pagefind's results (see broadsheet.search)
        views.append(View(SEARCH_PAGE, "search.html", "search", 0, SEARCH_PAGE))
    return views


def _scheduled(article: Article, preview_now: datetime | None) -> bool:
    # Decided here, so that pages do not read the clock: only an article whose date passes `now` changes between
    # previews.
    return preview_now is not None and article.date is not None and article.date > preview_now


def scheduled_articles(site: Site, preview_now: datetime | None) -> tuple[str, ...]:
    """The articles a preview shows as scheduled (dated after its moment), by source: the one input of a page that
    time alone changes."""
    scheduled = []
    for article in site.articles:  # newest first: the scheduled ones lead, and the look ends at the first other
        if not _scheduled(article, preview_now):
            break
        scheduled.append(article.source)
    return tuple(scheduled)


def link_targets(site: Site, article: Article) -> tuple[str | None, ...]:
    """The URLs of the content files an article's body links to (None: not published): what its body depends on
    besides its own text."""
    return tuple(site.urls.get(link.target) for link in article.links)


def view_inputs(site: Site, config: Config, view: View, preview_now: datetime | None = None) -> Any:
    """Everything `view_context` makes the page's context from, besides the config and the site's shared context:
    equal inputs give equal contexts, so this is what a page's key is taken of (cheaper than its context)."""
    if view.kind == "article":
        article = site.articles[view.index]
        return (article, link_targets(site, article), site.neighbours[article.source],
                site.related.get(article.source, ()), _scheduled(article, preview_now))
    if view.kind == "page":
        return site.pages[view.index], link_targets(site, site.pages[view.index])
    if view.kind == "list":
        return site.lists[view.index]
    context = view_context(site, config, view, lambda source: "", preview_now)  # small pages: their context
    if "all_years" in context:  # of the years it links to, an archive page shows only these (see tasks.TrackedYear)
        context["all_years"] = tuple((year.year, year.url, year.output_path) for year in site.archive)
    return context


# The fields of an article that decide the site's structure (what is published, in which order, its lists,
# neighbours, related articles, terms and redirects) and the link other pages show of it. The others (word count,
# description, image…) show only on the pages that show the article itself: see articles_shown.
STRUCTURAL_FIELDS = ("source", "kind", "slug", "title", "date", "draft", "expires", "authors", "section",
                     "section_slug", "tags", "summary_html", "url", "permalink", "output_path", "aliases")
structure_of = operator.attrgetter(*STRUCTURAL_FIELDS)


def articles_shown(site: Site, view: View) -> tuple[Article, ...]:
    """The articles whose fields a view's inputs hold (see view_inputs); any other article reaches the view only
    through its structural fields (a link, its place in a list)."""
    if view.kind == "article":
        return (site.articles[view.index],)
    if view.kind == "page":
        return (site.pages[view.index],)
    if view.kind == "list":
        return site.lists[view.index].articles
    if view.kind == "archive":
        years = site.archive if view.index < 0 else (site.archive[view.index],)
        return tuple(article for year in years for month in year.months for article in month.articles)
    return ()


def views_showing(site: Site, views: list[View]) -> dict[str, list[int]]:
    """For every article (by source), the views (by number) that show it (see articles_shown)."""
    showing: dict[str, list[int]] = {}
    for number, view in enumerate(views):
        for article in articles_shown(site, view):
            showing.setdefault(article.source, []).append(number)
    return showing


def view_context(site: Site, config: Config, view: View, body: Callable[[str], Any],
                 preview_now: datetime | None = None) -> dict[str, Any]:
    """The context of one page (without the shared context); `body(source)` gives an article's body HTML.

    In a preview build (`preview_now` given) an article dated after that moment has `scheduled` true.
    """
    if view.kind == "article":
        article = site.articles[view.index]
        neighbours = site.neighbours[article.source]
        return {
            "scheduled": _scheduled(article, preview_now),
            "article": replace(article, older=neighbours.older, newer=neighbours.newer),
            "body": body(article.source), "older": neighbours.older, "newer": neighbours.newer,
            "page_title": article.title, "description": article.description, "canonical_url": article.permalink,
            **article_context(site, article, config),
        }
    if view.kind == "page":
        page = site.pages[view.index]
        return {"article": page, "body": body(page.source), "page_title": page.title,
                "description": page.description, "canonical_url": page.permalink,
                **article_context(site, page, config)}
    if view.kind == "list":
        listing = site.lists[view.index]
        title = listing.title if listing.number == 1 else f"{listing.title} – {config.labels.page} {listing.number}"
        description = config.description if listing.kind == "home" else f"{listing.title}: {config.title}"
        return {"listing": listing, "articles": listing.articles, "page_title": title,
                "description": describe(description), "canonical_url": config.origin + listing.url,
                **listing_context(listing, config)}
    if view.kind in ("terms", "archive", "redirect"):
        return news_context(site, config, view.kind, view.index)
    if view.kind == "search":
        return search_context(config)
    return {"page_title": config.labels.not_found, "description": "", "canonical_url": None}


def shared_context(site: Site, config: Config) -> dict[str, Any]:
    """What every page gets: sections, pages and the menu; the site's feeds and (by default) no structured data."""
    return {"sections": site.sections, "pages": site.pages, "menu": site.menu, "feeds": feed_links(config),
            "jsonld": ""}


def article_context(site: Site, article: Article, config: Config) -> dict[str, Any]:
    """What an article page adds to the core's context: related articles, its feeds, structured data."""
    if article.kind == "page":
        return {"jsonld": page_jsonld(article, config), "related": ()}
    section_feed = quote_path(config.base_path + article.section_slug + "/feed.xml")
    return {"related": site.related.get(article.source, ()), "jsonld": article_jsonld(article, config),
            "feeds": feed_links(config, [(article.section, section_feed)])}


def listing_context(listing: ListPage, config: Config) -> dict[str, Any]:
    """What a list page adds: its own feed (sections, tags) and structured data."""
    own = [(listing.title, listing.feed_url)] if listing.feed_url else []
    return {"feeds": feed_links(config, own), "jsonld": listing_jsonld(listing, config)}


def body_html(site: Site, body: str) -> str:
    """An article's body with links to other content files pointing at their pages."""
    return resolve_links(body, site.urls)


def news_views(site: Site) -> list[tuple[str, str, str, int]]:
    """Tags and authors indexes, the archive and its years, and a redirect page for every alias, as
    (output path, template, kind, index) for `news_context`."""
    views = [(f"{TAGS_PATH}index.html", "terms.html", "terms", 0),
             (f"{AUTHORS_PATH}index.html", "terms.html", "terms", 1),
             (f"{ARCHIVE_PATH}index.html", "archive.html", "archive", -1)]
    views += [(year.output_path, "archive.html", "archive", i) for i, year in enumerate(site.archive)]
    views += [(redirect.output_path, "redirect.html", "redirect", i) for i, redirect in enumerate(site.redirects)
              if redirect.output_path]  # (the others are rules in _redirects only)
    return views


def news_context(site: Site, config: Config, kind: str, index: int) -> dict[str, Any]:
    """The context of one of the `news_views`."""
    labels = config.labels
    if kind == "terms":
        title, terms, base = ((labels.tags, site.tags, TAGS_PATH), (labels.authors, site.authors, AUTHORS_PATH))[index]
        return {"kind": ("tag", "author")[index], "title": title, "terms": terms, "page_title": title,
                "description": describe(f"{title}: {config.title}"),
                "canonical_url": config.origin + config.base_path + base}
    if kind == "archive" and index < 0:
        return {"title": labels.archive, "years": site.archive, "year": None, "all_years": site.archive,
                "page_title": labels.archive, "description": describe(f"{labels.archive}: {config.title}"),
                "canonical_url": config.origin + config.base_path + ARCHIVE_PATH}
    if kind == "archive":
        year = site.archive[index]
        title = f"{labels.archive} {year.year}"
        return {"title": title, "years": (year,), "year": year, "all_years": site.archive, "page_title": title,
                "description": describe(f"{title}: {config.title}"), "canonical_url": config.origin + year.url}
    redirect = site.redirects[index]
    return {"redirect": redirect, "page_title": redirect.title, "description": "",
            "canonical_url": redirect.target_permalink}


def news_files(site: Site, config: Config, options: BuildOptions, now: datetime,
               body: Callable[[Article], str], sitemap: tuple[tuple[str, datetime | None], ...] | None = None,
               published: Iterable[str] | None = None) -> list[tuple[str, Any, Callable[[], bytes]]]:
    """Feeds, sitemaps, robots.txt, GitHub Pages' .nojekyll and CNAME, and the build-info file; `sitemap`: the
    site's sitemap_pages, when the caller has them; `published`: the build's other files (pages and static files),
    for the build-info file to list them with these.

    Each as (output path, what its bytes are made from besides the config and the site's URLs, a function making
    them), so that paths can be claimed, and unchanged files kept, before anything is made. Small files made from
    the config alone have None as their inputs.
    """
    def absolute_body(article: Article) -> str:
        return resolve_links(body(article), site.urls, config.origin)

    files: list[tuple[str, Any, Callable[[], bytes]]] = [
        (path, (feed, tuple(link_targets(site, a) for a in feed.articles)), partial(make, absolute_body))
        for path, feed, make in feed_makers(site, config)]
    files += sitemap_files(site, config, now, sitemap_pages(site, config) if sitemap is None else sitemap)
    rules = redirect_rules(site, config)
    if rules:
        files.append((REDIRECTS_FILE, tuple(rules), partial(redirects_file, rules)))
    files.append((".nojekyll", None, bytes))
    if config.cname:
        files.append(("CNAME", None, lambda: (config.cname + "\n").encode("ascii")))
    listed = None if published is None else sorted({*published, *(path for path, _, _ in files), BUILD_INFO_FILE})
    files.append((BUILD_INFO_FILE, None, partial(build_info, options, config, listed)))
    return files
