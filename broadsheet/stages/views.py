"""The site's pages, by page type (PAGE_TYPES: where each type's pages go, their template, context and inputs), and
the files around them (feeds, sitemaps, the build-info file)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from broadsheet.base.model import Article, ListPage, Site
from broadsheet.base.options import BuildOptions
from broadsheet.base.slugs import quote_path
from broadsheet.stages.buildinfo import BUILD_INFO_FILE, build_info
from broadsheet.stages.config import Config
from broadsheet.stages.feeds import JSON_FEED_FILE, FeedLink, feed_links, feed_makers, json_feed
from broadsheet.stages.links import resolve_links
from broadsheet.stages.markup import describe
from broadsheet.stages.metadata import article_jsonld, listing_jsonld, page_jsonld
from broadsheet.stages.redirects import REDIRECTS_FILE, redirect_rules, redirects_file
from broadsheet.stages.search import SEARCH_PAGE, search_context
from broadsheet.stages.sitemaps import sitemap_files, sitemap_pages
from broadsheet.stages.taxonomy import ARCHIVE_PATH, AUTHORS_PATH, TAGS_PATH
from broadsheet.stages.theme import TEMPLATES_DIR, StaticFile, published_static

Body = Callable[[str], Any]  # an article's body HTML by its source, as the page shows it


@dataclass(frozen=True, slots=True)
class View:
    """A page of the site: where it goes, its template, and what its context is made from.

    `kind` names its page type (see PAGE_TYPES) and `index` the site's object the page shows (site.articles[index]
    for "article"); the context is made only when the page is rendered, by `view_context`, a pure function of the
    site, the view and the config.
    """

    output_path: str
    template: str
    kind: str  # the name of its PageType
    index: int
    label: str  # the file named when the page fails: the article's source, else the output path

    @property
    def page_type(self) -> PageType:
        return PAGE_TYPES[self.kind]

    @property
    def shows_one_article(self) -> bool:
        """An article's or page's own page (which reads its article whole), rather than a page listing articles."""
        return PAGE_TYPES[self.kind].one_article


@dataclass(frozen=True, slots=True)
class PagePlace:
    """One page of a page type: where it goes, which of the type's objects it shows, what names it in an error."""

    output_path: str
    index: int
    label: str


def _shows_none(site: Site, index: int) -> tuple[Article, ...]:
    return ()


@dataclass(frozen=True, slots=True)
class PageType:
    """A kind of page, declared once: which pages it has (`places`: what it lists, and their URLs), its template,
    its context, what its key is taken of (`inputs`, for the incremental layer; None: its context, for small
    pages), and which articles those inputs hold (`shows`: at least those).

    `one_article`: a page of one article, labelled by its source. `whole_articles`: its articles count whole (their
    bodies too), not by the fields its template read of them. `listing`: a list of articles, which a new title
    changes only if it lists that article; a page of any other type showing articles is keyed again after a new
    title (those show every article's title: the archive, the redirects).
    """

    kind: str
    template: str
    places: Callable[[Site, Config], Iterable[PagePlace]]
    context: Callable[[Site, Config, int, Body, datetime | None], dict[str, Any]]
    inputs: Callable[[Site, Config, int, datetime | None], Any] | None = None
    shows: Callable[[Site, int], tuple[Article, ...]] = _shows_none
    one_article: bool = False
    whole_articles: bool = False
    listing: bool = False
    counted: bool = True  # among the pages a build reports (a feed is a file, as the Atom feeds are)


def site_views(site: Site, config: Config) -> list[View]:
    """Every page of the site, in a fixed order: its page types' in the order of PAGE_TYPES."""
    return [View(place.output_path, page_type.template, page_type.kind, place.index, place.label)
            for page_type in PAGE_TYPES.values() for place in page_type.places(site, config)]


def page_count(views: Iterable[View]) -> int:
    """How many of the views are pages, as a build reports them (see PageType.counted)."""
    return sum(PAGE_TYPES[view.kind].counted for view in views)


def view_inputs(site: Site, config: Config, view: View, preview_now: datetime | None = None) -> Any:
    """Everything `view_context` makes the page's context from, besides the config and the site's shared context:
    equal inputs give equal contexts, so this is what a page's key is taken of (cheaper than its context)."""
    page_type = PAGE_TYPES[view.kind]
    if page_type.inputs is not None:
        return page_type.inputs(site, config, view.index, preview_now)
    context = view_context(site, config, view, lambda source: "", preview_now)  # small pages: their context
    if "all_years" in context:  # of the years it links to, an archive page shows only these (see tasks.TrackedYear)
        context["all_years"] = tuple((year.year, year.url, year.output_path) for year in site.archive)
    return context


def articles_shown(site: Site, view: View) -> tuple[Article, ...]:
    """The articles whose fields a view's inputs hold (see view_inputs); any other article reaches the view only
    through its structural fields (a link, its place in a list)."""
    return PAGE_TYPES[view.kind].shows(site, view.index)


