"""What one build keeps for the next: the worker pool, the previous build's index and its ordered site (HeldSite),
held in memory by a session (the preview server keeps one for its lifetime) and kept in the cache for the next
process (keep_ordered, kept_site)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from broadsheet.base.errors import Problem
from broadsheet.base.model import Site
from broadsheet.base.names import CACHE_DIR
from broadsheet.base.options import BuildOptions
from broadsheet.incremental.cache import Cache, Manifest
from broadsheet.incremental.fingerprints import Fingerprints, combine
from broadsheet.incremental.pool import WorkerPool, can_fork, default_jobs
from broadsheet.incremental.tasks import (
    KeptRenders,
    start_worker,
)
from broadsheet.stages.config import Config
from broadsheet.stages.views import (
    View,
    site_views,
    views_showing,
)

PRUNE_AFTER = 1000  # article records written before the cache is pruned (at least the number of articles)
STALE_LIMIT = 64  # articles changed since the cache's ordered site was kept: beyond this many, it is kept anew


@dataclass(frozen=True, slots=True)
class HeldSite:
    """What a session keeps of its last build's ordered site, for the next build to patch when an edit leaves the
    site's structure as it is (see patched_site): then its pages, their paths and the sitemap stand as they were."""

    drafts: bool
    future: bool
    site: Site
    views: list[View]
    sitemap: tuple[tuple[str, datetime | None], ...]  # see sitemaps.sitemap_pages
    fingerprints: Fingerprints
    moment: datetime  # the moment it was ordered for: before it, time alone may have published or hidden an article
    until: datetime | None  # from then on, time alone may publish or hide an article (see next_change)
    showing: dict[str, list[int]] | None  # see views.views_showing (None: not taken)
    noted: dict[str, tuple[Problem, ...]]  # the warnings of content files, by source


