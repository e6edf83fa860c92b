"""Reading a Jekyll site: _config.yml, _posts/, _drafts/, pages, collections and static files."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from broadsheet.importers.dates import read_date
from broadsheet.importers.liquid import convert_liquid
from broadsheet.importers.newsite import Entry, OldSite, broadsheet_permalink, section_name
from broadsheet.importers.sources import (
    as_list,
    front_and_body,
    image_of,
    is_excluded,
    mapping,
    summary_of,
    walk_files,
)

_POST_NAME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})-(.+)\.(md|markdown|mkd|mkdn|html|htm)$")
_STYLES = {"date": "/:categories/:year/:month/:day/:title:output_ext",
           "pretty": "/:categories/:year/:month/:day/:title/",
           "ordinal": "/:categories/:year/:y_day/:title:output_ext",
           "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
           "none": "/:categories/:title:output_ext"}
# Jekyll's permalink placeholders that Broadsheet's permalink has a field for (categories are left out).
_TOKENS = {":year": "{year}", ":month": "{month}", ":day": "{day}", ":title": "{slug}", ":slug": "{slug}",
           ":categories": ""}
_MARKUP = {".md": "md", ".markdown": "md", ".mkd": "md", ".mkdn": "md", ".html": "html", ".htm": "html"}
# Not published by Jekyll unless its `include:` names them, nor worth copying.
_DEFAULT_EXCLUDE = ("Gemfile", "Gemfile.lock", "node_modules", "vendor", "gemfiles", ".sass-cache", ".jekyll-cache",
                    "package.json", "package-lock.json", "yarn.lock", "README.md", "README.markdown", "LICENSE",
                    "LICENSE.md", "Rakefile", "script", "CNAME")
# Files Broadsheet writes itself: a static copy would clash.
_OWN_FILES = {"feed.xml", "rss.xml", "atom.xml", "sitemap.xml", "robots.txt", "404.html", "index.html", "_redirects",
              "build-info.json", ".nojekyll"}


def read_jekyll(source: Path) -> OldSite:
    """Everything of a Jekyll site the new site needs."""
    config = _load_config(source)
    root = source / str(config.get("source") or ".")
    exclude = [str(e) for e in as_list(config.get("exclude"))] + list(_DEFAULT_EXCLUDE)
    include = {str(i) for i in as_list(config.get("include"))}
    posts = mapping(mapping(config.get("collections")).get("posts"))
    pattern = _pattern(posts.get("permalink") or config.get("permalink"))
    settings = _settings(config, pattern)
    old = OldSite("jekyll", settings, [])
    collections = _collections(config)
    values = {f"site.{key}": str(value) for key, value in config.items() if isinstance(value, str | int | float)}
    for path, relative in walk_files(root, include):
        parts = PurePosixPath(relative).parts
        if relative in ("_config.yml", "_config.yaml") or is_excluded(relative, exclude):
            continue
        if "_posts" in parts or parts[0] == "_drafts":
            entry = _post(path, relative, pattern, draft=parts[0] == "_drafts", values=values)
            if entry is not None:
                old.entries.append(entry)
            else:
                old.notes.append((relative, 1, "a post whose name is not YYYY-MM-DD-title.EXT: not imported"))
            continue
        if parts[0].startswith("_") and parts[0][1:] in collections:
            collection = parts[0][1:]
            if collections[collection] is not None and path.suffix in _MARKUP:
                entry = _page(path, relative, collections[collection], values, collection)
                if entry is not None:
                    old.entries.append(entry)
            continue
        if any(part.startswith(("_", ".")) for part in parts) and relative not in include:
            continue
        _other_file(path, relative, config, values, old)
    if root.resolve() != source.resolve():  # (`source: src`: messages name files from the site's folder)
        prefix = root.resolve().relative_to(source.resolve()).as_posix() + "/"
        for entry in old.entries:
            entry.origin = prefix + entry.origin
        old.notes = [(prefix + origin, line, message) for origin, line, message in old.notes]
    return old


def _load_config(source: Path) -> dict[str, Any]:
    for name in ("_config.yml", "_config.yaml"):
        path = source / name
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
            return data if isinstance(data, dict) else {}
    return {}


def _pattern(permalink: Any) -> str:
    text = str(permalink or "date")
    return _STYLES.get(text, text)


def _settings(config: dict[str, Any], pattern: str) -> dict[str, Any]:
    """site.yaml from _config.yml: title, base URL, language, time zone, permalink, pagination."""
    url = str(config.get("url") or "https://example.org").rstrip("/")
    baseurl = str(config.get("baseurl") or "").strip("/")
    author = config.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    settings: dict[str, Any] = {"title": str(config.get("title") or config.get("name") or "Imported site"),
                                "base_url": url + "/" + (baseurl + "/" if baseurl else "")}
    if config.get("description"):
        settings["description"] = " ".join(str(config["description"]).split())
    language = config.get("lang") or config.get("locale") or config.get("language")
    if language:
        settings["language"] = str(language).replace("_", "-")
    if config.get("timezone"):
        settings["timezone"] = str(config["timezone"])
    if isinstance(author, str) and author.strip():
        settings["author"] = author.strip()
    settings["section"] = "Posts"
    settings["permalink"] = broadsheet_permalink(pattern.replace(":output_ext", "/").replace(".html", "/"), _TOKENS)
    paginate = config.get("paginate") or mapping(config.get("pagination")).get("per_page")
    if isinstance(paginate, int) and paginate > 0:
        settings["per_page"] = paginate
    return settings


def _collections(config: dict[str, Any]) -> dict[str, str | None]:
    """Each collection's permalink pattern, None for one that is not output."""
    found: dict[str, str | None] = {}
    collections = config.get("collections")
    items = collections.items() if isinstance(collections, dict) else ((c, {}) for c in as_list(collections))
    for name, options in items:
        options = options if isinstance(options, dict) else {}
        if name == "posts":
            continue
        found[str(name)] = str(options.get("permalink") or "/:collection/:path:output_ext") \
            if options.get("output") else None
    return found


