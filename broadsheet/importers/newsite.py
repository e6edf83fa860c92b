"""The new site an import writes: articles with Broadsheet's front matter, old URLs kept, placeholders, a report."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from broadsheet.config import CONFIG_FILE, Config, load_config
from broadsheet.content import CONTENT_DIR, PAGES_DIR, article_url, display_section
from broadsheet.errors import Problem, SiteError
from broadsheet.slugs import is_reserved_on_windows, slugify
from broadsheet.theme import default_theme_dir

SHORTCODES = PurePosixPath("templates/shortcodes")
# A link to another entry of the old site, by one of its keys (see Entry.keys), until its new place is known.
LINK_OPEN, LINK_CLOSE = "\ue010", "\ue011"
_LINK = re.compile(LINK_OPEN + "([^" + LINK_CLOSE + "]*)" + LINK_CLOSE)
_SHORTCODE = re.compile(r"\{\{([<%])\s*([A-Za-z0-9_][\w.-]*)")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.MULTILINE)


def broadsheet_permalink(pattern: str, tokens: dict[str, str]) -> str:
    """The Broadsheet permalink closest to another generator's pattern (`tokens`: its placeholders → Broadsheet's
    fields, "" for one to leave out); the default where a placeholder has no counterpart."""
    if not pattern:
        return "/{section}/{slug}/"
    result = re.sub(r":[a-z_]+", lambda m: tokens.get(m.group(), "\0"), pattern.strip())
    result = re.sub(r"/+", "/", "/" + result.strip("/") + "/")
    if "\0" in result or "{slug}" not in result or not re.fullmatch(r"[a-z0-9/_.{}-]*", result):
        return "/{section}/{slug}/"
    return result


def section_name(name: str) -> str:
    """A section's name from a folder or category name: `news` is shown as `News`, `iOS` as written."""
    return name[:1].upper() + name[1:] if name == name.lower() else name


def link_to(key: str) -> str:
    """The stand-in for a link to the entry known by `key`, resolved when every entry's new place is known."""
    return LINK_OPEN + key + LINK_CLOSE


@dataclass
class Entry:
    """One post or page of the old site, as the new site will hold it."""

    origin: str  # its file (or the export's item) in the old site, for messages
    title: str
    body: str
    markup: str = "md"  # "md" (Markdown) or "html" (an HTML body)
    kind: str = "article"  # or "page"
    date: datetime | date | None = None
    section: str = ""
    slug: str = ""  # as the old site wrote it (made a Broadsheet slug here)
    front: dict[str, Any] = field(default_factory=dict)  # further front matter in Broadsheet's keys
    draft: bool = False
    old_urls: list[str] = field(default_factory=list)  # its old URL paths, below the site's base path
    keys: list[str] = field(default_factory=list)  # what other bodies link to it by (post_url name, file path)
    resources: list[tuple[Path, str]] = field(default_factory=list)  # files published beside its page
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line of the body, what needs a person)


@dataclass
class OldSite:
    """What a reader found in the old site."""

    kind: str  # jekyll, hugo, wordpress
    config: dict[str, Any]  # site.yaml's values
    entries: list[Entry]
    static: list[tuple[Path, str]] = field(default_factory=list)  # (file, its path under static/)
    notes: list[tuple[str, int | None, str]] = field(default_factory=list)  # (origin, line, message)
    redirects: dict[str, str] = field(default_factory=dict)  # site-wide old path → new path


@dataclass
class Report:
    """What an import did, and what is left for a person, as `path:line: …` lines."""

    kind: str
    dest: Path
    imported: int = 0
    pages: int = 0
    drafts: int = 0
    redirects: int = 0
    assets: int = 0
    placeholders: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what the check of the new site found
    checked: str = ""

    def text(self) -> str:
        """The report printed at the end of an import."""
        lines = [(f"Imported the {self.kind} site into {self.dest}: {self.imported} articles and {self.pages} pages "
                 f"({self.drafts} drafts or scheduled), {self.redirects} old URLs redirected, {self.assets} files "
                 "copied.")]
        if self.placeholders:
            lines.append("Placeholder shortcode templates (write the real ones): " + ", ".join(self.placeholders))
        if self.notes:
            lines.append(f"{len(self.notes)} items need a person:")
            lines += self.notes
        lines += self.problems
        if self.checked:
            lines.append(self.checked)
        return "\n".join(lines)


