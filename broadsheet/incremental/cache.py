"""The persistent build cache: parsed articles by content key, the index of the previous build into each output
folder, the ordered site of the last build that ordered one (see Cache.save_ordered) and the output before last (see
Spare); the stamps of broadsheet.incremental.stamp live in the same folder.

Records are plain data (JSON, read back by broadsheet.incremental.records, which checks every field's type): nothing read from
the cache folder is ever run, whatever its bytes. Each record is sealed with its key and the code's fingerprint under
a checksum (see sealed.seal): a record that is truncated, corrupt, written by another version of Broadsheet or moved
to another key's file reads as missing, and is rebuilt. Nothing is ever written outside the cache folder: every name
in it is made from a hex digest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import shutil
import struct
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from broadsheet.base.errors import Problem
from broadsheet.base.files import write_atomically, write_in_place
from broadsheet.base.model import Article, ParsedArticle, Site
from broadsheet.incremental import records, stamp
from broadsheet.incremental.fingerprints import TemplateNames
from broadsheet.incremental.records import Data, hex_bytes, ints, read_head_data, strings
from broadsheet.incremental.sealed import from_json, output_id, seal, to_json, unseal

_ARTICLE = b"BSA3"
_INDEX = b"BSI3"
_SHARD = b"BSH3"
_ORDERED = b"BSO3"
_BODY_SIZE = struct.Struct("<I")  # an article record: its body's size, its body (UTF-8), its head (see read_head)
T = TypeVar("T")
PRUNE_GRACE = 3600.0  # seconds a record is kept even when no index uses it
def read_head(head: bytes | memoryview) -> ParsedArticle | None:
    """An article record's head: its parsed article without the body (see Cache.store_article), or None when it
    does not read as one."""
    try:
        return read_head_data(from_json(head))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError):  # not a sound head: a miss
        return None


def _text(utf8: memoryview) -> str | None:
    try:
        return str(utf8, "utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class PageRecord:
    """How a page of the previous build was made: its key, and what it read besides its context."""

    key: bytes
    reads: frozenset[str]  # "whole_site", "counts", "now", "field:NAME" (see tasks.PageReads)


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
    common: bytes = b""  # what every page of the build depended on (see build._build)
    templates: dict[str, bytes] = field(default_factory=dict)  # template name: see fingerprints.template_digests
    template_names: TemplateNames = field(default_factory=dict)  # see fingerprints.template_digests
    read_digests: dict[str, bytes] = field(default_factory=dict)  # the digest of each of the pages' reads
    published: tuple[str, ...] = ()  # the published articles and pages, in order
    scheduled: tuple[str, ...] = ()  # the articles a preview showed as scheduled
    related: dict[bytes, tuple[tuple[int, ...], ...]] = field(default_factory=dict)  # see taxonomy.find_related


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


# The index as plain data (see records): a list of its fields in a fixed order. Its article records are kept apart,
# in shards (see Cache.save_manifest); the output before last's page records, which differ from the index's in the
# few pages one build renders, as their differences from the index's.
def _pages_data(pages: Mapping[str, PageRecord]) -> Data:
    return {path: [record.key.hex(), sorted(record.reads)] for path, record in pages.items()}


def _read_pages(data: Data) -> dict[str, PageRecord]:
    reads_seen: dict[tuple[str, ...], frozenset[str]] = {}  # one object for equal sets: a smaller index
    table = _mapping(data)
    keys, kinds = [], []
    for key, reads in table.values():
        names = strings(reads)
        kind = reads_seen.get(names)
        if kind is None:
            kind = reads_seen[names] = frozenset(names)
        keys.append(hex_bytes(key))
        kinds.append(kind)
    return dict(zip(table, records.from_columns(PageRecord, [keys, kinds], len(keys)), strict=True))


def _mapping(data: Data) -> dict[str, Data]:
    if type(data) is not dict:
        raise records.BadRecord("not a mapping")
    return data


def _hex_map(data: Data) -> dict[str, bytes]:
    return {name: hex_bytes(value) for name, value in _mapping(data).items()}


def _static_data(static: Mapping[str, tuple[str, int, int]]) -> Data:
    return {path: list(entry) for path, entry in static.items()}


def _read_static(data: Data) -> dict[str, tuple[str, int, int]]:
    static = {}
    for path, (source, size, mtime) in _mapping(data).items():
        if type(source) is not str or type(size) is not int or type(mtime) is not int:
            raise records.BadRecord("not a static file's entry")
        static[path] = (source, size, mtime)
    return static


def _read_ints(data: Data) -> dict[str, int]:
    found = _mapping(data)
    if not all(type(value) is int for value in found.values()):
        raise records.BadRecord("not a whole number")
    return found


def _read_sources(data: Data) -> dict[str, tuple[int, int, int, str]]:
    sources = {}
    for source, (size, mtime, inode, key) in _mapping(data).items():
        if type(size) is not int or type(mtime) is not int or type(inode) is not int or type(key) is not str:
            raise records.BadRecord("not a source's entry")
        sources[source] = (size, mtime, inode, key)
    return sources


def manifest_data(manifest: Manifest, shards: list[str]) -> Data:
    """The index as plain data, without its article records (kept in `shards`)."""
    spare = manifest.spare
    spare_data = None
    if spare is not None:
        changed, gone = _differences(manifest.pages, spare.pages)
        spare_data = [list(spare.identity), _pages_data(changed), list(gone), _static_data(spare.static),
                      {path: key.hex() for path, key in spare.generated.items()}, spare.folders]
    return [manifest.env_key, manifest.scanned, {source: list(entry) for source, entry in manifest.sources.items()},
            _pages_data(manifest.pages), _static_data(manifest.static),
            {path: key.hex() for path, key in manifest.generated.items()},
            None if manifest.output is None else list(manifest.output), manifest.folders, manifest.written, shards,
            spare_data, manifest.common.hex(), {name: key.hex() for name, key in manifest.templates.items()},
            [[key.hex(), None if names is None else list(names)] for key, names in manifest.template_names.items()],
            {name: key.hex() for name, key in manifest.read_digests.items()}, list(manifest.published),
            list(manifest.scheduled),
            [[key.hex(), [list(rank) for rank in ranks]] for key, ranks in manifest.related.items()]]


def read_manifest(data: Data) -> tuple[Manifest, tuple[str, ...]]:
    """The index from manifest_data (its article records still to be read), and the names of its shards."""
    (env_key, scanned, sources, pages, static, generated, output, folders, written, shards, spare_data, common,
     templates, template_names, read_digests, published, scheduled, related) = records._list(data, 18)
    if type(env_key) is not str or type(scanned) is not int or type(written) is not int:
        raise records.BadRecord("not an index")
    if output is not None:
        path, device, inode = records._list(output, 3)
        output = (records._str(path), records._int(device), records._int(inode))
    pages_read = _read_pages(pages)
    spare = None
    if spare_data is not None:
        identity, changed, gone, spare_static, spare_generated, spare_folders = records._list(spare_data, 6)
        spare = Spare(ints(identity), _applied(pages_read, _read_pages(changed), strings(gone)),
                      _read_static(spare_static), _hex_map(spare_generated), _read_ints(spare_folders))
    names: TemplateNames = {}
    for key, named in map(records._pair, records._list(template_names)):
        names[hex_bytes(key)] = None if named is None else strings(named)
    manifest = Manifest(env_key, scanned, _read_sources(sources), {}, pages_read, _read_static(static),
                        _hex_map(generated), output, _read_ints(folders), written, spare, hex_bytes(common),
                        _hex_map(templates), names, _hex_map(read_digests), strings(published), strings(scheduled),
                        {hex_bytes(key): tuple(map(ints, records._list(ranks)))
                         for key, ranks in map(records._pair, records._list(related))})
    return manifest, strings(shards)


def _load(path: str | Path, magic: bytes, key: str, read: Callable[[Data], T]) -> T | None:
    """The value of the record at path, if it is a sound record of that kind, sealed with that key."""
    try:
        with open(path, "rb") as file:
            payload = unseal(magic, key, file.read())
        if payload is None:
            return None
        return read(from_json(payload))
    except (OSError, ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError):  # a miss
        return None


def _store(path: str | Path, magic: bytes, key: str, value: Data) -> None:
    write_atomically(path, seal(magic, key, to_json(value)))


_is_key = re.compile(r"[0-9a-f]{8,}").fullmatch

# Index shards this process wrote or read whole, with their size and time then: the others are written anew.
_sound_shards: dict[str, tuple[int, int] | None] = {}


def _shard_name(keys: Iterable[str]) -> str:
    """The name of the shard holding the article records of these keys (a record is a function of its key)."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]


