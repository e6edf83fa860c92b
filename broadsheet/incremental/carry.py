"""Which pages to render and which to carry over: the views whose inputs are as the previous build's (told without
their digests where the site kept its structure), the held site patched after edits, the moment the output stops
being right by time alone (next_change), the no-change stamp, and the identity and folder times of the outputs."""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path

from broadsheet.base.errors import Problem
from broadsheet.base.model import Article, LeftOut, Site
from broadsheet.base.options import BuildOptions
from broadsheet.incremental import stamp
from broadsheet.incremental.cache import Cache, Manifest, PageRecord
from broadsheet.incremental.fingerprints import listed_fields
from broadsheet.incremental.session import HeldSite
from broadsheet.stages.config import Config
from broadsheet.stages.links import linking_to
from broadsheet.stages.output import OutputFolder, folder_times
from broadsheet.stages.site import is_published, patch_site
from broadsheet.stages.sitemaps import NEWS_WINDOW
from broadsheet.stages.views import (
    STRUCTURAL_FIELDS,
    View,
    articles_shown,
)


def unchanged_views(previous: Manifest, index: Manifest, edited: dict[str, Article] | None, retitled: set[str],
                    site: Site, views: list[View]) -> tuple[set[int], set[int]]:
    """The views (by number) whose inputs are those of the previous build, found without taking their digests;
    and the list pages among the others, which are unchanged too if they read only structural fields of their
    articles (see STRUCTURAL_FIELDS).

    When what every page depends on, the published articles in their order and the structural fields of every
    changed article are as they were, the site has the same structure; then only the views showing a changed
    article (see views.articles_shown), or one whose "scheduled" state in a preview changed, can differ. A new
    title (`retitled`: the changed articles whose structural fields differ in their title only) also shows on the
    pages linking to the article as a neighbour or a related article or from their bodies, and on the news pages
    (archive, redirects), which are few: those are keyed too. `edited`: the changed articles, see changed_articles.
    A view's reads (the whole site, the moment) are checked by the caller.
    """
    if (edited is None or not previous.common or previous.common != index.common
            or previous.published != index.published):
        return set(), set()
    scheduled = set(previous.scheduled).symmetric_difference(index.scheduled)  # a preview's moment passed their date
    changed = scheduled | edited.keys()
    published = (*site.articles, *site.pages)
    linking = linking_to(published, retitled)  # (their pages, and their summaries, may show the title)
    shown_ids = {id(article) for article in published if article.source in changed or article.source in linking}
    retitled_ids = {id(article) for article in published if article.source in retitled}
    retitled_urls = {article.url for article in published if article.source in retitled}
    unchanged, listing = set(), set()
    for number, view in enumerate(views):
        if view.shows_one_article:  # (the commonest case, told by the view's label: its article's source)
            if view.label not in changed and view.label not in linking and not (
                    retitled_urls and _links_to(site, view, retitled_urls)):
                unchanged.add(number)
        elif retitled and not view.page_type.listing:
            continue
        elif shown_ids.isdisjoint(shown := list(map(id, articles_shown(site, view)))):
            unchanged.add(number)
        elif not scheduled and not view.page_type.whole_articles and retitled_ids.isdisjoint(shown):
            listing.add(number)
    return unchanged, listing


def unchanged_of_steady(previous: Manifest, index: Manifest, edited: Mapping[str, Article], retitled: set[str],
                        views: list[View], showing: Mapping[str, list[int]], earlier: Site | None, site: Site,
                        ) -> tuple[set[int], set[int]]:
    """unchanged_views for a site patched after edits that kept its structure, from the views showing each
    article; `edited` and `retitled` are told against the previous build. A new title also shows on the pages of
    the articles that link to it as a neighbour or a related article, and on the news pages (archive, redirects);
    a site is not patched when an unchanged article's body links to a retitled one (see site.patch_site).
    `earlier`: the site patched, when it is the previous build's (then the links made anew are those to the
    retitled articles); None when it is an older one."""
    if not previous.common or previous.common != index.common or previous.scheduled != index.scheduled:
        return set(), set()
    shown = {number for source in edited for number in showing.get(source, ())}
    if not retitled:
        return set(range(len(views))).difference(shown), {n for n in shown if not views[n].page_type.whole_articles}
    titled = {number for source in retitled for number in showing.get(source, ())}
    if earlier is not None:
        linking = {source for source, pair in site.neighbours.items() if pair is not earlier.neighbours.get(source)}
        linking.update(source for source, links in site.related.items() if links is not earlier.related.get(source))
    else:
        urls = {site.urls[source] for source in retitled if source in site.urls}
        linking = {source for source, pair in site.neighbours.items()
                   if (pair.older and pair.older.url in urls) or (pair.newer and pair.newer.url in urls)}
        linking.update(source for source, links in site.related.items() if any(link.url in urls for link in links))
    keyed = {n for source in linking for n in showing.get(source, ()) if views[n].kind == "article"}
    # (The pages of every article's title: the archive, the redirects; see views.PageType.listing.)
    news = {n for n, view in enumerate(views) if not view.shows_one_article and not view.page_type.listing}
    changed = shown | keyed | news
    return set(range(len(views))).difference(changed), {n for n in shown - titled if views[n].page_type.listing}


