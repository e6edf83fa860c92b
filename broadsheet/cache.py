"""The persistent build cache: parsed articles by content key, the index of the previous build into each output
folder, the ordered site of the last build that ordered one (see Cache.save_ordered) and the output before last (see
Spare); the stamps of broadsheet.stamp live in the same folder.

Every record carries a magic number, the code's fingerprint and a checksum of its payload; a record that is
truncated, corrupt or written by another version of Broadsheet is ignored (and rewritten), never trusted.
Payloads are pickles read with an unpickler that only knows the few classes a record may hold.
Nothing is ever written outside the cache folder: every name in it is made from a hex digest.
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import io
import os
import pickle
import re
import shutil
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Any, TypeVar

from broadsheet import stamp
from broadsheet.errors import Problem
from broadsheet.fingerprints import TemplateNames, fields_getter
from broadsheet.model import (
    ArchiveMonth,
    ArchiveYear,
    Article,
    Link,
    ListPage,
    MenuItem,
    Neighbours,
    ParsedArticle,
    Redirect,
    Section,
    Site,
    SourceLink,
    Term,
)
from broadsheet.stamp import output_id, seal, shared_zone, unseal, write_atomically, write_in_place
from broadsheet.views import View

_MAGIC = b"BSC1"
_BODY_SIZE = struct.Struct("<I")  # an article record: its body's size, its body (UTF-8), its head (see read_head)
_ORDERED_MAGIC = b"BSO1"
T = TypeVar("T")
PRUNE_GRACE = 3600.0  # seconds a record is kept even when no index uses it
_ALLOWED = {
    ("broadsheet.model", "Article"), ("broadsheet.model", "ParsedArticle"), ("broadsheet.model", "Link"),
    ("broadsheet.model", "SourceLink"), ("broadsheet.cache", "Manifest"), ("broadsheet.cache", "PageRecord"),
    ("broadsheet.cache", "Spare"), ("broadsheet.errors", "Problem"),
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("broadsheet.stamp", "shared_zone"), ("zoneinfo", "ZoneInfo"), ("zoneinfo", "_unpickle"),
    ("zoneinfo._zoneinfo", "ZoneInfo"), ("copyreg", "_reconstructor"), ("builtins", "object"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "getattr"),
}
_SITE_CLASSES = (Neighbours, Section, Term, ArchiveMonth, ArchiveYear, MenuItem, Redirect, ListPage, Site)
# An ordered site (see Cache.save_ordered) holds these too.
_ORDERED = {*_ALLOWED, *(("broadsheet.model", cls.__name__) for cls in _SITE_CLASSES), ("broadsheet.views", "View")}


def pickle_by_fields(cls: type) -> None:
    """Pickle a dataclass with slots as its fields, read back by a function made for the class
    (`cls._from_fields`) that sets its slots one by one. Reading the thousands of records a build loads is then
    several times faster than with pickle's default (a Python-level __setstate__), and faster than calling the
    class, whose __init__ sets each field of a frozen class through object.__setattr__ (the class refuses its own)."""
    names = [f.name for f in dataclasses.fields(cls)]
    arguments = ", ".join(f"v{i}" for i in range(len(names)))
    source = "\n    ".join([f"def from_fields({arguments}):", "made = new(cls)",
                            *(f"set{i}(made, v{i})" for i in range(len(names))), "return made"])
    # As dataclasses writes __init__: a function for the class, made from source, here with each slot's setter.
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls,
                                 **{f"set{i}": getattr(cls, name).__set__ for i, name in enumerate(names)}}
    exec(source, namespace)  # source made above, from the field names only
    make = namespace["from_fields"]
    make.__module__, make.__qualname__ = cls.__module__, f"{cls.__qualname__}._from_fields"  # how pickle names it
    cls._from_fields = staticmethod(make)  # type: ignore[attr-defined]
    fields = fields_getter(names)
    copyreg.pickle(cls, lambda value: (make, fields(value)))


for _cls in (Article, Link, SourceLink, ParsedArticle, Problem, View, *_SITE_CLASSES):
    pickle_by_fields(_cls)
# Every pickle this process writes (cache records, and results sent by workers) names a fixed-offset zone as one
# shared object, which the pickle then holds once (see stamp.shared_zone).
copyreg.pickle(timezone, lambda zone: (shared_zone, zone.__getinitargs__()))  # type: ignore[attr-defined]


def _with_makers(allowed: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The allowed classes, and the functions that read back those pickled by their fields (see pickle_by_fields;
    a class without one has no such attribute, and a record naming it is not read)."""
    return allowed | {(module, f"{name}._from_fields") for module, name in allowed}