def prepare_dest(source: Path, dest: Path) -> None:
    """Make DEST, refusing one that holds anything, or one inside SOURCE (an import never writes there)."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise SiteError(Problem(str(dest), None, "exists and is not empty", "give a new folder for the new site"))
    src, new = source.resolve(), dest.resolve()
    if new == src or new.is_relative_to(src if source.is_dir() else src.parent / "\0"):
        raise SiteError(Problem(str(dest), None, f"is inside {source}, which an import never writes into",
                                "give a folder outside the old site"))
    dest.mkdir(parents=True, exist_ok=True)


def write_site(old: OldSite, dest: Path) -> Report:
    """Write the new site: site.yaml, content/, static/, placeholder shortcodes; return the report."""
    report = Report(old.kind, dest)
    _host_rules(old)
    settings = {"markdown": "commonmark", **old.config}
    (dest / CONFIG_FILE).write_text(_site_yaml(settings, old.redirects), encoding="utf-8")
    config = load_config(dest)  # (a value the reader mapped wrongly fails here, in one line, not in every article)
    placed = _place(old.entries, config)
    old_index = _old_url_index(placed)
    static_paths = {"/" + path for _, path in old.static} | {
        "/" + (PurePosixPath(url.lstrip("/")).parent / name).as_posix()
        for item in placed for url in item.entry.old_urls[:1] for _, name in item.entry.resources}
    origin = _origin(str(old.config.get("base_url", "")))
    for item in placed:
        item.entry.body = _relink(item.entry, old_index, static_paths, origin)
    by_key: dict[str, Placed] = {}
    for item in placed:
        for key in item.entry.keys:
            by_key.setdefault(key, item)
    taken = {item.url.rstrip("/").lower() for item in placed} | {"", "/tags", "/authors", "/archive"}
    taken |= {"/" + item.section_slug for item in placed if item.section_slug}
    claimed: set[str] = set()
    provided = {path.stem for path in (default_theme_dir() / "templates" / "shortcodes").glob("*.html")}
    placeholders: dict[str, str] = {}
    for item in placed:
        entry = item.entry
        body = _resolve_links(entry, item, by_key, config)
        aliases = []
        for url in dict.fromkeys(entry.old_urls):
            norm = url.rstrip("/").lower().removesuffix("/index.html")
            if url.rstrip("/") == item.url.rstrip("/"):
                continue
            if "?" not in url and ((norm in taken and url.rstrip("/").lower() != item.url.rstrip("/").lower())
                                   or norm in claimed):
                entry.notes.append((0, f"old URL {url} is now another page's: no redirect made"))
                continue
            claimed.add(norm)
            aliases.append(url)
        report.redirects += len(aliases)
        front = _front_matter(entry, item, aliases, config)
        text = "---\n" + _dump(front) + "---\n"
        header_lines = text.count("\n")
        for line, name in _shortcodes(body):
            if name not in provided:
                placeholders.setdefault(name, f"{item.path}:{header_lines + line}")
                entry.notes.append((line, (f"shortcode '{name}' has a placeholder template: write "
                                          f"{SHORTCODES}/{name}.html")))
        target = dest / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + body, encoding="utf-8")
        for file, name in entry.resources:
            _copy(file, dest / "static" / item.url.strip("/") / name)
            report.assets += 1
        for line, message in entry.notes:
            report.notes.append(f"{item.path}:{header_lines + line if line else 1}: {message}")
        if entry.kind == "page":
            report.pages += 1
        else:
            report.imported += 1
        report.drafts += entry.draft or _is_future(entry, config)
    for file, path in old.static:
        _copy(file, dest / "static" / path)
        report.assets += 1
    for name in sorted(placeholders):
        target = dest / SHORTCODES / f"{name}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_placeholder(name, old.kind), encoding="utf-8")
    report.placeholders = sorted(placeholders)
    report.redirects += len(old.redirects)
    report.notes += [f"{where}:{line or 1}: {message}" for where, line, message in old.notes]
    (dest / ".gitignore").write_text("public/\n.broadsheet-cache/\n", encoding="utf-8")
    return report


def _host_rules(old: OldSite) -> None:
    """The old site's own `_redirects` file (Netlify, Cloudflare Pages) as site.yaml's `redirects:`: plain 30x rules
    are kept; rules with wildcards, placeholders, other statuses or conditions are listed for a person."""
    for file, path in [item for item in old.static if PurePosixPath(item[1]).name == "_redirects"]:
        old.static.remove((file, path))
        for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            plain = (len(fields) == 2 or (len(fields) == 3 and fields[2] in ("301", "302", "308"))) \
                and re.fullmatch(r"/[^*:\s]*", fields[0]) and re.fullmatch(r"(?:/|https?://)[^*\s]*", fields[1]) \
                and "/:" not in fields[1]
            if plain:
                old.redirects.setdefault(fields[0], fields[1])
            else:
                old.notes.append((path, number, ("a host rule Broadsheet does not write (a wildcard, a placeholder, a "
                                                f"condition): set it up on the host: {' '.join(fields)}")))


def check_new_site(dest: Path, report: Report) -> int:
    """Build the new site (into a temporary folder) and check it as `broadsheet check` does; what the check finds
    (broken links of the old site, missing images) goes into the report. The number of errors that stop a build."""
    import tempfile

    from broadsheet.build import build
    from broadsheet.check import check
    from broadsheet.options import BuildOptions

    with tempfile.TemporaryDirectory(prefix="broadsheet-import-") as folder:
        try:
            built = build(BuildOptions(site_dir=dest, output_dir=Path(folder) / "public", quiet=True, no_cache=True))
        except SiteError as error:
            report.problems += [str(problem) for problem in error.problems]
            errors = sum(not problem.warning for problem in error.problems)
            report.checked = f"The new site does not build: {errors} errors (fix them, then run broadsheet build)."
            return errors or 1
    result = check(BuildOptions(site_dir=dest, output_dir=dest / "public", no_cache=True))
    report.problems += [str(p) for p in result.problems if not p.warning]
    report.checked = (f"The new site builds: {built.pages} pages. broadsheet check: {result.errors} errors "
                      f"(broken links, missing images), {result.warnings} warnings; "
                      f"build it with: broadsheet build --site {dest}")
    return 0


@dataclass
class Placed:
    """An entry with its place in the new site."""

    entry: Entry
    path: str  # the content file, relative to the site
    slug: str
    section_slug: str
    when: datetime | None
    url: str  # below the base path, /world/slug/


def _place(entries: list[Entry], config: Config) -> list[Placed]:
    """Each entry's file, slug and URL in the new site; two entries never share a file or a URL."""
    from broadsheet.content import parse_date

    placed: list[Placed] = []
    files: set[str] = set()
    # Broadsheet's own list pages: the sections' (a page cannot take a section's URL), tags, authors, archive.
    urls: set[str] = {f"/{slugify(e.section or config.section)}/" for e in entries if e.kind == "article"}
    urls |= {"/tags/", "/authors/", "/archive/", "/page/"}
    for entry in sorted(entries, key=lambda e: (e.kind, e.origin)):
        section_slug = slugify(entry.section) if entry.kind == "article" else ""
        if entry.kind == "article" and not section_slug:
            section_slug = slugify(config.section)
        when = parse_date(entry.date, config.zone) if entry.date is not None else None
        if entry.kind == "article" and when is None:
            entry.kind = "page"
            entry.notes.append((0, "no date in the old site: imported as a page"))
        base = slugify(entry.slug) or slugify(entry.title) or slugify(PurePosixPath(entry.origin).stem) or "untitled"
        if is_reserved_on_windows(base):
            base += "-1"
        slug, number = base, 1
        while True:
            url = article_url(config, entry.kind, slug, section_slug, when)
            folder = PAGES_DIR if entry.kind == "page" else section_slug
            path = f"{CONTENT_DIR}/{folder}/{slug}.{entry.markup}"
            if url.lower() not in urls and path.lower() not in files and not _list_url(url):
                break
            number += 1
            slug = f"{base}-{number}"
        urls.add(url.lower())
        files.add(path.lower())
        placed.append(Placed(entry, path, slug, section_slug, when, url))
    return placed


