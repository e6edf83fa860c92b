"""`broadsheet check`: validate the whole site as a build would see it, without writing anything."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from broadsheet.build import check_images, check_static_names, output_claims, parse_sources, resolve_now
from broadsheet.config import Config, load_config
from broadsheet.content import CONTENT_DIR
from broadsheet.errors import Problem, SiteError, problem_of
from broadsheet.markup import MORE_MARKER
from broadsheet.model import Article, ParsedArticle
from broadsheet.options import BuildOptions
from broadsheet.output import find_collisions
from broadsheet.progress import Reporter
from broadsheet.site import is_published, order_site
from broadsheet.slugs import slugify
from broadsheet.templates import make_environment, render_page
from broadsheet.theme import TEMPLATES_DIR, bundle_static, collect_static, published_static
from broadsheet.views import body_html, news_files, shared_context, site_views, view_context
from broadsheet.warning_kinds import kind_of, switched_on

GROUP_FROM = 4  # this many warnings of one kind or more are printed as one line (all of them with --verbose)
# How a group of warnings of a kind is told: "3,025 articles have no summary written by a person".
GROUPED = {"missing_summary": "articles have no summary written by a person",
           "empty_alt_text": "images have empty alt text",
           "link_to_unpublished": "links point to unpublished articles",
           "link_to_missing_file": "links point to content files that do not exist",
           "unknown_front_matter_key": "front-matter keys look like typos",
           "removed_characters": "bodies had characters XML does not allow removed",
           "comma_separated_tags": "tag lists were written as one string with commas"}

# Attributes that point at another file of the site.
_LINK_ATTRIBUTES = {"a": "href", "img": "src", "link": "href", "script": "src", "source": "src", "iframe": "src",
                    "video": "src", "audio": "src"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What `broadsheet check` found: errors and warnings, in file order."""

    problems: tuple[Problem, ...]
    pages: int
    silenced: int = 0  # warnings of kinds site.yaml turns off (`warnings:`), not listed

    @property
    def errors(self) -> int:
        """How many problems are errors."""
        return sum(not p.warning for p in self.problems)

    @property
    def warnings(self) -> int:
        """How many problems are warnings."""
        return sum(p.warning for p in self.problems)


@dataclass(frozen=True, slots=True)
class PageRefs:
    """What one rendered page points at."""

    links: tuple[tuple[str, str], ...]  # (tag, URL as written)
    images_without_alt: tuple[str, ...]  # src of <img> with no alt attribute
    images_with_empty_alt: tuple[str, ...]


class _RefCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.no_alt: list[str] = []
        self.empty_alt: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        name = _LINK_ATTRIBUTES.get(tag)
        target = values.get(name) if name else None
        if target is not None:
            self.links.append((tag, target))
        if tag == "img":
            alt = values.get("alt")
            if "alt" not in values:
                self.no_alt.append(values.get("src") or "")
            elif not (alt or "").strip() and values.get("role") != "presentation":
                self.empty_alt.append(values.get("src") or "")


def page_refs(html: str) -> PageRefs:
    """The links, images and image alt texts of a rendered page."""
    collector = _RefCollector()
    collector.feed(html)
    collector.close()
    return PageRefs(tuple(collector.links), tuple(collector.no_alt), tuple(collector.empty_alt))


def internal_target(url: str, page_url: str, config: Config) -> str | None:
    """The output path a link on the page at `page_url` points to, or None for links that leave the site."""
    parts = urlsplit(url.strip())
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.netloc and f"{parts.scheme or urlsplit(config.origin).scheme}://{parts.netloc}" != config.origin:
        return None
    if not parts.path:
        return None  # "#top" or "?q=": the page itself
    path = posixpath.normpath(posixpath.join(posixpath.dirname(page_url), unquote(parts.path)))
    path += "/" if parts.path.endswith("/") and not path.endswith("/") else ""
    if not path.startswith(config.base_path) and path + "/" != config.base_path:
        return None  # elsewhere on the same host: not ours to check
    relative = path[len(config.base_path):] if path.startswith(config.base_path) else ""
    return relative + "index.html" if relative.endswith("/") or not relative else relative


def _exists(target: str, outputs: set[str]) -> bool:
    return target in outputs or f"{target}/index.html" in outputs


def _line_of(text: str, needle: str, default: int) -> int:
    index = text.find(needle) if needle else -1
    return text.count("\n", 0, index) + 1 if index >= 0 else default


