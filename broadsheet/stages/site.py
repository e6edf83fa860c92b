"""Ordering the site: visibility, reading order, neighbours, sections and list pages."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar, cast

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.model import Article, LeftOut, Link, ListPage, Neighbours, Section, Site, Term
from broadsheet.base.names import is_section_index
from broadsheet.base.slugs import quote_path, slugify
from broadsheet.stages.config import Config
from broadsheet.stages.links import SOURCE_MARKER, TITLE_MARKER, check_links, linking_to, resolve_links
from broadsheet.stages.taxonomy import (
    ARCHIVE_PATH,
    AUTHORS_PATH,
    TAGS_PATH,
    RelatedRanks,
    build_archive,
    build_menu,
    build_redirects,
    find_related,
    group_terms,
)


def is_published(article: Article, now: datetime, drafts: bool = False, future: bool = False) -> bool:
    """The one visibility rule: not a draft, not in the future, not expired (each as of `now`)."""
    if article.draft and not drafts:
        return False
    if article.date is not None and article.date > now and not future:
        return False
    return not (article.expires is not None and article.expires <= now)


_Group = TypeVar("_Group", Section, Term, Section | None, Term | None)


def left_out(articles: Iterable[Article], now: datetime, drafts: bool = False, future: bool = False) -> LeftOut:
    """How many articles the build leaves out as drafts, scheduled or expired, and when the next one is due."""
    counts = Counter[str]()
    due: list[datetime] = []
    for article in articles:
        if is_published(article, now, drafts, future):
            continue
        if article.draft and not drafts:
            counts["drafts"] += 1
        elif article.date is not None and article.date > now and not future:
            counts["scheduled"] += 1
            due.append(article.date)
        else:
            counts["expired"] += 1
    return LeftOut(counts["drafts"], counts["scheduled"], counts["expired"], min(due, default=None))


def _patched_group(group: _Group, patched: Mapping[int, Section | Term]) -> _Group:
    """The group as patched (the same class: a section stays a section), or the group itself."""
    return cast(_Group, patched.get(id(group), group))


def reading_order(articles: Iterable[Article]) -> list[Article]:
    """Oldest first; ties broken by title (ignoring case), then slug, so the order is total and stable."""
    # The date as a timestamp: the same order as comparing the dates, without converting time zones each time.
    return sorted(articles, key=lambda a: (_timestamp(a), a.title.casefold(), a.title, a.slug, a.source))


def _timestamp(article: Article) -> float:
    if article.date is None:  # parse_article requires a date of every article (only pages may lack one)
        raise ValueError(f"{article.source} has no date to order it by")
    return article.date.timestamp()


def find_neighbours(ordered: Sequence[Article], links: Mapping[str, Link] | None = None) -> dict[str, Neighbours]:
    """Pair each article with the next older and next newer one in `ordered` (oldest first); `links` are the
    articles' links by source, when already made."""
    in_order = [links[a.source] for a in ordered] if links else [a.link() for a in ordered]
    return {
        article.source: Neighbours(in_order[i - 1] if i > 0 else None,
                                   in_order[i + 1] if i + 1 < len(in_order) else None)
        for i, article in enumerate(ordered)
    }


CASE_CAUSE = ("differ only in letter case, and the file systems of macOS and Windows (and so many hosts) hold "
              "such names as one file")


def check_unique_urls(articles: Iterable[Article], lists: Iterable[ListPage] = (),
                      lines: Mapping[str, Mapping[str, int]] | None = None) -> None:
    """Two files may not claim one URL, nor a file the URL of a list page (compared case-insensitively,
    as macOS and Windows fold case). `lines`: by source, the file lines of front matter keys (the slug's)."""
    taken = {listing.output_path.lower(): f"the list page {listing.url}" for listing in lists}
    claimed: dict[str, Article] = {}
    problems = []
    for article in sorted(articles, key=lambda a: a.source):
        key = article.output_path.lower()
        line = (lines or {}).get(article.source, {}).get("slug", 1)
        if key in claimed and claimed[key].output_path != article.output_path:
            problems.append(Problem(article.source, line, f"its URL {article.url} and the URL "
                                    f"{claimed[key].url} of {claimed[key].source} {CASE_CAUSE}",
                                    "give one of them another 'slug:'"))
        elif key in claimed:
            problems.append(Problem(article.source, line, f"has the same URL {article.url} as {claimed[key].source}",
                                    "give one of them another 'slug:'"))
        elif key in taken:
            problems.append(Problem(article.source, 1, f"has the URL {article.url} of {taken[key]}",
                                    "give it another 'slug:'"))
        else:
            claimed[key] = article
    if problems:
        raise SiteError(problems)


