"""The site's configuration (site.yaml) and the options of one build, loaded and checked in one place."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.names import CONFIG_FILE as CONFIG_FILE
from broadsheet.base.options import BuildOptions as BuildOptions  # the options of one build, beside the site's
from broadsheet.base.slugs import (
    WINDOWS_HINT,
    WINDOWS_PATH_HINT,
    is_reserved_on_windows,
    slugify,
    windows_refused_segment,
)
from broadsheet.base.warning_kinds import WARNING_KINDS

PERMALINK_FIELDS = frozenset({"section", "slug", "year", "month", "day"})
MARKDOWN_ENGINES = ("python-markdown", "commonmark")


@lru_cache(maxsize=64)  # read for every URL the site makes
def _base_path(base_url: str) -> str:
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


@dataclass(frozen=True, slots=True)
class Labels:
    """Interface strings, so a site in another language can translate its pages."""

    summary_toggle: str = "No time to read? Get a summary"
    previous: str = "Previous Article"
    next: str = "Next Article"
    sources: str = "Sources"
    tags: str = "Tags"
    by: str = "By"
    newer_page: str = "Newer"
    older_page: str = "Older"
    page: str = "Page"
    of: str = "of"
    skip_to_content: str = "Skip to content"
    not_found: str = "Page not found"
    not_found_text: str = "There is no page at this address. It may have moved or been taken down."
    draft: str = "Draft: not published while the article says draft: true"
    scheduled: str = "Scheduled for"
    home: str = "Home"
    sections: str = "Sections"
    pagination: str = "Pagination"
    article_navigation: str = "More articles"
    authors: str = "Authors"
    archive: str = "Archive"
    related: str = "Related articles"
    min_read: str = "min read"
    words: str = "words"
    feed: str = "Feed"
    moved: str = "This page has moved to"
    search: str = "Search"
    search_help: str = "Type a few words: results appear as you type (they need JavaScript)."


@dataclass(frozen=True, slots=True)
class Publisher:
    """The organisation named in structured data and the news sitemap."""

    # Default: the site's title.
    name: str = ""
    # A logo image: a path under static/ or an absolute URL.
    logo: str = ""


IMAGE_FORMATS = ("webp", "avif")  # formats `images: formats:` may list, made beside the original's


@dataclass(frozen=True, slots=True)
class Images:
    """How local raster images are published (site.yaml `images:`; `images: false` turns it off): see docs/images.md."""

    enabled: bool = True
    # Widths of the smaller copies made of each image, in pixels (never wider than the image itself). The default
    # theme's column is the phone's width less 2rem: 720 serves a 360 px phone at 2x, 1100 one at 3x or a 393 px one.
    widths: tuple[int, ...] = (480, 720, 1100, 1600)
    # Formats made beside the image's own: webp, avif.
    formats: tuple[str, ...] = ("webp",)
    # Encoder quality of the copies, 1 to 100 (75, as Hugo's).
    quality: int = 75


@dataclass(frozen=True, slots=True)
class Config:
    """Everything site.yaml can say, with its defaults."""

    title: str = "Broadsheet"
    # The address the site is published at; its path (e.g. /news/) prefixes every link.
    base_url: str = "http://localhost:8000/"
    description: str = ""
    language: str = "en"
    # IANA zone name; dates without an offset are read in this zone.
    timezone: str = "UTC"
    # Default author and section of articles that name none.
    author: str = "Staff"
    section: str = "News"
    permalink: str = "/{section}/{slug}/"
    # Where Previous/Next come from: the whole site, or the article's own section.
    navigation: str = "site"
    per_page: int = 10
    summary_words: int = 55
    # Display order of sections in the navigation; others follow alphabetically.
    sections: tuple[str, ...] = ()
    # Whether raw HTML in article bodies is output as written (trusted authors) or shown as text.
    raw_html: bool = True
    # The Markdown dialect of bodies and summaries: python-markdown (Broadsheet's first engine, the default) or
    # commonmark (CommonMark 0.31 with GitHub's tables, strikethrough, autolinks, task lists, and footnotes).
    markdown: str = "python-markdown"
    # Code highlighting of fenced code blocks with a language (Pygments, CSS classes the theme styles).
    highlight: bool = True
    # Entries of the output folder that Broadsheet did not write but must keep across builds (.git, CNAME).
    keep: tuple[str, ...] = ()
    # Seconds one article may take to render, plus 3 s per MB of its source; a file that takes longer fails
    # the build with an error naming it (Python-Markdown is very slow on some pathological inputs).
    render_timeout: int = 10
    labels: Labels = field(default_factory=Labels)
    # Entries in the site's feeds (Atom, RSS; site, section and tag feeds).
    feed_size: int = 20
    # What feed entries carry: the full body or only the summary.
    feed_content: str = "full"
    # How many related articles an article page lists; 0 lists none.
    related: int = 3
    # Reading speed for the "4 min read" estimate.
    words_per_minute: int = 230
    publisher: Publisher = field(default_factory=Publisher)
    # A custom domain for GitHub Pages, written to CNAME in the output (e.g. news.example.org).
    cname: str = ""
    # Header navigation: section names and page slugs in order (default: every section, then every page).
    menu: tuple[str, ...] = ()
    # The site's own values, any YAML under one mapping, for templates as `site.params` (an analytics ID, a social
    # handle); Broadsheet itself reads none of them.
    params: dict[str, Any] = field(default_factory=dict)
    # Kinds of warning turned off (`missing_summary: false`); see broadsheet.warning_kinds for the names.
    warnings: dict[str, bool] = field(default_factory=dict)
    # Site-wide permanent redirects, old path (optionally with a query, /?p=12) → new path or URL, written to the
    # host's `_redirects` file with every article's aliases.
    redirects: tuple[tuple[str, str], ...] = ()
    # Not a site.yaml key: the shortcode templates (name, source), the site's templates/shortcodes/ over the default
    # theme's, read by load_config. Part of the configuration so that every parse's cache key holds them.
    shortcodes: tuple[tuple[str, str], ...] = ()
    # Local images: smaller copies, modern formats, camera data removed (see Images).
    images: Images = field(default_factory=Images)
    # Whether the build makes a search index with Pagefind and the theme shows a search field (docs/search.md).
    search: bool = False

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        return _base_path(self.base_url)

    @property
    def origin(self) -> str:
        """scheme://host[:port] of base_url."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def publisher_name(self) -> str:
        """The publisher's name, defaulting to the site's title."""
        return self.publisher.name or self.title

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)