def _post(path: Path, relative: str, pattern: str, draft: bool, values: dict[str, str]) -> Entry | None:
    name = _POST_NAME.match(path.name)
    if not draft and not name:
        return None
    front, body, _ = front_and_body(path)
    stem = name.group(4) if name else path.stem
    when = read_date(front.get("date"))
    notes: list[tuple[int, str]] = []
    if front.get("date") is not None and when is None:
        notes.append((0, f"date {front['date']!r} could not be read: the file name's date is used"))
    if when is None and name:
        when = date(int(name.group(1)), int(name.group(2)), int(name.group(3)))
    if when is None:  # a draft without a date: Jekyll shows it at the build's moment
        when = datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0, second=0)
        notes.append((0, "a draft without a date: dated by its file's time"))
    categories = [str(c) for c in (_words(front.get("categories")) or _words(front.get("category")))]
    above = PurePosixPath(relative).parts
    dirs = list(above[:above.index("_posts")]) if "_posts" in above else []  # (folders below _posts are not categories)
    categories = dirs + [c for c in categories if c not in dirs]
    tags = [str(t) for t in (_words(front.get("tags")) or _words(front.get("tag")))]
    title = str(front.get("title") or stem.replace("-", " ").strip().capitalize())
    slug = str(front.get("slug") or stem)
    markup = _MARKUP.get(path.suffix, "md")
    converted = convert_liquid(body, {**values, "page.title": title})
    entry = Entry(relative, title, converted.text, markup=markup, date=when, slug=slug,
                  section=section_name(categories[0]) if categories else "", draft=draft or front.get("published") is False)
    entry.notes = notes + converted.notes
    entry.front.update(_common_front(front, tags + categories[1:]))
    old = str(front["permalink"]) if front.get("permalink") else _expand(pattern, when, categories, slug, markup)
    entry.old_urls = [old, *(str(u) for u in as_list(front.get("redirect_from")))]
    entry.keys = ["post:" + path.stem, "file:" + relative, relative, old]
    return entry


def _words(value: Any) -> list[str]:
    """Jekyll's categories and tags: a list, or a string of space-separated words."""
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in as_list(value) if v is not None and str(v).strip()]


def _expand(pattern: str, when: date | datetime, categories: list[str], slug: str, markup: str) -> str:
    """A post's URL under a Jekyll permalink pattern."""
    moment = when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)
    fields = {"year": f"{moment.year:04d}", "month": f"{moment.month:02d}", "day": f"{moment.day:02d}",
              "i_month": str(moment.month), "i_day": str(moment.day), "short_year": f"{moment.year % 100:02d}",
              "y_day": f"{moment.timetuple().tm_yday:03d}", "title": slug, "slug": slug.lower(),
              "categories": "/".join(c.lower().replace(" ", "-") for c in categories),
              "output_ext": ".html", "hour": f"{moment.hour:02d}", "minute": f"{moment.minute:02d}",
              "second": f"{moment.second:02d}", "week": moment.strftime("%V"), "short_day": moment.strftime("%a"),
              "long_day": moment.strftime("%A"), "short_month": moment.strftime("%b"),
              "long_month": moment.strftime("%B")}
    url = re.sub(r":([a-z_]+)", lambda m: fields.get(m.group(1), m.group()), pattern.replace(":output_ext", ".html"))
    return re.sub(r"/+", "/", "/" + url.lstrip("/"))