def paginate(title: str, kind: str, articles: Sequence[Article], base: str, config: Config,
             section: Section | None = None, term: Term | None = None) -> list[ListPage]:
    """Split a list of articles into pages: `base` is its first page's output path (e.g. 'world/')."""
    per_page = config.per_page
    total = max(1, math.ceil(len(articles) / per_page))
    paths = [base] + [f"{base}page/{n}/" for n in range(2, total + 1)]
    urls = tuple(quote_path(config.base_path + path) for path in paths)
    return [
        ListPage(title, kind, n, total, tuple(articles[(n - 1) * per_page: n * per_page]), urls[n - 1],
                 path + "index.html", urls, section, term)
        for n, path in enumerate(paths, start=1)
    ]


def group_sections(newest_first: Sequence[Article], config: Config,
                   intros: Mapping[str, Article] | None = None) -> list[Section]:
    """Sections in the configured order, then alphabetically; one spelling per slug (the most frequent), or the
    title of the section's _index.md (`intros`, by section slug), which also gives the text above its list."""
    by_slug: dict[str, list[Article]] = {}
    spellings: dict[str, Counter[str]] = {}
    for article in newest_first:
        by_slug.setdefault(article.section_slug, []).append(article)
        spellings.setdefault(article.section_slug, Counter())[article.section] += 1
    names = {slug: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for slug, c in spellings.items()}
    intros = intros or {}
    names.update({slug: intro.title for slug, intro in intros.items() if slug in names})
    order = {slugify(name): i for i, name in enumerate(config.sections)}
    slugs = sorted(by_slug, key=lambda s: (order.get(s, len(order)), names[s].lower(), s))
    return [Section(names[s], s, quote_path(config.base_path + s + "/"), tuple(by_slug[s]),
                    intros[s].summary_html if s in intros else "",
                    tuple(link.target for link in intros[s].links) if s in intros else ()) for s in slugs]


def check_output_paths(site: Site, lines: Mapping[str, Mapping[str, int]] | None = None) -> None:
    """No two pages of any kind (articles, lists, redirects, archive) may be written to one file. `lines`: by
    source, the file lines of front matter keys (the aliases' and the slug's)."""
    claims: list[tuple[str, str, str]] = [(a.output_path, a.source, a.source) for a in (*site.articles, *site.pages)]
    # (a redirect without a page is a rule of the host's _redirects only: a query, a letter-case variant)
    claims += [(r.output_path, r.source, f"{r.source} (alias {r.url})") for r in site.redirects if r.output_path]
    aliases = {r.output_path for r in site.redirects if r.output_path}
    claims += [(listing.output_path, "site.yaml", f"the {listing.kind} list {listing.url}") for listing in site.lists]
    claims += [(year.output_path, "site.yaml", f"the archive of {year.year}") for year in site.archive]
    claims += [(f"{TAGS_PATH}index.html", "site.yaml", "the tags index"),
               (f"{AUTHORS_PATH}index.html", "site.yaml", "the authors index"),
               (f"{ARCHIVE_PATH}index.html", "site.yaml", "the archive")]
    seen: dict[str, tuple[str, str]] = {}
    problems = []
    for path, where, owner in claims:
        key = path.lower()
        known = (lines or {}).get(where, {})
        line = known.get("aliases" if path in aliases else "slug") if where.startswith("content/") else None
        if key in seen and seen[key][0] != path:
            hint = ("an old URL that differs from a page's only in letter case needs no page of its own: remove the "
                    "alias (a host's redirect rules can send it on)") if path in aliases or seen[key][0] in aliases \
                else "change a slug, an alias, a section or a tag"
            problems.append(Problem(where, line, f"{owner} would be written to {path}: it and {seen[key][0]} "
                                    f"({seen[key][1]}) {CASE_CAUSE}", hint))
        elif key in seen:
            problems.append(Problem(where, line, f"{owner} would be written to {path}, like {seen[key][1]}",
                                    "change a slug, an alias, a section or a tag"))
        else:
            seen[key] = (path, owner)
    if problems:
        raise SiteError(problems)


def _tags(article: Article) -> tuple[str, ...]:
    return article.tags


def _authors(article: Article) -> tuple[str, ...]:
    return article.authors