# Whole-number keys for which 0 makes sense (it switches the feature off).
ZERO_ALLOWED = frozenset({"related"})
# Fields that are not site.yaml keys (load_config fills them).
DERIVED = frozenset({"shortcodes"})
# Keys whose values are mappings checked against their own dataclass.
NESTED: dict[str, type] = {"labels": Labels, "publisher": Publisher}


def _check_type(key: str, value: Any, default: Any) -> str | None:
    """Return a description of the expected type when value does not match default's type."""
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "true or false"
    if isinstance(default, int):
        if key in ZERO_ALLOWED:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            return None if ok else "a whole number, 0 or more"
        return None if isinstance(value, int) and not isinstance(value, bool) and value > 0 else "a positive whole number"
    if isinstance(default, str):
        return None if isinstance(value, str) else "a string (quote it)"
    if isinstance(default, tuple):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "a list of strings"
    return None


def _key_lines(text: str) -> dict[str, int]:
    """Line numbers of top-level and nested keys, for error messages."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*([A-Za-z_][\w-]*)\s*:", line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def _unknown(key: str, known: list[str], path: str, line: int | None) -> Problem:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(sorted(known))
    return Problem(path, line, f"unknown key '{key}'", hint)


def _load_section(data: dict[str, Any], cls: type, path: str, lines: dict[str, int], prefix: str = "") -> tuple[dict[str, Any], list[Problem]]:
    """Check a mapping against a dataclass's fields; return the accepted values and the problems."""
    defaults = {f.name: f for f in fields(cls) if f.name not in DERIVED}
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in data.items():
        key = str(key)
        line = lines.get(key)
        if key not in defaults:
            problems.append(_unknown(prefix + key, list(defaults), path, line))
            continue
        spec = defaults[key]
        default = spec.default if spec.default is not spec.default_factory else None
        if cls is Config and key == "images":
            images, image_problems = _load_images(value, path, line)
            problems += image_problems
            if images is not None:
                values[key] = images
            continue
        if spec.name in NESTED:
            if not isinstance(value, dict):
                problems.append(Problem(path, line, f"'{key}' must be a mapping of key: text"))
                continue
            nested_values, nested_problems = _load_section(value, NESTED[key], path, lines, f"{key}.")
            problems += nested_problems
            values[key] = NESTED[key](**nested_values)
            continue
        expected = _check_type(key, value, default)
        if expected:
            problems.append(Problem(path, line, f"'{prefix}{key}' must be {expected}, not {value!r}"))
            continue
        values[key] = tuple(value) if isinstance(value, list) else value
    return values, problems


