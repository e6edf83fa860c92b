"""What rendering keeps between builds: compiled templates in memory, and rendered template fragments (see
templates.FragmentCache, the `{% cache %}` tag) in memory and in the cache folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from broadsheet.base.files import write_atomically
from broadsheet.incremental.sealed import from_json, seal, unseal


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process, in memory only, as the code objects themselves: the
    preview server's rebuilds compile no template again. (Never on disk: Jinja2 runs what it loads from a bytecode
    cache, and nothing read from the cache folder is ever run.) Each is kept with the checksum of its source, so an
    edited template is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, Any]] = {}  # bucket key: source checksum, code object

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        kept = self._code.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


_FRAGMENTS_KEPT = 8192  # at most this many fragments in a generation: far more than an archive's months
_FRAGMENTS_MAGIC = b"BSF3"
# The digest of a fragment's values, given the names of what it read of them (see tasks.fragment_digest); None
# when the values cannot be told by their contents.
ValuesDigest = Callable[[tuple[Any, ...], frozenset[str]], "bytes | None"]


class Fragments:
    """Rendered template fragments (see FragmentCache), in two generations: a fragment not shown by the last two
    builds that showed any is dropped, so the store holds about one site's worth.

    With a `folder` (a CLI build's cache folder), fragments are also kept there between processes, by the digest
    of their values' contents (`digest`) rather than by the values' ids: the next `broadsheet build` after a new
    title renders that article's month of the archive only, as the preview server does."""

    def __init__(self, folder: Path | None = None, digest: ValuesDigest | None = None) -> None:
        self.token = b""
        self.current: dict[tuple[Any, ...], tuple[tuple[Any, ...], str, frozenset[str]]] = {}
        self.previous: dict[tuple[Any, ...], tuple[tuple[Any, ...], str, frozenset[str]]] = {}
        self._file = folder / "fragments" if folder is not None and digest is not None else None
        self._digest = digest
        self._stored: dict[tuple[str, frozenset[str], bytes], str] | None = None  # read when first needed
        self._reads: dict[str, set[frozenset[str]]] = {}  # of the stored fragments of each place in a template
        self._shown: dict[tuple[str, frozenset[str], bytes], str] = {}  # found or made by this build
        self._made = False

    def begin(self, token: bytes) -> None:
        """A new environment shows fragments: those of other templates or configuration are dropped."""
        if token != self.token:
            self.token, self.current, self._stored, self._shown, self._made = token, {}, None, {}, False
        self.previous, self.current = self.current, {}

    def find(self, key: tuple[Any, ...]) -> tuple[str, frozenset[str]] | None:
        # Keys hold the values' ids, and entries the values: while an entry stands, its ids name those objects.
        kept = self.current.get(key) or self.previous.get(key)
        if kept is None:
            return None
        self.current[key] = kept
        return kept[1], kept[2]

    def keep(self, key: tuple[Any, ...], values: tuple[Any, ...], html: str, reads: frozenset[str]) -> None:
        if len(self.current) < _FRAGMENTS_KEPT:  # (values made anew for every page, say, would fill it)
            self.current[key] = (values, html, reads)

    def find_stored(self, where: str, values: tuple[Any, ...]) -> tuple[str, frozenset[str]] | None:
        """A fragment an earlier process kept in the folder for values of these contents, if any."""
        if self._file is None or self._digest is None:
            return None
        stored = self._read()
        for reads in self._reads.get(where, ()):
            key = (where, reads, self._digest(values, reads))
            html = stored.get(key)  # type: ignore[arg-type]
            if html is not None:
                self._shown[key] = html  # type: ignore[index]
                return Markup(html), reads  # (as rendered: HTML, not text to escape)
        return None

    def store(self, where: str, values: tuple[Any, ...], html: str, reads: frozenset[str]) -> None:
        """Keep a fragment just made for the next process (see save)."""
        if self._file is not None and self._digest is not None and (digest := self._digest(values, reads)):
            self._shown[where, reads, digest] = str(html)  # (a plain string, not Markup)
            self._made = True

    def save(self) -> None:
        """Write the fragments kept for the next process, when this build made any: those it showed, and those kept
        before while they number fewer than _FRAGMENTS_KEPT."""
        if self._file is None or not self._made:
            return
        kept = {**self._read(), **self._shown}
        if len(kept) > _FRAGMENTS_KEPT:
            kept = dict(self._shown)
        rows = [[where, sorted(reads), digest.hex(), html] for (where, reads, digest), html in kept.items()]
        data = json.dumps([self.token.hex(), rows], ensure_ascii=False, separators=(",", ":")).encode()
        write_atomically(self._file, seal(_FRAGMENTS_MAGIC, self._file.name, data))
        self._stored, self._shown, self._made = kept, {}, False
        self._index()

    def _read(self) -> dict[tuple[str, frozenset[str], bytes], str]:
        if self._stored is None:
            self._stored = {}
            if self._file is not None:
                self._stored = _read_fragments(self._file, self.token)
            self._index()
        return self._stored

    def _index(self) -> None:
        self._reads = {}
        for where, reads, _ in self._stored or ():
            self._reads.setdefault(where, set()).add(reads)


def _read_fragments(path: Path, token: bytes) -> dict[tuple[str, frozenset[str], bytes], str]:
    """The fragments kept in the file at path for this token; none when it is missing, damaged or of another."""
    try:
        payload = unseal(_FRAGMENTS_MAGIC, path.name, path.read_bytes())
        if payload is None:
            return {}
        kept_token, rows = from_json(payload)
        if kept_token != token.hex() or type(rows) is not list:
            return {}
        stored = {}
        for where, reads, digest, html in rows:
            if (type(where) is not str or type(reads) is not list or not all(type(r) is str for r in reads)
                    or type(html) is not str):
                return {}
            stored[where, frozenset(reads), bytes.fromhex(digest)] = html
        return stored
    except (OSError, ValueError, TypeError, RecursionError):  # a miss
        return {}