def _summary_linked(article: Article, urls: Mapping[str, str], titles: Mapping[str, str]) -> Article:
    """The article with the links of its summary to other content files resolved (their URLs and titles are known
    only once the site is ordered); its description, made of its summary, shows those titles too."""
    if TITLE_MARKER in article.summary_html:
        from broadsheet.stages.markup import describe  # (it imports Markdown: only a summary showing a title needs it)

        summary = resolve_links(article.summary_html, urls, titles=titles)
        return replace(article, summary_html=summary, description=describe(summary))
    if SOURCE_MARKER not in article.summary_html:
        return article
    return replace(article, summary_html=resolve_links(article.summary_html, urls))


def order_site(all_articles: Iterable[Article], config: Config, now: datetime, drafts: bool = False,
               future: bool = False, related: dict[bytes, RelatedRanks] | None = None,
               lines: Mapping[str, Mapping[str, int]] | None = None) -> Site:
    """Decide everything the pages share, from the parsed articles and the build's moment.

    `related`: the related-article rankings of an earlier build, reused when still right and updated otherwise
    (see taxonomy.find_related).
    """
    articles = list(all_articles)
    intros = {a.section_slug: a for a in articles if a.kind == "section"}  # the sections' _index.md
    if intros:
        articles = [a for a in articles if a.kind != "section"]
    visible = [a for a in articles if is_published(a, now, drafts, future)]
    urls = {a.source: a.url for a in visible}
    titles = {a.source: a.title for a in visible}
    known = [a.source for a in articles]
    warnings = check_links(visible, urls, known)
    warnings += check_links(sorted(intros.values(), key=lambda a: a.source), urls, known)  # (see patch_site)
    visible = [_summary_linked(a, urls, titles) for a in visible]
    intros = {slug: _summary_linked(intro, urls, titles) for slug, intro in intros.items()}
    news = reading_order(a for a in visible if a.kind == "article")
    pages = tuple(sorted((a for a in visible if a.kind == "page"), key=lambda a: a.source))
    newest_first = news[::-1]
    links = {a.source: a.link() for a in news}  # one each, shared by neighbours and related articles
    sections = group_sections(newest_first, config, intros)
    if config.navigation == "section":
        neighbours: dict[str, Neighbours] = {}
        for section in sections:
            neighbours.update(find_neighbours(section.articles[::-1], links))
    else:
        neighbours = find_neighbours(news, links)
    lists = paginate(config.title, "home", newest_first, "", config)
    for section in sections:
        lists += paginate(section.name, "section", section.articles, section.slug + "/", config, section)
    # URL collisions of every kind are reported together.
    problems: list[Problem] = []
    terms: dict[str, list[Term]] = {"tag": [], "author": []}
    for kind, names, base in (("tag", _tags, TAGS_PATH), ("author", _authors, AUTHORS_PATH)):
        try:
            terms[kind] = group_terms(kind, newest_first, names, base, config)
        except SiteError as error:
            problems += error.problems
    tags, authors = terms["tag"], terms["author"]
    for term, base in [(t, TAGS_PATH) for t in tags] + [(a, AUTHORS_PATH) for a in authors]:
        lists += paginate(term.name, term.kind, term.articles, f"{base}{term.slug}/", config, term=term)
    try:
        check_unique_urls(visible, lists, lines)
    except SiteError as error:
        problems += error.problems
    if problems:
        raise SiteError(problems)
    menu, menu_warnings = build_menu(sections, pages, config)
    site = Site(tuple(newest_first), pages, neighbours, tuple(sections), tuple(lists), tuple(tags), tuple(authors),
                tuple(build_archive(newest_first, config)), find_related(newest_first, config.related, links, related),
                tuple(menu), tuple(build_redirects(visible, config)), urls, tuple(warnings + menu_warnings),
                left_out(articles, now, drafts, future), titles)
    check_output_paths(site, lines)
    return site


