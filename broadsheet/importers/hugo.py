"""Reading a Hugo site: its configuration, content (page bundles, _index.md), shortcodes and static files."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from broadsheet.importers.dates import read_date
from broadsheet.importers.newsite import Entry, OldSite, broadsheet_permalink, link_to, section_name, tally
from broadsheet.importers.sources import (
    as_list,
    front_and_body,
    image_of,
    load_data,
    mapping,
    summary_of,
    walk_files,
)
from broadsheet.slugs import slugify

CONFIG_NAMES = ("hugo", "config")
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
_CONTENT = {".md": "md", ".markdown": "md", ".mdown": "md", ".html": "html", ".htm": "html"}
_FILE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})-(.+)")
_REF = re.compile(r"""\{\{[<%]\s*(?:rel)?ref\s+(?:"([^"]*)"|'([^']*)'|([^\s>%]+))\s*[>%]\}\}""")
_PARAM = re.compile(r"""\{\{[<%]\s*param\s+(?:"([^"]*)"|'([^']*)'|([^\s>%]+))\s*[>%]\}\}""")
_HIGHLIGHT = re.compile(r"\{\{[<%]\s*highlight\s+(\w[\w+#.-]*)[^>%]*[>%]\}\}\n?(.*?)\n?\{\{[<%]\s*/highlight\s*[>%]\}\}",
                        re.DOTALL)
# Hugo's permalink tokens that Broadsheet's permalink has a field for.
_TOKENS = {":year": "{year}", ":month": "{month}", ":day": "{day}", ":slug": "{slug}", ":filename": "{slug}",
           ":title": "{slug}", ":contentbasename": "{slug}", ":slugorfilename": "{slug}", ":section": "{section}",
           ":sections": "{section}"}


def read_hugo(source: Path) -> OldSite:
    """Everything of a Hugo site the new site needs."""
    config = load_hugo_config(source)
    language = str(config.get("defaultContentLanguage") or config.get("languageCode") or "en")
    languages = mapping(config.get("languages"))
    own = next((mapping(v) for k, v in languages.items() if str(k).lower() == language.lower()), {})
    config = {**config, **{key: value for key, value in own.items() if key in ("title", "contentDir")},
              "params": {**mapping(config.get("params")), **mapping(own.get("params"))}}
    mounts = [m for m in as_list(mapping(config.get("module")).get("mounts")) if isinstance(m, dict)]
    mounted = {str(m.get("target")): str(m.get("source")) for m in mounts if m.get("target") in ("content", "static")}
    content_dir = source / str(own.get("contentDir") or config.get("contentDir") or mounted.get("content") or "content")
    permalinks = _permalinks(config)
    lower = not config.get("disablePathToLower")
    old = OldSite("hugo", {}, [])
    for name, options in languages.items():
        if isinstance(options, dict) and options.get("contentDir") and str(name).lower() != language.lower():
            old.notes.append((str(options["contentDir"]), None, (f"the '{name}' translation is not imported (one "
                                                                 "language a site)")))
    for path, relative in walk_files(content_dir):
        parts = PurePosixPath(relative).parts
        suffix = PurePosixPath(relative).suffix
        if suffix not in _CONTENT:
            if not _in_bundle(content_dir, relative):
                old.static.append((path, relative))  # (a file in a section folder: published at that path)
            continue
        origin = f"{content_dir.relative_to(source).as_posix()}/{relative}"
        name = PurePosixPath(relative).stem
        if name == "_index":
            if len(parts) > 1:
                old.notes.append((origin, 1, "a section's _index.md: its title and intro are not imported"))
            continue
        if (name == "index" and len(parts) > 1 and not (content_dir / PurePosixPath(relative).parent / "_index.md").exists()) \
                or name != "index":
            entry = _entry(path, relative, origin, permalinks, lower, mapping(config.get("params")))
            if entry is not None:
                old.entries.append(entry)
            else:
                old.notes.append((origin, 1, "a headless page (not rendered by Hugo): not imported"))
    static_dirs = as_list(config.get("staticDir")) or [mounted.get("static") or "static"]
    for folder in static_dirs:
        for path, relative in walk_files(source / str(folder)):
            old.static.append((path, relative))
    for folder in ("assets", "layouts", "themes", "i18n", "data"):
        if (source / folder).is_dir() and any((source / folder).iterdir()):
            old.notes.append((folder, None, f"Hugo's {folder}/ is not imported (the new site uses Broadsheet's theme)"))
    old.config = _settings(config, language, permalinks, old.entries)
    return old


