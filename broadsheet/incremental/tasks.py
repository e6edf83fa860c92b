"""What a worker process does: parse an article, render a page, carry unchanged pages over, link a copy.

The parent sends small values (a file name, a page's number); a worker reads article bodies from the cache
folder itself and writes pages through the output module's staging handle, so bodies never travel back to
(or pile up in) the parent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from broadsheet.base.errors import Problem, SiteError, problem_of
from broadsheet.base.model import ArchiveMonth, ArchiveYear, Article, ListPage, ParsedArticle, Section, Site, Term
from broadsheet.incremental.cache import Cache, read_head
from broadsheet.incremental.fingerprints import FIELD_READ, date_state, fields_getter, listed_fields
from broadsheet.incremental.fragments import CompiledTemplates, Fragments
from broadsheet.incremental.sealed import CODE_FINGERPRINT
from broadsheet.stages.config import Config
from broadsheet.stages.images import rewrite_images
from broadsheet.stages.links import resolve_links
from broadsheet.stages.output import Stage, link_files
from broadsheet.stages.theme import StaticFile
from broadsheet.stages.views import View, shared_context, view_context


def library_versions(engine: str) -> bytes:
    """The versions of the libraries that parse and render with this Markdown engine (see Config.markdown): an
    upgrade must not reuse what the old ones made."""
    import jinja2
    import markdown
    import pygments  # type: ignore[import-untyped]  # (the package alone: code blocks import the lexers they need)
    import yaml

    versions = (f"markdown {markdown.__version__} yaml {yaml.__version__} jinja2 {jinja2.__version__} "
                f"pygments {pygments.__version__}")
    if engine == "commonmark":  # (imported only here: a site with the default engine never loads them)
        import markdown_it
        import mdit_py_plugins

        versions += f" markdown-it-py {markdown_it.__version__} mdit-py-plugins {mdit_py_plugins.__version__}"
    return versions.encode()


def env_key(config: Config) -> str:
    """What every article's parse depends on besides its own bytes and path: the code, the libraries and the
    configuration."""
    return hashlib.sha256(CODE_FINGERPRINT + library_versions(config.markdown) + repr(config).encode()).hexdigest()


def parse_key(prefix: str, source: str, data: bytes) -> str:
    """The cache key of one content file's parse."""
    digest = hashlib.sha256(prefix.encode() + b"\0" + source.encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


def load_body(cache: Cache, site_dir: Path, config: Config, env_key: str, source: str, key: str) -> str:
    """An article's body HTML from its cache record. Where the record is gone or damaged (the cache folder was
    pruned or removed since the index was made), the file is parsed again, if its bytes are still those of the key."""
    from broadsheet.stages.content import parse_article

    body = cache.load_body(key)
    if body is None:
        try:
            data = (site_dir / source).read_bytes()
        except FileNotFoundError:
            raise SiteError(Problem(source, None, "was removed while the site was being built", "build again")) from None
        except OSError as error:
            raise SiteError(Problem(source, None, f"cannot be read: {error.strerror}")) from None
        if parse_key(env_key, source, data) != key:
            raise SiteError(Problem(source, None, "changed while the site was being built", "build again"))
        parsed = parse_article(source, data, config)
        cache.store_article(key, parsed)
        body = parsed.body_html
    return body


Maker = Callable[[], bytes]  # what makes the bytes of a file other than a page


@dataclass(frozen=True, slots=True)
class Setup:
    """What every task of one build shares, given once to each worker (inherited when workers are forked after
    the site is ordered, else sent)."""

    site_dir: Path
    config: Config
    env_key: str
    cache_root: Path
    stage: Stage | None = None
    static: Mapping[str, StaticFile] = field(default_factory=dict)
    now: datetime | None = None  # the build's moment
    preview: bool = False
    site: Site | None = None  # the ordered site, for rendering
    views: tuple[View, ...] = ()
    # content file -> its entry in the index: size, time, inode and parse key (for its body in the cache)
    entries: Mapping[str, tuple[int, int, int, str]] = field(default_factory=dict)
    # the templates, configuration, static files and libraries, as one digest: what kept template fragments depend on
    fragments_token: bytes = b""
    # output path -> what makes the bytes of a file other than a page (a feed, a sitemap: see views.news_files), for
    # workers forked with this setup (what makes them is not sent to others)
    makers: Mapping[str, Maker] = field(default_factory=dict)


class PageReads:
    """What the page being rendered read besides its context: "whole_site" (the articles of a section, tag or
    author), "counts" (how many articles one has), "now", and "field:NAME" for each field it read of the articles
    it lists (see TrackedArticle). The tracked values a renderer hands its templates hold it and note into it; the
    renderer empties it before each page."""

    __slots__ = ("names",)

    def __init__(self) -> None:
        self.names: set[str] = set()


class Moment(datetime):
    """The build's moment as templates see it in a worker: any use of it is noted, so that only the pages that
    show it (a preview's "Scheduled" banner) depend on the clock. Every operation is the plain datetime's, after
    noting the read."""

    __slots__ = ("_reads",)
    _reads: PageReads

    @classmethod
    def of(cls, when: datetime, reads: PageReads) -> Moment:
        moment = cls(when.year, when.month, when.day, when.hour, when.minute, when.second, when.microsecond,
                     when.tzinfo, fold=when.fold)
        moment._reads = reads
        return moment

    def __getattribute__(self, name: str) -> Any:
        object.__getattribute__(self, "_reads").names.add("now")
        return super().__getattribute__(name)

    def _plain(self) -> datetime:
        object.__getattribute__(self, "_reads").names.add("now")
        return datetime.combine(datetime.date(self), datetime.timetz(self))

    def __eq__(self, other: object) -> bool:
        return Moment._plain(self) == other

    def __ne__(self, other: object) -> bool:
        return Moment._plain(self) != other

    def __lt__(self, other: datetime) -> bool:  # type: ignore[override]
        return Moment._plain(self) < other

    def __le__(self, other: datetime) -> bool:  # type: ignore[override]
        return Moment._plain(self) <= other

    def __gt__(self, other: datetime) -> bool:  # type: ignore[override]
        return Moment._plain(self) > other

    def __ge__(self, other: datetime) -> bool:  # type: ignore[override]
        return Moment._plain(self) >= other

    def __hash__(self) -> int:
        return hash(Moment._plain(self))

    def __str__(self) -> str:
        return str(Moment._plain(self))

    def __repr__(self) -> str:
        return repr(Moment._plain(self))

    def __format__(self, spec: str) -> str:
        return format(Moment._plain(self), spec)

    def __add__(self, other: timedelta) -> datetime:  # type: ignore[override]
        return Moment._plain(self) + other

    def __radd__(self, other: timedelta) -> datetime:  # type: ignore[override]
        return other + Moment._plain(self)

    def __sub__(self, other: Any) -> Any:
        return Moment._plain(self) - other

    def __rsub__(self, other: datetime) -> timedelta:
        return other - Moment._plain(self)

    def __reduce__(self) -> Any:
        return Moment._plain(self).__reduce__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return Moment._plain(self).__reduce_ex__(protocol)


class TrackedGroup:
    """A section, tag or author as templates see it; reading its `articles` is noted, since the page then shows
    the whole site, and reading its `count`, since the page then shows how many articles each group has (the
    group's own fields, its name and URL, are part of the page's context)."""

    __slots__ = ("_group", "_reads")

    def __init__(self, group: Section | Term, reads: PageReads):
        self._group = group
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        return getattr(self._group, name)

    @property
    def articles(self) -> tuple[Article, ...]:
        """The group's articles, newest first."""
        self._reads.names.add("whole_site")
        return self._group.articles

    @property
    def count(self) -> int:
        """How many articles the group has."""
        self._reads.names.add("counts")
        return len(self._group.articles)


class TrackedYear:
    """A year in the archive's list of all years, as templates see it: its year and URL are part of the page's
    context; reading its months or count is noted as reading the whole site, so that a year's page does not depend
    on the articles of the other years it links to."""

    __slots__ = ("_reads", "_year")

    def __init__(self, year: ArchiveYear, reads: PageReads):
        self._year = year
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        if name not in ("year", "url", "output_path"):
            self._reads.names.add("whole_site")
        return getattr(self._year, name)


_ARTICLE_FIELDS = frozenset(f.name for f in dataclasses.fields(Article))


class TrackedArticle:
    """An article in a list, as templates see it: the fields read are noted, so that the page depends on those
    fields of its articles only (a body edit that leaves title, summary and reading time alone re-renders no list).
    Reading anything else of it (a method) makes the page depend on the whole article."""

    __slots__ = ("_article", "_reads")

    def __init__(self, article: Article, reads: PageReads):
        self._article = article
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        self._reads.names.add(FIELD_READ + "*")  # (the fields are properties, below)
        return getattr(self._article, name)


def _field_reader(name: str) -> property:
    read, get = FIELD_READ + name, operator.attrgetter(name)

    def field(self: TrackedArticle) -> Any:
        self._reads.names.add(read)
        return get(self._article)
    return property(field)


for _field in _ARTICLE_FIELDS:  # found by plain lookup: cheaper than __getattr__, and a list shows thousands
    setattr(TrackedArticle, _field, _field_reader(_field))


def _listed(articles: tuple[Article, ...], reads: PageReads) -> tuple[Article, ...]:
    """The articles as a list's template sees them: each behind a TrackedArticle, which templates read alike."""
    return cast(tuple[Article, ...], tuple(TrackedArticle(article, reads) for article in articles))


@dataclass
class KeptRenders:
    """What renders keep for the next build in the same process: each archive month with its articles tracked, by
    the month's id (one object for one month, in every page and build, which the archive template's fragments are
    kept by), the template fragments themselves (see templates.FragmentCache), and the reads its tracked values note
    (the months' articles among them). A session holds one for its builds; it holds the site's months too, so it
    goes with the session."""

    months: dict[int, tuple[ArchiveMonth, ArchiveMonth]] = field(default_factory=dict)
    fragments: Fragments | None = None  # made by the first render
    compiled: CompiledTemplates = field(default_factory=CompiledTemplates)
    reads: PageReads = field(default_factory=PageReads)
    _months_listed: dict[int, ArchiveMonth] = field(default_factory=dict)  # each month by its tracked copy's id

    def listed_month(self, month: ArchiveMonth) -> ArchiveMonth:
        """The month with its articles tracked."""
        kept = self.months.get(id(month))  # (the entry holds the month: meanwhile its id names no other object)
        if kept is not None:
            return kept[1]
        listed = dataclasses.replace(month, articles=_listed(month.articles, self.reads))
        self.months[id(month)] = (month, listed)
        self._months_listed[id(listed)] = month
        return listed

    def keep_only(self, archive: tuple[ArchiveYear, ...]) -> None:
        """Forget the months the site being rendered no longer has."""
        self.months = {id(month): kept for year in archive for month in year.months
                       if (kept := self.months.get(id(month))) is not None}
        self._months_listed = {id(listed): month for month, listed in self.months.values()}

    def fragment_digest(self, values: tuple[Any, ...], reads: frozenset[str]) -> bytes | None:
        """The digest of a template fragment's values by their contents, their articles standing for the fields
        the fragment read of them (see fragments.Fragments); None for values other than plain data, archive months
        and listed articles."""
        fields = listed_fields(reads)
        if fields is None:
            return None
        names = sorted(fields)
        state = _article_state(names)
        plain: list[Any] = [names]
        for value in values:
            # (An article or month not tracked, outside a list, has no reads noted: it cannot be told by them.)
            if type(value) is TrackedArticle:
                plain.append(state(value._article))
            elif type(value) is ArchiveMonth and id(value) in self._months_listed:
                month = self._months_listed[id(value)]
                plain.append((month.year, month.month, list(map(state, month.articles))))
            elif value is None or type(value) in (str, int, float, bool):
                plain.append(value)
            else:
                return None
        try:
            return hashlib.blake2b(marshal.dumps(plain, 2), digest_size=20).digest()
        except ValueError:  # a field marshal cannot write (a date in `meta`, say): not told by its contents
            return None


_DATE_FIELDS = frozenset({"date", "updated", "expires"})  # (another kind marshal cannot write gives no digest)


def _article_state(names: list[str]) -> Callable[[Article], Any]:
    """A function giving the values of these fields of an article as marshal writes them (a date as
    fingerprints.date_state), made in C but for the dates: an archive has thousands of articles."""
    get = fields_getter(names)
    dated = [place for place, name in enumerate(names) if name in _DATE_FIELDS]
    if not dated:
        return get

    def state(article: Article) -> list[Any]:
        values = list(get(article))
        for place in dated:
            if (when := values[place]) is not None:
                values[place] = date_state(when)
        return values
    return state


def _tracked(value: Any, kept: KeptRenders, listed: bool = False) -> Any:
    """A context value with its sections, tags and authors tracked (see TrackedGroup), and with `listed`, the
    articles it lists too (see TrackedArticle; an archive's months as `kept` has them), noting into kept.reads."""
    reads = kept.reads
    if isinstance(value, (Section, Term)):
        return TrackedGroup(value, reads)
    if isinstance(value, ListPage):
        return dataclasses.replace(value, section=_tracked(value.section, kept), term=_tracked(value.term, kept),
                                   articles=_listed(value.articles, reads) if listed else value.articles)
    if listed and isinstance(value, ArchiveYear):
        return dataclasses.replace(value, months=tuple(map(kept.listed_month, value.months)))
    if isinstance(value, tuple) and value:
        if isinstance(value[0], (Section, Term)):
            return tuple(TrackedGroup(group, reads) for group in value)
        if listed and isinstance(value[0], Article):
            return _listed(value, reads)
        if listed and isinstance(value[0], ArchiveYear):
            return tuple(_tracked(year, kept, listed) for year in value)
    return value


class Renderer:
    """Renders the views of one build into its staging folder: in a worker, or in the build's own process when
    only a few pages changed."""

    def __init__(self, setup: Setup, kept: KeptRenders):
        from broadsheet.stages.templates import make_environment

        assert setup.now is not None and setup.site is not None
        self.setup = setup
        self.cache = Cache(setup.cache_root)
        self.kept = kept
        self.kept.keep_only(setup.site.archive)
        if self.kept.fragments is None:  # (a preview's fragments live in its process, a build's in its cache too)
            self.kept.fragments = Fragments(None if setup.preview else setup.cache_root, self.kept.fragment_digest)
        self.reads = self.kept.reads
        self.env = make_environment(setup.site_dir, setup.config, setup.static, Moment.of(setup.now, self.reads),
                                    setup.preview, (self.kept.fragments, self.reads, setup.fragments_token),
                                    self.kept.compiled)
        self.shared = {name: _tracked(value, self.kept)
                       for name, value in shared_context(setup.site, setup.config).items()}
        self.preview_now = setup.now if setup.preview else None

    def body(self, source: str) -> str:
        """An article's body HTML from the cache, its links to other content files resolved."""
        setup = self.setup
        body = load_body(self.cache, setup.site_dir, setup.config, setup.env_key, source, setup.entries[source][3])
        urls = setup.site.urls  # type: ignore[union-attr]
        body = resolve_links(body, urls, titles=setup.site.titles)  # type: ignore[union-attr]
        # Images: <img> of processed images get their sizes and copies (see broadsheet.images).
        return rewrite_images(body, setup.static, setup.config, urls.get(source)) if "<img" in body else body

    def render(self, index: int) -> frozenset[str]:
        """Render views[index] into the staging folder; return what it read besides its context (see PageReads)."""
        from broadsheet.stages.templates import render_page

        setup = self.setup
        view = setup.views[index]
        assert setup.site is not None and setup.stage is not None
        reads = self.reads
        reads.names = set()
        context = view_context(setup.site, setup.config, view, self.body, self.preview_now)
        listed = not view.page_type.whole_articles
        full = {**self.shared, **{name: tuple(TrackedYear(year, reads) for year in value) if name == "all_years"
                                  else _tracked(value, self.kept, listed) for name, value in context.items()}}
        setup.stage.write(view.output_path, render_page(self.env, view.template, full, setup.site_dir), view.label)
        return frozenset(reads.names)


def made_file(path: str, make: Maker) -> bytes:
    """The bytes of a feed, sitemap or other file Broadsheet makes itself; an unforeseen failure is a problem of that
    file, as a page's is."""
    try:
        return make()
    except SiteError:
        raise
    except Exception as error:
        raise SiteError(problem_of(path, error)) from None


class WorkerTasks:
    """What a worker process runs (see handle), with what it keeps from one task to the next: the renderer of the
    build being rendered, and what renders keep for the next build (see KeptRenders)."""

    def __init__(self) -> None:
        self.renderer: Renderer | None = None
        self.kept = KeptRenders()

    def __call__(self, setup: Setup, payload: tuple[Any, ...]) -> Any:
        """Run one task."""
        if payload[0] == "render":
            if self.renderer is None or self.renderer.setup is not setup:
                self.renderer = Renderer(setup, self.kept)
            return self.renderer.render(payload[1])
        return handle(setup, payload)


def start_worker() -> WorkerTasks:
    """What a new worker does first, while the build's own process loads its index, rather than when the first
    changed file arrives: import the parser (Markdown, YAML) and make its Markdown renderers. Returns what runs its
    tasks."""
    from broadsheet.stages.markup import renderer

    for raw_html in (True, False):
        renderer(raw_html)
    return WorkerTasks()


def handle(setup: Setup, payload: tuple[Any, ...]) -> Any:
    """Run one task that keeps nothing between tasks (all but rendering, see WorkerTasks): in a worker, or in the
    build's own process."""
    kind = payload[0]
    if kind == "parse":
        return _parse(setup, payload[1])
    if kind == "make":
        assert setup.stage is not None
        path = payload[1]
        setup.stage.write(path, made_file(path, setup.makers[path]))
        return None
    if kind == "carry":
        assert setup.stage is not None
        return [path for path in payload[1] if not setup.stage.carry(path)]
    if kind == "link":
        return link_files(*payload[1:])
    if kind in ("image", "card"):  # Images: see broadsheet.images.run_task
        from broadsheet.stages.images import run_task

        return run_task(payload)
    raise ValueError(f"unknown task {kind!r}")


def _parse(setup: Setup, source: str) -> tuple[str, bytes | ParsedArticle] | None:
    """Parse a content file, or take its parse from the cache; store new parses. Returns its parse key and its
    record's head (see cache.read_head): the body stays in the cache until its page is rendered (the head itself,
    without its body, for an article that the cache cannot hold). None for a file removed since the build listed
    it: it is gone, as if removed just before the build."""
    from broadsheet.stages.content import parse_article

    try:
        data = (setup.site_dir / source).read_bytes()
    except FileNotFoundError:
        return None
    key = parse_key(setup.env_key, source, data)
    cache = Cache(setup.cache_root)
    head = cache.load_head(key)  # (the key names the file's path as well as its bytes)
    if head is None or read_head(head) is None:  # (the parent reads it as sound: a record that is not is replaced)
        parsed = parse_article(source, data, setup.config)
        head = cache.store_article(key, parsed)
        if head is None:
            return key, dataclasses.replace(parsed, body_html="")
    return key, head