class _Unpickler(pickle.Unpickler):
    allowed = _with_makers(_ALLOWED)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")
        return super().find_class(module, name)


class _OrderedUnpickler(_Unpickler):
    """Reads an ordered site, whose articles are named by their places among its parse keys (see Cache.save_ordered)."""

    allowed = _with_makers(_ORDERED)


class _NamingPickler(pickle.Pickler):
    """Writes the objects `names` names (by their ids) as those names."""

    def __init__(self, file: io.BytesIO, names: dict[int, int]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._names = names

    def persistent_id(self, obj: Any) -> str | None:
        return self._names.get(id(obj))


def encode(value: Any) -> bytes:
    """A record: magic, code fingerprint, checksum, pickled value."""
    return seal(_MAGIC, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def decode(data: bytes) -> Any | None:
    """The value of a record, or None when it is damaged or from other code."""
    payload = unseal(_MAGIC, data)
    if payload is None:
        return None
    try:
        return _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # a checksummed record from this code should always load; if not, it is not trusted
        return None


def read_head(head: bytes | memoryview) -> ParsedArticle | None:
    """An article record's head: its parsed article without the body (see Cache.store_article), or None when it
    does not read as one."""
    try:
        value = _Unpickler(io.BytesIO(head)).load()
    except Exception:  # as in decode
        return None
    return value if isinstance(value, ParsedArticle) else None


def _text(utf8: memoryview) -> str | None:
    try:
        return str(utf8, "utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class PageRecord:
    """How a page of the previous build was made: its key, and what it read besides its context."""

    key: bytes
    reads: frozenset[str]  # "whole_site", "counts", "now", "field:NAME" (see tasks._Reads)


@dataclass(frozen=True, slots=True)
class Spare:
    """The output before the last one, kept in the cache folder for the next build to update in place (changing
    only the files that differ) instead of filling an empty folder; with what each of its files was made from."""

    identity: tuple[int, ...]  # device, inode and change times of its folder
    pages: dict[str, PageRecord]
    static: dict[str, tuple[str, int, int]]
    generated: dict[str, bytes]
    folders: dict[str, int] = field(default_factory=dict)  # its folders' times when it was the output (see Manifest)


@dataclass(slots=True)
class Manifest:
    """The index of the previous build, enough to tell what changed without reading the content."""

    env_key: str = ""  # parse key prefix: code, config
    scanned: int = 0  # when the sources were looked at (ns since the epoch)
    sources: dict[str, tuple[int, int, int, str]] = field(default_factory=dict)  # source: size, mtime, inode, key
    articles: dict[str, ParsedArticle] = field(default_factory=dict)  # parse key: record without its body
    pages: dict[str, PageRecord] = field(default_factory=dict)  # output path: record
    static: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # output path: source, size, mtime
    generated: dict[str, bytes] = field(default_factory=dict)  # output path of a feed, sitemap...: its key
    output: tuple[str, int, int] | None = None  # output folder path, device, inode after the last commit
    folders: dict[str, int] = field(default_factory=dict)  # output folder: modification time after the last commit
    written: int = 0  # article records written since the cache was last pruned
    spare: Spare | None = None
    shards: tuple[str, ...] = ()  # on disk only: the files `articles` is kept in (see Cache.save_manifest)
    spare_changes: tuple[Any, ...] | None = None  # on disk only: `spare`, its pages as they differ (see _as_stored)
    common: bytes = b""  # what every page of the build depended on (see build._build)
    templates: dict[str, bytes] = field(default_factory=dict)  # template name: see fingerprints.template_digests
    template_names: TemplateNames = field(default_factory=dict)  # see fingerprints.template_digests
    read_digests: dict[str, bytes] = field(default_factory=dict)  # the digest of each of the pages' reads
    published: tuple[str, ...] = ()  # the published articles and pages, in order
    scheduled: tuple[str, ...] = ()  # the articles a preview showed as scheduled
    related: dict[bytes, tuple[tuple[int, ...], ...]] = field(default_factory=dict)  # see taxonomy.find_related


for _cls in (PageRecord, Spare, Manifest):
    pickle_by_fields(_cls)


_ABSENT = object()


def _differences(base: Mapping[str, Any], wanted: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What `wanted` holds that `base` does not hold the same, and the keys of `base` it lacks."""
    changed = {key: value for key, value in wanted.items()
               if (known := base.get(key, _ABSENT)) is not value and known != value}
    return changed, tuple(key for key in base if key not in wanted)


def _applied(base: Mapping[str, Any], changed: Mapping[str, Any], gone: tuple[str, ...]) -> dict[str, Any]:
    """`base` with the `_differences` taken from it put back."""
    made = dict(base)
    for key in gone:
        del made[key]
    made.update(changed)
    return made


def _as_stored(manifest: Manifest, shards: tuple[str, ...]) -> Manifest:
    """The index as its file holds it: without its article records (in shards) and with the output before last's
    page records (which differ from the index's in the few pages one build renders) as their differences from the
    index's. (Its folders' times differ from the index's everywhere: they are another folder's.)"""
    spare = manifest.spare
    changes = None
    if spare is not None:
        changes = (spare.identity, *_differences(manifest.pages, spare.pages), spare.static, spare.generated,
                   spare.folders)
    return dataclasses.replace(manifest, articles={}, shards=shards, spare=None, spare_changes=changes)


def _as_loaded(manifest: Manifest) -> Manifest:
    """The index read from its file, its output before last made whole again (see _as_stored)."""
    if manifest.spare_changes is not None:
        identity, pages, gone, static, generated, folders = manifest.spare_changes
        manifest.spare = Spare(identity, _applied(manifest.pages, pages, gone), static, generated, folders)
        manifest.spare_changes = None
    return manifest


def _load(path: str | Path, kind: type[T]) -> T | None:
    """The value of the record at path, if it is a sound record of that kind."""
    try:
        with open(path, "rb") as file:
            value = decode(file.read())
    except OSError:
        return None
    return value if isinstance(value, kind) else None


_is_key = re.compile(r"[0-9a-f]{8,}").fullmatch

# Index shards this process wrote or read whole, with their size and time then: the others are written anew.
_sound_shards: dict[Path, tuple[int, int] | None] = {}


def _file_state(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _remove_unused(entry: os.DirEntry[str], used: set[str], cutoff: float) -> int:
    """Remove a cache file no index uses and older than cutoff; 1 if it was removed."""
    try:
        if entry.name not in used and entry.stat(follow_symlinks=False).st_mtime < cutoff:
            os.unlink(entry.path)
            return 1
    except OSError:
        pass
    return 0


class Cache:
    """A cache folder: `articles/<2 hex>/<key>` records, and per output folder a `manifest-<hex>` whose article
    records are kept in `index/<hex>` shards."""

    def __init__(self, root: Path):
        self.root = root
        self._articles = os.path.join(root, "articles")

    def _article_path(self, key: str) -> str:
        if not _is_key(key):
            raise ValueError(f"not a cache key: {key!r}")
        return f"{self._articles}/{key[:2]}/{key}"  # (a string: a Path per record costs more than reading it)

    def _article_parts(self, key: str) -> tuple[memoryview, memoryview] | None:
        """The body (UTF-8) and head of the article record stored under key, if a sound record is there."""
        try:
            with open(self._article_path(key), "rb") as file:
                payload = unseal(_MAGIC, file.read())
        except OSError:
            return None
        if payload is None or len(payload) < _BODY_SIZE.size:
            return None
        view = memoryview(payload)
        end = _BODY_SIZE.size + _BODY_SIZE.unpack_from(view)[0]
        if end > len(view):
            return None
        return view[_BODY_SIZE.size:end], view[end:]

    def load_article(self, key: str) -> ParsedArticle | None:
        """The parsed article stored under key, if a sound record is there."""
        parts = self._article_parts(key)
        if parts is None or (head := read_head(parts[1])) is None or (body := _text(parts[0])) is None:
            return None
        return ParsedArticle(head.article, body, head.warnings, head.lines)

    def load_body(self, key: str) -> str | None:
        """The body HTML of the article stored under key, if a sound record is there (its head is not read)."""
        parts = self._article_parts(key)
        return _text(parts[0]) if parts is not None else None

    def load_head(self, key: str) -> bytes | None:
        """The head of the article record stored under key, as stored (see read_head), if a sound record is there."""
        parts = self._article_parts(key)
        return bytes(parts[1]) if parts is not None else None

    def store_article(self, key: str, parsed: ParsedArticle) -> bytes:
        """Store a parsed article under key; return its head (see read_head). The record is written in place, not
        through a temporary file: its checksum tells a reader that meets it half-written, which then parses the
        file again, as when no record is there (10,000 renames are a tenth of a second of a cold build)."""
        body = parsed.body_html.encode()
        head = pickle.dumps(dataclasses.replace(parsed, body_html=""), protocol=pickle.HIGHEST_PROTOCOL)
        write_in_place(self._article_path(key), seal(_MAGIC, _BODY_SIZE.pack(len(body)) + body + head))
        return head

    def _manifest_path(self, output_dir: Path) -> Path:
        # One index per output folder: the preview server and `build` can share a cache without evicting each other.
        return self.root / f"manifest-{output_id(output_dir)}"

    def spare_path(self, output_dir: Path) -> Path:
        """Where the output before the last one of output_dir is kept (see Spare)."""
        return self.root / f"spare-{output_id(output_dir)}"

    def _ordered_path(self, output_dir: Path) -> Path:
        return self.root / f"ordered-{output_id(output_dir)}"

    def save_ordered(self, output_dir: Path, header: Any, keys: Mapping[str, str],
                     records: Mapping[str, ParsedArticle], value: Any) -> None:
        """Keep an ordered site (`value`) of a build into output_dir, after a header that tells what it was made
        from and the parse key of every content file. The articles of the index's records (by parse key) are
        written as their places among those keys: the index has them already."""
        # (A number rather than the key: the site names its articles 100,000 times at 10,000 articles, in its lists,
        # sections, tags, authors and archive, and a small number is read back without making a string.)
        names = {id(records[key].article): place for place, key in enumerate(keys.values())}
        buffer = io.BytesIO()
        pickler = _NamingPickler(buffer, names)  # (one pickler for all, as one unpickler reads them: one memo)
        for part in (header, dict(keys), value):
            pickler.dump(part)
        write_atomically(self._ordered_path(output_dir), seal(_ORDERED_MAGIC, buffer.getvalue()))

    def load_ordered(self, output_dir: Path, header: Any, records: Mapping[str, ParsedArticle],
                     ) -> tuple[dict[str, str], dict[str, ParsedArticle], Any] | None:
        """The ordered site kept for builds into output_dir when its header is `header`: the parse key of every
        content file it was made from, their records (from `records`, by parse key, or from the cache for those
        no longer there, edited since) and the site. None when it is missing, damaged, from other code, made from
        something else, or made from a record that is gone."""
        try:
            payload = unseal(_ORDERED_MAGIC, self._ordered_path(output_dir).read_bytes())
        except OSError:
            return None
        if payload is None:
            return None
        try:
            unpickler = _OrderedUnpickler(io.BytesIO(payload))
            if unpickler.load() != header:
                return None
            keys = unpickler.load()
            made_from: dict[str, ParsedArticle] = {}
            for key in keys.values():
                record = records.get(key) or self.load_article(key)
                if record is None:
                    return None
                made_from[key] = record
            # Every article is named once per list that holds it: a lookup made in C for each.
            unpickler.persistent_load = [record.article for record in made_from.values()].__getitem__
            return keys, made_from, unpickler.load()
        except Exception:  # as in decode: not trusted
            return None

    def forget(self, output_dir: Path) -> None:
        """Remove everything kept for builds into output_dir (a closed preview's): its index, ordered site, stamp
        and spare."""
        self._manifest_path(output_dir).unlink(missing_ok=True)
        self._ordered_path(output_dir).unlink(missing_ok=True)
        stamp.save(self.root, output_dir, None)
        self.drop_spare(output_dir)

    def drop_spare(self, output_dir: Path) -> None:
        """Remove the output before last kept for output_dir, if there is one."""
        path = self.spare_path(output_dir)
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)

    def load_manifest(self, output_dir: Path) -> Manifest | None:
        """The index of the previous build into output_dir, if a sound one is there (with all its shards)."""
        manifest = _load(self._manifest_path(output_dir), Manifest)
        if manifest is None:
            return None
        sound = True
        for name in manifest.shards:
            shard = _load(self._shard_path(name), dict)
            if shard is None:
                self._shard_path(name).unlink(missing_ok=True)  # damaged or gone: written again by the next build
                sound = False
            else:
                manifest.articles.update(shard)
                _sound_shards[self._shard_path(name)] = _file_state(self._shard_path(name))
        manifest.shards = ()
        return _as_loaded(manifest) if sound else None

    def save_manifest(self, output_dir: Path, manifest: Manifest) -> None:
        """Replace the index of builds into output_dir.

        Its article records go into shards by the first two characters of their keys, each shard named by the
        digest of its keys (a record is a function of its key): a build that parsed one file writes one small
        shard, not the records of the whole site.
        """
        shards: dict[str, dict[str, ParsedArticle]] = {}
        for key, record in manifest.articles.items():
            shards.setdefault(key[:2], {})[key] = record
        names = []
        for prefix in sorted(shards):
            shard = shards[prefix]
            name = hashlib.sha256("\n".join(sorted(shard)).encode()).hexdigest()[:32]
            path = self._shard_path(name)
            state = _file_state(path)
            if state is None or _sound_shards.get(path) != state:
                write_atomically(path, encode(shard))
                _sound_shards[path] = _file_state(path)
            names.append(name)
        write_atomically(self._manifest_path(output_dir), encode(_as_stored(manifest, tuple(names))))

    def _shard_path(self, name: str) -> Path:
        return self.root / "index" / name

    def prune(self, live: set[str]) -> int:
        """Delete article records and index shards that no build into any output folder uses: not in `live` and
        not in any index in this cache. A file younger than an hour is kept, since another build sharing the cache
        may have just written it. Returns how many files were deleted."""
        folder = self.root / "articles"
        if not folder.is_dir():
            return 0
        used = set(live)
        for path in self.root.glob("manifest-*"):
            try:
                other = decode(path.read_bytes())
            except OSError:
                continue
            if isinstance(other, Manifest) and other.output and not os.path.isdir(other.output[0]):
                path.unlink(missing_ok=True)  # an output that is gone, such as a killed preview's
                (self.root / path.name.replace("manifest-", "ordered-", 1)).unlink(missing_ok=True)
                shutil.rmtree(self.root / path.name.replace("manifest-", "spare-", 1), ignore_errors=True)
            elif isinstance(other, Manifest):
                used.update(entry[3] for entry in other.sources.values())
                used.update(other.shards)
        cutoff = time.time() - PRUNE_GRACE
        deleted = 0
        if (self.root / "index").is_dir():
            for entry in os.scandir(self.root / "index"):
                deleted += _remove_unused(entry, used, cutoff)
        for bucket in os.scandir(folder):
            if not bucket.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(bucket.path):
                deleted += _remove_unused(entry, used, cutoff)
        return deleted

    def clear(self) -> None:
        """Remove the whole cache folder."""
        shutil.rmtree(self.root, ignore_errors=True)