def view_context(site: Site, config: Config, view: View, body: Body,
                 preview_now: datetime | None = None) -> dict[str, Any]:
    """The context of one page (without the shared context); `body(source)` gives an article's body HTML.

    In a preview build (`preview_now` given) an article dated after that moment has `scheduled` true.
    """
    return PAGE_TYPES[view.kind].context(site, config, view.index, body, preview_now)


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


def link_targets(site: Site, article: Article) -> tuple[tuple[str, str] | None, ...]:
    """The URLs and titles of the content files an article's body links to (None: not published): what its body
    depends on besides its own text (a shortcode may show a linked article's title, see links.title_marker)."""
    urls, titles = site.urls, site.titles
    return tuple((urls[link.target], titles[link.target]) if link.target in urls else None for link in article.links)


# The fields of an article that decide the site's structure (what is published, in which order, its lists,
# neighbours, related articles, terms and redirects) and the link other pages show of it. The others (word count,
# description, image…) show only on the pages that show the article itself: see articles_shown.
STRUCTURAL_FIELDS = ("source", "kind", "slug", "title", "date", "draft", "expires", "authors", "section",
                     "section_slug", "tags", "summary_html", "url", "permalink", "output_path", "aliases")
structure_of = operator.attrgetter(*STRUCTURAL_FIELDS)


def views_showing(site: Site, views: list[View]) -> dict[str, list[int]]:
    """For every article (by source), the views (by number) that show it (see articles_shown)."""
    showing: dict[str, list[int]] = {}
    for number, view in enumerate(views):
        for article in articles_shown(site, view):
            showing.setdefault(article.source, []).append(number)
    return showing


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
    feeds = feed_links(config, own)
    if listing.kind == "home":
        feeds += (FeedLink(config.title, config.base_path + JSON_FEED_FILE, "application/feed+json"),)
    return {"feeds": feeds, "jsonld": listing_jsonld(listing, config)}


def body_html(site: Site, body: str) -> str:
    """An article's body with links to other content files pointing at their pages."""
    return resolve_links(body, site.urls, titles=site.titles)


# The page types: for each, where its pages go, their context and what their keys are taken of.

def _article_places(site: Site, config: Config) -> Iterator[PagePlace]:
    return (PagePlace(a.output_path, i, a.source) for i, a in enumerate(site.articles))


def _article_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                     ) -> dict[str, Any]:
    article = site.articles[index]
    neighbours = site.neighbours[article.source]
    return {
        "scheduled": _scheduled(article, preview_now),
        "article": replace(article, older=neighbours.older, newer=neighbours.newer),
        "body": body(article.source), "older": neighbours.older, "newer": neighbours.newer,
        "page_title": article.title, "description": article.description, "canonical_url": article.permalink,
        **article_context(site, article, config),
    }


def _article_inputs(site: Site, config: Config, index: int, preview_now: datetime | None) -> Any:
    article = site.articles[index]
    return (article, link_targets(site, article), site.neighbours[article.source],
            site.related.get(article.source, ()), _scheduled(article, preview_now))


def _page_places(site: Site, config: Config) -> Iterator[PagePlace]:
    return (PagePlace(p.output_path, i, p.source) for i, p in enumerate(site.pages))


def _page_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                  ) -> dict[str, Any]:
    page = site.pages[index]
    return {"article": page, "body": body(page.source), "page_title": page.title,
            "description": page.description, "canonical_url": page.permalink,
            **article_context(site, page, config)}


def _page_inputs(site: Site, config: Config, index: int, preview_now: datetime | None) -> Any:
    return site.pages[index], link_targets(site, site.pages[index])


def _list_places(site: Site, config: Config) -> Iterator[PagePlace]:
    return (PagePlace(listing.output_path, i, listing.output_path) for i, listing in enumerate(site.lists))


def _list_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                  ) -> dict[str, Any]:
    listing = site.lists[index]
    title = listing.title if listing.number == 1 else f"{listing.title} – {config.labels.page} {listing.number}"
    description = config.description if listing.kind == "home" else f"{listing.title}: {config.title}"
    return {"listing": listing, "articles": listing.articles, "page_title": title,
            "description": describe(description), "canonical_url": config.origin + listing.url,
            **listing_context(listing, config)}


def _terms_places(site: Site, config: Config) -> list[PagePlace]:
    return [PagePlace(f"{TAGS_PATH}index.html", 0, f"{TAGS_PATH}index.html"),
            PagePlace(f"{AUTHORS_PATH}index.html", 1, f"{AUTHORS_PATH}index.html")]


def _terms_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                   ) -> dict[str, Any]:
    labels = config.labels
    title, terms, base = ((labels.tags, site.tags, TAGS_PATH), (labels.authors, site.authors, AUTHORS_PATH))[index]
    return {"kind": ("tag", "author")[index], "title": title, "terms": terms, "page_title": title,
            "description": describe(f"{title}: {config.title}"),
            "canonical_url": config.origin + config.base_path + base}


