"""The incremental layer's one interface to the recipe: IncrementalBuild, what the previous build left that this
one can reuse, asked step by step by pipeline/build.py, and what this build made, kept for the next. With
--no-cache it reuses nothing: an empty cache, no held site, no output to carry pages from; the recipe is the same.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.model import Article, ParsedArticle, Site
from broadsheet.base.options import BuildOptions
from broadsheet.base.progress import Reporter
from broadsheet.base.warning_kinds import switched_on
from broadsheet.incremental import stamp
from broadsheet.incremental.cache import PageRecord, Spare
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
from broadsheet.incremental.render import link_in_workers, render_pages, run_images, why_rendered
from broadsheet.incremental.sealed import CODE_FINGERPRINT
from broadsheet.incremental.session import PRUNE_AFTER, STALE_LIMIT, BuildSession, HeldSite, keeps_ordered, kept_site
from broadsheet.incremental.sources import (
    changed_articles,
    gather_articles,
    in_source_order,
    scanned_sources,
    watched_sources,
)
from broadsheet.incremental.tasks import Setup, library_versions, load_body
from broadsheet.stages.config import Config
from broadsheet.stages.images import image_digest
from broadsheet.stages.output import OutputFolder, folder_times, folders_of
from broadsheet.stages.search import index_key, index_site
from broadsheet.stages.search import remember as remember_search
from broadsheet.stages.taxonomy import RelatedRanks
from broadsheet.stages.theme import TEMPLATES_DIR, StaticFile, default_theme_dir, published_static
from broadsheet.stages.views import View, scheduled_articles, shared_context, view_inputs, views_showing

_TEMPLATE = operator.attrgetter("template")
GeneratedFile = tuple[str, object, Callable[[], bytes]]  # see views.news_files


@dataclass(slots=True)
class PagePlan:
    """Which pages a build renders and which it carries over from the current output, with the records of all of
    them, and the other files it writes (feeds, sitemaps...) by path."""

    render: list[int]  # views, by number
    carry: list[str]  # output paths
    records: dict[str, PageRecord]
    makers: dict[str, Callable[[], bytes]]
    static_records: dict[str, tuple[str, int, int]]
    commons: dict[str, bytes] = field(default_factory=dict)  # by template: what every page made with it depends on
    reads: dict[str, bytes] = field(default_factory=dict)  # the digests of what a page may read besides its context
    fragments_token: bytes = b""
    nothing_to_write: bool = False


class IncrementalBuild:
    """One build, as the incremental layer sees it. The recipe asks it, step by step, for what it can reuse: the
    articles' parses (gather_articles), the ordered site (reusable_site), the pages and sitemap (reusable_views,
    reusable_sitemap), which pages to render and carry (plan_pages); it writes through it (write), which keeps what
    the build made for the next one (its index, the held site, the stamp, the spare output)."""

    def __init__(self, session: BuildSession, options: BuildOptions, config: Config, now: datetime,
                 scan: stamp.Scan | None, reporter: Reporter):
        self.session, self.options, self.config, self.now, self.scan = session, options, config, now, scan
        self.reporter = reporter  # told of the work as it goes (see base.progress)
        session.retain(self)
        session.pool.start()  # a worker for the files that changed, ready by the time the index is loaded
        self.cache = session.cache(options)
        self.previous = session.previous(self.cache, options.output_dir)
        self.problems: dict[Problem, None] = {}
        self.steady: HeldSite | None = None  # the held site, when this build patched it
        self.patched: dict[str, Article] = {}  # the articles patched into it
        self.keyed: list[tuple[str, ParsedArticle]] = []  # every article's (parse key, record), when ordered afresh

    def gather_articles(self) -> int:
        """Every content file's parse: taken from the previous build or the cache where the file is unchanged, else
        parsed in the workers; returns how many were parsed. A file that fails is a problem (see `problems`)."""
        options, previous = self.options, self.previous
        changes = self.session.changes(self.cache, options.output_dir)
        known_files = (watched_sources(options.site_dir, previous, changes) if changes is not None
                       else scanned_sources(self.scan, previous.sources))
        index, parsed, failures = gather_articles(options.site_dir, self.config, previous, self.session.pool,
                                                  self.cache, self.scan, known_files,
                                                  changes if known_files is not None else None, self.reporter)
        if not previous.env_key:  # a first build: nothing in the cache is old
            index.written = 0
        elif previous.env_key != index.env_key:  # new code or configuration: the old records are garbage, prune now
            index.written = max(PRUNE_AFTER, len(index.sources)) + 1
        else:
            index.written = previous.written + parsed
        self.index, self.failures = index, failures
        self.problems.update(dict.fromkeys(failures))
        index.related = dict(previous.related)
        # (None: the structure may have changed.) A watched build took the files not reported as they were.
        self.edited, self.retitled = changed_articles(previous, index, changes if known_files is not None else None)
        return parsed

    def reusable_site(self) -> Site | None:
        """The site a previous build ordered, patched with the articles edited since, when the edits keep its
        structure and time alone changed nothing; else None (and the recipe orders the site)."""
        options, index, previous, failures = self.options, self.index, self.previous, self.failures
        held = self.session.held_site(self.cache, options) if not failures else None
        # The build the held site is of, and the articles changed since: the previous one, or in a new process an
        # earlier one whose ordered site the cache kept (see BuildSession.keep_ordered). Which pages may differ from
        # the previous build's is told from the articles changed since that build all the same.
        self.ordered_by, since = previous, self.edited
        if held is None and self.edited is not None and not failures and keeps_ordered(options):
            kept = kept_site(self.cache, options, index, self.config)
            if kept is not None:
                held, self.ordered_by = kept
                since = changed_articles(self.ordered_by, index)[0]
        site = patched_site(held, since, index.sources, self.config, self.now, options)
        # The held site's structure: the same pages at the same paths, made of the same articles but the edited ones.
        self.steady = held if site is not None else None
        self.patched = since if self.steady and since else {}
        self.keyed = [] if self.steady else in_source_order(index)  # (a pass over every file: only when ordered)
        return site

    def articles(self) -> Iterable[Article]:
        """Every article parsed, in source order, for ordering the site."""
        return (record.article for _, record in self.keyed)

    def lines(self) -> dict[str, dict[str, int]]:
        """The lines of the front-matter keys later checks name, by source (see ParsedArticle.lines)."""
        return {record.article.source: record.lines for _, record in self.keyed if record.lines}

    def run_images(self, jobs: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, Any]]:
        """Image tasks (see stages.images.publish_images) in the worker pool."""
        index = self.index
        return run_images(self.session.pool, Setup(self.options.site_dir, self.config, index.env_key, self.cache.root),
                          jobs)

    @property
    def related(self) -> dict[bytes, RelatedRanks]:
        """The related-article rankings the previous build kept (see taxonomy.rank_related); ordering the site adds
        to them."""
        return self.index.related

    def warnings(self, site: Site) -> tuple[Problem, ...]:
        """The warnings of the content files and of the site, in the order of their files; with --strict, none:
        they are problems."""
        index = self.index
        if self.steady:
            noted = dict(self.steady.noted)
            for source in self.patched:
                if found := index.articles[index.sources[source][3]].warnings:
                    noted[source] = found
                else:
                    noted.pop(source, None)
        else:
            # A file that failed stands in the site as it last built (see gather_articles), but its warnings then are
            # not this run's: only this run's problems are printed.
            failed = {problem.path for problem in self.failures}
            noted = {r.article.source: r.warnings for _, r in self.keyed
                     if r.warnings and r.article.source not in failed}
        self.noted = noted
        on = self.config.warnings  # (kinds of warning a site turned off: see base.warning_kinds)
        warnings = tuple(switched_on((w for source in sorted(noted) for w in noted[source]), on)
                         + switched_on(site.warnings, on))
        if self.options.strict:
            self.problems.update(dict.fromkeys(replace(w, warning=False) for w in warnings))
            return ()
        return warnings

    def reusable_sitemap(self) -> tuple[tuple[str, datetime | None], ...] | None:
        """The held site's sitemap entries, when no edit changed an article's moment."""
        steady = self.steady
        return steady.sitemap if steady and same_moments(self.ordered_by, self.patched) else None

    def reusable_views(self, static: dict[str, StaticFile]) -> list[View] | None:
        """The held site's pages, when its pages and static files stay: their claims on output paths were checked
        by the build that made them."""
        static_paths = {path for path, _, _ in published_static(static)}
        self.same_claims = self.steady is not None and static_paths == self.previous.static.keys()
        return self.steady.views if self.steady is not None and self.same_claims else None

    def body(self, article: Article) -> str:
        """An article's body HTML, from the cache."""
        index = self.index
        return load_body(self.cache, self.options.site_dir, self.config, index.env_key, article.source,
                         index.sources[article.source][3])

    def articles_to_check(self) -> list[ParsedArticle]:
        """The articles whose lead images are checked: the edited ones when the claims stand, else all."""
        index = self.index
        if self.same_claims:
            return [index.articles[index.sources[source][3]] for source in self.patched]
        return [record for _, record in self.keyed or in_source_order(index)]

    def plan_pages(self, site: Site, views: list[View], sitemap: tuple[tuple[str, datetime | None], ...],
                   static: dict[str, StaticFile], generated: list[GeneratedFile], output: OutputFolder) -> PagePlan:
        """Key every page by everything it shows and decide which to render and which to carry over from the
        current output; key the other files by what they are made from. When nothing changed, the plan says so."""
        options, config, now, index, previous = self.options, self.config, self.now, self.index, self.previous
        steady, patched, session, cache = self.steady, self.patched, self.session, self.cache
        if steady:
            fingerprints = steady.fingerprints.carried((index.sources[source][3], article)
                                                       for source, article in patched.items())
            until = min((m for m in (steady.until, next_change(patched.values(), now)) if m is not None), default=None)
            showing = steady.showing
        else:
            fingerprints = Fingerprints((key, record.article) for key, record in self.keyed)
            until = next_change((r.article for _, r in self.keyed), now)
            showing = views_showing(site, views) if options.preview else None  # (only a preview's next build uses it)
        self.until, self.site, self.views = until, site, views
        self.held = HeldSite(options.drafts, options.future, site, views, sitemap, fingerprints,
                             steady.moment if steady else now, until, showing, self.noted)
        if keeps_ordered(options) and not self.problems and (steady is None or (self.ordered_by is not previous
                                                                               and len(patched) > STALE_LIMIT)):
            session.keep_ordered(cache, options.output_dir, index, self.held)
        # What every page depends on; a body's links to other content files are in each page's own inputs, the
        # templates a page is made with in the key of its template (see `commons`).
        common = combine(CODE_FINGERPRINT, library_versions(config.markdown), repr((config, options.preview)).encode(),
                         fingerprints.of(shared_context(site, config)),
                         fingerprints.of({k: v.output_path for k, v in static.items()}), image_digest(static))
        index.templates, index.template_names = template_digests(
            [options.site_dir / TEMPLATES_DIR, default_theme_dir() / TEMPLATES_DIR], set(map(_TEMPLATE, views)),
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
            unchanged, listing_changed = unchanged_of_steady(previous, index, self.edited or {}, self.retitled, views,
                                                             showing, steady.site if self.ordered_by is previous
                                                             else None, site)
        else:
            unchanged, listing_changed = unchanged_views(previous, index, self.edited, self.retitled, site, views)
        same_reads = {name for name, digest in reads.items() if previous.read_digests.get(name) == digest}
        digests: dict[tuple[int, frozenset[str] | None], bytes] = {}

        def light(number: int, read: frozenset[str] = frozenset()) -> bytes:
            """The digest of a view's inputs; the articles a page lists stand for the fields it read of them."""
            view = views[number]
            fields = None if view.page_type.whole_articles else listed_fields(read)
            digest = digests.get((number, fields))
            if digest is None:
                digest = digests[number, fields] = fingerprints.of(view_inputs(site, config, view, preview_now),
                                                                   fields)
            return digest

        self.light = light
        self.identity = output.identity()
        self.can_carry = can_carry = self.identity is not None and self.identity == previous.output
        self.spare_path = spare_path = cache.spare_path(options.output_dir)
        spare = (previous.spare if can_carry and previous.spare and folder_identity(spare_path) == previous.spare.identity
                 else None)
        if spare is not None and changed_folders(spare_path, spare.folders):
            spare = None  # a file came into or left it since it was made or was the output: its records do not hold
        self.spare = spare
        static_records = {path: (str(f.source), *stat_pair(f.source)) for path, f, _ in published_static(static)}
        made: dict[str, PageRecord] = {}
        render: list[int] = []
        carry: list[str] = []
        for number, view in enumerate(views):
            known = previous.pages.get(view.output_path)
            if can_carry and known and (
                    ((number in unchanged or (number in listing_changed and reads_structure_only(known.reads)))
                     and view.template in same_templates
                     and all(name in same_reads for name in known.reads if name in reads))
                    or known.key == page_key(commons[view.template], light(number, known.reads), reads, known.reads)):
                made[view.output_path] = known
                carry.append(view.output_path)
            else:
                render.append(number)
                if self.reporter.verbose:
                    self.reporter.rebuilt(view.output_path,
                                          why_rendered(known, can_carry, view.template in same_templates))
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
        nothing = (can_carry and not render and not self.problems and made.keys() == previous.pages.keys()
                   and static_records == previous.static and index.generated == previous.generated
                   and output_folder_times(output, options, [*made, *static_records, *makers]) == previous.folders)
        return PagePlan(render, carry, made, makers, static_records, commons, reads, fragments_token, bool(nothing))

    def keep_unchanged(self, plan: PagePlan, pages: int, warnings: tuple[Problem, ...]) -> None:
        """Nothing to write: keep this build's index (when its sources changed) and the stamp."""
        options, index, previous = self.options, self.index, self.previous
        index.output, index.folders, index.spare = self.identity, previous.folders, previous.spare
        sources_unchanged = index.sources == previous.sources
        self.session.remember(self.cache, options.output_dir, index if not sources_unchanged else previous,
                              persist=not options.no_cache and not sources_unchanged, held=self.held)
        keep_stamp(self.scan, options, self.cache, index, self.until, self.now, pages, len(self.site.articles),
                   warnings, self.site.left_out)

    def write(self, plan: PagePlan, output: OutputFolder, static: dict[str, StaticFile],
              warnings: tuple[Problem, ...]) -> list[int]:
        """Render the pages to render and carry the others over into the staging folder (updating the spare
        output in place when it is known), write the other files, and swap it in; returns the views rendered."""
        options, config, index, previous, session = self.options, self.config, self.index, self.previous, self.session
        spare, spare_path, can_carry, views = self.spare, self.spare_path, self.can_carry, self.views
        made, makers, static_records, problems = plan.records, plan.makers, plan.static_records, self.problems
        carry = plan.carry
        try:
            if not output.begin(spare_path if spare else None):
                spare = None
        except OSError as error:
            raise unwritable_output(options.output_dir, error) from None
        try:
            setup = Setup(options.site_dir, config, index.env_key, self.cache.root, output.stage, static, self.now,
                          options.preview, self.site, tuple(views), index.sources, plan.fragments_token)
            if spare is not None:  # pages the earlier output being updated already has as they are now
                carry = [path for path in carry if not same_page(spare.pages.get(path), made[path])]
            touched = [*carry, *config.keep]  # see folder_times
            make = {}
            for path, maker in makers.items():
                if spare is not None and spare.generated.get(path) == index.generated[path]:
                    continue
                touched.append(path)
                if not (can_carry and previous.generated.get(path) == index.generated[path] and output.carry(path)):
                    make[path] = maker
            rendered, page_problems = render_pages(session.pool, setup, plan.render, carry, make, made,
                                                   plan.commons, plan.reads, self.light, session.kept, self.reporter)
            touched += (views[number].output_path for number in rendered)
            problems.update(dict.fromkeys(page_problems))
            if any(not problem.warning for problem in problems):
                raise SiteError([*problems, *warnings])
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
            search_key = index_site(output.stage.root, output.final, self.cache.root, index_key(
                ((path, record.key) for path, record in made.items()), config) if config.search else None)
            # The output being replaced is kept for the next build to update in place, when its files are known.
            spare_kept = output.commit(spare_path if can_carry and not options.no_cache else None)
        except OSError as error:
            output.abort()
            raise unwritable_output(options.output_dir, error) from None
        except BaseException:
            output.abort()
            raise
        index.output = output.identity()
        remember_search(self.cache.root, options.output_dir, search_key)
        identity_kept = folder_identity(spare_path) if spare_kept else None
        index.spare = Spare(identity_kept, previous.pages, previous.static, previous.generated,
                            previous.folders) if identity_kept else None
        written = [*made, *static_records, *makers]  # made: with the new pages
        if not spare_kept and not options.no_cache:
            if (options.preview or not previous.env_key) and output.keep_copy(
                    spare_path, written, partial(link_in_workers, session.pool, setup)):
                # A preview's first build, and the first build with this cache, keep a linked copy of the output, so
                # that the first edit updates that copy in place instead of linking every page into a new folder
                # while the writer waits.
                identity_kept = folder_identity(spare_path)
                copied = folder_times(spare_path, folders_of(written))
                index.spare = (Spare(identity_kept, made, static_records, dict(index.generated), copied)
                               if identity_kept else None)
            else:
                # The output went missing since the last build (a CI machine keeps the cache, not the output): a
                # copy would not be used, and an old one is of no use now.
                self.cache.drop_spare(options.output_dir)
        # The output updated in place keeps the times its folders had when it was the output, but where it changed.
        index.folders = output_folder_times(output, options, written, spare.folders if spare else None, touched)
        session.remember(self.cache, options.output_dir, index, persist=not options.no_cache, held=self.held)
        return rendered

    def keep_stamp(self, pages: int, warnings: tuple[Problem, ...]) -> None:
        """Keep the stamp that lets the next build with nothing changed stop at once."""
        keep_stamp(self.scan, self.options, self.cache, self.index, self.until, self.now, pages,
                   len(self.site.articles), warnings, self.site.left_out)


def unwritable_output(output_dir: Path, error: OSError) -> SiteError:
    """The output folder (or the staging folder beside it) cannot be written: a full or read-only disk."""
    where = f" ({error.filename})" if error.filename else ""
    return SiteError(Problem(str(output_dir), None, f"cannot be written: {error.strerror or error}{where}"))