class _Sources:
    """Site files read on demand, to point problems at a line."""

    def __init__(self, site_dir: Path):
        self.site_dir = site_dir
        self._texts: dict[str, str] = {}

    def text(self, path: str) -> str:
        if path not in self._texts:
            try:
                raw = (self.site_dir / path).read_text(encoding="utf-8-sig", errors="replace")
                self._texts[path] = raw.replace("\r\n", "\n").replace("\r", "\n")
            except OSError:
                self._texts[path] = ""
        return self._texts[path]

    def line(self, path: str, needle: str, default: int = 1) -> int:
        return _line_of(self.text(path), needle, default)


def _owner(output_path: str, template: str, by_output: dict[str, Article]) -> str:
    """The file to blame for what a page contains: the article's source, else the page's template."""
    article = by_output.get(output_path)
    return article.source if article else f"{TEMPLATES_DIR}/{template}"


def _written_link(url: str, page_url: str) -> list[str]:
    """Ways a link may have been written in Markdown, for finding its line."""
    relative = posixpath.relpath(url, posixpath.dirname(page_url)) if url.startswith("/") else url
    return [url, relative, url.rstrip("/")]


def check_pages(rendered: Iterable[tuple[str, str, str]], outputs: set[str], hidden: list[Article],
                by_output: dict[str, Article], config: Config, sources: _Sources,
                failed: Mapping[str, str] | None = None) -> list[Problem]:
    """Broken internal links, missing images, missing alt text and unpublished articles named in pages. `failed`:
    the content files that could not be read, by the slug of their name, to point a broken link at one of them
    (see _failed_by_slug)."""
    problems: list[Problem] = []
    hidden_urls = {a.url: a for a in hidden}
    hidden_outputs = {a.output_path for a in hidden}
    leak = re.compile("(?:" + "|".join(re.escape(u) for u in sorted(hidden_urls)) + r")(?=[\"'<#?\s])") \
        if hidden_urls else None
    for output_path, template, html in rendered:
        owner = _owner(output_path, template, by_output)
        page_url = config.base_path + output_path.removesuffix("index.html")

        def line_of(url: str, owner: str = owner, page_url: str = page_url) -> int:
            return next((n for n in (sources.line(owner, w, 0) for w in _written_link(url, page_url)) if n), 1)

        for found in sorted(set(leak.findall(html))) if leak else ():
            draft = hidden_urls[found]
            problems.append(Problem(owner, line_of(found), f"/{output_path} links to {found}, which is not published "
                                    f"({draft.source} is {_why_hidden(draft)})", "remove the link or publish it"))
        if not output_path.endswith((".html", ".htm")):
            continue
        refs = page_refs(html)
        for tag, url in refs.links:
            target = internal_target(url, page_url, config)
            if target is None or _exists(target, outputs) or target in hidden_outputs:
                continue
            message = f"missing image {url}" if tag == "img" else f"broken link to {url}"
            problems.append(Problem(owner, line_of(url), f"{message} (on /{output_path}: not in the site)",
                                    _broken_link_hint(target, failed or {})))
        for src in refs.images_without_alt:
            problems.append(Problem(owner, line_of(src), f"image {src} has no alt text (on /{output_path})",
                                    "describe it: ![what the image shows](path)"))
        for src in refs.images_with_empty_alt:
            problems.append(Problem(owner, line_of(src), f"image {src} has empty alt text (on /{output_path})",
                                    "describe it unless it is purely decorative", warning=True))
    return problems


def _broken_link_hint(target: str, failed: Mapping[str, str]) -> str:
    """What to do about a link to `target` (an output path) that is not in the site."""
    source = failed.get(target.removesuffix("index.html").rstrip("/").rpartition("/")[2])
    if source is not None:
        return f"{source} has errors, so its page is missing: fix it first"
    return "check the path; static files are published at their path under static/"


def _failed_by_slug(problems: Iterable[Problem]) -> dict[str, str]:
    """The content files with errors, by the slug their name would give them (a link to one of them is broken
    because it failed, most likely)."""
    return {slugify(problem.path.rpartition("/")[2].rpartition(".")[0]): problem.path for problem in problems
            if not problem.warning and problem.path.startswith(CONTENT_DIR + "/")}


def _why_hidden(article: Article) -> str:
    return "a draft" if article.draft else "scheduled for later or expired"


def summary_warnings(parsed: list[ParsedArticle], sources: _Sources) -> list[Problem]:
    """Articles whose summary was made by machine: no `summary:` and no `<!--more-->` line."""
    problems = []
    for item in parsed:
        article = item.article
        if article.kind == "article" and not article.summary_is_written and \
                not MORE_MARKER.search(sources.text(article.source)):
            problems.append(Problem(article.source, 1, "has no summary written by a person",
                                    "add 'summary:' to the front matter, or a <!--more--> line after the lead",
                                    warning=True))
    return problems