def _archive_places(site: Site, config: Config) -> list[PagePlace]:
    """The archive's index (index -1), then each year's page."""
    return [PagePlace(f"{ARCHIVE_PATH}index.html", -1, f"{ARCHIVE_PATH}index.html"),
            *(PagePlace(year.output_path, i, year.output_path) for i, year in enumerate(site.archive))]


def _archive_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                     ) -> dict[str, Any]:
    labels = config.labels
    if index < 0:
        return {"title": labels.archive, "years": site.archive, "year": None, "all_years": site.archive,
                "page_title": labels.archive, "description": describe(f"{labels.archive}: {config.title}"),
                "canonical_url": config.origin + config.base_path + ARCHIVE_PATH}
    year = site.archive[index]
    title = f"{labels.archive} {year.year}"
    return {"title": title, "years": (year,), "year": year, "all_years": site.archive, "page_title": title,
            "description": describe(f"{title}: {config.title}"), "canonical_url": config.origin + year.url}


def _archive_shows(site: Site, index: int) -> tuple[Article, ...]:
    years = site.archive if index < 0 else (site.archive[index],)
    return tuple(article for year in years for month in year.months for article in month.articles)


def _redirect_places(site: Site, config: Config) -> Iterator[PagePlace]:
    return (PagePlace(r.output_path, i, r.output_path) for i, r in enumerate(site.redirects)
            if r.output_path)  # (the others are rules in _redirects only)


def _redirect_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                      ) -> dict[str, Any]:
    redirect = site.redirects[index]
    return {"redirect": redirect, "page_title": redirect.title, "description": "",
            "canonical_url": redirect.target_permalink}


def _json_feed_places(site: Site, config: Config) -> list[PagePlace]:
    return [PagePlace(JSON_FEED_FILE, 0, JSON_FEED_FILE)]


def _json_feed_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                       ) -> dict[str, Any]:
    return json_feed(config, site.articles[:config.feed_size], body)


def _json_feed_inputs(site: Site, config: Config, index: int, preview_now: datetime | None) -> Any:
    articles = site.articles[:config.feed_size]
    return articles, tuple(link_targets(site, article) for article in articles)


def _search_places(site: Site, config: Config) -> list[PagePlace]:
    return [PagePlace(SEARCH_PAGE, 0, SEARCH_PAGE)] if config.search else []


def _search_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                    ) -> dict[str, Any]:
    return search_context(config)


def _not_found_places(site: Site, config: Config) -> list[PagePlace]:
    return [PagePlace("404.html", 0, "404.html")]


def _not_found_context(site: Site, config: Config, index: int, body: Body, preview_now: datetime | None,
                       ) -> dict[str, Any]:
    return {"page_title": config.labels.not_found, "description": "", "canonical_url": None}


# Every page type by its name, in the order of the site's views. A new one is declared here, with its template
# (in templates/) and its tests; the incremental layer takes its keys from the declaration.
PAGE_TYPES: dict[str, PageType] = {page_type.kind: page_type for page_type in (
    PageType("article", "article.html", _article_places, _article_context, _article_inputs,
             shows=lambda site, index: (site.articles[index],), one_article=True, whole_articles=True),
    PageType("page", "page.html", _page_places, _page_context, _page_inputs,
             shows=lambda site, index: (site.pages[index],), one_article=True, whole_articles=True),
    PageType("list", "list.html", _list_places, _list_context, lambda site, config, index, now: site.lists[index],
             shows=lambda site, index: site.lists[index].articles, listing=True),
    PageType("terms", "terms.html", _terms_places, _terms_context),
    PageType("archive", "archive.html", _archive_places, _archive_context, shows=_archive_shows),
    PageType("redirect", "redirect.html", _redirect_places, _redirect_context),
    # (It shows the newest feed_size articles; `shows` names them all, as it has no config: a key is taken anew.)
    PageType("json_feed", "feed.json", _json_feed_places, _json_feed_context, _json_feed_inputs,
             shows=lambda site, index: site.articles, whole_articles=True, counted=False),
    PageType("404", "404.html", _not_found_places, _not_found_context),
    # The page that shows Pagefind's results, with `search: true` (see stages.search).
    PageType("search", "search.html", _search_places, _search_context),
)}


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
        return resolve_links(body(article), site.urls, config.origin, site.titles)

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


def output_claims(views: Iterable[View], static: dict[str, StaticFile],
                  generated: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """Every file the build will write, with the file it comes from (a source, a template, a static file);
    `generated` are the feeds, sitemaps and other files made by Broadsheet itself."""
    for view in views:
        yield view.output_path, view.label if view.shows_one_article else f"{TEMPLATES_DIR}/{view.template}"
    for path in generated:
        yield path, f"Broadsheet's own {path}"
    for output_path, _, label in published_static(static):
        yield output_path, label