def _read_shard(name: str) -> Callable[[Data], dict[str, ParsedArticle]]:
    def read(data: Data) -> dict[str, ParsedArticle]:
        keys, heads = records._list(data, 2)
        shard = dict(zip(strings(keys), records.read_heads_data(heads), strict=True))
        if _shard_name(shard) != name:
            raise records.BadRecord("a shard holding other records than its name says")
        return shard
    return read


def _file_state(path: str) -> tuple[int, int] | None:
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


# An ordered site as the build keeps it: the site, its sitemap's entries, the moment it was ordered for, the moment
# time alone changes it, the pages (by number) showing each article, the warnings of each content file.
OrderedValue = tuple[Site, tuple[tuple[str, datetime | None], ...], datetime, datetime | None, dict[str, list[int]],
                     dict[str, tuple[Problem, ...]]]


def _ordered_data(value: OrderedValue, made_from: list[Article], sources: Mapping[str, int]) -> Data:
    site, sitemap, moment, until, showing, noted = value
    # A page's last change is nearly always the moment of an article's last change (see sitemaps.sitemap_pages),
    # that very value: then the place of the article stands for it.
    changed_at = {id(article.updated or article.date): place for place, article in enumerate(made_from)}
    return [records.site_data(site, made_from, sources),
            [[url, changed_at.get(id(when), None if when is None else records.date_data(when))]
             for url, when in sitemap],
            records.date_data(moment), None if until is None else records.date_data(until),
            records.by_source(showing, sources, list),
            records.by_source(noted, sources, lambda problems: list(map(records.problem_data, problems)))]


