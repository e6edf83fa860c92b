"""Reading a WordPress export (WXR): the channel, posts and pages with their HTML bodies, old URLs and ?p=ID."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from broadsheet.errors import Problem, SiteError
from broadsheet.importers.newsite import Entry, OldSite, tally
from broadsheet.importers.sources import summary_of, walk_files
from broadsheet.slugs import slugify

# WordPress's block-level elements (wpautop's $allblocks): never wrapped in a paragraph.
_BLOCKS = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|"
           r"blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|footer|"
           r"nav|figure|figcaption|details|menu|summary|iframe|video|audio|object|embed|script|noscript|svg)")
_PROTECTED = re.compile(r"<(pre|script|style|svg|textarea)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:[^>]*?-->\n?")
_SHORTCODE = re.compile(r"\[(caption|wp_caption|gallery|audio|video|playlist|embed|youtube|vimeo|gist|tweet|"
                        r"googlemaps|soundcloud|wpvideo|code|sourcecode)\b([^\]]*)\](?:(.*?)\[/\1\])?", re.DOTALL)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
UPLOADS = "wp-content/uploads"
_NAMESPACE = re.compile(r"\{([^}]*)\}")


def read_wordpress(source: Path, uploads: Path | None = None) -> OldSite:
    """Everything of a WordPress export the new site needs; `uploads`: a copy of the site's wp-content/uploads
    folder, whose files are published at their old paths and linked there."""
    try:
        channel = ET.parse(source).getroot().find("channel")
    except (ET.ParseError, IsADirectoryError) as error:
        raise SiteError(Problem(str(source), getattr(error, "position", (None,))[0],
                                f"not a WordPress export (WXR): {error}",
                                "export it from the WordPress admin: Tools › Export")) from None
    if channel is None:
        raise SiteError(Problem(str(source), None, "not a WordPress export (WXR): no <channel>"))
    link = (_text(channel, "link") or "https://example.org").rstrip("/")
    base_path = urlsplit(link).path.rstrip("/")
    authors = {_text(a, "author_login"): _text(a, "author_display_name") or _text(a, "author_login")
               for a in channel.findall("{*}author")}
    items = channel.findall("item")
    attachments = {_text(i, "post_id"): i for i in items if _text(i, "post_type") == "attachment"}
    pages = {_text(i, "post_id"): i for i in items if _text(i, "post_type") == "page"}
    old = OldSite("wordpress", {}, [])
    offsets = []
    for number, item in enumerate(items, start=1):
        kind = _text(item, "post_type")
        status = _text(item, "status")
        origin = f"{source.name}#item{number}"
        if kind not in ("post", "page") or status in ("trash", "auto-draft", "inherit"):
            continue
        entry, offset = _entry(item, kind, status, origin, authors, attachments, pages, base_path)
        if offset is not None:
            offsets.append(offset)
        old.entries.append(entry)
    skipped = sum(1 for i in items if _text(i, "post_type") not in ("post", "page", "attachment", "nav_menu_item"))
    if skipped:
        old.notes.append((source.name, None, (f"{skipped} items of other types (blocks, custom post types) were not "
                                             "imported")))
    if uploads is not None:
        _use_uploads(old, uploads, link)
    elif attachments:
        old.notes.append((source.name, None, (f"{len(attachments)} media files stay at their WordPress addresses "
                                              "(wp-content/uploads): import again with --uploads and a copy of that "
                                              "folder")))
    old.config = _settings(channel, link, offsets, old.entries)
    return old


def _use_uploads(old: OldSite, uploads: Path, link: str) -> None:
    """Copy the uploads folder to static/wp-content/uploads/ and point the links to its files there."""
    files = {relative: path for path, relative in walk_files(uploads)}
    old.static += [(path, f"{UPLOADS}/{relative}") for relative, path in files.items()]
    address = re.compile(r"(?:https?:)?//" + re.escape(urlsplit(link).netloc) + "/" + UPLOADS + r"/([^\s\"'<>)]+)")

    def local(match: re.Match[str]) -> str:
        return f"/{UPLOADS}/{match.group(1)}" if unquote(match.group(1)) in files else match.group()

    for entry in old.entries:
        entry.body = address.sub(local, entry.body)
        image = address.fullmatch(str(entry.front.get("image", "")))
        if image is not None and local(image) != image.group():
            entry.front["image"] = local(image).lstrip("/")


def _text(element: ET.Element, name: str) -> str:
    """The text of a child in any namespace (WXR 1.0 to 1.2 differ in theirs)."""
    found = element.find(name) if ":" in name or name in ("title", "link", "description", "language") \
        else element.find("{*}" + name)
    return (found.text or "").strip() if found is not None else ""


def _encoded(item: ET.Element, kind: str) -> str:
    for child in item:
        namespace = _NAMESPACE.match(child.tag)
        if child.tag.endswith("}encoded") and namespace and (kind in namespace.group(1)):
            return child.text or ""
    return ""


def _settings(channel: ET.Element, link: str, offsets: list[timedelta], entries: list[Entry]) -> dict[str, Any]:
    """site.yaml from the export's channel; the time zone from the offset its posts' dates show."""
    settings: dict[str, Any] = {"title": _text(channel, "title") or "Imported site", "base_url": link + "/"}
    description = summary_of(_text(channel, "description"))
    if description:
        settings["description"] = description
    language = _text(channel, "language")
    if language:
        settings["language"] = language
    if offsets:
        hours = min(set(offsets), key=offsets.count).total_seconds() / 3600
        if hours.is_integer() and hours:
            settings["timezone"] = f"Etc/GMT{-int(hours):+d}"  # (the signs of Etc/ zones are the other way round)
    settings["section"] = tally([e.section for e in entries if e.kind == "article" and e.section]) or "Blog"
    settings["permalink"] = "/{year}/{month}/{day}/{slug}/"
    return settings


def _entry(item: ET.Element, kind: str, status: str, origin: str, authors: dict[str, str],
           attachments: dict[str, ET.Element], pages: dict[str, ET.Element], base_path: str
           ) -> tuple[Entry, timedelta | None]:
    post_id = _text(item, "post_id")
    title = _text(item, "title") or "(no title)"
    local = _datetime(_text(item, "post_date"))
    gmt = _datetime(_text(item, "post_date_gmt"))
    when: datetime | None = gmt.replace(tzinfo=timezone.utc) if gmt else local
    offset = local - gmt if local and gmt else None
    body, notes = convert_body(_encoded(item, "content"))
    categories = [(c.get("domain"), c.get("nicename"), (c.text or "").strip()) for c in item.findall("category")]
    names = [name for domain, nice, name in categories if domain == "category" and nice != "uncategorized"]
    tags = [name for domain, _, name in categories if domain == "post_tag"]
    entry = Entry(origin, title, body, markup="html", kind="article" if kind == "post" else "page", date=when,
                  section=names[0] if names and kind == "post" else "", slug=unquote(_text(item, "post_name")) or title,
                  draft=status in ("draft", "pending", "private"))
    entry.notes = notes
    if status == "private":
        entry.notes.append((0, "private in WordPress: imported as a draft"))
    if status == "future":
        entry.notes.append((0, "scheduled in WordPress: published from its date"))
    creator = _text(item, "creator")
    if creator:
        entry.front["author"] = authors.get(creator, creator)
    all_tags = list(dict.fromkeys(names[1:] + tags)) if kind == "post" else []
    if all_tags:
        entry.front["tags"] = all_tags
    summary = summary_of(_encoded(item, "excerpt"))
    if summary:
        entry.front["summary"] = summary
    meta = {_text(m, "meta_key"): _text(m, "meta_value") for m in item.findall("{*}postmeta")}
    thumbnail = attachments.get(meta.get("_thumbnail_id", ""))
    if thumbnail is not None:
        url = _text(thumbnail, "attachment_url")
        alt = {_text(m, "meta_key"): _text(m, "meta_value") for m in thumbnail.findall("{*}postmeta")}
        if url.startswith(("http://", "https://")):
            entry.front["image"] = url
            entry.front["image_alt"] = alt.get("_wp_attachment_image_alt") or _text(thumbnail, "title") or title
    link = _text(item, "link")
    path = urlsplit(link).path
    if path and not urlsplit(link).query and status in ("publish", "future"):
        path = unquote(path.removeprefix(base_path)) or "/"
        if path != "/":
            entry.old_urls.append(path)
    if kind == "page" and not entry.old_urls:
        entry.old_urls.append(_page_path(item, pages))
    if post_id:
        entry.old_urls.append(f"/?{'page_id' if kind == 'page' else 'p'}={post_id}")
        entry.keys.append(post_id)
    entry.keys += [link, path]
    return entry, offset


def _page_path(item: ET.Element, pages: dict[str, ET.Element]) -> str:
    """A page's URL from its parents' slugs, as WordPress makes it."""
    names, seen = [], set()
    while item is not None and _text(item, "post_id") not in seen:
        seen.add(_text(item, "post_id"))
        names.append(unquote(_text(item, "post_name")) or slugify(_text(item, "title")))
        item = pages.get(_text(item, "post_parent"))  # type: ignore[assignment]
    return "/" + "/".join(reversed(names)) + "/"


def _datetime(text: str) -> datetime | None:
    if not text or text.startswith("0000"):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def convert_body(content: str) -> tuple[str, list[tuple[int, str]]]:
    """WordPress content as the HTML WordPress shows: block comments dropped, paragraphs made as wpautop makes them
    (for content written without blocks), shortcodes with a counterpart converted, the others noted."""
    notes: list[tuple[int, str]] = []
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    blocks = "<!-- wp:" in text
    text = _BLOCK_COMMENT.sub("", text)

    def shortcode(match: re.Match[str]) -> str:
        name, attributes, inner = match.group(1), _attributes(match.group(2)), match.group(3)
        if name in ("caption", "wp_caption"):
            image = re.match(r"\s*((?:<a [^>]*>)?\s*<img [^>]*>\s*(?:</a>)?)(.*)", inner or "", re.DOTALL)
            caption = attributes.get("caption") or (image.group(2).strip() if image else "")
            picture = image.group(1) if image else (inner or "")
            return f"<figure>{picture}<figcaption>{caption}</figcaption></figure>"
        if name == "embed" or (name in ("youtube", "vimeo") and (inner or attributes.get("0"))):
            url = (inner or attributes.get("0") or "").strip()
            return _embed(url)
        arguments = " ".join(f'{k}="{v}"' for k, v in attributes.items() if not k.isdigit())
        opening = "{{< " + " ".join(filter(None, [name, arguments])) + " >}}"
        return opening + (f"{inner}{{{{< /{name} >}}}}" if inner is not None else "")

    if not blocks:  # (WordPress makes paragraphs before it expands shortcodes, and unwraps a shortcode alone)
        text = re.sub(r"<p>(\[(\w+)\b[^\]]*\](?:.*?\[/\2\])?)</p>", r"\1", wpautop(text), flags=re.DOTALL)
    text = _SHORTCODE.sub(shortcode, text)
    return text.strip("\n") + "\n", notes


def _attributes(text: str) -> dict[str, str]:
    found = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None
             else m.group(4) for m in _ATTRIBUTE.finditer(text)}
    rest = _ATTRIBUTE.sub("", text).strip().lstrip("=").strip()
    if rest:
        found["0"] = rest.strip("\"'")
    return found


def _embed(url: str) -> str:
    """An embedded URL as a video shortcode where Broadsheet has one, else a link."""
    youtube = re.search(r"(?:youtube\.com/watch\?v=|youtu\.be/)([\w-]{6,})", url)
    if youtube:
        return "{{< youtube " + youtube.group(1) + " >}}"
    vimeo = re.search(r"vimeo\.com/(\d+)", url)
    if vimeo:
        return "{{< vimeo " + vimeo.group(1) + " >}}"
    return f'<p><a href="{url}">{url}</a></p>'


def wpautop(text: str) -> str:
    """Paragraphs from blank lines and line breaks from single newlines, as WordPress's wpautop() shows content that
    was written without blocks; <pre>, <script> and <style> are left as they are."""
    if not text.strip():
        return ""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group())
        return f"<wp-kept-{len(kept) - 1}></wp-kept-{len(kept) - 1}>"

    text = _PROTECTED.sub(keep, text) + "\n"
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(r"(<" + _BLOCKS + r"[\s/>])", r"\n\n\1", text)
    text = re.sub(r"(</" + _BLOCKS + r">)", r"\1\n\n", text)
    text = re.sub(r"(<wp-kept-\d+></wp-kept-\d+>)", r"\n\n\1\n\n", text)
    text = re.sub(r"(<!--more(?:[^>]*)-->)", r"\n\n\1\n\n", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text)
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    out = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    out = re.sub(r"<p>\s*</p>", "", out)
    out = re.sub(r"<p>\s*(<wp-kept-\d+></wp-kept-\d+>|<!--more[^>]*-->)\s*</p>", r"\1", out)
    out = re.sub(r"<p>([^<]*)</(div|address|form)>", r"<p>\1</p></\2>", out)
    out = re.sub(r"<p>\s*(</?" + _BLOCKS + r"[^>]*>)\s*</p>", r"\1", out)
    out = re.sub(r"<p>(<li.+?)</p>", r"\1", out)
    out = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", out, flags=re.IGNORECASE)
    out = out.replace("</blockquote></p>", "</p></blockquote>")
    out = re.sub(r"<p>\s*(</?" + _BLOCKS + r"[^>]*>)", r"\1", out)
    out = re.sub(r"(</?" + _BLOCKS + r"[^>]*>)\s*</p>", r"\1", out)
    out = re.sub(r"(?<!<br />)\s*\n(?!$)", "<br />\n", out)
    out = re.sub(r"(</?" + _BLOCKS + r"[^>]*>)\s*<br />", r"\1", out)
    out = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", out)
    out = re.sub(r"(<!--more[^>]*-->|</wp-kept-\d+>)\s*<br />", r"\1", out)
    out = re.sub(r"\n</p>$", "</p>", out)
    return re.sub(r"<wp-kept-(\d+)></wp-kept-\d+>", lambda m: kept[int(m.group(1))], out)
