"""What a worker process does: parse an article, render a page, carry unchanged pages over.

The parent sends small values; a worker reads article bodies from the cache folder itself and writes pages
through the output module's staging handle, so bodies never travel back to (or pile up in) the parent.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from broadsheet.cache import CODE_FINGERPRINT, Cache
from broadsheet.config import Config
from broadsheet.model import Article, ListPage, ParsedArticle, Section
from broadsheet.output import Stage
from broadsheet.theme import StaticFile


def env_key(config: Config) -> str:
    """What every article's parse depends on besides its own bytes and path: the code and the configuration."""
    return hashlib.sha256(CODE_FINGERPRINT + repr(config).encode()).hexdigest()


def parse_key(prefix: str, source: str, data: bytes) -> str:
    """The cache key of one content file's parse."""
    digest = hashlib.sha256(prefix.encode() + b"\0" + source.encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class BodyRef:
    """Stands for an article's body HTML in a page's context; the worker loads it from the cache."""

    key: str


@dataclass(frozen=True, slots=True)
class SectionRef:
    """A section as sent to workers: its articles by key, loaded only if a template reads them."""

    name: str
    slug: str
    url: str
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Setup:
    """What every task of one build shares, sent once to each worker."""

    site_dir: Path
    config: Config
    env_key: str
    cache_root: Path
    stage: Stage | None = None
    static: Mapping[str, StaticFile] = field(default_factory=dict)
    shared: Mapping[str, Any] = field(default_factory=dict)  # context every page gets (sections, pages)
    now: datetime | None = None  # the build's moment
    preview: bool = False
    urls: Mapping[str, str] = field(default_factory=dict)  # content file -> URL, for links between articles


class _Reads:
    """What the page being rendered read besides its context: "whole_site" (a section's articles), "now"."""

    names: ClassVar[set[str]] = set()


class Moment(datetime):
    """The build's moment as templates see it in a worker: any use of it is noted, so that only the pages that
    show it (a preview's "Scheduled" banner) depend on the clock."""

    @classmethod
    def of(cls, when: datetime) -> Moment:
        return cls(when.year, when.month, when.day, when.hour, when.minute, when.second, when.microsecond,
                   when.tzinfo, fold=when.fold)

    def __getattribute__(self, name: str) -> Any:
        _Reads.names.add("now")
        return super().__getattribute__(name)

    def _plain(self) -> datetime:
        _Reads.names.add("now")
        return datetime.combine(datetime.date(self), datetime.timetz(self))


for _name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__str__", "__repr__",
              "__format__", "__add__", "__radd__", "__sub__", "__rsub__", "__reduce__", "__reduce_ex__"):
    setattr(Moment, _name, lambda self, *args, _name=_name: getattr(Moment._plain(self), _name)(*args))


class LazySection:
    """A section as templates see it in a worker; reading `articles` loads them and is noted."""

    __slots__ = ("_articles", "_cache", "_light", "_ref")

    def __init__(self, ref: SectionRef, cache: Cache):
        self._ref, self._cache = ref, cache
        self._light = Section(ref.name, ref.slug, ref.url, ())  # the section without its articles
        self._articles: tuple[Article, ...] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._light, name)

    @property
    def articles(self) -> tuple[Article, ...]:
        """The section's articles, newest first."""
        _Reads.names.add("whole_site")
        if self._articles is None:
            loaded = [self._cache.load_article(key) for key in self._ref.keys]
            if any(p is None for p in loaded):
                raise RuntimeError("an article record vanished from the cache during the build")
            self._articles = tuple(p.article for p in loaded if p is not None)
        return self._articles


class _WorkerState:
    """Per-process values made once per build: the cache, the Jinja environment, the shared context."""

    def __init__(self, setup: Setup):
        self.setup = setup
        self.cache = Cache(setup.cache_root)
        self.env: Any = None
        self.shared: dict[str, Any] = {}


_state: _WorkerState | None = None


def _prepare(setup: Setup) -> _WorkerState:
    global _state
    if _state is None or _state.setup is not setup:
        _state = _WorkerState(setup)
    return _state


def _materialize(value: Any, state: _WorkerState) -> Any:
    """Turn the parent's stand-ins (BodyRef, SectionRef) back into what templates expect."""
    if isinstance(value, BodyRef):
        from broadsheet.links import resolve_links

        parsed = state.cache.load_article(value.key)
        if parsed is None:
            raise RuntimeError("an article record vanished from the cache during the build")
        return resolve_links(parsed.body_html, state.setup.urls)
    if isinstance(value, SectionRef):
        return LazySection(value, state.cache)
    if isinstance(value, ListPage) and isinstance(value.section, SectionRef):
        return dataclasses.replace(value, section=LazySection(value.section, state.cache))
    if isinstance(value, tuple) and value and isinstance(value[0], SectionRef):
        return tuple(LazySection(v, state.cache) for v in value)
    return value


def handle(setup: Setup, payload: tuple[Any, ...]) -> Any:
    """Run one task in a worker process."""
    state = _prepare(setup)
    kind = payload[0]
    if kind == "parse":
        return _parse(setup, state, payload[1])
    if kind == "render":
        return _render(setup, state, payload[1], payload[2], payload[3])
    if kind == "carry":
        assert setup.stage is not None
        return [path for path in payload[1] if not setup.stage.carry(path)]
    raise ValueError(f"unknown task {kind!r}")


def _parse(setup: Setup, state: _WorkerState, source: str) -> tuple[str, ParsedArticle]:
    """Parse a content file, or take its parse from the cache; store new parses. Returns the record without its
    body: the body stays in the cache until its page is rendered."""
    from broadsheet.content import parse_article

    data = (setup.site_dir / source).read_bytes()
    key = parse_key(setup.env_key, source, data)
    parsed = state.cache.load_article(key)
    if parsed is None or parsed.article.source != source:
        parsed = parse_article(source, data, setup.config)
        state.cache.store_article(key, parsed)
    return key, dataclasses.replace(parsed, body_html="")


def _render(setup: Setup, state: _WorkerState, output_path: str, template: str,
            context: Mapping[str, Any]) -> frozenset[str]:
    """Render one page into the staging folder; return what it read besides its context (see _Reads)."""
    from broadsheet.templates import make_environment, render_page

    if state.env is None:
        assert setup.now is not None
        state.env = make_environment(setup.site_dir, setup.config, setup.static, Moment.of(setup.now), setup.preview)
        state.shared = {name: _materialize(value, state) for name, value in setup.shared.items()}
    _Reads.names = set()
    full = {**state.shared, **{name: _materialize(value, state) for name, value in context.items()}}
    data = render_page(state.env, template, full, setup.site_dir)
    assert setup.stage is not None
    setup.stage.write(output_path, data)
    return frozenset(_Reads.names)