def patch_site(site: Site, changed: Mapping[str, Article], sources: Iterable[str], config: Config) -> Site | None:
    """The site order_site would make after the `changed` articles (by source) replaced theirs, when every one of
    them kept its structural fields (views.STRUCTURAL_FIELDS) but perhaps its title, and the same articles are
    published: the order, lists, neighbours and related articles are the same, with the new articles (and their new
    titles) in them. None when a new title could change the order (an article of the same moment, ordered by
    title) or show in the summary of an article, or the intro of a section, linking to it. `sources` are all content
    files. Much cheaper than ordering a large site again (the preview server's rebuild after an edit)."""
    urls, titles = site.urls, site.titles
    earlier = {old.source: old for old in (*site.articles, *site.pages) if old.source in changed}
    retitled = {source for source, old in earlier.items() if old.title != changed[source].title}
    if retitled:
        titles = {**titles, **{source: changed[source].title for source in retitled}}
        if linking_to((a for a in (*site.articles, *site.pages) if a.source not in changed), retitled) or any(
                not retitled.isdisjoint(s.intro_links) for s in site.sections):
            return None  # (a summary or a section's intro may show that title: they are resolved when ordered)
    fresh = {source: _summary_linked(a, urls, titles) for source, a in changed.items()}
    swap = {id(old): fresh[source] for source, old in earlier.items()}
    neighbours, related, redirects = site.neighbours, site.related, site.redirects
    if retitled:
        ids = list(map(id, site.articles))
        for source in retitled:
            if earlier[source].kind == "article":
                at, moment = ids.index(id(earlier[source])), earlier[source].date.timestamp()  # type: ignore[union-attr]
                if any(site.articles[i].date.timestamp() == moment  # type: ignore[union-attr]
                       for i in (at - 1, at + 1) if 0 <= i < len(ids)):
                    return None  # ordered among articles of the same moment by its title
        links = {fresh[source].url: fresh[source].link() for source in retitled if fresh[source].kind == "article"}

        def relinked(link: Link | None) -> Link | None:
            return links.get(link.url, link) if link is not None else None

        neighbours = {source: pair if (pair.older is None or pair.older.url not in links)
                      and (pair.newer is None or pair.newer.url not in links)
                      else Neighbours(relinked(pair.older), relinked(pair.newer))
                      for source, pair in site.neighbours.items()}
        related = {source: shown if all(link.url not in links for link in shown)
                   else tuple(links.get(link.url, link) for link in shown) for source, shown in site.related.items()}
        redirects = tuple(replace(r, title=fresh[r.source].title) if r.source in retitled else r for r in redirects)

    def patched(articles: tuple[Article, ...]) -> tuple[Article, ...]:
        if swap.keys().isdisjoint(map(id, articles)):
            return articles
        ids, result = list(map(id, articles)), list(articles)  # (found in C: the home page lists every article)
        for old, new in swap.items():
            if old in ids:
                result[ids.index(old)] = new  # (an article is at most once in a list)
        return tuple(result)

    groups: dict[int, Section | Term] = {}
    for group in site.groups():
        articles = patched(group.articles)
        if articles is not group.articles:
            groups[id(group)] = replace(group, articles=articles)
    news, pages = patched(site.articles), patched(site.pages)
    lists = []
    for listing in site.lists:
        # A list pages through its section's, term's or (the home page) the site's articles: where those are the
        # same, so is the list.
        listed: Section | Term | None = listing.section or listing.term
        if (id(listed) not in groups) if listed is not None else news is site.articles:
            lists.append(listing)
            continue
        section = _patched_group(listing.section, groups)
        term = _patched_group(listing.term, groups)
        lists.append(ListPage(listing.title, listing.kind, listing.number, listing.total,  # (replace() is slower)
                              patched(listing.articles), listing.url, listing.output_path, listing.page_urls,
                              section, term))
    archive = []
    for year in site.archive:
        months = tuple(month if (articles := patched(month.articles)) is month.articles
                       else replace(month, articles=articles) for month in year.months)
        archive.append(year if all(new is old for new, old in zip(months, year.months, strict=False)) else replace(year, months=months))
    sections = tuple(_patched_group(s, groups) for s in site.sections)
    # Only articles with links can be warned about, in source order, as order_site checks them; the sections'
    # intros are not patched, nor the URLs their links go to, so their warnings stay.
    intro_warnings = [w for w in site.warnings if is_section_index(w.path)]
    linking = sorted((a for a in (*news, *pages) if a.links), key=lambda a: a.source)
    menu, menu_warnings = build_menu(sections, pages, config)
    return replace(site, articles=news, pages=pages, sections=sections, lists=tuple(lists),
                   tags=tuple(_patched_group(t, groups) for t in site.tags),
                   authors=tuple(_patched_group(a, groups) for a in site.authors),
                   archive=tuple(archive), neighbours=neighbours, related=related, redirects=redirects,
                   menu=tuple(menu),
                   warnings=tuple(check_links(linking, urls, sources) + intro_warnings + menu_warnings),
                   titles=titles)
