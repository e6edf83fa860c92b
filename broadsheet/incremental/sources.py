"""Gathering the articles with the cache: which content files to parse again. A file's parse is taken from the
previous build when its size, time and inode are unchanged, else from the cache by the hash of its bytes, else it is
parsed in a worker process (under a budget); a watcher's list of changed paths spares the look at the others."""

from __future__ import annotations

import operator
import os
import stat
import time
from collections.abc import Collection, Container, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.model import Article, ParsedArticle
from broadsheet.base.names import CONTENT_DIR
from broadsheet.base.progress import Reporter
from broadsheet.incremental import stamp
from broadsheet.incremental.cache import Cache, Manifest, read_head
from broadsheet.incremental.pool import Item, Stalled, WorkerPool
from broadsheet.incremental.tasks import (
    Setup,
    env_key,
    parse_key,
)
from broadsheet.stages.config import Config
from broadsheet.stages.content import (
    discover_sources,
    is_source_path,
    read_ahead,
    without_bundled,
)
from broadsheet.stages.views import (
    structure_of,
)

PARSE_KEY = operator.itemgetter(3)  # of an index entry: the parse key
MANY_CHANGES = 500  # more paths than this reported changed: a watched build looks at every file all the same
READ_AHEAD_FROM = 64  # files to parse: from this many, the system is asked to read them all ahead (see read_ahead)


def render_budget(config: Config, size: int) -> float:
    """Seconds one article may take: render_timeout plus 3 s per MB of source."""
    return config.render_timeout + 3.0 * size / 1_000_000


def stalled_problem(label: str, stalled: Stalled) -> Problem:
    if stalled.reason == "timeout":
        return Problem(label, None, f"took longer than {stalled.budget:.0f} s to render and was stopped",
                       "look for thousands of '[' or '<![' or very deep nesting; render_timeout in site.yaml sets the limit")
    return Problem(label, None, "crashed the renderer", "look for very deep nesting or other unusual Markdown")


def scanned_sources(scan: stamp.Scan | None, known: Container[str] = ()) -> dict[str, tuple[int, int, int]] | None:
    """Every content file with its size, time and inode as the stamp's scan found them, when it saw the whole of
    content/ (no links, which discover_sources follows or refuses); else None. The `known` paths are content
    files (those of the previous build's index): only the others are tested."""
    if scan is None or not scan.content_whole:
        return None
    return without_bundled({path: state for path, state in scan.content.items()
                            if path in known or is_source_path(path)})


def watched_sources(site_dir: Path, previous: Manifest, changed: Collection[str]) -> dict[str, tuple[Any, ...]] | None:
    """Every content file with its size, time and inode (and, for those not listed, the rest of the previous
    build's entry), told by a watcher's list of the paths changed since that build: its look at the others, a
    fresh look at those listed. None when a folder under content/ changed, a listed path is not a plain content
    file (files may have come or gone unlisted), or too many changed at once."""
    if len(changed) > MANY_CHANGES:
        return None  # a burst (a checkout): the system's queue of events may have overflowed, dropping some unsaid
    files: dict[str, tuple[Any, ...]] = dict(previous.sources)  # (a copy made in C; its entries as they are)
    for path in changed:
        if path == CONTENT_DIR:
            return None
        if not path.startswith(CONTENT_DIR + "/"):
            continue
        if not is_source_path(path):
            return None  # a folder: its files may have come or gone with it
        try:
            info = os.lstat(site_dir / path)
        except FileNotFoundError:
            if files.pop(path, None) is None:
                return None  # not a file the previous build read: perhaps a folder, moved away whole
            continue
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None  # a folder or a link: discover_sources decides
        files[path] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return without_bundled(files)