def _list_url(url: str) -> bool:
    """Whether a page's URL is one of Broadsheet's own lists (/tags/, /archive/, /page/2/)."""
    first = url.strip("/").split("/")[0]
    return first in ("tags", "authors", "archive", "page", "feed.xml", "rss.xml", "sitemap.xml")


_HREF = re.compile(r"""(\]\(\s*<?|^\[[^\]\n]+\]:\s*<?|\b(?:href|src)=["'])([^)"'>\s]+)""", re.MULTILINE)


def _origin(base_url: str) -> str:
    match = re.match(r"https?://[^/]+", base_url)
    return match.group().lower() if match else ""


def _normal(path: str) -> str:
    """An old URL path as compared with others: no index.html, no trailing slash, lower case."""
    return path.split("#")[0].removesuffix("index.html").rstrip("/").lower() or "/"


def _old_url_index(placed: list[Placed]) -> dict[str, str]:
    """Each old URL (normalised) → a key of the entry that had it."""
    index: dict[str, str] = {}
    for number, item in enumerate(placed):
        entry = item.entry
        entry.keys.insert(0, f"entry:{number}")
        for url in entry.old_urls:
            index.setdefault(url if "?" in url else _normal(url), entry.keys[0])
            if "?" not in url:
                if url.endswith(".html"):
                    index.setdefault(_normal(url.removesuffix(".html")), entry.keys[0])
    return index


