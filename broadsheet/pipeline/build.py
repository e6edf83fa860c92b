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
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.model import Article, LeftOut
from broadsheet.base.options import BuildOptions
from broadsheet.base.progress import Reporter, summary_line
from broadsheet.base.warning_kinds import switched_on
from broadsheet.incremental import stamp
from broadsheet.incremental.cache import PageRecord, Spare, unwritable
from broadsheet.incremental.carry import (
    changed_folders,
    folder_identity,
    keep_stamp,
    next_change,
    output_folder_times,
    patched_site,
    reads_structure_only,
    same_moments,
    same_page,
    stat_pair,
    unchanged_of_steady,
    unchanged_views,
)
from broadsheet.incremental.fingerprints import Fingerprints, combine, listed_fields, page_key, template_digests
from broadsheet.incremental.render import link_in_workers, made_file, render_pages, run_images, why_rendered
from broadsheet.incremental.session import PRUNE_AFTER, STALE_LIMIT, HeldSite, keeps_ordered, kept_site
from broadsheet.incremental.session import BuildSession as BuildSession  # what the preview server keeps between builds
from broadsheet.incremental.sources import (
    changed_articles,
    gather_articles,
    in_source_order,
    scanned_sources,
    watched_sources,
)
from broadsheet.incremental.stamp import CODE_FINGERPRINT
from broadsheet.incremental.tasks import (
    Setup,
    library_versions,
    load_body,
)
from broadsheet.pipeline.lock import build_lock
from broadsheet.pipeline.places import cache_folder, check_places
from broadsheet.stages.config import load_config
from broadsheet.stages.content import resolve_now
from broadsheet.stages.images import image_digest, publish_images
from broadsheet.stages.output import OutputFolder, find_collisions, folder_times, folders_of
from broadsheet.stages.search import index_key, index_site
from broadsheet.stages.search import remember as remember_search
from broadsheet.stages.site import order_site
from broadsheet.stages.sitemaps import sitemap_pages
from broadsheet.stages.theme import (
    TEMPLATES_DIR,
    bundle_static,
    check_images,
    check_static_names,
    collect_static,
    default_theme_dir,
    published_static,
)
from broadsheet.stages.views import (
    news_files,
    output_claims,
    page_count,
    scheduled_articles,
    shared_context,
    site_views,
    view_inputs,
    views_showing,
)

_TEMPLATE = operator.attrgetter("template")
_OUTPUT_PATH = operator.attrgetter("output_path")


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