def load_hugo_config(source: Path) -> dict[str, Any]:
    """hugo.toml|yaml|json (or config.*), then config/_default/ with its files per top-level key, merged."""
    config: dict[str, Any] = {}
    for name in CONFIG_NAMES:
        for suffix in CONFIG_SUFFIXES:
            if (source / (name + suffix)).is_file():
                config = load_data(source / (name + suffix))
                break
        if config:
            break
    folder = source / "config" / "_default"
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix not in CONFIG_SUFFIXES or not path.is_file():
                continue
            data = load_data(path)
            key, _, sub = path.stem.partition(".")  # languages.en.toml: the mapping under languages: en:
            if key in CONFIG_NAMES:
                config = {**data, **config}
            elif sub:
                config.setdefault(key, {}).setdefault(sub, data)
            else:
                config.setdefault(key, data)
    return config


def _permalinks(config: dict[str, Any]) -> dict[str, str]:
    """Section → Hugo permalink pattern (the `page` kind's when the configuration has kinds)."""
    found = config.get("permalinks")
    if not isinstance(found, dict):
        return {}
    if isinstance(found.get("page"), dict):
        found = found["page"]
    return {str(k): str(v) for k, v in found.items() if isinstance(v, str)}


def _settings(config: dict[str, Any], language: str, permalinks: dict[str, str], entries: list[Entry]) -> dict[str, Any]:
    """site.yaml from Hugo's configuration: title, base URL, language, time zone, permalink, pagination."""
    base = str(config.get("baseURL") or config.get("baseurl") or "https://example.org/")
    if not re.match(r"https?://[^/]", base):
        base = "https://example.org/"
    params = mapping(config.get("params"))
    settings: dict[str, Any] = {"title": str(config.get("title") or "Imported site"),
                                "base_url": base if base.endswith("/") else base + "/",
                                "language": language}
    description = summary_of(params.get("description") or config.get("description"))
    if description:
        settings["description"] = description
    zone = config.get("timeZone") or config.get("timezone")
    if zone:
        settings["timezone"] = str(zone)
    author = params.get("author") or config.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    if isinstance(author, str) and author.strip():
        settings["author"] = author.strip()
    sections = [e.section for e in entries if e.kind == "article" and e.section]
    main = tally(sections)
    if main:
        settings["section"] = main
    pattern = next((p for s, p in permalinks.items() if slugify(s) == slugify(main)), "") if main else ""
    settings["permalink"] = broadsheet_permalink(pattern, _TOKENS)
    pager = mapping(config.get("pagination")).get("pagerSize") or config.get("pagerSize") or config.get("paginate")
    if isinstance(pager, int) and pager > 0:
        settings["per_page"] = pager
    return settings


def _in_bundle(content_dir: Path, relative: str) -> bool:
    """Whether a file lies in a leaf bundle (a folder, or a folder above, with an index.md)."""
    folder = (content_dir / relative).parent
    while folder != content_dir and folder.is_relative_to(content_dir):
        if any((folder / f"index{suffix}").is_file() for suffix in _CONTENT):
            return True
        folder = folder.parent
    return False


