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
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.model import Article, LeftOut, Site
from broadsheet.base.options import BuildOptions
from broadsheet.base.progress import Reporter, summary_line
from broadsheet.incremental import stamp
from broadsheet.incremental.cache import unwritable
from broadsheet.incremental.layer import IncrementalBuild
from broadsheet.incremental.session import BuildSession as BuildSession  # what the preview server keeps between builds
from broadsheet.pipeline.lock import build_lock
from broadsheet.pipeline.places import cache_folder, check_places
from broadsheet.stages.config import Config, load_config
from broadsheet.stages.content import resolve_now
from broadsheet.stages.images import publish_images
from broadsheet.stages.output import OutputFolder, find_collisions
from broadsheet.stages.site import order_site
from broadsheet.stages.sitemaps import sitemap_pages
from broadsheet.stages.taxonomy import RelatedRanks
from broadsheet.stages.theme import (
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
    site_views,
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
    """The recipe. Each step calls its stage; `layer` (incremental/layer.py) says what the previous build left that
    this one can reuse, and keeps what this one made for the next; `reporter` is told of the work as it goes."""
    started = time.perf_counter()
    # 1. Load the configuration; take the build's moment once.
    config = load_config(options.site_dir, options.base_url, options.origin)
    now = resolve_now(options.now, config)
    output = OutputFolder(options.output_dir, config.keep)
    output.check_replaceable()  # (again before the swap; here, before the cache is written)
    layer = IncrementalBuild(session, options, config, now, scan, reporter)

    # 2. Gather and parse the articles: in the workers, those unchanged since the last build from the layer. On a
    # problem, carry on with what did work, so that one failed build lists every problem at once.
    parsed = layer.gather_articles()

    # 3. Order the site, unless the layer holds one that the edits leave standing (then it is patched).
    site = layer.reusable_site()
    if site is None:
        site, clashes = order_articles(layer.articles(), config, now, options, layer.related, layer.lines())
        layer.problems.update(dict.fromkeys(clashes))
    # The static files: static/'s, page bundles' own files, and the processed images (their variants and the lead
    # images' social cards; processed in the workers, or taken from the cache).
    static = collect_static(options.site_dir)
    static.update(bundle_static(options.site_dir, (*site.articles, *site.pages)))
    static, image_problems = publish_images(static, ((a.image, a.meta.get("image_focus")) for a in
                                                     (*site.articles, *site.pages)), config, layer.cache.root,
                                            layer.run_images)
    layer.problems.update(dict.fromkeys(image_problems))
    warnings = layer.warnings(site)

    # 4. Plan the pages (a view for each page of each page type) and the files around them; check their claims.
    views = layer.reusable_views(static) or site_views(site, config)
    sitemap = layer.reusable_sitemap() or sitemap_pages(site, config)
    static_paths = [path for path, _, _ in published_static(static)]
    # The build-info file lists every file written, for deploy (a preview is never deployed).
    published = None if options.preview else [*map(_OUTPUT_PATH, views), *static_paths]
    generated = news_files(site, config, options, now, layer.body, sitemap, published)
    claim_problems = check_images(layer.articles_to_check(), static)
    if not layer.same_claims:  # (else only the edited articles' images are new)
        claim_problems += find_collisions(output_claims(views, static, [path for path, _, _ in generated]))
        claim_problems += check_static_names(static)
    if claim_problems:
        raise SiteError([*dict.fromkeys([*layer.problems, *claim_problems]), *warnings])
    plan = layer.plan_pages(site, views, sitemap, static, generated, output)
    pages = page_count(views)
    if plan.nothing_to_write:
        layer.keep_unchanged(plan, pages, warnings)
        return BuildResult(pages, len(site.articles), time.perf_counter() - started, options.output_dir,
                           config.base_url, warnings, parsed, 0, site.left_out)

    # 5-7. Render the pages that changed into a staging folder beside the output, carry the others over, write the
    # files around them, and swap it in.
    layer.write(plan, output, static, warnings)
    layer.keep_stamp(pages, warnings)
    return BuildResult(pages, len(site.articles), time.perf_counter() - started, options.output_dir,
                       config.base_url, warnings, parsed, page_count(views[number] for number in plan.render),
                       site.left_out)


def order_articles(articles: Iterable[Article], config: Config, now: datetime, options: BuildOptions,
                   related: dict[bytes, RelatedRanks] | None = None, lines: dict[str, dict[str, int]] | None = None,
                   ) -> tuple[Site, list[Problem]]:
    """Order the site (stages/site.order_site); on URL collisions, order it without the files that claimed a taken
    URL, so that the other pages are still rendered and checked, and return the collisions as problems."""
    articles = list(articles)
    try:
        return order_site(articles, config, now, options.drafts, options.future, related, lines), []
    except SiteError as error:
        clashing = {problem.path for problem in error.problems}
        return order_site([a for a in articles if a.source not in clashing], config, now, options.drafts,
                          options.future, related), list(error.problems)



