"""What a page depends on, as a digest: equal digests mean the page would render to the same bytes."""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from broadsheet.model import Article, Link, Neighbours, Section, Term

_SHARED = 8  # sequences longer than this are hashed once per build and stood for by their digest
FIELD_READ = "field:"  # a page's read "field:title": it showed the title of the articles it lists ("field:*": more)


_PLAIN = frozenset({str, bytes, int, float, bool, type(None)})


def fields_getter(names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the named attributes of a value as a tuple, made in C (attrgetter gives one name's value
    alone, not in a tuple)."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        one = operator.attrgetter(names[0])
        return lambda value: (one(value),)
    return lambda value: ()


def date_state(value: date) -> tuple[str, bytes, str]:
    """A date or datetime as digests take it: its pickled state, the date and time as written in bytes, made in C
    (isoformat costs ten times more); and its time zone by name."""
    state: bytes = cast("tuple[Any, tuple[bytes, ...]]", value.__reduce__())[1][0]
    return type(value).__name__, state, str(getattr(value, "tzinfo", None))


def combine(*parts: bytes | str | float | None) -> bytes:
    """One digest of several byte strings (or strings, numbers, None)."""
    # marshal writes each part with its type and length, so that no two lists of parts give the same bytes; it
    # does so in C, much faster than feeding the parts to the hash one by one. Version 2 never writes
    # back-references, which would make the bytes depend on which equal parts are one object.
    return hashlib.blake2b(marshal.dumps(parts, 2), digest_size=20).digest()


class Fingerprints:
    """Digests of template contexts within one build.

    An article stands for its parse key (its bytes, path, configuration and code), plus whatever fields a page
    replaced (its neighbours); a section, tag or author stands for its name and URL only, because a page that
    reads its articles or their count is keyed by the whole site or by every group's count instead (see
    tasks.TrackedGroup). Long sequences shared by many pages are hashed once.
    """

    def __init__(self, articles: Iterable[tuple[str, Article]]):
        self._keys: dict[int, bytes] = {}
        self._parsed: dict[str, tuple[Article, bytes]] = {}
        for key, article in articles:
            self._keys[id(article)] = key.encode()
            self._parsed[article.source] = (article, key.encode())
        self._memos: dict[frozenset[str] | None, dict[int, tuple[Any, bytes]]] = {}
        self._memo: dict[int, tuple[Any, bytes]] = {}
        self._fields_read: frozenset[str] | None = None
        self._listed_getters: dict[frozenset[str], Any] = {}  # the fields read of listed articles, as a tuple
        self._listed_fields: Any = None
        self._values: dict[Any, bytes] = {}
        self._links: dict[int, tuple[Link, bytes]] = {}
        self._dates: dict[int, tuple[Any, tuple[Any, ...]]] = {}
        self._getters: dict[type, Any] = {}
        self._article_fields = tuple(f.name for f in dataclasses.fields(Article))
        self._first_size = 0  # how many digests the build with all new digests kept (see carried)

    def carried(self, changed: Iterable[tuple[str, Article]]) -> Fingerprints:
        """Digests for the next build of the same site, where only the `changed` (key, article) replaced the
        articles of their sources: its digests of values still in use are taken as they are. The memos are by
        object and check the object, so a value made anew is digested anew."""
        carried = Fingerprints(())
        carried._keys, carried._parsed = dict(self._keys), dict(self._parsed)
        for key, article in changed:
            earlier = carried._parsed.get(article.source)
            if earlier is not None:
                carried._keys.pop(id(earlier[0]), None)
            carried._keys[id(article)] = key.encode()
            carried._parsed[article.source] = (article, key.encode())
        size = self._size()
        carried._first_size = self._first_size or size
        if size <= 2 * carried._first_size + 10_000:  # else start afresh: the memos keep old values alive
            # Shared, not copied: a digest is a function of its value, whichever build took it.
            carried._memos, carried._values, carried._links, carried._dates = (
                self._memos, self._values, self._links, self._dates)
        return carried

    def _size(self) -> int:
        return sum(map(len, self._memos.values())) + len(self._values) + len(self._links) + len(self._dates)

    def of(self, value: Any, fields_read: frozenset[str] | None = None) -> bytes:
        """The digest of a value made of plain data, dataclasses, tuples, lists and dicts.

        With `fields_read`, every article in it stands for those of its fields only (a list page's articles,
        of which the page showed these fields; see listed_fields).
        """
        self._fields_read = fields_read
        if fields_read is not None:
            self._listed_fields = self._listed_getters.get(fields_read)
            if self._listed_fields is None:
                self._listed_fields = self._listed_getters[fields_read] = fields_getter(sorted(fields_read))
        self._memo = self._memos.setdefault(fields_read, {})
        return self._digest(value)

    def _digest(self, value: Any) -> bytes:
        parts: list[Any] = []
        self._feed(parts, value)
        return combine(*parts)

    def _feed(self, out: list[Any], value: Any) -> None:
        if type(value) in _PLAIN:
            out.append(value)
        elif isinstance(value, Article):
            self._article(out, value)
        elif isinstance(value, Link):
            out.append(self._link(value))
        elif isinstance(value, (datetime, date)):
            memo = self._dates.get(id(value))  # the same few date objects are in many pages' inputs
            if memo is None or memo[0] is not value:
                memo = self._dates[id(value)] = (value, date_state(value))
            out.append(memo[1])
        elif isinstance(value, Neighbours):
            out += (b"neighbours", self._link(value.older) if value.older else None,
                    self._link(value.newer) if value.newer else None)
        elif isinstance(value, Section):
            out += (b"section", value.name, value.slug, value.url, value.intro_html)
        elif isinstance(value, Term):
            out += (b"term", value.kind, value.name, value.slug, value.url)
        elif isinstance(value, (tuple, list)):
            if len(value) > _SHARED:
                out.append(self._memoized(value))
            else:
                out.append(b"(%d" % len(value))
                self._feed_all(out, value)
        elif isinstance(value, Mapping):
            out.append(b"{%d" % len(value))
            for key, item in value.items():
                self._feed(out, key)
                self._feed(out, item)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            known = self._memo.get(id(value))
            if known is not None and known[0] is value:
                out.append(known[1])
                return
            parts = [type(value).__qualname__]
            self._feed_all(parts, self._fields_of(value))
            digest = combine(*parts)
            self._memo[id(value)] = (value, digest)  # a list page, a term: often part of several pages' inputs
            out.append(digest)
        elif isinstance(value, (set, frozenset)):
            out += (b"set", *sorted(self._digest(v) for v in value))
        else:
            out += (b"repr", type(value).__qualname__, repr(value))

    def _link(self, link: Link) -> bytes:
        # One link per article is shared by the pages that show it (as neighbour, as related article); links
        # made afresh for a page share the digest of an equal one.
        memo = self._links.get(id(link))
        if memo is not None and memo[0] is link:
            return memo[1]
        digest = self._values.get(link)
        if digest is None:
            parts: list[Any] = []
            self._feed(parts, (link.title, link.url, link.date, link.summary_html))
            digest = self._values[link] = combine(b"link", *parts)
        self._links[id(link)] = (link, digest)
        return digest

    def _feed_all(self, out: list[Any], values: Iterable[Any]) -> None:
        for item in values:  # the commonest kinds inline: this loop runs for every field of every page's inputs
            kind = type(item)
            if kind in _PLAIN:
                out.append(item)
            elif kind is Link:
                out.append(self._link(item))
            else:
                self._feed(out, item)

    def _fields_of(self, value: Any) -> tuple[Any, ...]:
        """The values of a dataclass's fields, in order."""
        getter = self._getters.get(type(value))
        if getter is None:
            getter = self._getters[type(value)] = fields_getter([f.name for f in dataclasses.fields(value)])
        return getter(value)

    def _memoized(self, value: Any) -> bytes:
        memo = self._memo.get(id(value))
        if memo is not None and memo[0] is value:
            return memo[1]
        parts = [b"(%d" % len(value)]
        self._feed_all(parts, value)
        digest = combine(*parts)
        self._memo[id(value)] = (value, digest)
        return digest

    def _article(self, out: list[Any], article: Article) -> None:
        if self._fields_read is not None:
            # The fields themselves, not a digest of them: an archive lists every article once, and a digest for
            # each would cost more than its few fields.
            out.append(b"listed")
            self._feed_all(out, self._listed_fields(article))
            return
        key = self._keys.get(id(article))
        if key is not None:
            out += (b"article", key)
            return
        base = self._parsed.get(article.source)
        if base is None:  # not one of the build's articles: hash its fields
            out.append("Article")
            for name in self._article_fields:
                self._feed(out, getattr(article, name))
            return
        # A copy with some fields replaced (dataclasses.replace keeps the others' very objects).
        out += (b"article", base[1])
        for name in self._article_fields:
            mine = getattr(article, name)
            if mine is not getattr(base[0], name):
                out.append(name)
                self._feed(out, mine)

    def site(self, sections: Iterable[Section]) -> bytes:
        """The digest of every section's articles, for pages that read them."""
        return self.of([(s, s.articles) for s in sections])


def listed_fields(read: Iterable[str]) -> frozenset[str] | None:
    """The fields a page read of the articles it lists, or None when it read more of them (a method)."""
    fields = frozenset(name[len(FIELD_READ):] for name in read if name.startswith(FIELD_READ))
    return None if "*" in fields else fields


def page_key(common: bytes, context: bytes, reads: Mapping[str, bytes], read: Iterable[str] = ()) -> bytes:
    """A page's key: what every page shares, its own context (its listed articles' fields read are in it), and
    what else it read (the whole site, the moment)."""
    return combine(common, context, *(name.encode() + reads.get(name, b"") for name in sorted(read)))


TemplateNames = dict[bytes, "tuple[str, ...] | None"]  # a template's source digest: the templates it names
_NAMED: TemplateNames = {}  # (None: by a variable)


def _named_templates(key: bytes, source: bytes) -> tuple[str, ...] | None:
    """The templates a template's source (of digest `key`) extends, includes or imports; None when it names one by
    a variable (or does not parse: its pages fail anyway)."""
    if key not in _NAMED:
        import jinja2  # (here: the workers load this module, and never parse a template)
        import jinja2.meta

        from broadsheet.templates import FragmentCache

        try:
            environment = jinja2.Environment(extensions=[FragmentCache])  # the tags templates may use
            found = tuple(jinja2.meta.find_referenced_templates(environment.parse(source.decode("utf-8"))))
            _NAMED[key] = None if None in found else found  # type: ignore[assignment]
        except (jinja2.TemplateSyntaxError, UnicodeDecodeError):
            _NAMED[key] = None
    return _NAMED[key]


def template_digests(folders: Iterable[Path], names: Iterable[str], known: Mapping[bytes, tuple[str, ...] | None],
                     ) -> tuple[dict[str, bytes], TemplateNames]:
    """For each template name, the digest of the template the loader finds by that name (in the first folder that
    has it) and of every template it extends, includes or imports, and theirs: what a page made with that template
    depends on. A template that names another by a variable depends on every file of the folders. The folders count
    by their place in the list, not their paths (a site named by a relative or an absolute path is the same).

    `known`: what template sources name, by their digests, as an earlier build with the same libraries found
    (finding what a template names means parsing it, which costs more than the rest). Returned with the digests:
    what the templates looked at now name, for the next build.
    """
    found: TemplateNames = {}

    def named_by(source: bytes) -> tuple[str, ...] | None:
        key = hashlib.sha256(source).digest()
        found[key] = known[key] if key in known else _named_templates(key, source)
        return found[key]

    files: dict[str, tuple[int, bytes]] = {}
    for number, folder in enumerate(folders):
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                files.setdefault(path.relative_to(folder).as_posix(), (number, path.read_bytes()))

    def part(name: str) -> bytes:
        number, source = files.get(name, (-1, b""))
        return b"%s\0%d\0%s" % (name.encode(), number, source)

    everything = combine(b"all templates", *(part(name) for name in sorted(files)))
    digests = {}
    for name in names:
        used: set[str] | None = {name}
        todo = [name]
        while todo and used is not None:
            current = todo.pop()
            named = named_by(files[current][1]) if current in files else ()
            if named is None:
                used = None
                break
            for other in named:
                if other not in used:
                    used.add(other)
                    todo.append(other)
        digests[name] = everything if used is None else combine(b"templates", *(part(n) for n in sorted(used)))
    return digests, found