def gather_articles(site_dir: Path, config: Config, previous: Manifest, pool: WorkerPool, cache: Cache,
                    scan: stamp.Scan | None = None, known_files: Mapping[str, tuple[Any, ...]] | None = None,
                    watched: Collection[str] | None = None, reporter: Reporter | None = None,
                    ) -> tuple[Manifest, int, list[Problem]]:
    """The new index of the sources: every content file that parses, with its parse key and its record without its
    body (see in_source_order); how many files were parsed (not taken from the cache); and the problems of the
    others.

    Files are parsed in the workers, under their time budgets; the parent reads only what changed. The sizes,
    times and inodes of the files are the `scan`'s, when the build took one; `known_files` are all the content
    files with theirs, when the caller knows them (see watched_sources and scanned_sources). A file changed in the
    same tick of the clock as the previous build looked at it shows the same time: its bytes are read again. Only
    the files that may have changed are looked at, the others are as the previous build found them: with `watched`,
    the paths a watcher reported changed since that build; else, with `known_files`, the files whose size, time or
    inode differ from that build's.
    """
    prefix = env_key(config)
    same_env = previous.env_key == prefix
    scanned = scan.taken if scan else time.time_ns()
    known_stats = known_files if known_files is not None else scan.content if scan else {}
    found: dict[str, tuple[str, ParsedArticle]] = {}
    stats: dict[str, tuple[int, int, int]] = {}
    items: list[Item] = []
    problems: dict[str, list[Problem]] = {}
    root = str(site_dir)
    known_sources, known_articles = (previous.sources, previous.articles) if same_env else ({}, {})
    settled = previous.scanned - stamp.RACY_NS  # a file older than this showed its last change to that build
    entries: dict[str, tuple[int, int, int, str]] = {}  # source: size, time, inode, parse key
    in_place = same_env and known_files is not None
    if not in_place or known_files is None:
        look_at = sorted(known_files) if known_files is not None else discover_sources(site_dir)
    else:
        if watched is None:
            # Without a watcher, the files' sizes, times and inodes tell which ones may have changed (and those
            # changed too close to the previous build's look at them); the others keep their entries.
            watched = [source for source, state in known_files.items()
                       if (known := known_sources.get(source)) is None or known[:3] != state[:3]
                       or known[1] >= settled or known[3] not in known_articles]
            watched += known_sources.keys() - known_files.keys()  # gone
        # The files not reported keep their entries, in their places (in source order): no pass over all of them.
        entries = dict(known_sources)
        look_at = sorted(known_files.keys() & set(watched))
        for source in watched:
            if source not in known_files:
                entries.pop(source, None)
    for source in look_at:
        state = known_stats.get(source)
        if state is not None:
            state = state[:3]  # (see watched_sources)
        else:
            try:
                info = os.stat(f"{root}/{source}")  # (a Path per file costs more than the stat)
            except FileNotFoundError:
                continue  # removed since the folder was listed: gone, as if removed just before the build
            except OSError as error:
                problems[source] = [Problem(source, None, f"cannot be read: {error.strerror}")]
                continue
            state = (info.st_size, info.st_mtime_ns, info.st_ino)
        stats[source] = state
        known = known_sources.get(source)
        if known is not None and (key := known[3]) in known_articles:
            if known[:3] == state and known[1] < settled:
                found[source] = (key, known_articles[key])
                continue
            try:
                key = parse_key(prefix, source, (site_dir / source).read_bytes())
            except OSError:
                key = ""
            if key in known_articles:
                found[source] = (key, known_articles[key])
                continue
        items.append(Item(source, render_budget(config, state[0]), ("parse", source)))
    if len(items) >= READ_AHEAD_FROM:
        read_ahead(site_dir, [item.label for item in items])
    setup = Setup(site_dir, config, prefix, cache.root)
    reporter = reporter or Reporter()
    if items:
        reporter.step("parse", len(items))
        if reporter.verbose:
            for item in items:
                reporter.rebuilt(item.label, "new" if item.label not in previous.sources else
                                 "changed" if same_env else "site.yaml or Broadsheet changed")
    for item, result in pool.run(setup, items):
        reporter.done(item.label)
        if isinstance(result, Stalled):
            problems[item.label] = [stalled_problem(item.label, result)]
        elif isinstance(result, SiteError):
            problems[item.label] = list(result.problems)
        elif result is None:
            continue  # removed since it was listed: gone (see tasks._parse)
        else:
            key, head = result
            parsed_head = head if isinstance(head, ParsedArticle) else read_head(head)
            if parsed_head is None:  # (the worker read it as sound, or made it: it reads as sound here too)
                problems[item.label] = [Problem(item.label, None, "its cache record could not be read", "build again")]
            else:
                found[item.label] = (key, parsed_head)
    # A file that fails stands in the site as it last built: the build fails all the same, but the other pages are
    # rendered (and their problems found) only where they changed, not all because the site lost an article.
    for source in problems:
        known = previous.sources.get(source) if same_env else None
        if known and known[3] in previous.articles and source in stats:
            found[source] = (known[3], previous.articles[known[3]])
    added = False
    for source in look_at:
        if source not in found:
            entries.pop(source, None)
    for source, (key, _) in found.items():
        added = added or source not in entries
        entries[source] = (*stats[source], key)
    if in_place:
        sources = dict(sorted(entries.items())) if added else entries
        articles = dict(known_articles)
        for source in {*look_at, *watched}:  # type: ignore[misc]
            known = known_sources.get(source)
            if known is not None and (source not in sources or sources[source][3] != known[3]):
                articles.pop(known[3], None)  # an older version, or a file gone (a key names one version of one file)
        articles.update(found.values())
    else:
        sources = {source: entries[source] for source in sorted(entries)}
        keys = list(map(PARSE_KEY, sources.values()))
        articles = dict(zip(keys, map(known_articles.get, keys), strict=False))  # type: ignore[arg-type]
        articles.update(found.values())
    index = Manifest(env_key=prefix, scanned=scanned, sources=sources, articles=articles)
    return index, len(items), [p for source in sorted(problems) for p in problems[source]]


def in_source_order(index: Manifest) -> list[tuple[str, ParsedArticle]]:
    """The index's (parse key, record) of every content file, in source order."""
    keys = list(map(PARSE_KEY, index.sources.values()))
    return list(zip(keys, map(index.articles.__getitem__, keys), strict=False))


def changed_articles(previous: Manifest, index: Manifest, candidates: Collection[str] | None = None,
                     ) -> tuple[dict[str, Article] | None, set[str]]:
    """The articles (by source) whose parse changed since the previous build, when every one of them kept its
    structural fields (see views.STRUCTURAL_FIELDS), but for its title, and no file came or went; else None. And
    the sources of those whose title changed. `candidates`: the only sources that may have changed, when known."""
    if previous.env_key != index.env_key or previous.sources.keys() != index.sources.keys():
        return None, set()
    changed, retitled = {}, set()
    for source in index.sources if candidates is None else sorted(index.sources.keys() & candidates):
        entry = index.sources[source]
        before = previous.sources[source][3]
        if before != entry[3]:
            was = previous.articles.get(before)
            article = index.articles[entry[3]].article
            if was is None:
                return None, set()
            if structure_of(was.article) != structure_of(article):
                if structure_of(replace(was.article, title=article.title)) != structure_of(article):
                    return None, set()
                retitled.add(source)
            changed[source] = article
    return changed, retitled
