"""Loading content files: discovery, front matter, and the per-article stage."""

from __future__ import annotations

import dataclasses
import functools
import os
import posixpath
import re
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from broadsheet.config import Config
from broadsheet.dates import date_in_name, iso_form, parse_when
from broadsheet.errors import Problem, SiteError, problem_of
from broadsheet.frontmatter import (
    key_lines,
    load_front_matter,
    load_toml_front_matter,
    near_misses,
    non_xml_problems,
    value_text,
)
from broadsheet.images import parse_focus
from broadsheet.markup import MarkdownRenderer, auto_summary, describe, is_balanced, renderer, split_more
from broadsheet.model import Article, ParsedArticle, SourceLink
from broadsheet.slugs import (
    NO_SLUG_HINT,
    WINDOWS_HINT,
    WINDOWS_PATH_HINT,
    is_reserved_on_windows,
    quote_path,
    slugify,
    windows_refused_segment,
)
from broadsheet.xmltext import NOT_XML, code_points

if TYPE_CHECKING:
    from broadsheet.commonmark import CommonMarkRenderer
    from broadsheet.markup import RenderedBody
    from broadsheet.shortcodes import Context as ShortcodeContext

CONTENT_DIR = "content"
PAGES_DIR = "pages"
SOURCE_SUFFIXES = (".md", ".markdown", ".html")  # .html: a body written in HTML (see htmlbody)
IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".bak")
# Dates outside these years cannot be shown in every time zone.
MIN_YEAR, MAX_YEAR = 2, 9998
NAME_MAX = 255  # bytes in a file or folder name, on most file systems
KNOWN_KEYS = ("title", "date", "updated", "author", "section", "tags", "summary", "sources", "slug",
              "draft", "expires", "image", "image_alt", "type", "aliases", "toc",
              "image_caption", "image_credit", "image_focus")  # (the last three: see images.py)
# Other generators' keys for the same things (Jekyll, Hugo, Zola), read where Broadsheet's own key is not given.
OTHER_KEYS = {"author": ("authors",), "summary": ("excerpt",), "updated": ("lastmod",),
              "expires": ("expiryDate", "expirydate"), "publish": ("publishDate", "publishdate"),
              "categories": ("categories", "category"), "published": ("published",), "images": ("images",)}
_ALL_KEYS = (*KNOWN_KEYS, *(key for keys in OTHER_KEYS.values() for key in keys))
# The query of an alias: name=value pairs, as host redirect rules match them.
_QUERY = re.compile(r"[\w.~%-]+=[\w.~%-]*(?:&[\w.~%-]+=[\w.~%-]*)*")


def is_ignored_name(name: str) -> bool:
    """Editor, system and private files that are never content."""
    return name.startswith((".", "_")) or name.endswith(IGNORED_SUFFIXES) or name == "4913"


# A part of a path that is_ignored_name refuses (one regular expression: a site lists thousands of paths).
_IGNORED_PART = re.compile(r"/(?:[._][^/]*|4913|[^/]*(?:" + "|".join(map(re.escape, IGNORED_SUFFIXES)) + r"))(?=/|$)")


SECTION_INDEXES = tuple("_index" + suffix for suffix in SOURCE_SUFFIXES)


def is_section_index(relative: str) -> bool:
    """Whether a site-relative path names a section's _index.md (its title and intro, as in Hugo and Zola):
    content/<section>/_index.md; other names beginning with '_' are never content."""
    return (relative.count("/") == 2 and relative.endswith(SECTION_INDEXES) and relative.startswith(CONTENT_DIR + "/")
            and relative.rsplit("/", 1)[1] in SECTION_INDEXES and not is_ignored_name(relative.split("/")[1]))


def is_source_path(relative: str) -> bool:
    """Whether a site-relative path of a plain file names a content file (see discover_sources)."""
    return (relative.startswith(CONTENT_DIR + "/") and relative.endswith(SOURCE_SUFFIXES)
            and (not _IGNORED_PART.search(relative) or is_section_index(relative)))


BUNDLE_INDEXES = tuple("/index" + suffix for suffix in SOURCE_SUFFIXES)
_TypeOfPaths = TypeVar("_TypeOfPaths", list[str], dict[str, Any])


def bundle_folder(source: str) -> str | None:
    """The folder of the page bundle whose page `source` is, or None: a folder in a section folder or in pages/ whose
    file index.md (or index.html) is its page, as Hugo lays them out (content/news/slug/index.md: content/news/slug/).
    An index.md directly in a section folder is an article of that section, as it always was."""
    if source.endswith(BUNDLE_INDEXES) and source.count("/") >= 3:
        return source.rsplit("/", 1)[0] + "/"
    return None


def without_bundled(paths: _TypeOfPaths) -> _TypeOfPaths:
    """The content files of `paths` (a list, or a dict by path) less those inside a page bundle: a bundle's other
    files, Markdown too, are its resources, published beside its page (see theme.bundle_static)."""
    folders = {folder for path in paths if (folder := bundle_folder(path)) is not None}
    if not folders:
        return paths

    def bundled(path: str) -> bool:
        at = path.find("/", len(CONTENT_DIR) + 1)
        while at != -1:
            folder = path[:at + 1]
            if folder in folders and not (path.startswith(folder) and bundle_folder(path) == folder):
                return True
            at = path.find("/", at + 1)
        return False

    if isinstance(paths, dict):
        return {path: value for path, value in paths.items() if not bundled(path)}
    return [path for path in paths if not bundled(path)]


def discover_sources(site_dir: Path) -> list[str]:
    """Content files below site_dir/content, as sorted site-relative paths.

    Directory links are not followed; a file link is read only if it resolves to a file inside content/.
    """
    root = site_dir / CONTENT_DIR
    found: list[str] = []
    problems: list[Problem] = []
    # os.scandir tells files from folders without a stat each: a site of 10,000 files is listed in milliseconds.
    folders = [(str(root), CONTENT_DIR + "/")]
    while folders:
        folder, relative = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if is_ignored_name(entry.name) and not (entry.name in SECTION_INDEXES and relative.count("/") == 2):
                continue
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, relative + entry.name + "/"))
            elif entry.name.endswith(SOURCE_SUFFIXES):
                if not entry.is_symlink():
                    if entry.is_file(follow_symlinks=False):
                        found.append(relative + entry.name)
                    continue
                path = Path(entry.path)
                if path.is_dir():  # a link to a folder: not followed
                    continue
                if path.resolve().is_relative_to(root.resolve()) and path.is_file():
                    found.append(relative + entry.name)
                else:
                    problems.append(Problem(relative + entry.name, None, "is a link to a file outside content/ "
                                            "(or to nothing)", "copy the file in instead"))
    if problems:
        raise SiteError(sorted(problems, key=lambda p: p.path))
    return without_bundled(sorted(found))


def read_ahead(site_dir: Path, sources: list[str]) -> None:
    """Ask the system to start reading these content files into memory, all at once. From a cold disk, workers that
    read them one by one would each wait for every file in turn (at 10,000 files, about a second of a build); told
    of them first, the disk reads them while the workers parse. Where the system cannot be asked, nothing is done."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    root = str(site_dir)
    for source in sources:
        try:
            file = os.open(f"{root}/{source}", os.O_RDONLY)
        except OSError:
            continue  # (its worker reports it)
        try:
            advise(file, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(file)


def check_image_reference(image: str) -> str | None:
    """Why an `image:` value is unusable, or None: it is an http(s) URL or a plain path under static/."""
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", image)
    if scheme:
        return None if scheme.group(1).lower() in ("http", "https") and "//" in image else \
            "must be a path under static/ or an http(s) URL"
    parts = image.lstrip("/").split("/")
    if image.startswith("//") or "\\" in image or any(part in ("", ".", "..") for part in parts):
        return "must be a plain path under static/, like images/photo.jpg"
    return None


def decode_source(path: str, data: bytes) -> str:
    """Strict UTF-8 (optional BOM), with line endings normalised to \\n."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = len(re.split(rb"\r\n|\r|\n", data[: error.start]))
        raise SiteError(Problem(path, line, "not valid UTF-8", "save the file as UTF-8")) from None
    if "\x00" in text:
        line = len(re.split(r"\r\n|\r|\n", text[: text.index("\x00")]))
        raise SiteError(Problem(path, line, "not valid UTF-8 (contains a NUL byte)", "save the file as UTF-8"))
    return text.replace("\r\n", "\n").replace("\r", "\n")


# The characters of NOT_XML that a decoded file can hold (NUL is refused as not UTF-8, surrogates by the decoder),
# each tested with `in`: for a body without any, ten times quicker than a search for the class.
_NOT_XML_IN_FILES = (*map(chr, (*range(1, 9), 11, 12, *range(14, 32))), "\ufffe", "\uffff")
_WHITESPACE_CONTROLS = str.maketrans("\v\f", "  ")


def without_non_xml(path: str, body: str, first_line: int) -> tuple[str, list[Problem]]:
    """The body without the characters XML does not allow (pasted from a word processor, say: a vertical tab or
    form feed becomes a space), and a warning naming the line of the first, when it held any: in a feed they would
    make no reader accept it."""
    for character in _NOT_XML_IN_FILES:
        if character in body:
            break
    else:
        return body, []
    found = NOT_XML.search(body)
    assert found is not None
    line = first_line + body.count("\n", 0, found.start())
    warning = Problem(path, line, f"characters that XML does not allow ({code_points(body)}) were removed from "
                      "the body", warning=True)
    return NOT_XML.sub("", body.translate(_WHITESPACE_CONTROLS)), [warning]


def split_front_matter(path: str, text: str) -> tuple[str, str, int, int, bool]:
    """Return (front matter, body, line number of the body's first line, line of the front matter's first line,
    whether it is TOML). YAML is written between '---' lines, TOML (Hugo's and Zola's default) between '+++'
    lines; blank lines before the opening line are passed over (Hugo accepts them)."""
    lines = text.split("\n")
    start = 0
    if not lines[0].strip():  # (a blank first line: rare, so the common case pays one test)
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start == len(lines):
            start = 0
    opening = lines[start].rstrip()
    if opening not in ("---", "+++"):
        raise SiteError(Problem(path, start + 1, "no front matter",
                                "start the file with a '---' line, then title: and date:, then '---'"))
    closing = ("---", "...") if opening == "---" else ("+++",)
    for index in range(start + 1, len(lines)):
        if lines[index].rstrip() in closing:
            return "\n".join(lines[start + 1:index]), "\n".join(lines[index + 1:]), index + 2, start + 2, \
                opening == "+++"
    raise SiteError(Problem(path, start + 1, "front matter is not closed", f"end it with a '{opening}' line"))


def parse_date(value: Any, zone: ZoneInfo) -> datetime:
    """A front matter date or datetime as an aware datetime; naive values are in the site's zone (see
    dates.parse_when for the forms read)."""
    if isinstance(value, str):
        return parse_when(value, zone)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=zone)
    raise ValueError("not a date")


