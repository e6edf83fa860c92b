"""The build: the only place that knows the order of the pipeline's stages.

1. Find the content files; take each one's parse from the previous build when its size, time and inode are
   unchanged, else from the cache by the hash of its bytes, else parse it in a worker process (under a budget).
2. Order the site in this process from the small per-article records.
3. Key every page by everything it shows; carry unchanged pages over from the current output, render the others
   in worker processes straight into the staging folder; swap it in. When nothing changed, write nothing.
"""

from __future__ import annotations

import gc
import operator
import os
import stat
import tempfile
import time
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from broadsheet import stamp
from broadsheet.cache import Cache, Manifest, PageRecord, Spare, read_head, unwritable
from broadsheet.config import Config, load_config
from broadsheet.content import (
    CONTENT_DIR,
    discover_sources,
    is_source_path,
    parse_article,
    parse_date,
    read_ahead,
    without_bundled,
)
from broadsheet.errors import Problem, SiteError, problem_of
from broadsheet.fingerprints import Fingerprints, combine, listed_fields, page_key, template_digests
from broadsheet.images import image_digest, publish_images
from broadsheet.lock import build_lock
from broadsheet.model import Article, LeftOut, ParsedArticle, Site
from broadsheet.options import BuildOptions
from broadsheet.output import OutputFolder, find_collisions, folder_times, folders_of
from broadsheet.places import cache_folder, check_places
from broadsheet.pool import Item, Stalled, WorkerPool, can_fork, default_jobs
from broadsheet.progress import Reporter, summary_line
from broadsheet.search import index_key, index_site
from broadsheet.search import remember as remember_search
from broadsheet.site import is_published, order_site, patch_site
from broadsheet.sitemaps import NEWS_WINDOW, sitemap_pages
from broadsheet.slugs import WINDOWS_PATH_HINT, windows_refused_segment
from broadsheet.stamp import CACHE_DIR, CODE_FINGERPRINT
from broadsheet.tasks import (
    KeptRenders,
    Renderer,
    Setup,
    env_key,
    handle,
    library_versions,
    load_body,
    parse_key,
    prepare,
)
from broadsheet.theme import (
    TEMPLATES_DIR,
    StaticFile,
    bundle_static,
    collect_static,
    default_theme_dir,
    published_static,
)
from broadsheet.views import (
    STRUCTURAL_FIELDS,
    View,
    articles_shown,
    news_files,
    scheduled_articles,
    shared_context,
    site_views,
    structure_of,
    view_inputs,
    views_showing,
)
from broadsheet.warning_kinds import switched_on

_CARRY_CHUNK = 256  # files carried over, or linked, per work item
_IN_PROCESS = 32  # up to this many pages are rendered in the build's own process
PRUNE_AFTER = 1000  # article records written before the cache is pruned (at least the number of articles)
_KEY = operator.itemgetter(3)  # of an index entry: the parse key
_TEMPLATE = operator.attrgetter("template")
_OUTPUT_PATH = operator.attrgetter("output_path")
MANY_CHANGES = 500  # more paths than this reported changed: a watched build looks at every file all the same
READ_AHEAD_FROM = 64  # files to parse: from this many, the system is asked to read them all ahead (see read_ahead)
STALE_LIMIT = 64  # articles changed since the cache's ordered site was kept: beyond this many, it is kept anew


@dataclass(frozen=True, slots=True)
class HeldSite:
    """What a session keeps of its last build's ordered site, for the next build to patch when an edit leaves the
    site's structure as it is (see _patched_site): then its pages, their paths and the sitemap stand as they were."""

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


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a finished build did."""

    pages: int
    articles: int
    seconds: float
    output_dir: Path
    base_url: str  # the address the site was built for
    warnings: tuple[Problem, ...] = ()  # problems that did not stop the build, printed by the CLI
    parsed: int = 0  # content files parsed by this build (the others came from the cache)
    rendered: int = 0  # pages rendered by this build (the others were carried over unchanged)
    left_out: LeftOut = field(default_factory=LeftOut)  # drafts, scheduled and expired articles, not published

    def summary_line(self) -> str:
        """The one line printed after a build."""
        left = self.left_out
        return summary_line(self.pages, self.articles, self.seconds, left.drafts, left.scheduled, left.expired,
                            left.next_publication)


class BuildSession:
    """What one build keeps for the next build of the same site: worker processes and the previous build's index.

    The CLI makes one per build. The preview server keeps one for its lifetime, passes it to every `build()`
    and calls `close()` at exit; rebuilds then start no processes and read no index from disk. With
    `defer_saves`, an index is written to disk only by `save()` (the preview server calls it once browsers
    have been told to reload).
    """

    def __init__(self, jobs: int | None = None, defer_saves: bool = False):
        self.pool = WorkerPool(jobs or default_jobs(), handle, prepare)
        self._previous: tuple[Path, Path, Manifest] | None = None  # cache root, output folder, index
        self._held: HeldSite | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self._defer_saves = defer_saves
        self._unsaved: tuple[Cache, Path, Manifest] | None = None
        self._watched = False
        self._changed: set[str] | None = None  # paths a watcher saw change since the previous build
        self.kept = KeptRenders()  # what this process's renders keep for the next build (archive months, fragments)
        self._keeper: int | None = None  # the child process saving an ordered site (see keep_ordered)

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
                header = _ordered_header(index, held.drafts, held.future)
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
        """Stop the workers, let go of the held site and of what renders kept, and remove a temporary cache (an
        index not saved yet is dropped)."""
        self._unsaved = None
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


def resolve_now(option: str | None, config: Config) -> datetime:
    """The build's moment, taken once: --now, else SOURCE_DATE_EPOCH, else the clock."""
    if option:
        try:
            return parse_date(option, config.zone)
        except ValueError:
            raise SiteError(Problem("--now", None, f"not a date: {option!r}", "write it like 2024-05-01T09:00")) from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), timezone.utc)
        except ValueError:
            raise SiteError(Problem("SOURCE_DATE_EPOCH", None, f"not a whole number of seconds: {epoch!r}")) from None
    return datetime.now(timezone.utc)