def _load_images(value: Any, path: str, line: int | None) -> tuple[Images | None, list[Problem]]:
    """site.yaml's `images:`: false, or a mapping of widths, formats and quality."""
    if value is False:
        return Images(enabled=False), []
    if value is True or value is None:
        return Images(), []
    if not isinstance(value, dict):
        return None, [Problem(path, line, "'images' must be false or a mapping of widths, formats and quality")]
    known = ["widths", "formats", "quality"]
    problems = [_unknown(f"images.{key}", [f"images.{k}" for k in known], path, line)
                for key in value if key not in known]
    default = Images()
    widths = value.get("widths", default.widths)
    formats = value.get("formats", default.formats)
    quality = value.get("quality", default.quality)
    if not (isinstance(widths, (list, tuple)) and widths
            and all(type(w) is int and 16 <= w <= 10000 for w in widths)):
        problems.append(Problem(path, line, f"'images.widths' must be a list of widths in pixels (16 to 10000), "
                                f"not {widths!r}", "write it like [480, 720, 1100, 1600]"))
    if not (isinstance(formats, (list, tuple)) and all(f in IMAGE_FORMATS for f in formats)):
        problems.append(Problem(path, line, f"'images.formats' must be a list of {' and '.join(IMAGE_FORMATS)}, "
                                f"not {formats!r}", "write it like [webp] or [avif, webp], or [] for none"))
    if not (type(quality) is int and 1 <= quality <= 100):
        problems.append(Problem(path, line, f"'images.quality' must be a whole number from 1 to 100, not {quality!r}"))
    if problems:
        return None, problems
    return Images(True, tuple(sorted(set(widths))), tuple(dict.fromkeys(formats)), quality), []


def _validate(config: Config, path: str, lines: dict[str, int]) -> list[Problem]:
    problems = []
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(path, lines.get("timezone"), f"unknown time zone '{config.timezone}'",
                                "use an IANA name such as Europe/London or UTC"))
    parts = urlsplit(config.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(Problem(path, lines.get("base_url"), f"base_url '{config.base_url}' is not an http(s) URL",
                                "write it like https://example.org/news/"))
    if config.navigation not in ("site", "section"):
        problems.append(Problem(path, lines.get("navigation"), "'navigation' must be 'site' or 'section'"))
    if config.markdown not in MARKDOWN_ENGINES:
        problems.append(Problem(path, lines.get("markdown"), f"'markdown' must be 'python-markdown' or 'commonmark', "
                                f"not {config.markdown!r}"))
    if config.feed_content not in ("full", "summary"):
        problems.append(Problem(path, lines.get("feed_content"), "'feed_content' must be 'full' or 'summary'"))
    if config.cname and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", config.cname):
        problems.append(Problem(path, lines.get("cname"), f"'cname' must be a bare domain name, not {config.cname!r}",
                                "write it like news.example.org"))
    for key in ("author", "section"):
        if is_reserved_on_windows(slugify(getattr(config, key))):
            problems.append(Problem(path, lines.get(key), f"{key} {getattr(config, key)!r} would have the URL folder "
                                    f"'{slugify(getattr(config, key))}', a name Windows does not allow", WINDOWS_HINT))
    names = set(re.findall(r"{(\w*)}", config.permalink))
    literal = re.sub(r"{\w*}", "x", config.permalink)
    if (names - PERMALINK_FIELDS or "slug" not in names or not config.permalink.startswith("/")
            or not re.fullmatch(r"[a-z0-9/_.-]*", literal) or any(s in (".", "..") for s in literal.split("/"))):
        problems.append(Problem(path, lines.get("permalink"), f"bad permalink '{config.permalink}'",
                                "it starts with '/' and uses {slug} and optionally {section}, {year}, {month}, {day}"))
    elif (segment := windows_refused_segment(literal)) is not None:
        problems.append(Problem(path, lines.get("permalink"), f"permalink '{config.permalink}' holds '{segment}', "
                                "a name Windows does not allow", WINDOWS_PATH_HINT))
    if not isinstance(config.params, dict):
        problems.append(Problem(path, lines.get("params"), "'params' must be a mapping of your own keys and values",
                                "write it like params: {analytics_id: G-12345}"))
    if not isinstance(config.warnings, dict):
        problems.append(Problem(path, lines.get("warnings"), "'warnings' must be a mapping of warning kinds to "
                                "true or false", "write it like warnings: {missing_summary: false}"))
    else:
        for kind, on in config.warnings.items():
            if str(kind) not in WARNING_KINDS:
                problems.append(_unknown(f"warnings.{kind}", [f"warnings.{k}" for k in WARNING_KINDS], path,
                                         lines.get(str(kind))))
            elif not isinstance(on, bool):
                problems.append(Problem(path, lines.get(str(kind)), f"'warnings.{kind}' must be true or false"))
    for name in config.keep:
        if name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in name.split("/")):
            problems.append(Problem(path, lines.get("keep"), f"'keep' entry {name!r} is not a path inside the output "
                                    "folder", "list names like .git or CNAME"))
    return problems