def _links_to(site: Site, view: View, urls: set[str]) -> bool:
    """Whether an article's page links to one of `urls` as a neighbour or a related article (showing its title)."""
    if view.kind != "article":
        return False
    neighbours = site.neighbours.get(view.label)
    links = (*(site.related.get(view.label, ())), *((neighbours.older, neighbours.newer) if neighbours else ()))
    return any(link is not None and link.url in urls for link in links)


def patched_site(held: HeldSite | None, changed: dict[str, Article] | None, sources: Iterable[str],
                 config: Config, now: datetime, options: BuildOptions) -> Site | None:
    """The held site with the changed articles put in (see site.patch_site), when the structure is the same and
    the same articles are published at this moment; else None (the site is ordered afresh). `sources` are all
    content files."""
    if held is None or changed is None or now < held.moment or (held.until is not None and now >= held.until):
        return None  # (outside that time, time alone may have published or hidden an article)
    for source, article in changed.items():
        if is_published(article, now, options.drafts, options.future) != (source in held.site.urls):
            return None
    return patch_site(held.site, changed, sources, config)


def same_moments(previous: Manifest, edited: Mapping[str, Article]) -> bool:
    """Whether every edited article keeps the moment of its last change, the one field of it a sitemap shows
    besides its URL."""
    for source, article in edited.items():
        was = previous.articles[previous.sources[source][3]].article
        if (was.updated or was.date) != (article.updated or article.date):
            return False
    return True


def reads_structure_only(reads: frozenset[str]) -> bool:
    """Whether a list page read nothing of its articles but their structural fields."""
    fields = listed_fields(reads)
    return fields is not None and fields.issubset(STRUCTURAL_FIELDS)


def next_change(articles: Iterable[Article], now: datetime) -> datetime | None:
    """The first moment after `now` at which the site would change by time alone: an article's date passes (it
    is published), it expires, or it leaves the news sitemap's window."""
    moments = []
    for article in articles:
        if article.date is not None:
            if article.date > now:
                moments.append(article.date)
            elif article.date + NEWS_WINDOW >= now:
                moments.append(article.date + NEWS_WINDOW)
        if article.expires is not None and article.expires > now:
            moments.append(article.expires)
    return min(moments, default=None)


def keep_stamp(scan: stamp.Scan | None, options: BuildOptions, cache: Cache, index: Manifest,
               until: datetime | None, now: datetime, pages: int, articles: int,
               warnings: tuple[Problem, ...], left_out: LeftOut) -> None:
    """Keep the stamp that lets the next build with nothing changed stop at once (see broadsheet.incremental.stamp); `until`:
    see next_change."""
    if scan is None:
        return
    fixed = options.now is not None or bool(os.environ.get("SOURCE_DATE_EPOCH"))
    made = None
    if fixed or not any("now" in record.reads for record in index.pages.values()):
        made = stamp.make(scan, options.output_dir, index.folders, now, None if fixed else until, pages, articles,
                          tuple(str(w) for w in warnings),
                          (left_out.drafts, left_out.scheduled, left_out.expired, left_out.next_publication))
    stamp.save(cache.root, options.output_dir, made)


def output_folder_times(output: OutputFolder, options: BuildOptions, paths: list[str], known: dict[str, int] | None = None,
                        touched: Collection[str] = ()) -> dict[str, int]:
    """The times of the output's folders, which tell a file added to or removed from the output since (see
    OutputFolder.folder_times); none for a preview, whose output folder is its own."""
    return {} if options.preview else output.folder_times(paths, known, touched)


def changed_folders(root: Path, times: Mapping[str, int]) -> bool:
    """Whether a folder of root (root itself: "") no longer has its time; moving a folder keeps its time."""
    return folder_times(root, times) != times


def folder_identity(folder: Path) -> tuple[int, ...] | None:
    """A folder's device, inode and change times (an inode number alone may be reused by a new folder), or None
    if it is not a folder."""
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_ctime_ns, info.st_mtime_ns) if stat.S_ISDIR(info.st_mode) else None


def same_page(kept: PageRecord | None, carried: PageRecord) -> bool:
    """Whether the output being updated has a carried page as it is (its key is the one just checked)."""
    return kept is not None and kept.key == carried.key


def stat_pair(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns
