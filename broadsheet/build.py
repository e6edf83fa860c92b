"""The build: the only place that knows the order of the pipeline's stages."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from broadsheet.config import CONFIG_FILE, BuildOptions, Config, load_config
from broadsheet.content import CONTENT_DIR, discover_sources, parse_article, parse_date
from broadsheet.errors import Problem, SiteError
from broadsheet.markup import describe
from broadsheet.model import ParsedArticle, Site
from broadsheet.output import OutputFolder, find_collisions
from broadsheet.site import order_site
from broadsheet.templates import make_environment, render_page
from broadsheet.theme import STATIC_DIR, TEMPLATES_DIR, StaticFile, collect_static
from broadsheet.views import article_context, body_html, listing_context, news_files, news_views, shared_context


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a finished build did."""

    pages: int
    articles: int
    seconds: float
    output_dir: Path
    base_url: str  # the address the site was built for
    warnings: tuple[Problem, ...] = ()  # problems that did not stop the build, printed by the CLI

    def summary_line(self) -> str:
        """The one line printed after a build."""
        pages, articles = (f"{n} {word}{'s' * (n != 1)}" for n, word in ((self.pages, "page"), (self.articles, "article")))
        return f"Built {pages} from {articles} in {self.seconds:.2f} s"


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


def load_articles(site_dir: Path, config: Config) -> list[ParsedArticle]:
    """Parse every content file; raise one SiteError listing the problems (and warnings) of all files."""
    parsed, problems = parse_sources(site_dir, config)
    if any(not problem.warning for problem in problems):
        raise SiteError(problems + [w for p in parsed for w in p.warnings])
    return parsed


def parse_sources(site_dir: Path, config: Config) -> tuple[list[ParsedArticle], list[Problem]]:
    """Parse every content file: the files that parsed, and the problems of those that did not."""
    parsed: list[ParsedArticle] = []
    problems: list[Problem] = []
    for source in discover_sources(site_dir):
        try:
            parsed.append(parse_article(source, (site_dir / source).read_bytes(), config))
        except SiteError as error:
            problems.extend(error.problems)
        except OSError as error:
            problems.append(Problem(source, None, f"cannot be read: {error.strerror}"))
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