_OLD_PATH = re.compile(r"/[^\s#?\x00-\x1f]*(?:\?[\w.~%-]+=[\w.~%-]*(?:&[\w.~%-]+=[\w.~%-]*)*)?")
_NEW_URL = re.compile(r"(?:/|https?://[^\s/?#]+(?:/|$))[^\s\x00-\x1f]*")


def _redirect_rules(value: Any, text: str, line: int | None) -> tuple[tuple[tuple[str, str], ...], list[Problem]]:
    """site.yaml's `redirects:`, a mapping of old path to new path or URL, checked entry by entry."""
    if value is None:
        return (), []
    if not isinstance(value, dict):
        return (), [Problem(CONFIG_FILE, line, "'redirects' must be a mapping of old path: new path",
                            "write entries like '/old/story/: /world/story/' or '/?p=12: /world/story/'")]
    rules, problems = [], []
    for old, new in value.items():
        where = _entry_line(text, str(old), line)
        if not isinstance(old, str) or not _OLD_PATH.fullmatch(old) or old == "/":
            problems.append(Problem(CONFIG_FILE, where, f"redirect from {old!r} is not a URL path on this site",
                                    "write old paths like /old/story/ or /?p=12, without the domain"))
        elif not isinstance(new, str) or not _NEW_URL.fullmatch(new):
            problems.append(Problem(CONFIG_FILE, where, f"redirect {old!r} must go to a path or an http(s) URL, not "
                                    f"{new!r}", "write it like '/world/story/' or 'https://example.org/story/'"))
        else:
            rules.append((old, new))
    return tuple(rules), problems


def _entry_line(text: str, key: str, after: int | None) -> int | None:
    """The line of a nested key of site.yaml, looked for from the line of its parent."""
    lines = text.splitlines()
    for number in range(after or 1, len(lines) + 1):
        if lines[number - 1].lstrip().lstrip("'\"").startswith(key):
            return number
    return after


def load_config(site_dir: Path, base_url: str | None = None, origin: str | None = None) -> Config:
    """Read site_dir/site.yaml (optional) into a checked Config; raise SiteError listing every problem.

    `base_url` replaces site.yaml's; `origin` (a preview server's http://host:port) replaces only its origin.
    """
    path = site_dir / CONFIG_FILE
    data: Any = {}
    text = ""
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            line = path.read_bytes()[: error.start].count(b"\n") + 1
            raise SiteError(Problem(CONFIG_FILE, line, "not valid UTF-8", "save the file as UTF-8")) from None
        from broadsheet.stages.frontmatter import load_yaml_mapping  # here: a build with nothing to do never loads YAML

        data = load_yaml_mapping(CONFIG_FILE, text, what="site.yaml")
    lines = _key_lines(text)
    rules, problems = _redirect_rules(data.pop("redirects", None), text, lines.get("redirects"))
    values, section_problems = _load_section(data, Config, CONFIG_FILE, lines)
    problems += section_problems
    if rules:
        values["redirects"] = rules
    if "\\" in text:  # (an escape: the one way YAML makes a character that feeds cannot carry)
        from broadsheet.stages.frontmatter import non_xml_problems

        problems += non_xml_problems(CONFIG_FILE, data, text, lines)
    from broadsheet.stages.shortcodes import shortcode_templates
    from broadsheet.stages.theme import default_theme_dir

    config = Config(**values, shortcodes=shortcode_templates(site_dir, default_theme_dir()))
    if base_url is not None:
        config = replace(config, base_url=base_url)
    if origin is not None:
        config = replace(config, base_url=origin.rstrip("/") + config.base_path)
    problems += _validate(config, CONFIG_FILE, lines)
    if problems:
        raise SiteError(problems)
    return config