def render_budget(config: Config, size: int) -> float:
    """Seconds one article may take: render_timeout plus 3 s per MB of source."""
    return config.render_timeout + 3.0 * size / 1_000_000


def _stalled_problem(label: str, stalled: Stalled) -> Problem:
    if stalled.reason == "timeout":
        return Problem(label, None, f"took longer than {stalled.budget:.0f} s to render and was stopped",
                       "look for thousands of '[' or '<![' or very deep nesting; render_timeout in site.yaml sets the limit")
    return Problem(label, None, "crashed the renderer", "look for very deep nesting or other unusual Markdown")


def load_articles(site_dir: Path, config: Config) -> list[ParsedArticle]:
    """Parse every content file; raise one SiteError listing the problems (and warnings) of all files."""
    parsed, problems = parse_sources(site_dir, config)
    if any(not problem.warning for problem in problems):
        raise SiteError(problems + [w for p in parsed for w in p.warnings])
    return parsed


def parse_sources(site_dir: Path, config: Config, reporter: Reporter | None = None,
                  ) -> tuple[list[ParsedArticle], list[Problem]]:
    """Parse every content file: the files that parsed, and the problems of those that did not."""
    parsed: list[ParsedArticle] = []
    problems: list[Problem] = []
    sources = discover_sources(site_dir)
    reporter = reporter or Reporter()
    reporter.step("parse", len(sources))  # (progress hook)
    for source in sources:
        reporter.done(source)
        try:
            parsed.append(parse_article(source, (site_dir / source).read_bytes(), config))
        except SiteError as error:
            problems.extend(error.problems)
        except FileNotFoundError:
            continue  # removed since the folder was listed: gone, as if removed just before (see gather_articles)
        except OSError as error:
            problems.append(Problem(source, None, f"cannot be read: {error.strerror}"))
        except Exception as error:  # unforeseen: a problem of this file; the others are still checked
            problems.append(problem_of(source, error))
    return parsed, problems


def check_images(parsed: list[ParsedArticle], static: dict[str, StaticFile]) -> list[Problem]:
    """Every lead image that is not a URL must be a file under static/."""
    problems = []
    for item in parsed:
        image = item.article.image
        if image and "://" not in image and image.lstrip("/") not in static:
            problems.append(Problem(item.article.source, item.lines.get("image"), f"image {image!r} is not a file "
                                    "under static/", "paths are relative to static/, like images/photo.jpg"))
    return problems


def check_static_names(static: Mapping[str, StaticFile]) -> list[Problem]:
    """Every static file must be published under a path Windows can hold (see slugs.is_reserved_on_windows)."""
    refused = {label: segment for output_path, _, label in published_static(static)  # (one line a file)
               if (segment := windows_refused_segment(output_path)) is not None}
    return [Problem(label, None, f"'{segment}' is a name Windows does not allow (a clone of the published site "
                    "fails there)", f"rename it; {WINDOWS_PATH_HINT}") for label, segment in refused.items()]


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
    if items:  # (progress hooks)
        reporter.step("parse", len(items))
        if reporter.verbose:
            for item in items:
                reporter.rebuilt(item.label, "new" if item.label not in previous.sources else
                                 "changed" if same_env else "site.yaml or Broadsheet changed")
    for item, result in pool.run(setup, items):
        reporter.done(item.label)
        if isinstance(result, Stalled):
            problems[item.label] = [_stalled_problem(item.label, result)]
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
        keys = list(map(_KEY, sources.values()))
        articles = dict(zip(keys, map(known_articles.get, keys), strict=False))  # type: ignore[arg-type]
        articles.update(found.values())
    index = Manifest(env_key=prefix, scanned=scanned, sources=sources, articles=articles)
    return index, len(items), [p for source in sorted(problems) for p in problems[source]]


