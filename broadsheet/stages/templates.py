"""Rendering pages through the site's Jinja2 templates, over the default theme's."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext
from jinja2 import nodes
from markupsafe import Markup

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.names import FIELD_READ
from broadsheet.base.slugs import quote_path, slugify
from broadsheet.stages.config import Config
from broadsheet.stages.dates import date_words
from broadsheet.stages.images import image_globals
from broadsheet.stages.metadata import absolute_url, media_url
from broadsheet.stages.taxonomy import AUTHORS_PATH, TAGS_PATH
from broadsheet.stages.theme import TEMPLATES_DIR, StaticFile, default_theme_dir

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


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


# The classes of the built-in shortcodes' outer elements (templates/shortcodes/): a body holding one of them links the
# theme's embeds.css, which styles them (see templates/base.html).
_EMBED_CLASS = re.compile(r'class="(?:video|card|callout|correction|toc|pullquote|social-post|embed)[ "]')


def holds_embeds(html: object) -> bool:
    """Whether a page's body holds a shortcode's output that the theme's embeds.css styles (the Jinja test
    `embedding`)."""
    return isinstance(html, str) and _EMBED_CLASS.search(html) is not None


def make_environment(site_dir: Path, config: Config, static: Mapping[str, StaticFile], now: datetime,
                     preview: bool = False, fragments: tuple[Any, Any, bytes] | None = None,
                     compiled: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """A Jinja2 environment: site templates first, then the default theme; strict and autoescaped.

    `now` is the build's moment; `preview` is true in `broadsheet serve` (Draft and Scheduled banners).
    `fragments` are where `{% cache %}` keeps what it renders (see incremental.fragments.Fragments), what notes the
    reads of the page being rendered (its `names`, see incremental.tasks), and a digest of the templates,
    configuration and static files the kept fragments depend on; `compiled` keeps compiled templates between builds.
    """
    search = [str(site_dir / TEMPLATES_DIR), str(default_theme_dir() / TEMPLATES_DIR)]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        bytecode_cache=compiled,
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

    words = date_words(config.language)  # (month names in the site's language; None for English)
    months = words[0] if words else MONTHS

    def longdate(value: datetime) -> str:
        day = local(value)  # once: an archive shows thousands of dates
        return words[1](day.date()) if words else f"{day.day} {MONTHS[day.month - 1]} {day.year}"

    env.globals.update(site=config, labels=config.labels, url=url, asset=asset,
                       absolute=lambda path: absolute_url(path, config),
                       media=lambda path: media_url(path, config),
                       tag_url=lambda name: url(TAGS_PATH + slugify(name) + "/"),
                       author_url=lambda name: url(AUTHORS_PATH + slugify(name) + "/"),
                       now=now, preview=preview)
    env.globals.update(image_globals(config, static))  # Images: picture(), social_image() (see stages.images)
    env.filters["month_name"] = lambda month: months[month - 1]
    env.filters["isodate"] = lambda value: local(value).isoformat(timespec="seconds")
    env.filters["longdate"] = longdate
    # JSON as a .json template writes it: its own escaping only (tojson also escapes for HTML's <script>).
    env.filters["json"] = lambda value: Markup(json.dumps(value, ensure_ascii=False))
    env.tests["embedding"] = holds_embeds
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
