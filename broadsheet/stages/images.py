"""The image stage: every raster image under static/ published without camera data, with smaller copies in modern
formats beside it, and a social card for each lead image; then the <img> elements that show them.

`publish_images` runs once a build, between collecting the static files and rendering: it returns the static
files with each JPEG, PNG and WebP replaced by its processed file (kept in the cache folder by the hash of its
bytes and the settings) and its copies added, so that the build claims, carries over and copies them as it does
any static file. The pixels are Pillow's work, in imaging.py, done in the worker pool for the images not in the
cache; this module imports no Pillow. See docs/images.md.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from markupsafe import Markup

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.files import write_atomically
from broadsheet.base.slugs import windows_refused_segment
from broadsheet.stages.config import Config, Images
from broadsheet.stages.theme import STATIC_DIR, StaticFile

IMAGES_DIR = "images"  # in the cache folder
KINDS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}  # the raster images processed
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}
MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "avif": "image/avif"}
# The width an image takes in the default theme's article column: the whole screen but its margins on a phone.
SIZES = "(min-width: 40rem) 38rem, calc(100vw - 2rem)"
CARD_WIDTH, CARD_HEIGHT = 1200, 630
FALLBACK_WIDTH = 1100  # the src of a browser that reads no srcset: the widest copy up to this
_VERSION = b"broadsheet-images 2"  # bump when what imaging.py makes of the same bytes changes
_RACY_NS = 2_000_000_000  # a file changed this close to the index's look at it may show the same time after


@dataclass(frozen=True, slots=True)
class Variant:
    """A smaller copy of an image, at its path under static/."""

    path: str
    width: int
    height: int
    format: str  # jpeg, png, webp, avif


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What pages show of a processed image: its size once upright, its format and its copies."""

    width: int
    height: int
    format: str
    variants: tuple[Variant, ...]


# (label, payload) in, (label, result) out: runs image tasks (see run_task), in worker processes or not.
Runner = Callable[[list[tuple[str, tuple[Any, ...]]]], Iterable[tuple[str, Any]]]


def parse_focus(text: str) -> tuple[float, float] | None:
    """A lead image's focal point, "x,y" as fractions of its width and height, or None if it is not one."""
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        return None
    return (x, y) if 0 <= x <= 1 and 0 <= y <= 1 else None


def image_kind(path: str) -> str | None:
    """jpeg, png or webp for a raster image processed by name; None for anything else (SVG and GIF pass through)."""
    return KINDS.get(posixpath.splitext(path)[1].lower())


def variant_path(path: str, width: int, fmt: str) -> str:
    """Where a copy of the image at `path` (under static/) is published: images/a.jpg → images/a-480w.webp."""
    return f"{posixpath.splitext(path)[0]}-{width}w.{EXTENSIONS[fmt]}"


def card_path(path: str, focus: str | None) -> str:
    """Where the social card of the image at `path` is published, for a focal point (None: the centre)."""
    point = parse_focus(focus) if focus else None
    tail = "" if point is None or point == (0.5, 0.5) else f"-{round(point[0] * 100)}-{round(point[1] * 100)}"
    return f"{posixpath.splitext(path)[0]}-card{tail}.jpg"


def lead_path(image: str | None, config: Config) -> str | None:
    """The path under static/ of a lead image Broadsheet processes; None for a URL, an SVG or GIF, or none."""
    if not image or not config.images.enabled or urlsplit(image).scheme or image.startswith("//"):
        return None
    path = image.lstrip("/")
    return path if image_kind(path) else None


def card_url(image: str | None, meta: Mapping[str, Any], config: Config) -> str | None:
    """The root-relative URL of the social card of an article's lead image (1200×630), if Broadsheet makes one."""
    path = lead_path(image, config)
    if path is None:
        return None
    focus = meta.get("image_focus")
    return config.base_path + card_path(path, focus if isinstance(focus, str) else None)


def feed_image(article: Any, config: Config) -> tuple[str, str, int | None, int | None] | None:
    """An article's lead image for feeds: its absolute URL, media type, and width and height where known (the
    social card where Broadsheet makes one, else the image as given); None without one."""
    if not article.image:
        return None
    card = card_url(article.image, article.meta, config)
    if card is not None:
        return config.origin + card, "image/jpeg", CARD_WIDTH, CARD_HEIGHT
    image = article.image
    url = image if urlsplit(image).scheme else ("https:" + image if image.startswith("//")
                                                else config.origin + config.base_path + image.lstrip("/"))
    extension = posixpath.splitext(urlsplit(image).path)[1].lower()
    known = {".gif": "image/gif", ".svg": "image/svg+xml", ".avif": "image/avif"}
    kind = image_kind(urlsplit(image).path)
    return url, MIME_TYPES[kind] if kind else known.get(extension, "image/jpeg"), None, None