def _relink(entry: Entry, old_index: dict[str, str], static_paths: set[str], origin: str) -> str:
    """Links in a body to the old site's pages (relative, root-relative, or absolute on its own address) made links to
    the entries they are now; relative links to its files made root-relative (pages move, files stay)."""
    from urllib.parse import urljoin

    base = entry.old_urls[0] if entry.old_urls and "?" not in entry.old_urls[0] else "/"
    fenced = _fenced_spans(entry.body)

    def replace(match: re.Match[str]) -> str:
        url = match.group(2)
        if any(start <= match.start() < end for start, end in fenced) or LINK_OPEN in url:
            return match.group()
        lowered = url.lower()
        if origin and lowered.startswith(origin + "/"):
            url = url[len(origin):]
        elif re.match(r"[a-z][a-z0-9+.-]*:|//|#", lowered):
            return match.group()
        path, _, fragment = url.partition("#")
        path, _, query = path.partition("?")
        absolute = urljoin(base, path) if path else base
        key = old_index.get(f"{absolute}?{query}") if query else None
        key = key or old_index.get(_normal(absolute)) or old_index.get(_normal(absolute.removesuffix(".html")))
        if key is not None:
            return match.group(1) + link_to(key + (f"#{fragment}" if fragment else ""))
        if absolute in static_paths and not path.startswith("/"):
            return match.group(1) + absolute + (f"#{fragment}" if fragment else "")
        return match.group()

    return _HREF.sub(replace, entry.body)


def _resolve_links(entry: Entry, item: Placed, by_key: dict[str, Placed], config: Config) -> str:
    """The body with every link stand-in made a link Broadsheet resolves: a Markdown link to the other file, or
    (in raw HTML) its URL."""
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        path, _, fragment = key.partition("#")
        target = by_key.get(path) or by_key.get(path.rstrip("/"))
        fragment = "#" + fragment if fragment else ""
        if target is None:
            line = entry.body.count("\n", 0, match.start()) + 1
            entry.notes.append((line, f"link to {path!r}: no such post or page in the old site"))
            return path + fragment
        before = entry.body[max(0, match.start() - 2):match.start()]
        if entry.markup == "md" and target.entry.markup == "md" and (before in ("](", ": ") or before.endswith("<")):
            return os.path.relpath(target.path, PurePosixPath(item.path).parent).replace(os.sep, "/") + fragment
        return config.base_path + target.url.lstrip("/") + fragment

    return _LINK.sub(replace, entry.body)