def _read_ordered(data: Data, articles: list[Any], sources: list[str]) -> OrderedValue:
    site, sitemap, moment, until, showing, noted = records._list(data, 6)
    entries = []
    for url, when in map(records._pair, records._list(sitemap)):
        if type(when) is int:
            if when < 0:
                raise records.BadRecord("not a place")
            article = articles[when]
            when = article.updated or article.date
        elif when is not None:
            when = records.read_date(when)
        entries.append((records._str(url), when))
    return (records.read_site(site, articles, sources), tuple(entries), records.read_date(moment), None if until is None else records.read_date(until),
            records.read_by_source(showing, sources, lambda numbers: list(ints(numbers))),
            records.read_by_source(noted, sources,
                                   lambda problems: tuple(map(records.read_problem, records._list(problems)))))


def unwritable(root: Path) -> str | None:
    """Why a build cannot keep its cache in the folder root (made if missing), or None when it can."""
    if root.exists() and not root.is_dir():
        return "is not a folder"
    probe = root / f".probe-{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        return f"cannot be written ({error.strerror or error})"
    return None


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
                payload = unseal(_ARTICLE, key, file.read())
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
        return dataclasses.replace(head, body_html=body)

    def load_body(self, key: str) -> str | None:
        """The body HTML of the article stored under key, if a sound record is there (its head is read only to
        check it: a record is sound whole or not at all)."""
        parts = self._article_parts(key)
        return _text(parts[0]) if parts is not None and read_head(parts[1]) is not None else None

    def load_head(self, key: str) -> bytes | None:
        """The head of the article record stored under key, as stored (see read_head), if a sound record is there."""
        parts = self._article_parts(key)
        return bytes(parts[1]) if parts is not None else None

    def store_article(self, key: str, parsed: ParsedArticle) -> bytes | None:
        """Store a parsed article under key; return its head (see read_head). The record is written in place, not
        through a temporary file: its checksum tells a reader that meets it half-written, which then parses the
        file again, as when no record is there (10,000 renames are a tenth of a second of a cold build). None,
        and nothing stored, when the article holds a value that plain data cannot hold (a lone surrogate)."""
        try:
            body = parsed.body_html.encode()
            head = to_json(records.head_data(parsed))
        except (TypeError, ValueError):
            return None
        write_in_place(self._article_path(key), seal(_ARTICLE, key, _BODY_SIZE.pack(len(body)) + body + head))
        return head

    def _manifest_path(self, output_dir: Path) -> Path:
        # One index per output folder: the preview server and `build` can share a cache without evicting each other.
        return self.root / f"manifest-{output_id(output_dir)}"

    def spare_path(self, output_dir: Path) -> Path:
        """Where the output before the last one of output_dir is kept (see Spare)."""
        return self.root / f"spare-{output_id(output_dir)}"

    def _ordered_path(self, output_dir: Path) -> Path:
        return self.root / f"ordered-{output_id(output_dir)}"

    def save_ordered(self, output_dir: Path, header: Data, keys: Mapping[str, str],
                     articles: Mapping[str, ParsedArticle], value: OrderedValue) -> None:
        """Keep an ordered site (`value`) of a build into output_dir, after a header (plain data) that tells what it
        was made from and the parse key of every content file. The articles of the index's records (by parse key)
        are written as their places among those keys: the index has them already."""
        # (A number rather than the key: the site names its articles 100,000 times at 10,000 articles, in its lists,
        # sections, tags, authors and archive, and a small number is read back without making a string.)
        made_from = [articles[key].article for key in keys.values()]
        sources = {source: place for place, source in enumerate(keys)}
        path = self._ordered_path(output_dir)
        _store(path, _ORDERED, path.name, [header, list(keys), list(keys.values()), _ordered_data(value, made_from,
                                                                                                  sources)])

    def load_ordered(self, output_dir: Path, header: Data, articles: Mapping[str, ParsedArticle],
                     ) -> tuple[dict[str, str], dict[str, ParsedArticle], OrderedValue] | None:
        """The ordered site kept for builds into output_dir when its header is `header`: the parse key of every
        content file it was made from, their records (from `articles`, by parse key, or from the cache for those
        no longer there, edited since) and the site. None when it is missing, damaged, from other code, made from
        something else, or made from a record that is gone."""
        path = self._ordered_path(output_dir)

        def read(data: Data) -> tuple[dict[str, str], dict[str, ParsedArticle], OrderedValue] | None:
            kept_header, sources, parse_keys, value = records._list(data, 4)
            if kept_header != header:
                return None
            sources = list(strings(sources))
            keys = dict(zip(sources, strings(parse_keys), strict=True))
            made_from: dict[str, ParsedArticle] = {}
            for key in keys.values():
                record = articles.get(key) or self.load_article(key)
                if record is None:
                    return None
                made_from[key] = record
            return keys, made_from, _read_ordered(value, [record.article for record in made_from.values()], sources)

        return _load(path, _ORDERED, path.name, read)

    def forget(self, output_dir: Path) -> None:
        """Remove everything kept for builds into output_dir (a closed preview's): its index, ordered site, stamp
        and spare."""
        with contextlib.suppress(OSError):  # (a cache that cannot be written only keeps what it had)
            self._manifest_path(output_dir).unlink(missing_ok=True)
            self._ordered_path(output_dir).unlink(missing_ok=True)
        stamp.save(self.root, output_dir, None)
        self.drop_spare(output_dir)

    def drop_spare(self, output_dir: Path) -> None:
        """Remove the output before last kept for output_dir, if there is one."""
        path = self.spare_path(output_dir)
        if path.is_symlink() or path.is_file():
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)

    def _read_index(self, path: Path) -> tuple[Manifest, tuple[str, ...]] | None:
        return _load(path, _INDEX, path.name, read_manifest)

    def load_manifest(self, output_dir: Path) -> Manifest | None:
        """The index of the previous build into output_dir, if a sound one is there (with all its shards)."""
        found = self._read_index(self._manifest_path(output_dir))
        if found is None:
            return None
        manifest, names = found
        sound = True
        for name in names:
            path = self._shard_path(name)
            shard = _load(path, _SHARD, name, _read_shard(name))
            if shard is None:
                with contextlib.suppress(OSError):
                    os.unlink(path)  # damaged or gone: written again by the next build
                sound = False
            else:
                manifest.articles.update(shard)
                _sound_shards[path] = _file_state(path)
        return manifest if sound else None

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
            name = _shard_name(shard)
            path = self._shard_path(name)
            state = _file_state(path)
            if state is None or _sound_shards.get(path) != state:
                _store(path, _SHARD, name, [list(shard), records.heads_data(shard.values())])
                _sound_shards[path] = _file_state(path)
            names.append(name)
        index = self._manifest_path(output_dir)
        _store(index, _INDEX, index.name, manifest_data(manifest, names))

    def _shard_path(self, name: str) -> str:
        return f"{self.root}/index/{name}"  # (a string: 256 of them are made, hashed and opened in each build)

    def prune(self, live: set[str]) -> int:
        """Delete article records and index shards that no build into any output folder uses: not in `live` and
        not in any index in this cache. A file younger than an hour is kept, since another build sharing the cache
        may have just written it. Returns how many files were deleted."""
        folder = self.root / "articles"
        if not folder.is_dir():
            return 0
        used = set(live)
        for path in self.root.glob("manifest-*"):
            found = self._read_index(path)
            if found is None:
                continue
            other, shards = found
            if other.output and not os.path.isdir(other.output[0]):
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)  # an output that is gone, such as a killed preview's
                    (self.root / path.name.replace("manifest-", "ordered-", 1)).unlink(missing_ok=True)
                shutil.rmtree(self.root / path.name.replace("manifest-", "spare-", 1), ignore_errors=True)
            else:
                used.update(entry[3] for entry in other.sources.values())
                used.update(shards)
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
