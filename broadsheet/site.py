"""Ordering the site: visibility, reading order, neighbours, sections and list pages."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from broadsheet.config import Config
from broadsheet.errors import Problem, SiteError
from broadsheet.model import Article, ListPage, Neighbours, Section, Site
from broadsheet.slugs import slugify


def is_published(article: Article, now: datetime, drafts: bool = False, future: bool = False) -> bool:
    """The one visibility rule: not a draft, not in the future, not expired (each as of `now`)."""
    if article.draft and not drafts:
        return False
    if article.date is not None and article.date > now and not future:
        return False
    return not (article.expires is not None and article.expires <= now)


def reading_order(articles: Iterable[Article]) -> list[Article]:
    """Oldest first; ties broken by title (ignoring case), then slug, so the order is total and stable."""
    return sorted(articles, key=lambda a: (a.date, a.title.casefold(), a.title, a.slug, a.source))


def find_neighbours(ordered: Sequence[Article]) -> dict[str, Neighbours]:
    """Pair each article with the next older and next newer one in `ordered` (oldest first)."""
    links = [a.link() for a in ordered]
    return {
        article.source: Neighbours(links[i - 1] if i > 0 else None, links[i + 1] if i + 1 < len(links) else None)
        for i, article in enumerate(ordered)
    }


def check_unique_urls(articles: Iterable[Article], lists: Iterable[ListPage] = ()) -> None:
    """Two files may not claim one URL, nor a file the URL of a list page (compared case-insensitively,
    as macOS and Windows fold case)."""
    taken = {listing.output_path.lower(): f"the list page {listing.url}" for listing in lists}
    claimed: dict[str, Article] = {}
    problems = []
    for article in sorted(articles, key=lambda a: a.source):
        key = article.output_path.lower()
        if key in claimed:
            problems.append(Problem(article.source, 1, f"has the same URL {article.url} as {claimed[key].source}",
                                    "give one of them another 'slug:'"))
        elif key in taken:
            problems.append(Problem(article.source, 1, f"has the URL {article.url} of {taken[key]}",
                                    "give it another 'slug:'"))
        else:
            claimed[key] = article
    if problems:
        raise SiteError(problems)


def paginate(title: str, kind: str, articles: Sequence[Article], base: str, config: Config,
             section: Section | None = None) -> list[ListPage]:
    """Split a list of articles into pages: `base` is its first page's output path (e.g. 'world/')."""
    per_page = config.per_page
    total = max(1, math.ceil(len(articles) / per_page))
    paths = [base] + [f"{base}page/{n}/" for n in range(2, total + 1)]
    urls = tuple(config.base_path + path for path in paths)
    return [
        ListPage(title, kind, n, total, tuple(articles[(n - 1) * per_page: n * per_page]), urls[n - 1],
                 path + "index.html", urls, section)
        for n, path in enumerate(paths, start=1)
    ]


def group_sections(newest_first: Sequence[Article], config: Config) -> list[Section]:
    """Sections in the configured order, then alphabetically; one spelling per slug (the most frequent)."""
    by_slug: dict[str, list[Article]] = {}
    spellings: dict[str, Counter[str]] = {}
    for article in newest_first:
        by_slug.setdefault(article.section_slug, []).append(article)
        spellings.setdefault(article.section_slug, Counter())[article.section] += 1
    names = {slug: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for slug, c in spellings.items()}
    order = {slugify(name): i for i, name in enumerate(config.sections)}
    slugs = sorted(by_slug, key=lambda s: (order.get(s, len(order)), names[s].lower(), s))
    return [Section(names[s], s, config.base_path + s + "/", tuple(by_slug[s])) for s in slugs]


def order_site(articles: Iterable[Article], config: Config, now: datetime,
               drafts: bool = False, future: bool = False) -> Site:
    """Decide everything the pages share, from the parsed articles and the build's moment."""
    visible = [a for a in articles if is_published(a, now, drafts, future)]
    news = reading_order(a for a in visible if a.kind == "article")
    pages = tuple(sorted((a for a in visible if a.kind == "page"), key=lambda a: a.source))
    newest_first = news[::-1]
    sections = group_sections(newest_first, config)
    if config.navigation == "section":
        neighbours: dict[str, Neighbours] = {}
        for section in sections:
            neighbours.update(find_neighbours(section.articles[::-1]))
    else:
        neighbours = find_neighbours(news)
    lists = paginate(config.title, "home", newest_first, "", config)
    for section in sections:
        lists += paginate(section.name, "section", section.articles, section.slug + "/", config, section)
    check_unique_urls(visible, lists)
    return Site(tuple(newest_first), pages, neighbours, tuple(sections), tuple(lists))