def output_claims(site: Site, bodies: dict[str, str], config: Config, static: dict[str, StaticFile],
                  generated: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """Every file the build will write, with the file it comes from (a source, a template, a static file);
    `generated` are the feeds, sitemaps and other files made by Broadsheet itself."""
    for output_path, template, context in page_views(site, bodies, config):
        article = context.get("article")
        yield output_path, article.source if article is not None else f"{TEMPLATES_DIR}/{template}"
    for path in generated:
        yield path, f"Broadsheet's own {path}"
    for relative, static_file in static.items():
        yield static_file.output_path, f"{STATIC_DIR}/{relative}"


def page_views(site: Site, bodies: dict[str, str], config: Config,
               preview_now: datetime | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every page of the site as (output path, template, context).

    In a preview build (`preview_now` given) an article dated after that moment has `scheduled` true: decided here,
    so that pages do not read the clock and only an article whose date passes `now` changes between previews.
    """
    for article in site.articles:
        neighbours = site.neighbours[article.source]
        scheduled = preview_now is not None and article.date is not None and article.date > preview_now
        yield article.output_path, "article.html", {
            "scheduled": scheduled,
            "article": replace(article, older=neighbours.older, newer=neighbours.newer),
            "body": body_html(site, bodies[article.source]), "older": neighbours.older,
            "newer": neighbours.newer, "page_title": article.title, "description": article.description,
            "canonical_url": article.permalink, **article_context(site, article, config),
        }
    for page in site.pages:
        yield page.output_path, "page.html", {
            "article": page, "body": body_html(site, bodies[page.source]), "page_title": page.title,
            "description": page.description, "canonical_url": page.permalink, **article_context(site, page, config),
        }
    for listing in site.lists:
        title = listing.title if listing.number == 1 else f"{listing.title} – {config.labels.page} {listing.number}"
        description = config.description if listing.kind == "home" else f"{listing.title}: {config.title}"
        yield listing.output_path, "list.html", {
            "listing": listing, "articles": listing.articles, "page_title": title,
            "description": describe(description), "canonical_url": config.origin + listing.url,
            **listing_context(listing, config),
        }
    yield from news_views(site, config)
    yield "404.html", "404.html", {
        "page_title": config.labels.not_found, "description": "", "canonical_url": None,
    }


def build(options: BuildOptions) -> BuildResult:
    """Build the site into options.output_dir, all or nothing."""
    started = time.perf_counter()
    site_dir = options.site_dir
    check_site_folder(site_dir)
    config = load_config(site_dir, options.base_url, options.origin)
    now = resolve_now(options.now, config)
    check_output_location(site_dir, options.output_dir)
    # On a problem, carry on with what did work, so that one failed build lists every problem at once.
    parsed, failures = parse_sources(site_dir, config)
    problems: dict[Problem, None] = dict.fromkeys(failures)
    try:
        site = order_site((p.article for p in parsed), config, now, options.drafts, options.future)
    except SiteError as error:  # URL collisions: render without the files that claimed a taken URL
        problems.update(dict.fromkeys(error.problems))
        clashing = {problem.path for problem in error.problems}
        site = order_site((p.article for p in parsed if p.article.source not in clashing), config, now,
                          options.drafts, options.future)
    bodies = {p.article.source: p.body_html for p in parsed}
    static = collect_static(site_dir)
    warnings = tuple(w for p in parsed for w in p.warnings) + site.warnings
    if options.strict:
        problems.update(dict.fromkeys(replace(w, warning=False) for w in warnings))
        warnings = ()
    generated = news_files(site, config, options, now, lambda a: bodies[a.source])
    image_problems = check_images(parsed, static) + find_collisions(
        output_claims(site, bodies, config, static, [path for path, _ in generated]))
    problems.update(dict.fromkeys(image_problems))
    if image_problems:
        raise SiteError([*problems, *warnings])
    env = make_environment(site_dir, config, static, now, preview=options.preview)

    output = OutputFolder(options.output_dir, config.keep)
    output.begin()
    try:
        pages = 0
        shared = shared_context(site, config)
        for output_path, template, context in page_views(site, bodies, config, now if options.preview else None):
            try:
                output.write(output_path, render_page(env, template, {**shared, **context}, site_dir))
                pages += 1
            except SiteError as error:
                problems.update(dict.fromkeys(error.problems))
        if any(not problem.warning for problem in problems):
            raise SiteError([*problems, *warnings])
        for output_path, make in generated:
            output.write(output_path, make())
        for relative, static_file in static.items():
            output.copy(static_file.output_path, static_file.source, f"{STATIC_DIR}/{relative}")
        output.commit()
    except BaseException:
        output.abort()
        raise
    return BuildResult(pages, len(site.articles), time.perf_counter() - started, options.output_dir,
                       config.base_url, warnings)


def check_site_folder(site_dir: Path) -> None:
    """Refuse to build a folder that is not a site (a mistyped --site), rather than publish an empty one."""
    if not (site_dir / CONFIG_FILE).is_file() and not (site_dir / CONTENT_DIR).is_dir():
        what = "does not exist" if not site_dir.exists() else f"is not a site: it has no {CONFIG_FILE} and no {CONTENT_DIR}/"
        raise SiteError(Problem(str(site_dir), None, what, "pass --site DIR, or create a site with 'broadsheet init DIR'"))


def check_output_location(site_dir: Path, output_dir: Path) -> None:
    """Refuse an output folder that would swallow the site's own sources."""
    output = output_dir.resolve()
    site = site_dir.resolve()
    sources = [site / name for name in ("content", "templates", "static")]
    if site.is_relative_to(output) or any(output.is_relative_to(folder) for folder in sources):
        raise SiteError(Problem(str(output_dir), None, "the output folder cannot hold or be the site's own sources",
                                "choose a folder such as public/"))