class _Fields:
    """Reads typed values out of front matter, collecting problems with their lines."""

    def __init__(self, path: str, front: str, data: dict[str, Any], zone: ZoneInfo, first_line: int = 2,
                 toml: bool = False):
        self.path, self.front, self.data, self.zone = path, front, data, zone
        self.first_line = first_line
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.lines = key_lines(front, first_line, toml)

    def problem(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, self.lines.get(key, 1), message, hint))

    def warn(self, key: str, message: str, hint: str = "") -> None:
        self.warnings.append(Problem(self.path, self.lines.get(key, 1), message, hint, warning=True))

    def string(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(key, f"missing '{key}'", f"add a line '{key}: …' to the front matter")
            return None
        if not isinstance(value, str):
            written = value_text(self.front, self.lines.get(key, 0), self.first_line) or repr(value)
            hint = f"quote the {key}: YAML reads `{written}` as {_reads_as(value)}"
            self.problem(key, f"'{key}' must be text, not {_reads_as(value)}", hint)
            return None
        if not value.strip():
            if required:
                self.problem(key, f"'{key}' is empty")
            return None
        return value.strip()

    def strings(self, key: str, split: str | None = None) -> tuple[str, ...]:
        """A list of strings, or one string (split into several at `split`, a character or None)."""
        value = self.data.get(key)
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if split is not None and isinstance(value, str) and split in value:
            items = [part for part in value.split(split) if part.strip()]
        if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
            odd = next((v for v in items if not isinstance(v, str)), None) if isinstance(items, list) else None
            hint = f"quote {odd!r}: YAML reads it as {_reads_as(odd)}" if odd is not None else ""
            self.problem(key, f"'{key}' must be a list of non-empty strings or one string, not {value!r}", hint)
            return ()
        return tuple(dict.fromkeys(v.strip() for v in items))

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.problem(key, f"'{key}' must be true or false, not {value!r}")
            return False
        return value

    def when(self, key: str, required: bool = False, named: str | None = None) -> datetime | None:
        """The date of `key`; without one, the date of a file name in Jekyll's form (`named`), if given."""
        value = self.data.get(key)
        if value is None and named is not None:
            try:
                return datetime.combine(date.fromisoformat(named), time(0, 0), tzinfo=self.zone)
            except ValueError:
                self.problem(key, f"the file name's date {named} is not a valid date",
                             f"rename the file, or add a line '{key}: …' to the front matter")
                return None
        if value is None:
            if required:
                self.problem(key, f"missing '{key}'", f"add a line like '{key}: 2024-05-01' (or "
                             "'2024-05-01T09:00:00+02:00') to the front matter, or begin the file's name with the "
                             "date, as in 2024-05-01-" + self.path.rsplit("/", 1)[-1])
            return None
        try:
            when = parse_date(str(value) if isinstance(value, (int, float)) and not isinstance(value, bool)
                              else value, self.zone)
            if not MIN_YEAR <= when.year <= MAX_YEAR:
                raise ValueError("out of range")
            return when
        except (ValueError, TypeError, OverflowError):
            iso = iso_form(value) if isinstance(value, str) else iso_form(str(value)) if isinstance(value, int) \
                else None
            hint = f"write it as {iso}" if iso else "write it as 2024-05-01 or 2024-05-01T09:00:00+02:00"
            self.problem(key, f"'{key}' is not a valid date: {value!r}", hint)
            return None


def _reads_as(value: Any) -> str:
    """How YAML understood an unquoted value, in a writer's words."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, (date, datetime)):
        return "a date"
    return {list: "a list", dict: "a mapping", type(None): "nothing"}.get(type(value), type(value).__name__)


def section_from_path(source: str) -> str | None:
    """The first folder under content/, if any."""
    parts = source.split("/")
    return parts[1] if len(parts) > 3 or (len(parts) == 3) else None


def display_section(name: str, config: Config) -> str:
    """The configured spelling of a section, or the name with a capital first letter."""
    for known in config.sections:
        if slugify(known) == slugify(name):
            return known
    return name[:1].upper() + name[1:]


def article_url(config: Config, kind: str, slug: str, section_slug: str, when: datetime | None) -> str:
    """The site-relative URL path of an article or page, e.g. /world/slug/."""
    if kind == "page":
        return f"/{slug}/"
    assert when is not None
    local = when.astimezone(config.zone)
    return config.permalink.format(section=section_slug, slug=slug, year=f"{local.year:04d}",
                                   month=f"{local.month:02d}", day=f"{local.day:02d}")


_RELATIVE_REFERENCE = re.compile(r' (href|src)="(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#|\?)([^"]+)"')


def _rooted(html: str, folder_url: str) -> str:
    """HTML with its relative links and images (a bundle's photo.jpg) made root-relative to `folder_url`."""
    if ' href="' not in html and ' src="' not in html:
        return html

    def root(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(folder_url, match.group(2)))
        return f' {match.group(1)}="{target}{"/" if match.group(2).endswith("/") and target != "/" else ""}"'

    return _RELATIVE_REFERENCE.sub(root, html)


def _source_links(body: str, first_line: int, links: tuple[tuple[str, str], ...]) -> tuple[SourceLink, ...]:
    """Links to content files with the line each is written on (the first line mentioning its href)."""
    found = []
    for href, target in links:
        offset = body.find(href)
        found.append(SourceLink(target, first_line + (body.count("\n", 0, offset) if offset >= 0 else 0)))
    return tuple(dict.fromkeys(found))


def _refuse_windows_names(fields: _Fields, slug: str, slug_key: str, section_slug: str,
                          tags: tuple[str, ...], authors: tuple[str, ...], aliases: tuple[str, ...]) -> None:
    """A problem for each URL folder this article makes (its own, its section's, tags' and authors', its aliases')
    that Windows refuses as a name (see slugs.is_reserved_on_windows): the published site could not be cloned
    there. Refused rather than renamed, so that a URL never differs from what the writer asked for. `slug_key`:
    the front matter key the slug comes from ("" for the file's name)."""
    if is_reserved_on_windows(slug):
        fields.problem(slug_key, f"its URL folder would be '{slug}', a name Windows does not allow "
                       "(a clone of the published site fails there)", f"add 'slug: {slug}-news' or another slug "
                       "to the front matter; " + WINDOWS_HINT)
    if is_reserved_on_windows(section_slug):
        fields.problem("section", f"the section's URL folder would be '{section_slug}', a name Windows does not "
                       "allow", "name the section otherwise (or set its folder in 'section:'); " + WINDOWS_HINT)
    for key, names in (("tags", tags), ("author", authors)):
        for name in names:
            if is_reserved_on_windows(slugify(name)):
                fields.problem(key, f"{key.rstrip('s')} {name!r} would have the URL folder '{slugify(name)}', a "
                               "name Windows does not allow", WINDOWS_HINT)
    for alias in aliases:
        if (segment := windows_refused_segment(alias.partition("?")[0])) is not None:
            fields.problem("aliases", f"alias {alias!r} holds '{segment}', a name Windows does not allow",
                           WINDOWS_PATH_HINT)


@functools.cache
def _theme_shortcodes() -> tuple[tuple[str, str], ...]:
    from broadsheet.shortcodes import shortcode_templates
    from broadsheet.theme import default_theme_dir

    return shortcode_templates(default_theme_dir(), default_theme_dir())


def _shortcodes(config: Config, source: str, meta: dict[str, Any], body_of: Callable[[str], RenderedBody],
                first_line: int) -> ShortcodeContext:
    """What a body's shortcodes are expanded with (see shortcodes.py); inner Markdown is rendered as a body."""
    from broadsheet.shortcodes import Context, render

    # (A configuration made in code rather than by load_config: the default theme's.)
    templates = config.shortcodes or _theme_shortcodes()
    context = Context(templates, source, config.base_path, meta, body_of, config.raw_html)
    context.markdown = functools.partial(render, body_of, context=context, first_line=first_line)
    return context


def parse_article(source: str, data: bytes, config: Config) -> ParsedArticle:
    """The per-article stage: a content file's bytes to an Article and its body HTML.

    A pure function of the file, its site-relative path and the configuration.
    """
    text = decode_source(source, data)
    front, body, body_line, front_line, toml = split_front_matter(source, text)
    meta = load_toml_front_matter(source, front, front_line) if toml else load_front_matter(source, front, front_line)
    fields = _Fields(source, front, meta, config.zone, front_line, toml)
    fields.problems += non_xml_problems(source, meta, front, fields.lines)
    body, removed = without_non_xml(source, body, body_line)
    in_pages = source.startswith(f"{CONTENT_DIR}/{PAGES_DIR}/")
    # A section's _index.md: its title and intro text on the section's page (kind "section", never a page itself).
    section_index = source.rsplit("/", 1)[-1] in SECTION_INDEXES
    kind = "section" if section_index else fields.string("type") or ("page" if in_pages else "article")
    if kind not in ("article", "page", "section"):
        fields.problem("type", f"'type' must be 'article' or 'page', not {kind!r}")
    title = fields.string("title", required=True) or ""
    bundle = bundle_folder(source)
    # A bundle's page takes its slug (and date) from its folder's name, its section from the folder above it.
    stem = bundle[:-1].rsplit("/", 1)[-1] if bundle else source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    # A name in Jekyll's and Zola's form, 2014-09-15-rust.md, gives the date and slug when the front matter has none.
    named = date_in_name(stem) if "date" not in meta and stem[:1].isdigit() else None
    if named:
        stem = named[1]
    def given(key: str) -> str:
        """Broadsheet's key, or the first of other generators' keys for it that the front matter has."""
        return key if key in meta else next((other for other in OTHER_KEYS.get(key, ()) if other in meta), key)

    publish = fields.when(given("publish"))  # Hugo's publishDate: published then, not before
    when = fields.when("date", required=kind == "article" and publish is None, named=named[0] if named else None)
    if publish is not None and (when is None or publish > when):
        when = publish
    updated = fields.when(given("updated"))
    expires = fields.when(given("expires"))
    if when and updated and updated < when:
        fields.problem("updated", "'updated' is before 'date'")
    authors = fields.strings(given("author")) or (config.author,)
    for name in authors:
        if not slugify(name):
            fields.problem(given("author"), f"author {name!r} gives an empty URL segment", NO_SLUG_HINT)
    folder = section_from_path(bundle[:-1] if bundle else source) if not in_pages else None
    # Jekyll's categories: the first is the section (unless 'section:' is given), the others are tags; a text is
    # split at spaces, as Jekyll splits it (but a single 'category:' is one name).
    category_key = given("categories")
    categories = fields.strings(category_key, split=" " if category_key == "categories" else None)
    named_section = fields.string("section")
    section = display_section(named_section or (categories[0] if categories else None) or folder or config.section,
                              config)
    section_slug = slugify(section)
    if folder and "section" not in meta and (found := NOT_XML.search(section)):
        fields.problem("section", f"the folder {folder!r} holds the character U+{ord(found.group()):04X}, which XML "
                       "(feeds, sitemaps) does not allow", "rename the folder, or give the section in 'section:'")
    if not section_slug:
        fields.problem("section", f"section {section!r} gives an empty URL segment", NO_SLUG_HINT)
    tags = fields.strings("tags", split=",")
    if isinstance(meta.get("tags"), str) and "," in meta["tags"]:
        fields.warn("tags", f"'tags' is one text holding commas: read as the tags {', '.join(map(repr, tags))}",
                    f"write a list: tags: [{', '.join(tags)}]")
    if categories:
        tags = tuple(dict.fromkeys((*tags, *categories[0 if named_section else 1:])))
    for tag in tags:
        if not slugify(tag):
            fields.problem("tags", f"tag {tag!r} gives an empty URL segment", NO_SLUG_HINT)
    sources = fields.strings("sources")
    summary_key = given("summary")
    summary_text = fields.string(summary_key)
    if summary_text and summary_key == "excerpt" and "<" in summary_text:
        from broadsheet.htmlbody import summary_markdown

        summary_text = summary_markdown(summary_text)
    slug_text = fields.string("slug")
    draft = fields.boolean("draft") or not fields.boolean("published", default=True)  # Jekyll's published: false
    toc = fields.boolean("toc")  # a table of contents at the top of the body (shortcodes.toc)
    image = fields.string("image")
    image_alt = fields.string("image_alt")
    if image is None and "images" in meta:  # Hugo's images: the first is the lead image
        image = next(iter(fields.strings("images")), None)
        if image and not image_alt:
            image_alt = ""
            fields.warn("images", "the lead image has no 'image_alt' text describing it for readers who cannot "
                        "see it: it is shown as decoration until then", "add 'image_alt: …' to the front matter")
    image_problem = check_image_reference(image) if image else None
    if image_problem:
        fields.problem("image", f"image {image!r} {image_problem}")
    if image and image_alt is None:
        fields.problem("image", "an image needs 'image_alt' text describing it for readers who cannot see it")
    for key in ("image_caption", "image_credit"):
        fields.string(key)
    if (focus := fields.string("image_focus")) is not None and parse_focus(focus) is None:
        fields.problem("image_focus", f"image_focus {focus!r} is not two fractions of the width and height",
                       'write it like "0.5,0.3" (0,0 is the top left corner)')
    aliases = fields.strings("aliases")
    for alias in aliases:
        path, _, query = alias.partition("?")  # a query (`/?p=12`, WordPress's old links) is a host rule only
        if not path.startswith("/") or (path == "/" and not query) or any(p in ("..", ".") for p in path.split("/")) \
                or re.search(r"[\x00-\x1f?#\\]", path) or (query and not _QUERY.fullmatch(query)):
            fields.problem("aliases", f"alias {alias!r} is not a URL path on this site",
                           "write old URLs like /world/old-slug/ or /?p=12, without the domain")
        elif any(len(part.encode()) > NAME_MAX for part in path.split("/")):
            fields.problem("aliases", f"alias {alias[:40]!r}… has a part longer than {NAME_MAX} bytes, which no "
                           "file system allows in a name", "shorten it")
    slug = section_slug if section_index else slugify(slug_text or stem) or slugify(title)
    if not slug:
        fields.problem("slug" if slug_text else "title", "cannot make a URL slug from the file name or title",
                       "add 'slug: some-words' to the front matter")
    slug_key = "slug" if slug_text else "" if slugify(stem) else "title"
    _refuse_windows_names(fields, slug, slug_key, section_slug, tags,
                          authors if given("author") in meta else (), aliases)
    warnings = near_misses(source, meta, _ALL_KEYS, fields.lines) + fields.warnings + removed
    if fields.problems:
        raise SiteError(fields.problems + warnings)

    if config.markdown == "commonmark":
        from broadsheet.commonmark import renderer as commonmark_renderer  # (a default site never loads it)

        md: MarkdownRenderer | CommonMarkRenderer = commonmark_renderer(config.raw_html, config.highlight)
    else:
        md = renderer(config.raw_html, config.highlight)
    more = split_more(body)
    base_path = config.base_path
    converting = 0  # the line of what is being converted, for an unforeseen failure (0: the body)
    if source.endswith(".html"):
        from broadsheet.htmlbody import render_html_body  # (a site of Markdown files never loads it)

        body_of: Callable[[str], Any] = functools.partial(render_html_body, source=source, base_path=base_path,
                                                          trusted=config.raw_html)
        lead_of: Callable[[str], Any] = functools.partial(render_html_body, source=source, base_path=base_path,
                                                          trusted=config.raw_html, lead=True)
    else:
        body_of = functools.partial(md.body, source=source, base_path=base_path)
        lead_of = functools.partial(md.lead, source=source, base_path=base_path)
    shortcodes = _shortcodes(config, source, meta, body_of, body_line) if "{{" in body or toc else None
    try:
        if shortcodes is not None:
            from broadsheet.shortcodes import render as with_shortcodes

            body_of = functools.partial(with_shortcodes, body_of, context=shortcodes, first_line=body_line)
            lead_of = functools.partial(with_shortcodes, lead_of, context=shortcodes, first_line=body_line)
        rendered = body_of(more[1] if more else body)
        if toc and shortcodes is not None:
            from broadsheet.shortcodes import toc as contents

            if table := contents(shortcodes, rendered.html):
                rendered = dataclasses.replace(rendered, html=table + "\n" + rendered.html)
        if summary_text:
            converting = fields.lines.get(summary_key, 1)
            summary_html = md.summary(summary_text, source, base_path)
        elif more:
            lead = lead_of(more[0])
            # Raw HTML that the marker cuts in two would break the page around the summary: summarise automatically.
            summary_html = lead.html if is_balanced(lead.html) else auto_summary(rendered.paragraphs,
                                                                                 config.summary_words)
        else:
            summary_html = auto_summary(rendered.paragraphs, config.summary_words)
    except SiteError as error:  # a shortcode used wrongly
        raise SiteError([*error.problems, *shortcodes.warnings, *warnings] if shortcodes else
                        [*error.problems, *warnings]) from None
    except RecursionError:
        raise SiteError([Problem(source, body_line, "the Markdown nests too deeply to render",
                                 "flatten the nested lists or quotes"), *warnings]) from None
    except Exception as error:  # a library failing on some input: a problem of this file, the rest still built
        line = converting or body_line + len(body) - len(body.lstrip("\n"))  # (the body's first line of text)
        raise SiteError([problem_of(source, error, line), *warnings]) from None
    if shortcodes is not None:
        warnings += shortcodes.warnings
        for corrected in shortcodes.corrections:  # a correction notice is a modification of the article
            corrected = corrected if corrected.tzinfo else corrected.replace(tzinfo=config.zone)
            updated = corrected if updated is None or corrected > updated else updated
    url_path = f"/{section_slug}/" if section_index else article_url(config, kind, slug, section_slug, when)
    if section_index:
        summary_html = rendered.html  # the intro, shown whole on the section's page
    body_html = rendered.html
    if bundle:  # its files' relative links, made to work wherever the summary is shown (lists, feeds)
        folder_url = quote_path(config.base_path + url_path.lstrip("/"))
        body_html, summary_html = _rooted(body_html, folder_url), _rooted(summary_html, folder_url)
        if image and not image.startswith("/") and "://" not in image:
            image = url_path.strip("/") + "/" + image  # a file of the bundle (one under static/ begins with /)
    article = Article(
        source=source, kind=kind, slug=slug, title=title, date=when, updated=updated, authors=authors,
        section=section, section_slug=section_slug, tags=tags, summary_html=summary_html,
        summary_is_written=bool(summary_text), description=describe(summary_html), sources=sources,
        draft=draft, expires=expires, image=image, image_alt=image_alt, word_count=rendered.word_count,
        url=quote_path(config.base_path + url_path.lstrip("/")),
        permalink=config.origin + quote_path(config.base_path + url_path.lstrip("/")),
        output_path=url_path.strip("/") + "/index.html", meta=meta, aliases=aliases,
        reading_minutes=max(1, round(rendered.word_count / config.words_per_minute)),
        links=_source_links(body, body_line, rendered.links),
    )
    # Of the lines, later stages use the lead image's (a missing image's error), the aliases' and the slug's (URL
    # clashes).
    lines: dict[str, int] = {key: fields.lines[key] for key in ("image", "aliases", "slug") if key in fields.lines}
    return ParsedArticle(article, body_html, tuple(warnings), lines)