@cache
def _pillow_version() -> str:
    import PIL  # (the package alone: quicker than reading its metadata; only a build with images asks)

    return str(PIL.__version__)


def _settings_token(settings: Images) -> bytes:
    return _VERSION + b"\0" + _pillow_version().encode() + b"\0" + repr(settings).encode()


def publish_images(static: Mapping[str, StaticFile], leads: Iterable[tuple[str | None, Any]], config: Config,
                   cache_root: Path, run: Runner) -> tuple[dict[str, StaticFile], list[Problem]]:
    """The static files as published with images on: each JPEG, PNG and WebP in its processed form, with its copies,
    and the social card of each lead image (`leads`: each article's `image` and `image_focus`); with the problems
    of the images that cannot be processed (those are published as they are, so the rest of the site is checked)."""
    settings = config.images
    # (A name Windows refuses fails the build all the same: no copies of it, and no second problem for each.)
    raster = {rel: kind for rel in static
              if (kind := image_kind(rel)) is not None and windows_refused_segment(rel) is None}
    if not settings.enabled or not raster:
        return dict(static), []
    folder = cache_root / IMAGES_DIR
    digests, problems = _digests(folder, {rel: static[rel].source for rel in raster})
    token = _settings_token(settings)
    keys = {rel: hashlib.sha256(token + bytes.fromhex(digest)).hexdigest() for rel, digest in digests.items()}
    cards: dict[str, tuple[str, str, tuple[float, float]]] = {}  # card path: image, its key, focus
    for image, focus in leads:
        path = lead_path(image, config)
        if path in keys:
            point = (parse_focus(focus) if isinstance(focus, str) else None) or (0.5, 0.5)
            cards[card_path(path, focus if isinstance(focus, str) else None)] = (path, hashlib.sha256(
                token + b"card" + repr(point).encode() + bytes.fromhex(digests[path])).hexdigest(), point)
    jobs: list[tuple[str, tuple[Any, ...]]] = []
    infos: dict[str, ImageInfo] = {}
    by_label = {_label(static[rel], rel): rel for rel in keys}
    for rel, key in keys.items():
        info = _read_info(folder / key, rel)
        if info is None:
            label = _label(static[rel], rel)
            jobs.append((label, ("image", label, str(static[rel].source), raster[rel], key, settings, str(folder))))
        else:
            infos[rel] = info
    for rel, key, point in cards.values():
        if not (folder / f"{key}.jpg").is_file():
            label = _label(static[rel], rel)
            jobs.append((label, ("card", label, str(static[rel].source), raster[rel], key, point, settings.quality,
                                 str(folder))))
    for label, result in run(jobs) if jobs else ():
        if isinstance(result, SiteError):
            problems.extend(result.problems)
        elif not isinstance(result, (dict, bool)):
            problems.append(Problem(label, None, "could not be processed: Pillow crashed or took too long on it"))
        elif isinstance(result, dict):
            rel = by_label[label]
            infos[rel] = _info_of(result, rel)
    published = dict(static)
    for rel, info in infos.items():
        key = keys[rel]
        published[rel] = replace(static[rel], source=folder / key / "original", image=info)
        # (Copies and cards keep their image's label: a clash names the file they are made from.)
        for variant in info.variants:
            published[variant.path] = replace(static[rel], source=folder / key / _file_name(variant),
                                              own_path=variant.path, output_path=variant.path, image=None)
    for path, (rel, key, _) in cards.items():
        if rel in infos:
            published[path] = replace(static[rel], source=folder / f"{key}.jpg", own_path=path, output_path=path,
                                      image=None)
    failed = {problem.path for problem in problems}
    used = {keys[rel] for rel in infos} | {f"{key}.jpg" for rel, key, _ in cards.values()
                                          if _label(static[rel], rel) not in failed}
    _prune(folder, used | {"index.json"})
    return dict(sorted(published.items())), problems


def image_digest(static: Mapping[str, StaticFile]) -> bytes:
    """What pages show of the processed images, as bytes for a page's key: their sizes and copies."""
    return repr(sorted((rel, f.image) for rel, f in static.items() if f.image is not None)).encode()


def _file_name(variant: Variant) -> str:
    return f"{variant.width}.{variant.format}"