def _front_matter(entry: Entry, item: Placed, aliases: list[str], config: Config) -> dict[str, Any]:
    """Broadsheet's front matter for an entry: its own keys first, then what the old site had besides."""
    front: dict[str, Any] = {"title": entry.title}
    if item.when is not None:
        front["date"] = item.when.isoformat()
    extra = dict(entry.front)
    if "image_resource" in extra:  # a bundle's image, published beside the page
        extra["image"] = item.url.strip("/") + "/" + extra.pop("image_resource")
    if "updated" in extra:
        front["updated"] = extra.pop("updated")
    if entry.kind == "article" and entry.section and display_section(item.section_slug, config) != entry.section:
        front["section"] = entry.section
    if extra.get("image") and not extra.get("image_alt"):
        extra["image_alt"] = entry.title
        entry.notes.append((0, "the lead image's alt text is the title: describe the image in 'image_alt'"))
    for key in ("author", "tags", "summary", "image", "image_alt", "expires"):
        if key in extra:
            front[key] = extra.pop(key)
    if slugify(entry.slug or "") != item.slug:
        front["slug"] = item.slug
    if entry.draft:
        front["draft"] = True
    if aliases:
        front["aliases"] = aliases
    front.update(extra)
    return front


def _dump(front: dict[str, Any]) -> str:
    return yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1 << 16, default_flow_style=False)


def _site_yaml(settings: dict[str, Any], redirects: dict[str, str]) -> str:
    text = "# Written by broadsheet import; every key is described in the documentation.\n" + _dump(settings)
    if redirects:
        text += _dump({"redirects": dict(sorted(redirects.items()))})
    return text


def _shortcodes(body: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, name) of every shortcode the build will expand, those in other shortcodes' inner text too."""
    from broadsheet.shortcodes import find_calls

    try:
        calls = find_calls(body, "", first_line)
    except SiteError:  # (a shortcode the build will refuse: reported by the check; its name still needs a template)
        return _shortcodes_written(body)
    found = []
    for _, _, call in calls:
        if call.name:
            found.append((call.line, call.name))
        if call.inner and "{{" in call.inner:
            found += _shortcodes(call.inner, call.line)
    return found


def _shortcodes_written(body: str) -> list[tuple[int, str]]:
    """(line, name) of every opening shortcode outside fenced code, as written."""
    fenced = _fenced_spans(body)
    found = []
    for match in _SHORTCODE.finditer(body):
        if any(start <= match.start() < end for start, end in fenced):
            continue
        if body.startswith("/*", match.end(1)) or body[match.end(1):].lstrip().startswith("/"):
            continue
        found.append((body.count("\n", 0, match.start()) + 1, match.group(2)))
    return found


def _fenced_spans(body: str) -> list[tuple[int, int]]:
    spans, opened = [], None
    for match in _FENCE.finditer(body):
        if opened is None:
            opened = match
        elif match.group(1)[0] == opened.group(1)[0] and len(match.group(1)) >= len(opened.group(1)):
            spans.append((opened.start(), match.end()))
            opened = None
    if opened is not None:
        spans.append((opened.start(), len(body)))
    return spans


def _placeholder(name: str, kind: str) -> str:
    return (f"{{# A placeholder written by broadsheet import for the {kind} site's '{name}': it shows the text between "
            "its tags, if any. Write the real template here (see docs/shortcodes.md). #}\n"
            f"<!-- shortcode {name}: placeholder -->{{% if inner %}}{{{{ inner }}}}{{% endif %}}\n")


def _copy(file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(file, target)


def _is_future(entry: Entry, config: Config) -> bool:
    from broadsheet.content import parse_date

    if entry.date is None or entry.kind != "article":
        return False
    return parse_date(entry.date, config.zone) > datetime.now(config.zone)


def tally(values: list[str]) -> str:
    """The most frequent of some values (ties: the first in sorted order)."""
    counts = Counter(values)
    return min(counts, key=lambda v: (-counts[v], v)) if counts else ""