def _common_front(front: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    """Broadsheet keys for what Jekyll's front matter says besides title, date and categories."""
    mapped: dict[str, Any] = {}
    authors = as_list(front.get("authors")) or as_list(front.get("author"))
    authors = [a.get("name") if isinstance(a, dict) else a for a in authors]
    authors = [str(a) for a in authors if a]
    if authors:
        mapped["author"] = authors[0] if len(authors) == 1 else authors
    if tags:
        mapped["tags"] = list(dict.fromkeys(tags))
    summary = summary_of(front.get("excerpt") or front.get("description"))
    if summary:
        mapped["summary"] = summary
    updated = read_date(front.get("last_modified_at") or front.get("lastmod") or front.get("modified"))
    if updated is not None:
        mapped["updated"] = updated.isoformat()
    image = image_of(front.get("image"))
    if image:
        mapped["image"], mapped["image_alt"] = image
    return mapped


def _page(path: Path, relative: str, pattern: str | None, values: dict[str, str],
          collection: str | None = None) -> Entry | None:
    """A page (or a collection's document) with front matter; None for a Liquid layout."""
    front, body, _ = front_and_body(path)
    markup = _MARKUP.get(path.suffix, "md")
    inner = PurePosixPath(relative)
    if collection:
        inner = PurePosixPath(*inner.parts[1:])
    stem = inner.with_suffix("")
    title = str(front.get("title") or stem.name.replace("-", " ").capitalize())
    if front.get("permalink"):
        old = str(front["permalink"])
    elif collection and pattern:
        old = pattern.replace(":collection", collection).replace(":path", str(stem)).replace(":name", stem.name)
        old = old.replace(":title", stem.name).replace(":output_ext", ".html")
    else:
        old = "/" + (str(stem.parent) + "/" if str(stem.parent) != "." else "") + \
            ("" if stem.name == "index" else stem.name + ".html")
    converted = convert_liquid(body, {**values, "page.title": title})
    slug = str(front.get("slug") or (stem.name if stem.name != "index" else stem.parent.name) or title)
    entry = Entry(relative, title, converted.text, markup=markup, kind="page", slug=slug,
                  draft=front.get("published") is False)
    entry.notes = converted.notes
    entry.front.update(_common_front(front, []))
    entry.front.pop("tags", None)
    entry.old_urls = [old, *(str(u) for u in as_list(front.get("redirect_from")))]
    entry.keys = ["file:" + relative, relative, old]
    return entry


def _other_file(path: Path, relative: str, config: dict[str, Any], values: dict[str, str], old: OldSite) -> None:
    """A page with front matter, a file to copy, or something the new site cannot hold (noted)."""
    with path.open("rb") as file:
        has_front = file.read(4).startswith(b"---")
    name = PurePosixPath(relative).name
    if not has_front:
        if relative in _OWN_FILES:
            old.notes.append((relative, None, "Broadsheet writes its own file here: not copied"))
        elif path.suffix in (".scss", ".sass"):
            old.notes.append((relative, None, "a Sass file: compile it into static/ (Broadsheet runs no Sass)"))
        else:
            old.static.append((path, relative))
        return
    if path.suffix in _MARKUP and name != "404.html":
        body = front_and_body(path)[1]
        if relative in ("index.md", "index.markdown", "index.html") or re.search(r"\{%-?\s*(for|if)\b|paginator", body):
            old.notes.append((relative, 1, ("a page made of Liquid loops (a list or home page): not imported; "
                                           "Broadsheet's own lists and templates take its place")))
            return
        entry = _page(path, relative, None, values)
        if entry is not None:
            old.entries.append(entry)
        return
    old.notes.append((relative, 1, f"{name} is made by Liquid (front matter): not imported"
                      + ("; Broadsheet writes its own" if name in _OWN_FILES or name.endswith(".xml") else "")))