def in_source_order(index: Manifest) -> list[tuple[str, ParsedArticle]]:
    """The index's (parse key, record) of every content file, in source order."""
    keys = list(map(_KEY, index.sources.values()))
    return list(zip(keys, map(index.articles.__getitem__, keys), strict=False))


def output_claims(views: Iterable[View], static: dict[str, StaticFile],
                  generated: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """Every file the build will write, with the file it comes from (a source, a template, a static file);
    `generated` are the feeds, sitemaps and other files made by Broadsheet itself."""
    for view in views:
        yield view.output_path, view.label if view.kind in ("article", "page") else f"{TEMPLATES_DIR}/{view.template}"
    for path in generated:
        yield path, f"Broadsheet's own {path}"
    for output_path, _, label in published_static(static):
        yield output_path, label


def build(options: BuildOptions, session: BuildSession | None = None, scan: stamp.Scan | None = None,
          reporter: Reporter | None = None) -> BuildResult:
    """Build the site into options.output_dir, all or nothing; with a session, reuse what the last build knew.

    `scan` is the state of the inputs when the caller already took it (to check the last build's stamp). One build
    at a time writes an output folder or a cache folder: this one waits for another to finish (see broadsheet.lock).
    `reporter` is told of the work as it goes (see broadsheet.progress).
    """
    check_places(options)  # (first: a cache inside the output is refused, not built without)
    cache_warning = None
    cache_root = cache_folder(options)
    if cache_root is not None and (why := unwritable(cache_root)) is not None:
        # A read-only cache restored by CI, or a path that is a file: the site is built all the same.
        cache_warning = Problem(str(cache_root), None, f"{why}: building without the cache", warning=True)
        options, scan = replace(options, no_cache=True), None
    with build_lock(options):
        if scan is None and not options.no_cache and not options.preview:
            scan = stamp.scan(options, default_theme_dir())
        # The build holds the index of every article for its whole length, and makes few reference cycles: the
        # cycle collector would walk those objects again and again to free nothing (at 10,000 articles, 40 % of the
        # time spent ordering the site).
        collecting = gc.isenabled()
        gc.disable()
        try:
            if session is None:
                with BuildSession(options.jobs) as own:
                    result = _build(options, own, scan, reporter or Reporter())
            else:
                result = _build(options, session, scan, reporter or Reporter())
        except SiteError as error:
            if cache_warning is None:
                raise
            raise SiteError([cache_warning, *error.problems]) from None
        finally:
            if collecting:
                gc.enable()
    return result if cache_warning is None else replace(result, warnings=(cache_warning, *result.warnings))


def _build(options: BuildOptions, session: BuildSession, scan: stamp.Scan | None, reporter: Reporter) -> BuildResult:
    started = time.perf_counter()
    site_dir = options.site_dir
    config = load_config(site_dir, options.base_url, options.origin)
    now = resolve_now(options.now, config)
    output = OutputFolder(options.output_dir, config.keep)
    output.check_replaceable()  # (again before the swap; here, before the cache is written)
    session.pool.start()  # a worker for the files that changed, ready by the time the index is loaded
    cache = session.cache(options)
    previous = session.previous(cache, options.output_dir)
    changes = session.changes(cache, options.output_dir)
    known_files = (watched_sources(site_dir, previous, changes) if changes is not None
                   else scanned_sources(scan, previous.sources))

    # On a problem, carry on with what did work, so that one failed build lists every problem at once.
    index, parsed, failures = gather_articles(site_dir, config, previous, session.pool, cache, scan, known_files,
                                              changes if known_files is not None else None, reporter)
    if not previous.env_key:  # a first build: nothing in the cache is old
        index.written = 0
    elif previous.env_key != index.env_key:  # new code or configuration: the old records are garbage, prune now
        index.written = max(PRUNE_AFTER, len(index.sources)) + 1
    else:
        index.written = previous.written + parsed
    problems: dict[Problem, None] = dict.fromkeys(failures)
    index.related = dict(previous.related)
    # (None: the structure may have changed.) A watched build took the files not reported as they were.
    edited, retitled = _changed_articles(previous, index, changes if known_files is not None else None)
    held = session.held_site(cache, options) if not failures else None
    # The build the held site is of, and the articles changed since: the previous one, or in a new process an
    # earlier one whose ordered site the cache kept (see BuildSession.keep_ordered). Which pages may differ from the
    # previous build's is told from the articles changed since that build all the same.
    ordered_by, since = previous, edited
    if held is None and edited is not None and not failures and keeps_ordered(options):
        kept = _kept_site(cache, options, index, config)
        if kept is not None:
            held, ordered_by = kept
            since = _changed_articles(ordered_by, index)[0]
    site = _patched_site(held, since, index.sources, config, now, options)
    # The held site's structure: the same pages at the same paths, made of the same articles but the edited ones.
    steady = held if site is not None else None
    patched: dict[str, Article] = since if steady and since else {}
    keyed = [] if steady else in_source_order(index)  # (a pass over every file: only when the site is ordered)
    records = [record for _, record in keyed]
    if site is None:
        try:
            site = order_site((r.article for r in records), config, now, options.drafts, options.future,
                              index.related, {r.article.source: r.lines for r in records if r.lines})
        except SiteError as error:  # URL collisions: render without the files that claimed a taken URL
            problems.update(dict.fromkeys(error.problems))
            clashing = {problem.path for problem in error.problems}
            site = order_site((r.article for r in records if r.article.source not in clashing), config, now,
                              options.drafts, options.future, index.related)
    static = collect_static(site_dir)
    static.update(bundle_static(site_dir, (*site.articles, *site.pages)))
    # Images: JPEG, PNG and WebP files processed (from the cache, else in the workers), their copies and the lead
    # images' social cards added as static files (see broadsheet.images).
    static, image_failures = publish_images(static, ((a.image, a.meta.get("image_focus")) for a in
                                                     (*site.articles, *site.pages)), config, cache.root,
                                            partial(_run_images, session.pool, Setup(site_dir, config, index.env_key,
                                                                                     cache.root)))
    problems.update(dict.fromkeys(image_failures))
    if steady:
        noted = dict(steady.noted)
        for source in patched:
            if found := index.articles[index.sources[source][3]].warnings:
                noted[source] = found
            else:
                noted.pop(source, None)
    else:
        # A file that failed stands in the site as it last built (see gather_articles), but its warnings then are
        # not this run's: only this run's problems are printed.
        failed = {problem.path for problem in failures}
        noted = {r.article.source: r.warnings for r in records if r.warnings and r.article.source not in failed}
    warnings = tuple(switched_on((w for source in sorted(noted) for w in noted[source]), config.warnings)
                     + switched_on(site.warnings, config.warnings))
    if options.strict:
        problems.update(dict.fromkeys(replace(w, warning=False) for w in warnings))
        warnings = ()
    entries = index.sources
    sitemap = steady.sitemap if steady and _same_moments(ordered_by, patched) else sitemap_pages(site, config)
    # The claims on output paths are those the previous build checked when its pages and static files stay.
    static_paths = [path for path, _, _ in published_static(static)]
    same_claims = steady is not None and set(static_paths) == previous.static.keys()
    views = steady.views if steady is not None and same_claims else site_views(site, config)
    # The build-info file lists every file written, for deploy (a preview is never deployed).
    published = None if options.preview else [*map(_OUTPUT_PATH, views), *static_paths]
    generated = news_files(site, config, options, now, lambda a: load_body(cache, site_dir, config, index.env_key,
                                                                           a.source, entries[a.source][3]), sitemap,
                           published)
    if same_claims:  # only the edited articles' images are new
        image_problems = check_images([index.articles[entries[source][3]] for source in patched], static)
    else:
        image_problems = check_images([r for _, r in keyed or in_source_order(index)], static) + find_collisions(
            output_claims(views, static, [path for path, _, _ in generated])) + check_static_names(static)
    problems.update(dict.fromkeys(image_problems))
    if image_problems:
        raise SiteError([*problems, *warnings])

    if steady:
        fingerprints = steady.fingerprints.carried((entries[source][3], article) for source, article in patched.items())
        until = min((m for m in (steady.until, next_change(patched.values(), now)) if m is not None), default=None)
        showing = steady.showing
    else:
        fingerprints = Fingerprints((key, record.article) for key, record in keyed)
        until = next_change((r.article for r in records), now)
        showing = views_showing(site, views) if options.preview else None  # (only a preview's next build uses it)
    held = HeldSite(options.drafts, options.future, site, views, sitemap, fingerprints, steady.moment if steady else now,
                    until, showing, noted)
    if keeps_ordered(options) and not problems and (steady is None or (ordered_by is not previous
                                                                      and len(patched) > STALE_LIMIT)):
        session.keep_ordered(cache, options.output_dir, index, held)
    # What every page depends on; a body's links to other content files are in each page's own inputs, the
    # templates a page is made with in the key of its template (see `commons`).
    common = combine(CODE_FINGERPRINT, library_versions(config.markdown), repr((config, options.preview)).encode(),
                     fingerprints.of(shared_context(site, config)),
                     fingerprints.of({k: v.output_path for k, v in static.items()}), image_digest(static))
    index.templates, index.template_names = template_digests(
        [site_dir / TEMPLATES_DIR, default_theme_dir() / TEMPLATES_DIR], set(map(_TEMPLATE, views)),
        previous.template_names if previous.env_key == index.env_key else {})
    commons = {name: combine(common, digest) for name, digest in index.templates.items()}
    # What a template's kept fragments depend on besides their values (see templates.FragmentCache).
    # (The libraries too: fragments kept in the cache folder outlive the process, and a new Jinja2 may render
    # the same template otherwise.)
    fragments_token = combine(repr((config, options.preview, sorted(f.output_path for f in static.values()))),
                              library_versions(config.markdown),
                              *(name.encode() + digest for name, digest in sorted(index.templates.items())))
    same_templates = {name for name, digest in index.templates.items() if previous.templates.get(name) == digest}
    reads = {"whole_site": fingerprints.site(site.sections), "now": fingerprints.of(now),
             "counts": fingerprints.of([(group.url, group.count) for group in site.groups()])}
    index.common, index.read_digests = common, reads
    preview_now = now if options.preview else None
    index.published = tuple(a.source for a in (*site.articles, *site.pages))
    index.scheduled = scheduled_articles(site, preview_now)
    if steady and showing is not None:
        unchanged, listing_changed = _unchanged_of_steady(previous, index, edited or {}, retitled, views, showing,
                                                          steady.site if ordered_by is previous else None, site)
    else:
        unchanged, listing_changed = _unchanged_views(previous, index, edited, retitled, site, views)
    same_reads = {name for name, digest in reads.items() if previous.read_digests.get(name) == digest}
    digests: dict[tuple[int, frozenset[str] | None], bytes] = {}

    def light(number: int, read: frozenset[str] = frozenset()) -> bytes:
        """The digest of a view's inputs; the articles a page lists stand for the fields it read of them."""
        view = views[number]
        fields = None if view.shows_one_article else listed_fields(read)
        digest = digests.get((number, fields))
        if digest is None:
            digest = digests[number, fields] = fingerprints.of(view_inputs(site, config, view, preview_now), fields)
        return digest

    identity = output.identity()
    can_carry = identity is not None and identity == previous.output
    spare_path = cache.spare_path(options.output_dir)
    spare = previous.spare if can_carry and previous.spare and _identity(spare_path) == previous.spare.identity else None
    if spare is not None and _changed_folders(spare_path, spare.folders):
        spare = None  # a file came into or left it since it was made or was the output: its records do not hold
    static_records = {path: (str(f.source), *_stat_pair(f.source)) for path, f, _ in published_static(static)}
    made: dict[str, PageRecord] = {}
    render: list[int] = []
    carry: list[str] = []
    for number, view in enumerate(views):
        known = previous.pages.get(view.output_path)
        if can_carry and known and (
                ((number in unchanged or (number in listing_changed and _reads_structure_only(known.reads)))
                and view.template in same_templates and all(name in same_reads for name in known.reads if name in reads))
                or known.key == page_key(commons[view.template], light(number, known.reads), reads, known.reads)):
            made[view.output_path] = known
            carry.append(view.output_path)
        else:
            render.append(number)
            if reporter.verbose:  # (progress hook)
                reporter.rebuilt(view.output_path, _why_rendered(known, can_carry, view.template in same_templates))
    # Feeds and sitemaps are keyed by what they are made from; small files by their bytes.
    makers: dict[str, Callable[[], bytes]] = {}
    for path, inputs, make in generated:
        if inputs is None:
            data = make()
            index.generated[path] = combine(b"bytes", data)
            makers[path] = partial(bytes, data)
        else:
            index.generated[path] = combine(common, fingerprints.of(inputs))
            makers[path] = make
    index.pages, index.static = made, static_records
    if (can_carry and not render and not problems and made.keys() == previous.pages.keys()
            and static_records == previous.static and index.generated == previous.generated
            and _folder_times(output, options, [*made, *static_records, *makers]) == previous.folders):
        index.output, index.folders, index.spare = identity, previous.folders, previous.spare
        sources_unchanged = index.sources == previous.sources
        session.remember(cache, options.output_dir, index if not sources_unchanged else previous,
                         persist=not options.no_cache and not sources_unchanged, held=held)
        _keep_stamp(scan, options, cache, index, until, now, len(views), len(site.articles), warnings, site.left_out)
        return BuildResult(len(views), len(site.articles), time.perf_counter() - started, options.output_dir,
                           config.base_url, warnings, parsed, 0, site.left_out)

    try:
        if not output.begin(spare_path if spare else None):
            spare = None
    except OSError as error:
        raise _unwritable(options.output_dir, error) from None
    try:
        setup = Setup(site_dir, config, index.env_key, cache.root, output.stage, static, now, options.preview,
                      site, tuple(views), entries, fragments_token)
        if spare is not None:  # pages the earlier output being updated already has as they are now
            carry = [path for path in carry if not _same_page(spare.pages.get(path), made[path])]
        rendered, page_problems = _render_pages(session.pool, setup, render, carry, made, commons, reads, light,
                                                session.kept, reporter)
        problems.update(dict.fromkeys(page_problems))
        if any(not problem.warning for problem in problems):
            raise SiteError([*problems, *warnings])
        touched = [*carry, *(views[number].output_path for number in rendered), *config.keep]  # (see folder_times)
        for path, make in makers.items():
            if spare is not None and spare.generated.get(path) == index.generated[path]:
                continue
            touched.append(path)
            if not (can_carry and previous.generated.get(path) == index.generated[path] and output.carry(path)):
                output.write(path, _made(path, make))
        for path, static_file, label in published_static(static):
            if spare is not None and spare.static.get(path) == static_records[path]:
                continue
            touched.append(path)
            if not (can_carry and previous.static.get(path) == static_records[path] and output.carry(path)):
                output.copy(path, static_file.source, label)
        if spare is not None:
            for path in {*spare.pages, *spare.static, *spare.generated} - {*made, *static_records, *makers}:
                touched.append(path)
                output.stage.remove(path)
        # Search: Pagefind's index of the staged pages, or the current one linked over when no page changed.
        search_key = index_site(output.stage.root, output.final, cache.root, index_key(
            ((path, record.key) for path, record in made.items()), config) if config.search else None)
        # The output being replaced is kept for the next build to update in place, when its files are known.
        spare_kept = output.commit(spare_path if can_carry and not options.no_cache else None)
    except OSError as error:
        output.abort()
        raise _unwritable(options.output_dir, error) from None
    except BaseException:
        output.abort()
        raise
    index.output = output.identity()
    remember_search(cache.root, options.output_dir, search_key)
    identity_kept = _identity(spare_path) if spare_kept else None
    index.spare = Spare(identity_kept, previous.pages, previous.static, previous.generated,
                        previous.folders) if identity_kept else None
    written = [*made, *static_records, *makers]  # made: with the new pages
    if not spare_kept and not options.no_cache:
        if (options.preview or not previous.env_key) and output.keep_copy(spare_path, written,
                                                                           partial(_link_files, session.pool, setup)):
            # A preview's first build, and the first build with this cache, keep a linked copy of the output, so that
            # the first edit updates that copy in place instead of linking every page into a new folder while the
            # writer waits.
            identity_kept = _identity(spare_path)
            copied = folder_times(spare_path, folders_of(written))
            index.spare = (Spare(identity_kept, made, static_records, dict(index.generated), copied) if identity_kept
                           else None)
        else:
            # The output went missing since the last build (a CI machine keeps the cache, not the output): a copy
            # would not be used, and an old one is of no use now.
            cache.drop_spare(options.output_dir)
    # The output updated in place keeps the times its folders had when it was the output, but where it changed.
    index.folders = _folder_times(output, options, written, spare.folders if spare else None, touched)
    session.remember(cache, options.output_dir, index, persist=not options.no_cache, held=held)
    _keep_stamp(scan, options, cache, index, until, now, len(views), len(site.articles), warnings, site.left_out)
    return BuildResult(len(views), len(site.articles), time.perf_counter() - started, options.output_dir,
                       config.base_url, warnings, parsed, len(render), site.left_out)


def _unwritable(output_dir: Path, error: OSError) -> SiteError:
    """The output folder (or the staging folder beside it) cannot be written: a full or read-only disk."""
    where = f" ({error.filename})" if error.filename else ""
    return SiteError(Problem(str(output_dir), None, f"cannot be written: {error.strerror or error}{where}"))


def _unchanged_views(previous: Manifest, index: Manifest, edited: dict[str, Article] | None, retitled: set[str],
                     site: Site, views: list[View]) -> tuple[set[int], set[int]]:
    """The views (by number) whose inputs are those of the previous build, found without taking their digests;
    and the list pages among the others, which are unchanged too if they read only structural fields of their
    articles (see STRUCTURAL_FIELDS).

    When what every page depends on, the published articles in their order and the structural fields of every
    changed article are as they were, the site has the same structure; then only the views showing a changed
    article (see views.articles_shown), or one whose "scheduled" state in a preview changed, can differ. A new
    title (`retitled`: the changed articles whose structural fields differ in their title only) also shows on the
    pages linking to the article as a neighbour or a related article, and on the news pages (archive, redirects),
    which are few: those are keyed too. `edited`: the changed articles, see _changed_articles. A view's reads (the
    whole site, the moment) are checked by the caller.
    """
    if (edited is None or not previous.common or previous.common != index.common
            or previous.published != index.published):
        return set(), set()
    scheduled = set(previous.scheduled).symmetric_difference(index.scheduled)  # a preview's moment passed their date
    changed = scheduled | edited.keys()
    published = (*site.articles, *site.pages)
    shown_ids = {id(article) for article in published if article.source in changed}
    retitled_ids = {id(article) for article in published if article.source in retitled}
    retitled_urls = {article.url for article in published if article.source in retitled}
    unchanged, listing = set(), set()
    for number, view in enumerate(views):
        if view.shows_one_article:  # (the commonest case, told by the view's label: its article's source)
            if view.label not in changed and not (retitled_urls and _links_to(site, view, retitled_urls)):
                unchanged.add(number)
        elif retitled and view.kind != "list":
            continue
        elif shown_ids.isdisjoint(shown := list(map(id, articles_shown(site, view)))):
            unchanged.add(number)
        elif not scheduled and retitled_ids.isdisjoint(shown):
            listing.add(number)
    return unchanged, listing


def _unchanged_of_steady(previous: Manifest, index: Manifest, edited: Mapping[str, Article], retitled: set[str],
                         views: list[View], showing: Mapping[str, list[int]], earlier: Site | None, site: Site,
                         ) -> tuple[set[int], set[int]]:
    """_unchanged_views for a site patched after edits that kept its structure, from the views showing each
    article; `edited` and `retitled` are told against the previous build. A new title also shows on the pages of
    the articles that link to it as a neighbour or a related article, and on the news pages (archive, redirects).
    `earlier`: the site patched, when it is the previous build's (then the links made anew are those to the
    retitled articles); None when it is an older one."""
    if not previous.common or previous.common != index.common or previous.scheduled != index.scheduled:
        return set(), set()
    shown = {number for source in edited for number in showing.get(source, ())}
    if not retitled:
        return set(range(len(views))).difference(shown), {n for n in shown if not views[n].shows_one_article}
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
    news = set(range(len(site.articles) + len(site.pages) + len(site.lists), len(views)))  # see views.site_views
    changed = shown | keyed | news
    return set(range(len(views))).difference(changed), {n for n in shown - titled if views[n].kind == "list"}


def _links_to(site: Site, view: View, urls: set[str]) -> bool:
    """Whether an article's page links to one of `urls` as a neighbour or a related article (showing its title)."""
    if view.kind != "article":
        return False
    neighbours = site.neighbours.get(view.label)
    links = (*(site.related.get(view.label, ())), *((neighbours.older, neighbours.newer) if neighbours else ()))
    return any(link is not None and link.url in urls for link in links)


def _changed_articles(previous: Manifest, index: Manifest, candidates: Collection[str] | None = None,
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


def _patched_site(held: HeldSite | None, changed: dict[str, Article] | None, sources: Iterable[str],
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


def keeps_ordered(options: BuildOptions) -> bool:
    """Whether builds with these options keep their ordered site in the cache for the next process (see
    BuildSession.keep_ordered): not a preview's, whose server holds its own, nor one without a cache."""
    return not options.preview and not options.no_cache


def _ordered_header(index: Manifest, drafts: bool, future: bool) -> list[Any]:
    """What an ordered site kept in the cache was made from, besides its articles' parse keys: the code and
    configuration, the options, and the content files (as plain data, see cache.save_ordered)."""
    return [index.env_key, drafts, future, combine(*index.sources).hex()]


def _kept_site(cache: Cache, options: BuildOptions, index: Manifest, config: Config,
               ) -> tuple[HeldSite, Manifest] | None:
    """The ordered site the cache kept for builds into the output folder, when it was made with this code and
    configuration and these options, from the same content files; with the index of what it was made from. (Its
    pages are listed again: a function of the site and configuration, quicker made than read.)"""
    kept = cache.load_ordered(options.output_dir, _ordered_header(index, options.drafts, options.future),
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


def _same_moments(previous: Manifest, edited: Mapping[str, Article]) -> bool:
    """Whether every edited article keeps the moment of its last change, the one field of it a sitemap shows
    besides its URL."""
    for source, article in edited.items():
        was = previous.articles[previous.sources[source][3]].article
        if (was.updated or was.date) != (article.updated or article.date):
            return False
    return True


def _reads_structure_only(reads: frozenset[str]) -> bool:
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


def _keep_stamp(scan: stamp.Scan | None, options: BuildOptions, cache: Cache, index: Manifest,
                until: datetime | None, now: datetime, pages: int, articles: int,
                warnings: tuple[Problem, ...], left_out: LeftOut) -> None:
    """Keep the stamp that lets the next build with nothing changed stop at once (see broadsheet.stamp); `until`:
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


def _folder_times(output: OutputFolder, options: BuildOptions, paths: list[str], known: dict[str, int] | None = None,
                  touched: Collection[str] = ()) -> dict[str, int]:
    """The times of the output's folders, which tell a file added to or removed from the output since (see
    OutputFolder.folder_times); none for a preview, whose output folder is its own."""
    return {} if options.preview else output.folder_times(paths, known, touched)


def _changed_folders(root: Path, times: Mapping[str, int]) -> bool:
    """Whether a folder of root (root itself: "") no longer has its time; moving a folder keeps its time."""
    return folder_times(root, times) != times


def _identity(folder: Path) -> tuple[int, ...] | None:
    """A folder's device, inode and change times (an inode number alone may be reused by a new folder), or None
    if it is not a folder."""
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_ctime_ns, info.st_mtime_ns) if stat.S_ISDIR(info.st_mode) else None


def _same_page(kept: PageRecord | None, carried: PageRecord) -> bool:
    """Whether the output being updated has a carried page as it is (its key is the one just checked)."""
    return kept is not None and kept.key == carried.key


def _stat_pair(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


def _render_pages(pool: WorkerPool, setup: Setup, render: list[int], carry: list[str],
                  records: dict[str, PageRecord], commons: Mapping[str, bytes], reads: Mapping[str, bytes],
                  light: Callable[[int, frozenset[str]], bytes], kept: KeptRenders | None = None,
                  reporter: Reporter | None = None) -> tuple[list[int], list[Problem]]:
    """Carry the unchanged pages over and render the others (views by number), into the staging folder; note each
    rendered page's record; return the views rendered (with the pages found gone from the output, which could not
    be carried) and the problems of all pages. Pages rendered in this process keep what they can in `kept`."""
    problems: dict[Problem, None] = {}
    kinds_read: dict[frozenset[str], frozenset[str]] = {}
    views = setup.views
    gone = [path for result in _in_parts(pool, setup, "carry", carry) for path in _carried(result)]
    if gone:  # a file gone from the current output since the last build is rendered after all
        numbers = {view.output_path: number for number, view in enumerate(views)}
        render = sorted({*render, *(numbers[path] for path in gone)})

    reporter = reporter or Reporter()
    if render:
        reporter.step("render", len(render))  # (progress hook)

    def note(number: int, result: Any) -> None:
        reporter.done(views[number].output_path)
        if isinstance(result, Stalled):
            problems[_stalled_problem(views[number].label, result)] = None
        elif isinstance(result, SiteError):
            problems.update(dict.fromkeys(result.problems))
        else:
            read = kinds_read.setdefault(result, result)  # one object for equal sets: a smaller index
            view = views[number]
            records[view.output_path] = PageRecord(page_key(commons[view.template], light(number, read), reads, read),
                                                   read)

    if len(render) <= _IN_PROCESS:
        # A few pages (an edit): rendering them here costs less than starting workers; the Markdown, where time
        # can run away, was done under budget when the article was parsed.
        renderer = Renderer(setup, kept)
        for number in render:
            try:
                note(number, renderer.render(number))
            except SiteError as error:
                note(number, error)
            except Exception as error:  # unforeseen: a problem of this page, as in a worker (see pool)
                note(number, SiteError(problem_of(views[number].label, error)))
        renderer.kept.fragments.save()
        return render, list(problems)
    entries = setup.entries
    items = [Item(views[number].label, render_budget(setup.config, entries.get(views[number].label, (0,))[0]),
                  ("render", number)) for number in render]
    for item, result in pool.run(setup, items, inherit=True):
        note(item.payload[1], result)
    return render, list(problems)


def _why_rendered(known: PageRecord | None, can_carry: bool, same_template: bool) -> str:
    """Why a page is rendered again, for `--verbose`."""
    if known is None:
        return "a new page"
    if not can_carry:
        return "the output folder is not the last build's"
    return "what it shows changed" if same_template else "its template changed"


def _made(path: str, make: Callable[[], bytes]) -> bytes:
    """The bytes of a feed, sitemap or other file Broadsheet makes itself; an unforeseen failure is a problem of that
    file, as a page's is."""
    try:
        return make()
    except SiteError:
        raise
    except Exception as error:
        raise SiteError(problem_of(path, error)) from None


def _carried(result: Any) -> list[str]:
    """The paths a carry task found gone (see tasks.handle); a task that failed in its worker fails the build."""
    if isinstance(result, SiteError):
        raise result
    if isinstance(result, Stalled):
        raise SiteError(_stalled_problem("carrying unchanged pages over", result))
    return list(result)


def _in_parts(pool: WorkerPool, setup: Setup, kind: str, paths: list[str], *before: str) -> list[Any]:
    """The results of a task over output files (see tasks.handle), run on parts of them: in the workers for many
    files, else in this process. Such tasks need only the staging folder: a light setup, cheap to send where
    workers cannot be forked."""
    light_setup = Setup(setup.site_dir, setup.config, setup.env_key, setup.cache_root, setup.stage)
    items = [Item(paths[i], 600.0, (kind, *before, paths[i:i + _CARRY_CHUNK]))
             for i in range(0, len(paths), _CARRY_CHUNK)]
    if len(paths) <= _IN_PROCESS * _CARRY_CHUNK // 16:
        return [handle(light_setup, item.payload) for item in items]
    return [result for _, result in pool.run(light_setup, items, chunk=1)]


def _run_images(pool: WorkerPool, setup: Setup, jobs: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, Any]]:
    """Image tasks (see images.run_task) in the workers, one at a time each: an image takes up to seconds."""
    items = [Item(label, 120.0, payload) for label, payload in jobs]
    return [(item.label, result) for item, result in pool.run(setup, items, chunk=1)]


def _link_files(pool: WorkerPool, setup: Setup, source: str, target: str, paths: list[str]) -> bool:
    """output.link_files, in the workers for many files."""
    return all(result is True for result in _in_parts(pool, setup, "link", paths, source, target))