class BuildSession:
    """What one build keeps for the next build of the same site: worker processes and the previous build's index.

    The CLI makes one per build. The preview server keeps one for its lifetime, passes it to every `build()`
    and calls `close()` at exit; rebuilds then start no processes and read no index from disk. With
    `defer_saves`, an index is written to disk only by `save()` (the preview server calls it once browsers
    have been told to reload).
    """

    def __init__(self, jobs: int | None = None, defer_saves: bool = False, lasts_one_build: bool = False):
        self.pool = WorkerPool(jobs or default_jobs(), start_worker)
        # A session that lasts one build (the CLI's, whose process then ends) keeps the build's working state to
        # the end, for the process's end to free at once rather than object by object (50 ms after a one-line
        # edit at 10,000 articles).
        self._lasts_one_build = lasts_one_build
        self._retained: list[object] = []
        self._previous: tuple[Path, Path, Manifest] | None = None  # cache root, output folder, index
        self._held: HeldSite | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._defer_saves = defer_saves
        self._unsaved: tuple[Cache, Path, Manifest] | None = None
        self._watched = False
        self._changed: set[str] | None = None  # paths a watcher saw change since the previous build
        self.kept = KeptRenders()  # what this process's renders keep for the next build (archive months, fragments)
        self._keeper: int | None = None  # the child process saving an ordered site (see keep_ordered)

    def retain(self, state: object) -> None:
        """Keep a build's working state as long as this session, when it lasts one build (see __init__)."""
        if self._lasts_one_build:
            self._retained.append(state)

    def watch(self) -> None:
        """Say that a watcher now reports every change (see note_changes). The next build still looks at every
        file, since changes made before the watcher started went unseen; the builds after it look only at the
        content files noted as changed."""
        self._watched = True

    def note_changes(self, paths: Iterable[str]) -> None:
        """Note site-relative paths a watcher saw change (kept until a build succeeds)."""
        if self._changed is not None:
            self._changed.update(paths)

    def changes(self, cache: Cache, output_dir: Path) -> set[str] | None:
        """The paths that changed since the previous build into output_dir, when a watcher noted them all and that
        build's index is held here; else None."""
        return self._changed if self._changed is not None and self._holds(cache, output_dir) else None

    def _holds(self, cache: Cache, output_dir: Path) -> bool:
        """Whether the previous build held here was into output_dir with this cache."""
        return self._previous is not None and self._previous[:2] == (cache.root, output_dir.absolute())

    def cache(self, options: BuildOptions) -> Cache:
        """The cache for a build: the site's (or --cache-dir), or with --no-cache one that lives as long as the session."""
        if options.no_cache:
            if self._temporary is None:
                self._temporary = tempfile.TemporaryDirectory(prefix="broadsheet-cache-")
            return Cache(Path(self._temporary.name))
        return Cache((options.cache_dir or options.site_dir / CACHE_DIR).absolute())

    def previous(self, cache: Cache, output_dir: Path) -> Manifest:
        """The index of the last build into output_dir with this cache, else an empty one."""
        if self._previous is not None and self._holds(cache, output_dir):
            return self._previous[2]
        return cache.load_manifest(output_dir) or Manifest()

    def held_site(self, cache: Cache, options: BuildOptions) -> HeldSite | None:
        """The site the previous build into the same output ordered, if it is held here and built with the same
        drafts and future options."""
        held = self._held
        if held is None or not self._holds(cache, options.output_dir):
            return None
        return held if (held.drafts, held.future) == (options.drafts, options.future) else None

    def remember(self, cache: Cache, output_dir: Path, manifest: Manifest, persist: bool,
                 held: HeldSite | None = None) -> None:
        """Keep a finished build's index (and its ordered site) for the next build, and its index on disk when the
        cache persists."""
        self._previous = (cache.root, output_dir.absolute(), manifest)
        self._held = held
        self._changed = set() if self._watched else None
        self._unsaved = (cache, output_dir, manifest) if persist else None
        if not self._defer_saves:
            self.save()

    def keep_ordered(self, cache: Cache, output_dir: Path, index: Manifest, held: HeldSite) -> None:
        """Keep a build's ordered site in the cache, for the next build into output_dir run by another process (the
        next `broadsheet build`) to patch instead of ordering the site again, when its structure stays the same.

        A forked child writes it while this build goes on (on another core), since pickling a large site costs
        about what ordering it does; close() waits for it. Nothing is kept where processes cannot be forked.
        """
        self._reap()
        if not can_fork():
            return
        pid = os.fork()
        if pid == 0:  # the child: save, and leave without running anything of the parent's at exit
            try:
                showing = held.showing if held.showing is not None else views_showing(held.site, held.views)
                keys = {source: entry[3] for source, entry in index.sources.items()}
                header = ordered_header(index, held.drafts, held.future)
                cache.save_ordered(output_dir, header, keys, index.articles, (held.site, held.sitemap, held.moment,
                                                                              held.until, showing, held.noted))
            finally:
                os._exit(0)
        self._keeper = pid

    def _reap(self) -> None:
        if self._keeper is not None:
            os.waitpid(self._keeper, 0)
            self._keeper = None

    def save(self) -> None:
        """Write the last build's index to the cache folder, if it is not there yet (and prune the cache when due)."""
        if self._unsaved is None:
            return
        cache, output_dir, manifest = self._unsaved
        self._unsaved = None
        prune = manifest.written > max(PRUNE_AFTER, len(manifest.sources))
        if prune:
            manifest.written = 0
        cache.save_manifest(output_dir, manifest)
        if prune:  # records of older versions of the articles, once they outnumber the site's own
            cache.prune({entry[3] for entry in manifest.sources.values()})

    def close(self) -> None:
        """Stop the workers, let go of the held site and of what renders kept (a session that lasts one build
        keeps them for the process's end), and remove a temporary cache (an index not saved yet is dropped)."""
        self._unsaved = None
        if not self._lasts_one_build:  # (else they stay for the process's end: see __init__)
            self._held = None
            self.kept = KeptRenders()
        self._reap()
        self.pool.close()
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    def __enter__(self) -> BuildSession:  # Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def keeps_ordered(options: BuildOptions) -> bool:
    """Whether builds with these options keep their ordered site in the cache for the next process (see
    BuildSession.keep_ordered): not a preview's, whose server holds its own, nor one without a cache."""
    return not options.preview and not options.no_cache


def ordered_header(index: Manifest, drafts: bool, future: bool) -> list[Any]:
    """What an ordered site kept in the cache was made from, besides its articles' parse keys: the code and
    configuration, the options, and the content files (as plain data, see cache.save_ordered)."""
    return [index.env_key, drafts, future, combine(*index.sources).hex()]


def kept_site(cache: Cache, options: BuildOptions, index: Manifest, config: Config,
              ) -> tuple[HeldSite, Manifest] | None:
    """The ordered site the cache kept for builds into the output folder, when it was made with this code and
    configuration and these options, from the same content files; with the index of what it was made from. (Its
    pages are listed again: a function of the site and configuration, quicker made than read.)"""
    kept = cache.load_ordered(options.output_dir, ordered_header(index, options.drafts, options.future),
                              index.articles)
    if kept is None:
        return None
    keys, records, (site, sitemap, moment, until, showing, noted) = kept
    views = site_views(site, config)
    fingerprints = Fingerprints((key, records[key].article) for key in keys.values())
    made_from = Manifest(env_key=index.env_key, sources={source: (0, 0, 0, key) for source, key in keys.items()},
                         articles=records)
    return HeldSite(options.drafts, options.future, site, views, sitemap, fingerprints, moment, until, showing,
                    noted), made_from