def _digests(folder: Path, files: Mapping[str, Path]) -> tuple[dict[str, str], list[Problem]]:
    """The sha256 of each file's bytes, from the index kept in the cache folder where the file's size, time and
    inode are those it noted (see _RACY_NS), else read anew; the problems of files that cannot be read."""
    index_file = folder / "index.json"
    try:
        kept = json.loads(index_file.read_bytes())
        taken, entries = int(kept["taken"]), dict(kept["files"])
    except (OSError, ValueError, TypeError, KeyError):
        taken, entries = 0, {}
    digests: dict[str, str] = {}
    fresh: dict[str, list[Any]] = {}
    problems = []
    now = time.time_ns()
    hashed = False
    for rel, source in files.items():
        try:
            info = os.stat(source)
            state = [info.st_size, info.st_mtime_ns, info.st_ino]
            known = entries.get(rel)
            if (type(known) is list and len(known) == 4 and known[:3] == state and info.st_mtime_ns < taken - _RACY_NS
                    and type(known[3]) is str and re.fullmatch(r"[0-9a-f]{64}", known[3])):
                digest = known[3]
            else:
                digest = hashlib.sha256(source.read_bytes()).hexdigest()
                hashed = True
        except OSError as error:
            problems.append(Problem(f"{STATIC_DIR}/{rel}", None, f"cannot be read: {error.strerror}"))
            continue
        digests[rel] = digest
        fresh[rel] = [*state, digest]
    if fresh != entries or hashed:  # (a file hashed again: noted with the new time, trusted from the next build)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomically(index_file, json.dumps({"taken": now, "files": fresh}, sort_keys=True).encode())
        except OSError:
            pass  # (a read-only cache: the next build reads the files again)
    return digests, problems


def _read_info(folder: Path, path: str) -> ImageInfo | None:
    """The record of the image published at `path` in the cache, if it is whole (data only: a record that does not
    read is a miss). Records hold no paths: files of the same bytes share one."""
    try:
        info = _info_of(json.loads((folder / "info.json").read_bytes()), path)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not (folder / "original").is_file() or not all((folder / _file_name(v)).is_file() for v in info.variants):
        return None
    return info


def _info_of(data: dict[str, Any], path: str) -> ImageInfo:
    variants = tuple(Variant(variant_path(path, int(width), str(fmt)), int(width), int(height), str(fmt))
                     for width, height, fmt in data["variants"])
    if any(fmt not in EXTENSIONS for fmt in (data["format"], *(v.format for v in variants))):
        raise ValueError("unknown format")
    return ImageInfo(int(data["width"]), int(data["height"]), str(data["format"]), variants)


def _prune(folder: Path, used: set[str]) -> None:
    """Remove the cache's processed images that this build did not use."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name not in used and not name.startswith("."):
            path = folder / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def run_task(payload: tuple[Any, ...]) -> dict[str, Any] | bool:
    """Process one image into the cache folder (in a worker): ("image", label, file, kind, key, settings, folder)
    makes its record (returned as data), ("card", label, file, kind, key, focus, quality, folder) its social card
    (True). `label` names the image in problems, `file` is where it is read."""
    from broadsheet.stages.imaging import ImageProblem, process, social_card

    task, label, source, kind, key = payload[:5]
    try:
        data = Path(source).read_bytes()
        if task == "card":
            focus, quality, folder = payload[5:]
            target = Path(folder) / f"{key}.jpg"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, social_card(data, kind, focus, quality))
            return True
        settings, folder = payload[5:]
        processed = process(data, kind, settings)
    except ImageProblem as problem:
        raise SiteError(Problem(label, None, str(problem))) from None
    except OSError as error:
        raise SiteError(Problem(label, None, f"cannot be read: {error.strerror}")) from None
    record = {"width": processed.width, "height": processed.height, "format": kind,
              "variants": [[width, height, fmt] for width, height, fmt, _ in processed.variants]}
    target = Path(folder) / key
    staging = Path(folder) / f".{key}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "original").write_bytes(processed.original)
    for width, _, fmt, data in processed.variants:
        (staging / f"{width}.{fmt}").write_bytes(data)
    (staging / "info.json").write_text(json.dumps(record, sort_keys=True))
    shutil.rmtree(target, ignore_errors=True)
    try:
        os.rename(staging, target)
    except OSError:  # (another process made it meanwhile: the same bytes)
        shutil.rmtree(staging, ignore_errors=True)
    return record


def _label(static_file: StaticFile, path: str) -> str:
    """A static file's name in problems: static/… (or the label a page bundle's file carries)."""
    return getattr(static_file, "label", "") or f"{STATIC_DIR}/{path}"


# -- What pages show --------------------------------------------------------------------------------------------

def picture(static: Mapping[str, StaticFile], config: Config, src: str, alt: str | None, lead: bool = False,
            attributes: Mapping[str, str | None] | None = None) -> Markup:
    """An <img> for an image under static/ (`src` as front matter gives it) with its copies: a <picture> with a
    <source> for each modern format, width, height, srcset and sizes; below the lead, loading="lazy" and
    decoding="async". An image that was not processed gets a plain <img>."""
    path = src.lstrip("/") if not (urlsplit(src).scheme or src.startswith("//")) else None
    found = static.get(path) if path is not None else None
    attrs: dict[str, str | None] = dict(attributes or {})
    attrs.setdefault("alt", alt or "")
    if found is None or found.image is None or not config.images.enabled:
        attrs["src"] = src if path is None else config.base_path + path
        return Markup(_tag("img", _ordered(attrs)))
    return Markup(_picture(found.image, config.base_path + found.own_path, config.base_path, attrs, lead))


def _picture(info: ImageInfo, original_url: str, base_path: str, attrs: dict[str, str | None], lead: bool) -> str:
    own = [v for v in info.variants if v.format == info.format]
    fallback = max((v for v in own if v.width <= FALLBACK_WIDTH), key=lambda v: v.width,
                   default=own[0] if own else None)
    attrs["src"] = base_path + fallback.path if fallback else original_url
    if own:
        attrs["srcset"] = _srcset(own, base_path)
        attrs["sizes"] = SIZES
    if "width" not in attrs and "height" not in attrs:
        attrs["width"], attrs["height"] = str(info.width), str(info.height)
    if lead:
        attrs.setdefault("fetchpriority", "high")
    else:
        attrs.setdefault("loading", "lazy")
        attrs.setdefault("decoding", "async")
    img = _tag("img", _ordered(attrs))
    formats = [fmt for fmt in ("avif", "webp") if fmt != info.format and any(v.format == fmt for v in info.variants)]
    if not formats:
        return img
    sources = "".join(_tag("source", [("type", MIME_TYPES[fmt]), ("srcset", _srcset(
        [v for v in info.variants if v.format == fmt], base_path)), ("sizes", SIZES)]) for fmt in formats)
    return f"<picture>{sources}{img}</picture>"


_ORDER = ("src", "srcset", "sizes", "width", "height", "alt")


def _ordered(attrs: Mapping[str, str | None]) -> list[tuple[str, str | None]]:
    """Attributes in a fixed order: the image's own first, then the others as written."""
    return [(name, attrs[name]) for name in _ORDER if name in attrs] + \
        [(name, value) for name, value in attrs.items() if name not in _ORDER]