def check(options: BuildOptions, reporter: Reporter | None = None) -> CheckResult:
    """Validate the site as a build with these options would see it; nothing is written. `reporter` is told of the
    work as it goes (see broadsheet.progress)."""
    reporter = reporter or Reporter()
    site_dir = options.site_dir
    config = load_config(site_dir, options.base_url, options.origin)
    now = resolve_now(options.now, config)
    sources = _Sources(site_dir)
    # As the build does, carry on past problems with what did work, to list every problem at once.
    parsed, problems = parse_sources(site_dir, config, reporter)
    warnings: list[Problem] = [w for p in parsed for w in p.warnings] + summary_warnings(parsed, sources)
    articles = [p.article for p in parsed]
    try:
        site = order_site(articles, config, now, options.drafts, options.future,
                          lines={p.article.source: p.lines for p in parsed if p.lines})
    except SiteError as error:
        problems += error.problems
        clashing = {problem.path for problem in error.problems}
        site = order_site([a for a in articles if a.source not in clashing], config, now, options.drafts,
                          options.future)
    # Links to the pages of files that failed to parse are broken all the same: reported, naming the file.
    failed = _failed_by_slug(problems)
    static = collect_static(site_dir)
    static.update(bundle_static(site_dir, (*site.articles, *site.pages)))
    bodies = {p.article.source: p.body_html for p in parsed}
    generated = [path for path, _, _ in news_files(site, config, options, now, lambda a: bodies[a.source])]
    views = site_views(site, config)
    problems += check_images(parsed, static) + find_collisions(output_claims(views, static, generated))
    problems += check_static_names(static)
    env = make_environment(site_dir, config, static, now, preview=options.preview)
    shared = shared_context(site, config)
    warnings += site.warnings
    rendered: list[tuple[str, str, str]] = []
    reporter.step("check", len(views))
    for view in views:
        reporter.done(view.output_path)
        output_path, template = view.output_path, view.template
        context = view_context(site, config, view, lambda source: body_html(site, bodies[source]))
        try:
            html = render_page(env, template, {**shared, **context}, site_dir).decode("utf-8")
        except SiteError as error:
            problems.extend(p for p in error.problems if p not in problems)
            continue
        except Exception as error:  # unforeseen: a problem of this page; the others are still checked
            problems.append(problem_of(view.label, error))
            continue
        rendered.append((output_path, template, html))
    outputs = {path for path, _, _ in rendered} | {path for path, _, _ in published_static(static)}
    outputs |= set(generated)
    hidden = [a for a in articles if not is_published(a, now, options.drafts, options.future)]
    by_output = {a.output_path: a for a in (*site.articles, *site.pages)}
    problems += check_pages(rendered, outputs, hidden, by_output, config, sources, failed)
    for article in hidden:
        if article.output_path in outputs and article.output_path not in by_output:
            problems.append(Problem(article.source, 1, f"is not published but /{article.output_path} is written"))
    found = sorted(dict.fromkeys([*problems, *warnings]), key=lambda p: (p.path, p.line or 0, p.message))
    shown = switched_on(found, config.warnings)
    return CheckResult(tuple(shown), len(rendered), len(found) - len(shown))


def problem_line(problem: Problem) -> str:
    """A problem as `check --verbose` prints it: as the build does, with the name of its kind."""
    return f"{problem} [{kind_of(problem.message, problem.warning)}]"


def grouped_lines(problems: Iterable[Problem]) -> Iterator[str]:
    """The lines check prints: each problem as the build does, but repeated warnings of one kind as one line naming
    the kind and the first."""
    problems = list(problems)
    counts: dict[str, int] = {}
    for problem in problems:
        if problem.warning:
            kind = kind_of(problem.message, True)
            counts[kind] = counts.get(kind, 0) + 1
    told: set[str] = set()
    for problem in problems:
        kind = kind_of(problem.message, problem.warning)
        if not problem.warning or counts[kind] < GROUP_FROM:
            yield str(problem)
        elif kind not in told:
            told.add(kind)
            what = GROUPED.get(kind, f"warnings of kind {kind}")
            first = f"{problem.path}:{problem.line}" if problem.line else problem.path
            yield (f"warning: {counts[kind]:,} {what} [{kind}]; first: {first}"
                   + (f" ({problem.hint})" if problem.hint else "")
                   + f"; all with --verbose, none with 'warnings: {{{kind}: false}}' in site.yaml")


def json_lines(problems: Iterable[Problem]) -> Iterator[str]:
    """One JSON object per problem (JSON Lines), for CI: path, line, kind, severity, message, hint."""
    for problem in problems:
        yield json.dumps({"path": problem.path, "line": problem.line, "kind": kind_of(problem.message, problem.warning),
                          "severity": "warning" if problem.warning else "error", "message": problem.message,
                          "hint": problem.hint}, ensure_ascii=False)

