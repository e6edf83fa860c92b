"""Rendering pages through the site's Jinja2 templates, over the default theme's."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext
from jinja2 import nodes
from markupsafe import Markup

from broadsheet.config import Config
from broadsheet.errors import Problem, SiteError
from broadsheet.fingerprints import FIELD_READ
from broadsheet.images import image_globals
from broadsheet.metadata import absolute_url, media_url
from broadsheet.slugs import quote_path, slugify
from broadsheet.stamp import seal, unseal, write_atomically
from broadsheet.taxonomy import AUTHORS_PATH, TAGS_PATH
from broadsheet.theme import TEMPLATES_DIR, StaticFile, default_theme_dir

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process, in memory only, as the code objects themselves: the
    preview server's rebuilds compile no template again. (Never on disk: Jinja2 runs what it loads from a bytecode
    cache, and nothing read from the cache folder is ever run.) Each is kept with the checksum of its source, so an
    edited template is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, Any]] = {}  # bucket key: source checksum, code object

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        kept = self._code.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


_COMPILED = _CompiledTemplates()


_FRAGMENTS_KEPT = 8192  # at most this many fragments in a generation: far more than an archive's months
_FRAGMENTS_MAGIC = b"BSF2"
# The digest of a fragment's values, given the names of what it read of them (see tasks.fragment_digest); None
# when the values cannot be told by their contents.
ValuesDigest = Callable[[tuple[Any, ...], frozenset[str]], "bytes | None"]


class Fragments:
    """Rendered template fragments (see FragmentCache), in two generations: a fragment not shown by the last two
    builds that showed any is dropped, so the store holds about one site's worth.

    With a `folder` (a CLI build's cache folder), fragments are also kept there between processes, by the digest
    of their values' contents (`digest`) rather than by the values' ids: the next `broadsheet build` after a new
    title renders that article's month of the archive only, as the preview server does."""

    def __init__(self, folder: Path | None = None, digest: ValuesDigest | None = None) -> None:
        self.token = b""
        self.current: dict[tuple[Any, ...], tuple[tuple[Any, ...], str, frozenset[str]]] = {}
        self.previous: dict[tuple[Any, ...], tuple[tuple[Any, ...], str, frozenset[str]]] = {}
        self._file = folder / "fragments" if folder is not None and digest is not None else None
        self._digest = digest
        self._stored: dict[tuple[str, frozenset[str], bytes], str] | None = None  # read when first needed
        self._reads: dict[str, set[frozenset[str]]] = {}  # of the stored fragments of each place in a template
        self._shown: dict[tuple[str, frozenset[str], bytes], str] = {}  # found or made by this build
        self._made = False

    def begin(self, token: bytes) -> None:
        """A new environment shows fragments: those of other templates or configuration are dropped."""
        if token != self.token:
            self.token, self.current, self._stored, self._shown, self._made = token, {}, None, {}, False
        self.previous, self.current = self.current, {}

    def find(self, key: tuple[Any, ...]) -> tuple[str, frozenset[str]] | None:
        # Keys hold the values' ids, and entries the values: while an entry stands, its ids name those objects.
        kept = self.current.get(key) or self.previous.get(key)
        if kept is None:
            return None
        self.current[key] = kept
        return kept[1], kept[2]

    def keep(self, key: tuple[Any, ...], values: tuple[Any, ...], html: str, reads: frozenset[str]) -> None:
        if len(self.current) < _FRAGMENTS_KEPT:  # (values made anew for every page, say, would fill it)
            self.current[key] = (values, html, reads)

    def find_stored(self, where: str, values: tuple[Any, ...]) -> tuple[str, frozenset[str]] | None:
        """A fragment an earlier process kept in the folder for values of these contents, if any."""
        if self._file is None or self._digest is None:
            return None
        stored = self._read()
        for reads in self._reads.get(where, ()):
            key = (where, reads, self._digest(values, reads))
            html = stored.get(key)  # type: ignore[arg-type]
            if html is not None:
                self._shown[key] = html  # type: ignore[index]
                return Markup(html), reads  # (as rendered: HTML, not text to escape)
        return None

    def store(self, where: str, values: tuple[Any, ...], html: str, reads: frozenset[str]) -> None:
        """Keep a fragment just made for the next process (see save)."""
        if self._file is not None and self._digest is not None and (digest := self._digest(values, reads)):
            self._shown[where, reads, digest] = str(html)  # (a plain string, not Markup)
            self._made = True

    def save(self) -> None:
        """Write the fragments kept for the next process, when this build made any: those it showed, and those kept
        before while they number fewer than _FRAGMENTS_KEPT."""
        if self._file is None or not self._made:
            return
        kept = {**self._read(), **self._shown}
        if len(kept) > _FRAGMENTS_KEPT:
            kept = dict(self._shown)
        rows = [[where, sorted(reads), digest.hex(), html] for (where, reads, digest), html in kept.items()]
        data = json.dumps([self.token.hex(), rows], ensure_ascii=False, separators=(",", ":")).encode()
        write_atomically(self._file, seal(_FRAGMENTS_MAGIC, self._file.name, data))
        self._stored, self._shown, self._made = kept, {}, False
        self._index()

    def _read(self) -> dict[tuple[str, frozenset[str], bytes], str]:
        if self._stored is None:
            self._stored = {}
            if self._file is not None:
                self._stored = _read_fragments(self._file, self.token)
            self._index()
        return self._stored

    def _index(self) -> None:
        self._reads = {}
        for where, reads, _ in self._stored or ():
            self._reads.setdefault(where, set()).add(reads)


def _read_fragments(path: Path, token: bytes) -> dict[tuple[str, frozenset[str], bytes], str]:
    """The fragments kept in the file at path for this token; none when it is missing, damaged or of another."""
    try:
        payload = unseal(_FRAGMENTS_MAGIC, path.name, path.read_bytes())
        if payload is None:
            return {}
        kept_token, rows = json.loads(payload)
        if kept_token != token.hex() or type(rows) is not list:
            return {}
        stored = {}
        for where, reads, digest, html in rows:
            if (type(where) is not str or type(reads) is not list or not all(type(r) is str for r in reads)
                    or type(html) is not str):
                return {}
            stored[where, frozenset(reads), bytes.fromhex(digest)] = html
        return stored
    except (OSError, ValueError, TypeError, RecursionError):  # a miss
        return {}


class FragmentCache(jinja2.ext.Extension):
    """`{% cache value, ... %}...{% endcache %}`: the part of a template between the tags is rendered once for the
    same values (the same objects: the site's values never change in place) and reused after, for as long as the
    templates, the configuration and the static files stay the same. After a title edit, an archive page that lists
    every article renders that article's month only.

    The values must stand for everything the part shows. A part that reads the build's moment, or a section's or
    term's whole list, is not kept. Fragments are kept only where the build gives a store and notes what each page
    reads (make_environment's `fragments`); elsewhere the tags only render what they enclose."""

    tags = {"cache"}  # noqa: RUF012 (as jinja2.ext.Extension declares it)

    def __init__(self, environment: jinja2.Environment):
        super().__init__(environment)
        environment.extend(fragments=None, fragments_begun=False)

    def parse(self, parser: Any) -> nodes.Node:
        lineno = next(parser.stream).lineno
        values = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            values.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        where = nodes.Const(f"{parser.name}:{lineno}")
        call = self.call_method("_fragment", [where, nodes.Tuple(values, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _fragment(self, where: str, values: tuple[Any, ...], caller: Any) -> str:
        env: Any = self.environment
        if env.fragments is None:
            return caller()  # type: ignore[no-any-return]
        store, holder, token = env.fragments
        if not env.fragments_begun:
            env.fragments_begun = True
            store.begin(token)
        key = (where, *map(id, values))
        found: tuple[str, frozenset[str]] | None = store.find(key)
        if found is None:
            found = store.find_stored(where, values)
            if found is not None:
                store.keep(key, values, *found)
        if found is not None:
            holder.names.update(found[1])
            return found[0]
        outer, holder.names = holder.names, set()
        try:
            html = caller()
        finally:
            inner, holder.names = holder.names, outer
            outer.update(inner)
        if all(name.startswith(FIELD_READ) for name in inner):  # the fields of articles among the values
            store.keep(key, values, html, frozenset(inner))
            store.store(where, values, html, frozenset(inner))
        return html  # type: ignore[no-any-return]


def make_environment(site_dir: Path, config: Config, static: Mapping[str, StaticFile], now: datetime,
                     preview: bool = False, fragments: tuple[Fragments, Any, bytes] | None = None) -> jinja2.Environment:
    """A Jinja2 environment: site templates first, then the default theme; strict and autoescaped.

    `now` is the build's moment; `preview` is true in `broadsheet serve` (Draft and Scheduled banners).
    `fragments` are where `{% cache %}` keeps what it
    renders, what notes the reads of the page being rendered (its `names`, see tasks._Reads), and a digest of the
    templates, configuration and static files the kept fragments depend on.
    """
    search = [str(site_dir / TEMPLATES_DIR), str(default_theme_dir() / TEMPLATES_DIR)]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        bytecode_cache=_COMPILED,
        auto_reload=False,  # an environment lives for one build: no look at each template's time on every page
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=[FragmentCache],
    )
    zone = config.zone

    def url(path: str) -> str:
        """A site-relative path with base_url's path in front."""
        return quote_path(config.base_path + path.lstrip("/"))

    def asset(name: str) -> str:
        """The URL of a static file, fingerprinted when it is CSS or JS."""
        if name not in static:
            raise jinja2.TemplateRuntimeError(f"asset({name!r}): no such file in static/")
        return url(static[name].output_path)

    last: list[Any] = [None, None]  # the date last converted and its local time: a list shows each date twice

    def local(value: datetime) -> datetime:
        if type(value) is not datetime:  # the build's moment: every use of it is noted (see tasks.Moment)
            return value.astimezone(zone)
        if value is not last[0]:
            last[:] = value, value.astimezone(zone)
        return last[1]  # type: ignore[no-any-return]

    def longdate(value: datetime) -> str:
        day = local(value)  # once: an archive shows thousands of dates
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"

    env.globals.update(site=config, labels=config.labels, url=url, asset=asset,
                       absolute=lambda path: absolute_url(path, config),
                       media=lambda path: media_url(path, config),
                       tag_url=lambda name: url(TAGS_PATH + slugify(name) + "/"),
                       author_url=lambda name: url(AUTHORS_PATH + slugify(name) + "/"),
                       now=now, preview=preview)
    env.globals.update(image_globals(config, static))  # Images: picture(), social_image() (see broadsheet.images)
    env.filters["month_name"] = lambda month: MONTHS[month - 1]
    env.filters["isodate"] = lambda value: local(value).isoformat(timespec="seconds")
    env.filters["longdate"] = longdate
    env.fragments = fragments  # type: ignore[attr-defined]
    return env


def _template_location(error: BaseException, search: list[str]) -> tuple[str, int | None]:
    """The template file and line where a runtime error happened, from the traceback Jinja rewrote."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return error.filename or error.name or "template", error.lineno
    tb = error.__traceback__
    found: tuple[str, int | None] = ("template", None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if any(filename.startswith(root) for root in search):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def render_page(env: jinja2.Environment, template: str, context: Mapping[str, Any], site_dir: Path) -> bytes:
    """Render one page to UTF-8 bytes; template mistakes become a SiteError naming the template's file and line."""
    try:
        return env.get_template(template).render(context).encode("utf-8")
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError) as error:
        search = list(env.loader.searchpath) if isinstance(env.loader, jinja2.FileSystemLoader) else []
        filename, line = _template_location(error, search)
        if isinstance(error, jinja2.TemplateNotFound):
            if line is None:  # the page's own template is missing
                raise SiteError(Problem(f"{TEMPLATES_DIR}/{error.name}", None, "template not found")) from None
            message = f"template {error.name!r} not found in {TEMPLATES_DIR}/ or the default theme"
        else:
            message = getattr(error, "message", None) or str(error) or type(error).__name__
        path = Path(filename)
        shown = path.relative_to(site_dir).as_posix() if path.is_relative_to(site_dir) else filename
        raise SiteError(Problem(shown, line, f"template error: {message}")) from None