def _entry(path: Path, relative: str, origin: str, permalinks: dict[str, str], lower: bool,
           params: dict[str, Any]) -> Entry | None:
    front, body, _ = front_and_body(path)
    build = front.get("_build") or front.get("build") or {}
    if front.get("headless") or (isinstance(build, dict) and str(build.get("render")).lower() in ("never", "false")):
        return None
    inner = PurePosixPath(relative)
    bundle = inner.stem == "index"
    folder = inner.parent
    filename = inner.parent.name if bundle else inner.stem
    dated = _FILE_DATE.match(filename)
    sections = folder.parts if not bundle else folder.parts[:-1]
    section = section_name(sections[0]) if sections else ""
    title = str(front.get("title") or filename.replace("-", " ").capitalize())
    when = read_date(front.get("publishDate") or front.get("pubdate") or front.get("published")
                     or front.get("date"))
    notes: list[tuple[int, str]] = []
    if when is None and dated:
        when = read_date(f"{dated.group(1)}-{dated.group(2)}-{dated.group(3)}")
    for key in ("date", "publishDate"):
        if front.get(key) is not None and read_date(front[key]) is None:
            notes.append((0, f"{key} {front[key]!r} could not be read"))
    slug = str(front.get("slug") or filename)
    markup = _CONTENT[inner.suffix]
    text, body_notes = _convert_shortcodes(body, {**params, **front})
    entry = Entry(origin, title, text, markup=markup, kind="article" if section and when else "page", date=when,
                  section=section, slug=slug, draft=bool(front.get("draft")))
    entry.notes = notes + body_notes
    front_tags = [str(t) for t in as_list(front.get("tags")) + as_list(front.get("categories")) if str(t).strip()]
    if front_tags:
        entry.front["tags"] = list(dict.fromkeys(front_tags))
    authors = [a.get("name") if isinstance(a, dict) else a for a in as_list(front.get("authors") or front.get("author"))]
    authors = [str(a) for a in authors if a]
    if authors:
        entry.front["author"] = authors[0] if len(authors) == 1 else authors
    summary = summary_of(front.get("summary") or front.get("description"))
    if summary:
        entry.front["summary"] = summary
    updated = read_date(front.get("lastmod") or front.get("modified"))
    if updated is not None and when is not None and str(updated) >= str(when):
        entry.front["updated"] = updated.isoformat()
    expires = read_date(front.get("expiryDate") or front.get("unpublishdate"))
    if expires is not None:
        entry.front["expires"] = expires.isoformat()
    image = image_of(front.get("images") or front.get("image") or front.get("featured_image"))
    if image:
        entry.front["image"], entry.front["image_alt"] = image
    if bundle:
        for file in sorted(path.parent.rglob("*")):
            if file.is_file() and file != path and file.suffix not in _CONTENT:
                entry.resources.append((file, file.relative_to(path.parent).as_posix()))
        if image and not re.match(r"https?://", image[0]) and (path.parent / image[0]).is_file():
            entry.front["image_resource"] = entry.front.pop("image")  # made a static path once the URL is known
    old = str(front["url"]) if front.get("url") else _old_url(permalinks.get(sections[0] if sections else ""), sections, filename, slug,
                                                               title, when, lower)
    old = old if old.startswith("/") else "/" + old
    here = old if old.endswith("/") else old.rsplit("/", 1)[0] + "/"
    # A relative alias is relative to the page's folder (Hugo: `about-us` of /about/ is /about-us/).
    parent = here.rstrip("/").rsplit("/", 1)[0] + "/"
    entry.old_urls = [old, *(a if a.startswith("/") else parent + a for a in map(str, as_list(front.get("aliases"))))]
    bare = str(inner.with_suffix(""))
    entry.keys = [relative, "/" + relative, bare, "/" + bare, inner.name, filename, str(inner.parent) if bundle else bare,
                  "file:" + relative]
    return entry


def _old_url(pattern: str | None, sections: tuple[str, ...], filename: str, slug: str, title: str,
             when: Any, lower: bool) -> str:
    """The page's URL on the Hugo site."""
    if not pattern:
        url = "/" + "/".join([*sections, slug if slug else filename]) + "/"
    else:
        moment = when
        fields = {":year": f"{moment.year:04d}" if moment else "", ":month": f"{moment.month:02d}" if moment else "",
                  ":day": f"{moment.day:02d}" if moment else "", ":slug": slug, ":filename": filename,
                  ":contentbasename": filename, ":slugorfilename": slug, ":title": slugify(title),
                  ":section": sections[0] if sections else "", ":sections": "/".join(sections)}
        url = re.sub(r":\w+", lambda m: fields.get(m.group(), m.group()), pattern)
    url = re.sub(r"/+", "/", "/" + url.replace(" ", "-"))
    return url.lower() if lower else url


def _convert_shortcodes(body: str, params: dict[str, Any]) -> tuple[str, list[tuple[int, str]]]:
    """`ref`/`relref` as links Broadsheet resolves, `highlight` as fenced code, `param` as the parameter's value (the
    page's, else the site's); other shortcodes stay as written."""
    notes: list[tuple[int, str]] = []

    def param(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3) or ""
        value: Any = params
        for part in name.split("."):
            value = mapping(value).get(part, mapping(value).get(part.lower()))
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        notes.append((body.count("\n", 0, match.start()) + 1, f"param {name!r} has no value to show: left out"))
        return ""

    text = _HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2)}\n```", body)
    text = _REF.sub(lambda m: link_to((m.group(1) or m.group(2) or m.group(3) or "").lstrip("/")), text)
    text = _PARAM.sub(param, text)
    return text, notes