def _srcset(variants: list[Variant], base_path: str) -> str:
    return ", ".join(f"{base_path}{v.path} {v.width}w" for v in variants)


def _tag(name: str, attrs: Iterable[tuple[str, str | None]]) -> str:
    return f"<{name}" + "".join(f" {key}" if value is None else f' {key}="{html.escape(value)}"'
                                for key, value in attrs) + ">"


_IMAGE_OR_PICTURE = re.compile(r"<picture\b.*?</picture\s*>|<img\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S | re.I)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def rewrite_images(body: str, static: Mapping[str, StaticFile], config: Config, page_url: str | None = None) -> str:
    """An article body with each <img> of a processed image made responsive (see picture); other images (remote,
    not found, SVG and GIF) and the <picture> elements the author wrote are left as written. With `page_url` (the
    page's root-relative URL), a relative src is resolved against it: a page bundle's photo.jpg."""
    if "<img" not in body or not config.images.enabled:
        return body
    base = config.base_path

    def responsive(match: re.Match[str]) -> str:
        tag = match.group(0)
        if tag[1:8].lower() == "picture":
            return tag
        attrs: dict[str, str | None] = {}
        for found in _ATTRIBUTE.finditer(tag[4:].rstrip(">").rstrip("/")):
            name = found.group(1).lower()
            value = next((v for v in found.group(2, 3, 4) if v is not None), None)
            attrs.setdefault(name, None if value is None else html.unescape(value))
        src = attrs.get("src") or ""
        if page_url and src and not src.startswith("/") and not urlsplit(src).scheme:
            src = urljoin(page_url, src)
        if not src.startswith(base) or "srcset" in attrs:
            return tag
        path = unquote(urlsplit(src[len(base):]).path)
        image = static.get(path)
        if image is None or image.image is None:
            return tag
        return _picture(image.image, base + image.own_path, base, attrs, lead=False)

    return _IMAGE_OR_PICTURE.sub(responsive, body)


def image_globals(config: Config, static: Mapping[str, StaticFile]) -> dict[str, Callable[..., Any]]:
    """The templates' image functions: picture(src, alt, lead=false) and social_image(article) (the card's absolute
    URL, width and height, or None where Broadsheet makes no card: then templates show the image as given)."""
    def social_image(article: Any) -> dict[str, Any] | None:
        url = card_url(article.image, article.meta, config)
        if url is None or url[len(config.base_path):] not in static:
            return None
        return {"url": config.origin + url, "width": CARD_WIDTH, "height": CARD_HEIGHT, "type": "image/jpeg"}

    return {"picture": lambda src, alt=None, lead=False: picture(static, config, src, alt, lead),
            "social_image": social_image}