def build(options: BuildOptions, session: BuildSession | None = None, scan: stamp.Scan | None = None,
          reporter: Reporter | None = None) -> BuildResult:
    """Build the site into options.output_dir, all or nothing; with a session, reuse what the last build knew.

    `scan` is the state of the inputs when the caller already took it (to check the last build's stamp). One build
    at a time writes an output folder or a cache folder: this one waits for another to finish (see broadsheet.pipeline.lock).
    `reporter` is told of the work as it goes (see broadsheet.base.progress).
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
    edited, retitled = changed_articles(previous, index, changes if known_files is not None else None)
    held = session.held_site(cache, options) if not failures else None
    # The build the held site is of, and the articles changed since: the previous one, or in a new process an
    # earlier one whose ordered site the cache kept (see BuildSession.keep_ordered). Which pages may differ from the
    # previous build's is told from the articles changed since that build all the same.
    ordered_by, since = previous, edited
    if held is None and edited is not None and not failures and keeps_ordered(options):
        kept = kept_site(cache, options, index, config)
        if kept is not None:
            held, ordered_by = kept
            since = changed_articles(ordered_by, index)[0]
    site = patched_site(held, since, index.sources, config, now, options)
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
    # images' social cards added as static files (see stages.images).
    static, image_failures = publish_images(static, ((a.image, a.meta.get("image_focus")) for a in
                                                     (*site.articles, *site.pages)), config, cache.root,
                                            partial(run_images, session.pool, Setup(site_dir, config, index.env_key,
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
    sitemap = steady.sitemap if steady and same_moments(ordered_by, patched) else sitemap_pages(site, config)
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
        unchanged, listing_changed = unchanged_of_steady(previous, index, edited or {}, retitled, views, showing,
                                                          steady.site if ordered_by is previous else None, site)
    else:
        unchanged, listing_changed = unchanged_views(previous, index, edited, retitled, site, views)
    same_reads = {name for name, digest in reads.items() if previous.read_digests.get(name) == digest}
    digests: dict[tuple[int, frozenset[str] | None], bytes] = {}

    def light(number: int, read: frozenset[str] = frozenset()) -> bytes:
        """The digest of a view's inputs; the articles a page lists stand for the fields it read of them."""
        view = views[number]
        fields = None if view.page_type.whole_articles else listed_fields(read)
        digest = digests.get((number, fields))
        if digest is None:
            digest = digests[number, fields] = fingerprints.of(view_inputs(site, config, view, preview_now), fields)
        return digest

    identity = output.identity()
    can_carry = identity is not None and identity == previous.output
    spare_path = cache.spare_path(options.output_dir)
    spare = previous.spare if can_carry and previous.spare and folder_identity(spare_path) == previous.spare.identity else None
    if spare is not None and changed_folders(spare_path, spare.folders):
        spare = None  # a file came into or left it since it was made or was the output: its records do not hold
    static_records = {path: (str(f.source), *stat_pair(f.source)) for path, f, _ in published_static(static)}
    made: dict[str, PageRecord] = {}
    render: list[int] = []
    carry: list[str] = []
    for number, view in enumerate(views):
        known = previous.pages.get(view.output_path)
        if can_carry and known and (
                ((number in unchanged or (number in listing_changed and reads_structure_only(known.reads)))
                and view.template in same_templates and all(name in same_reads for name in known.reads if name in reads))
                or known.key == page_key(commons[view.template], light(number, known.reads), reads, known.reads)):
            made[view.output_path] = known
            carry.append(view.output_path)
        else:
            render.append(number)
            if reporter.verbose:
                reporter.rebuilt(view.output_path, why_rendered(known, can_carry, view.template in same_templates))
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
            and output_folder_times(output, options, [*made, *static_records, *makers]) == previous.folders):
        index.output, index.folders, index.spare = identity, previous.folders, previous.spare
        sources_unchanged = index.sources == previous.sources
        session.remember(cache, options.output_dir, index if not sources_unchanged else previous,
                         persist=not options.no_cache and not sources_unchanged, held=held)
        keep_stamp(scan, options, cache, index, until, now, page_count(views), len(site.articles), warnings,
                   site.left_out)
        return BuildResult(page_count(views), len(site.articles), time.perf_counter() - started, options.output_dir,
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
            carry = [path for path in carry if not same_page(spare.pages.get(path), made[path])]
        rendered, page_problems = render_pages(session.pool, setup, render, carry, made, commons, reads, light,
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
                output.write(path, made_file(path, make))
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
    identity_kept = folder_identity(spare_path) if spare_kept else None
    index.spare = Spare(identity_kept, previous.pages, previous.static, previous.generated,
                        previous.folders) if identity_kept else None
    written = [*made, *static_records, *makers]  # made: with the new pages
    if not spare_kept and not options.no_cache:
        if (options.preview or not previous.env_key) and output.keep_copy(spare_path, written,
                                                                           partial(link_in_workers, session.pool, setup)):
            # A preview's first build, and the first build with this cache, keep a linked copy of the output, so that
            # the first edit updates that copy in place instead of linking every page into a new folder while the
            # writer waits.
            identity_kept = folder_identity(spare_path)
            copied = folder_times(spare_path, folders_of(written))
            index.spare = (Spare(identity_kept, made, static_records, dict(index.generated), copied) if identity_kept
                           else None)
        else:
            # The output went missing since the last build (a CI machine keeps the cache, not the output): a copy
            # would not be used, and an old one is of no use now.
            cache.drop_spare(options.output_dir)
    # The output updated in place keeps the times its folders had when it was the output, but where it changed.
    index.folders = output_folder_times(output, options, written, spare.folders if spare else None, touched)
    session.remember(cache, options.output_dir, index, persist=not options.no_cache, held=held)
    keep_stamp(scan, options, cache, index, until, now, page_count(views), len(site.articles), warnings,
               site.left_out)
    return BuildResult(page_count(views), len(site.articles), time.perf_counter() - started, options.output_dir,
                       config.base_url, warnings, parsed, len(render), site.left_out)


def _unwritable(output_dir: Path, error: OSError) -> SiteError:
    """The output folder (or the staging folder beside it) cannot be written: a full or read-only disk."""
    where = f" ({error.filename})" if error.filename else ""
    return SiteError(Problem(str(output_dir), None, f"cannot be written: {error.strerror or error}{where}"))


