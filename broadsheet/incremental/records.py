"""The model's values as plain data (lists, strings, numbers: what JSON holds) and back, for the cache's records.

Reading plain data back runs no code of its own choosing: each reader expects one layout, checks the type of every
field and raises ValueError, TypeError, KeyError or IndexError on anything else (see cache.py, which takes that
as a miss). Layouts are lists of field values in a fixed order, not dicts of names: smaller, and quicker to read.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import operator
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from itertools import repeat
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from broadsheet.base.errors import Problem
from broadsheet.base.model import (
    ArchiveMonth,
    ArchiveYear,
    Article,
    LeftOut,
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

Data = Any  # what json.loads returns
T = TypeVar("T")


class BadRecord(ValueError):
    """Data that is not the layout a reader expects."""


def _str(value: Data) -> str:
    if type(value) is not str:
        raise BadRecord("not a string")
    return value


def _int(value: Data) -> int:
    if type(value) is not int:
        raise BadRecord("not a whole number")
    return value


def _bool(value: Data) -> bool:
    if type(value) is not bool:
        raise BadRecord("not true or false")
    return value


def _list(value: Data, size: int | None = None) -> list[Data]:
    if type(value) is not list or (size is not None and len(value) != size):
        raise BadRecord("not a list of the expected size")
    return value


def _dict(value: Data) -> dict[str, Data]:
    if type(value) is not dict:
        raise BadRecord("not a mapping")
    return value


def _optional_str(value: Data) -> str | None:
    return None if value is None else _str(value)


def _optional_int(value: Data) -> int | None:
    return None if value is None else _int(value)


_STR = frozenset({str})
_INT = frozenset({int})
_LIST = frozenset({list})
# The whole numbers written as numbers: the cache's reader (orjson, see sealed.from_json) reads those beyond as floats.
_SMALLEST, _LARGEST = -(2**63), 2**64 - 1


def strings(value: Data) -> tuple[str, ...]:
    """A list of strings, as a tuple."""
    if type(value) is not list or not _STR.issuperset(map(type, value)):  # (checked in C: a site has many)
        raise BadRecord("not a list of strings")
    return tuple(value)


def ints(value: Data) -> tuple[int, ...]:
    """A list of whole numbers, as a tuple."""
    if type(value) is not list or not _INT.issuperset(map(type, value)):
        raise BadRecord("not a list of whole numbers")
    return tuple(value)


def hex_bytes(value: Data) -> bytes:
    """Bytes written as hex (see bytes.hex)."""
    return bytes.fromhex(_str(value))


# Dates: [[year, month, day, hour, minute, second, microsecond], zone, fold]. The zone is the IANA name of a ZoneInfo,
# or [offset in seconds, name or None] for a fixed offset; one zone object is made for each, shared by every date read
# with it. (Numbers rather than ISO text: a date is then made in one call, not parsed and then given its zone.)
_ZONES: dict[Any, tzinfo] = {}


def _zone_data(zone: tzinfo | None) -> Data:
    if zone is None:
        return None
    if isinstance(zone, ZoneInfo):
        if zone.key is None:
            raise TypeError("a time zone read from a file has no name to store")
        return zone.key
    if isinstance(zone, timezone):
        arguments = zone.__getinitargs__()  # type: ignore[attr-defined]  # (offset,) or (offset, name)
        return [arguments[0].total_seconds(), arguments[1] if len(arguments) > 1 else None]
    raise TypeError(f"a time zone of type {type(zone).__name__} cannot be stored")


def _zone(data: Data) -> tzinfo | None:
    if data is None:
        return None
    key = data if type(data) is str else tuple(_list(data, 2))
    zone = _ZONES.get(key)
    if zone is None:
        if type(data) is str:
            made: tzinfo = ZoneInfo(data)
        else:
            seconds, name = data
            if type(seconds) not in (int, float) or not (name is None or type(name) is str):
                raise BadRecord("not a time zone")
            offset = timedelta(seconds=seconds)
            made = timezone(offset) if name is None else timezone(offset, name)
        zone = _ZONES[key] = made
    return zone


def date_data(value: datetime) -> Data:
    """A datetime as plain data."""
    return [[value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond],
            _zone_data(value.tzinfo), value.fold]


def read_date(data: Data) -> datetime:
    """A datetime from date_data."""
    # (Checked and read inline: a site has tens of thousands of dates, its zones nearly always a name seen before.)
    if type(data) is not list or len(data) != 3:
        raise BadRecord("not a date")
    parts, zone, fold = data
    if type(parts) is not list or len(parts) != 7 or not _INT.issuperset(map(type, parts)) or fold not in (0, 1):
        raise BadRecord("not a date")
    year, month, day, hour, minute, second, microsecond = parts
    found = _ZONES.get(zone) if type(zone) is str else None
    # (A number out of range raises ValueError: a miss.)
    return datetime(year, month, day, hour, minute, second, microsecond, found or _zone(zone), fold=fold)


def _optional_date_data(value: datetime | None) -> Data:
    return None if value is None else date_data(value)


def _optional_date(data: Data) -> datetime | None:
    return None if data is None else read_date(data)


# Any value front matter gives (YAML's safe loader): strings, numbers, true/false and null stand as themselves,
# every other value is a list whose first item says what it is.
def value_data(value: Any) -> Data:
    """A front matter value as plain data (TypeError for a kind YAML's safe loader does not make)."""
    kind = type(value)
    if kind is int and not _SMALLEST <= value <= _LARGEST:
        return ["i", str(value)]
    if kind is float and not math.isfinite(value):  # (JSON has no NaN or infinity)
        return ["F", repr(value)]
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is list:
        return ["l", *map(value_data, value)]
    if kind is dict:
        return ["d", *(value_data(part) for item in value.items() for part in item)]
    if kind is tuple:
        return ["t", *map(value_data, value)]
    if kind in (set, frozenset):
        return ["s" if kind is set else "f", *map(value_data, value)]
    if kind is bytes:
        return ["b", base64.b64encode(value).decode("ascii")]
    if kind is datetime:
        return ["T", date_data(value)]
    if kind is date:
        return ["D", value.isoformat()]
    raise TypeError(f"a value of type {kind.__name__} cannot be stored")


def read_value(data: Data) -> Any:
    """A value from value_data."""
    if type(data) is not list:
        if data is None or type(data) in (str, int, float, bool):
            return data
        raise BadRecord("not a value")
    if not data:
        raise BadRecord("an empty list")
    tag, items = data[0], data[1:]
    if tag == "l":
        return list(map(read_value, items))
    if tag == "d":
        if len(items) % 2:
            raise BadRecord("a mapping with a key alone")
        values = list(map(read_value, items))
        return dict(zip(values[::2], values[1::2], strict=True))
    if tag == "t":
        return tuple(map(read_value, items))
    if tag == "s":
        return set(map(read_value, items))
    if tag == "f":
        return frozenset(map(read_value, items))
    if tag == "b" and len(items) == 1:
        return base64.b64decode(_str(items[0]), validate=True)
    if tag == "T" and len(items) == 1:
        return read_date(items[0])
    if tag == "D" and len(items) == 1:
        return date.fromisoformat(_str(items[0]))
    if tag == "i" and len(items) == 1:
        return int(_str(items[0]))
    if tag == "F" and len(items) == 1 and items[0] in ("nan", "inf", "-inf"):
        return float(items[0])
    raise BadRecord("not a value")


def _is_json(value: Any) -> bool:
    """Whether JSON holds the value as it is: strings, numbers, true/false, null, lists, string-keyed mappings."""
    kind = type(value)
    if kind is int:
        return bool(_SMALLEST <= value <= _LARGEST)
    if kind is float:
        return math.isfinite(value)
    if value is None or kind in (str, bool):
        return True
    if kind is list:
        return all(map(_is_json, value))
    if kind is dict:
        return _STR.issuperset(map(type, value)) and all(map(_is_json, value.values()))
    return False


def meta_data(meta: dict[Any, Any]) -> Data:
    """An article's front matter as plain data: itself when JSON holds it as it is (nearly always), else as
    value_data writes it."""
    return [0, meta] if _is_json(meta) else [1, value_data(meta)]


def read_meta(data: Data) -> dict[Any, Any]:
    """Front matter from meta_data. (Any JSON mapping is front matter YAML could have given.)"""
    form, value = _list(data, 2)
    meta = value if form == 0 else read_value(value) if form == 1 else None
    if type(meta) is not dict:
        raise BadRecord("front matter that is not a mapping")
    return meta


def problem_data(problem: Problem) -> Data:
    """A problem as plain data."""
    return [problem.path, problem.line, problem.message, problem.hint, problem.warning]


def read_problem(data: Data) -> Problem:
    """A problem from problem_data."""
    path, line, message, hint, warning = _list(data, 5)
    return Problem(_str(path), _optional_int(line), _str(message), _str(hint), _bool(warning))


def link_data(link: Link) -> Data:
    """A link as plain data."""
    return [link.title, link.url, date_data(link.date), link.summary_html]


def read_link(data: Data) -> Link:
    """A link from link_data."""
    title, url, when, summary = _list(data, 4)
    return Link(_str(title), _str(url), read_date(when), _str(summary))


def _optional_link_data(link: Link | None) -> Data:
    return None if link is None else link_data(link)


def _optional_link(data: Data) -> Link | None:
    return None if data is None else read_link(data)


def article_data(a: Article) -> Data:
    """An article as plain data: its fields in order."""
    return [a.source, a.kind, a.slug, a.title, _optional_date_data(a.date), _optional_date_data(a.updated),
            list(a.authors), a.section, a.section_slug, list(a.tags), a.summary_html, a.summary_is_written,
            a.description, list(a.sources), a.draft, _optional_date_data(a.expires), a.image, a.image_alt,
            a.word_count, a.url, a.permalink, a.output_path, meta_data(a.meta), _optional_link_data(a.older),
            _optional_link_data(a.newer), list(a.aliases), a.reading_minutes,
            [[link.target, link.line] for link in a.links]]


_OPTIONAL_DATE = frozenset({list, type(None)})
_OPTIONAL_STR = frozenset({str, type(None)})
_OPTIONAL_LINK = frozenset({list, type(None)})
_ARTICLE_KINDS = tuple(map(frozenset, (
    {str}, {str}, {str}, {str}, _OPTIONAL_DATE, _OPTIONAL_DATE, {list}, {str}, {str}, {list}, {str}, {bool}, {str},
    {list}, {bool}, _OPTIONAL_DATE, _OPTIONAL_STR, _OPTIONAL_STR, {int}, {str}, {str}, {str}, {list}, _OPTIONAL_LINK,
    _OPTIONAL_LINK, {list}, {int}, {list})))


def read_article(data: Data) -> Article:
    """An article from article_data."""
    # The type of every field at once, in C (a build reads thousands of articles); what the lists hold, below.
    if type(data) is not list or len(data) != 28 or not all(map(operator.contains, _ARTICLE_KINDS, map(type, data))):
        raise BadRecord("not an article")
    (source, kind, slug, title, when, updated, authors, section, section_slug, tags, summary_html, summary_is_written,
     description, sources, draft, expires, image, image_alt, word_count, url, permalink, output_path, meta, older,
     newer, aliases, reading_minutes, links) = data
    if kind not in ("article", "page", "section") or (kind == "article" and when is None):
        raise BadRecord("not an article")
    return Article(source, kind, slug, title, _optional_date(when), _optional_date(updated), strings(authors),
                   section, section_slug, strings(tags), summary_html, summary_is_written, description,
                   strings(sources), draft, _optional_date(expires), image, image_alt, word_count, url, permalink,
                   output_path, read_meta(meta), _optional_link(older), _optional_link(newer), strings(aliases),
                   reading_minutes,
                   tuple(SourceLink(_str(target), _int(line)) for target, line in map(_pair, links)) if links else ())


def _pair(data: Data) -> list[Data]:
    return _list(data, 2)


def head_data(parsed: ParsedArticle) -> Data:
    """A parsed article without its body (kept apart, see cache.Cache.store_article) as plain data."""
    return [article_data(parsed.article), list(map(problem_data, parsed.warnings)), parsed.lines]


def read_head_data(data: Data) -> ParsedArticle:
    """A parsed article without its body, from head_data."""
    article, warnings, lines = _list(data, 3)
    lines = _dict(lines)
    if not all(type(line) is int for line in lines.values()):
        raise BadRecord("a line that is not a number")
    return ParsedArticle(read_article(article), "", tuple(map(read_problem, _list(warnings))), lines)


def heads_data(heads: Iterable[ParsedArticle]) -> Data:
    """Parsed articles without their bodies as plain data in columns (one list per field: read a column at a time,
    and quicker read than a list of rows)."""
    rows = [head_data(head) for head in heads]
    articles = [row[0] for row in rows]
    return [[list(column) for column in zip(*articles, strict=True)] if articles else [[] for _ in range(28)],
            [row[1] for row in rows], [row[2] for row in rows]]


def _column(data: Data, size: int) -> list[Data]:
    column = _list(data)
    if len(column) != size:
        raise BadRecord("a column of another length")
    return column


def _dates(column: list[Data]) -> list[datetime | None]:
    return [None if value is None else read_date(value) for value in column]


def _links(column: list[Data]) -> list[Link | None]:
    return [None if value is None else read_link(value) for value in column]


def read_heads_data(data: Data) -> list[ParsedArticle]:
    """Parsed articles without their bodies, from heads_data."""
    columns, warnings, lines = _list(data, 3)
    columns = _list(columns, 28)
    size = len(_list(warnings))
    columns = [_column(column, size) for column in columns]
    for kinds, column in zip(_ARTICLE_KINDS, columns, strict=True):  # every field's type, a column at a time, in C
        if not kinds.issuperset(map(type, column)):
            raise BadRecord("not an article")
    kinds_column, when = columns[1], columns[4]
    if not {"article", "page", "section"}.issuperset(kinds_column) or any(
            kind == "article" and date is None for kind, date in zip(kinds_column, when, strict=True)):
        raise BadRecord("not an article")
    for place in (6, 9, 13, 25):  # authors, tags, sources, aliases
        column = columns[place]
        if _LIST.issuperset(map(type, column)) and all(_STR.issuperset(map(type, value)) for value in column):
            columns[place] = list(map(tuple, column))  # (the whole column checked at once: quicker than by value)
        else:
            raise BadRecord("not a list of strings")
    for place in (4, 5, 15):  # date, updated, expires
        columns[place] = _dates(columns[place])
    columns[22] = list(map(read_meta, columns[22]))
    columns[23], columns[24] = _links(columns[23]), _links(columns[24])
    columns[27] = [tuple(SourceLink(_str(target), _int(line)) for target, line in map(_pair, links)) if links else ()
                   for links in columns[27]]
    line_maps = _column(lines, size)
    if not {dict}.issuperset(map(type, line_maps)) or not all(
            _INT.issuperset(map(type, line_map.values())) for line_map in line_maps):
        raise BadRecord("a line that is not a number")
    problems = [tuple(map(read_problem, _list(found))) for found in warnings]
    return from_columns(ParsedArticle, [from_columns(Article, columns, size), [""] * size, problems, line_maps],
                         size)


def from_columns(cls: type[T], columns: Sequence[Sequence[Any]], size: int) -> list[T]:
    """`size` instances of a frozen dataclass with slots, from one column of values per field, in the fields' order.

    Each column is set through its field's slot, in C, as the dataclass's __init__ would set them one call at a
    time (twice as quick for a site's 10,000 articles). Every field must be given: no default or __post_init__ runs.
    """
    names = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if len(columns) != len(names) or any(len(column) != size for column in columns):
        raise BadRecord("not one column of that size per field")
    made: list[T] = list(map(object.__new__, repeat(cls, size)))
    for name, column in zip(names, columns, strict=True):
        deque(map(getattr(cls, name).__set__, made, column), maxlen=0)  # (the slot's member descriptor)
    return made


# The ordered site (see cache.Cache.save_ordered). Its articles are named by their places in the list of the
# articles it was made from, followed by those it holds besides (copies with their summaries' links resolved),
# written whole; its links and the tuples of page URLs that several of its values share are written once, in
# tables, and named by their places there, as are its sections and terms: what was one object is read back as one.
class _Tables:
    """The shared values of an ordered site being written, each with its place in its table."""

    def __init__(self, made_from: Sequence[Article]) -> None:
        self.articles = {id(article): place for place, article in enumerate(made_from)}  # id of an article: its place
        self.article_rows: list[Data] = []  # the articles besides those it was made from
        self.made_from = len(made_from)
        self.held: list[Article] = []  # (those articles: while the tables stand, their ids name them)
        self.links: dict[int, int] = {}
        self.link_rows: list[Data] = []
        self.url_lists: dict[int, int] = {}
        self.url_rows: list[Data] = []
        self.by_url: dict[str, Article] = {}

    def article(self, article: Article) -> int:
        place = self.articles.get(id(article))
        if place is None:
            place = self.articles[id(article)] = self.made_from + len(self.article_rows)
            self.article_rows.append(article_data(article))
            self.held.append(article)
        return place

    def listed(self, articles: Iterable[Article]) -> Data:
        return list(map(self.article, articles))

    def link(self, link: Link | None) -> Data:
        if link is None:
            return None
        place = self.links.get(id(link))
        if place is None:
            place = self.links[id(link)] = len(self.link_rows)
            # Nearly every link is its article's own (see Article.link): then its article's place stands for it.
            article = self.by_url.get(link.url)
            self.link_rows.append(self.article(article) if article is not None and article.link() == link
                                  else link_data(link))
        return place

    def urls(self, urls: tuple[str, ...]) -> int:
        place = self.url_lists.get(id(urls))
        if place is None:
            place = self.url_lists[id(urls)] = len(self.url_rows)
            self.url_rows.append(list(urls))
        return place


def _place(value: object, among: Sequence[object]) -> int | None:
    for place, item in enumerate(among):
        if item is value:
            return place
    return None


def by_source(mapping: Mapping[str, Any], sources: Mapping[str, int], write: Callable[[Any], Data]) -> Data:
    """A mapping from content files' paths as plain data: [place of the path in `sources`, value] pairs, in its order
    (a site names its files in several such mappings: a number is shorter, and quicker read, than the path)."""
    return [[sources[source], write(value)] for source, value in mapping.items()]


def read_by_source(data: Data, sources: Sequence[str], read: Callable[[Data], T]) -> dict[str, T]:
    """A mapping from by_source, its paths named by their places in `sources`."""
    found = {}
    for place, value in map(_pair, _list(data)):
        if type(place) is not int or place < 0:
            raise BadRecord("not a place")
        found[sources[place]] = read(value)
    return found


def site_data(site: Site, made_from: Sequence[Article], sources: Mapping[str, int]) -> Data:
    """An ordered site as plain data; `made_from`: the articles it was made from, one for each content file, in the
    order of `sources`, the places of the files' paths (see by_source)."""
    tables = _Tables(made_from)
    tables.by_url = {article.url: article for article in site.articles}
    terms = (*site.tags, *site.authors)

    def term_data(term: Term) -> Data:
        return [term.kind, term.name, term.slug, term.url, tables.listed(term.articles)]

    def list_data(listing: ListPage) -> Data:
        section = None if listing.section is None else _place(listing.section, site.sections)
        term = None if listing.term is None else _place(listing.term, terms)
        if (section is None) != (listing.section is None) or (term is None) != (listing.term is None):
            raise TypeError("a list page of a section or term the site does not hold")
        return [listing.title, listing.kind, listing.number, listing.total, tables.listed(listing.articles),
                listing.url, listing.output_path, tables.urls(listing.page_urls), section, term]

    body = [
        tables.listed(site.articles), tables.listed(site.pages),
        by_source(site.neighbours, sources, lambda pair: [tables.link(pair.older), tables.link(pair.newer)]),
        [[s.name, s.slug, s.url, tables.listed(s.articles), s.intro_html, list(s.intro_links)] for s in site.sections],
        list(map(list_data, site.lists)), list(map(term_data, site.tags)), list(map(term_data, site.authors)),
        [[year.year, year.url, year.output_path,
          [[month.year, month.month, tables.listed(month.articles)] for month in year.months]]
         for year in site.archive],
        by_source(site.related, sources, lambda links: list(map(tables.link, links))),
        [[item.title, item.url] for item in site.menu],
        [[r.url, r.output_path, r.source, r.title, r.target_url, r.target_permalink] for r in site.redirects],
        # The URL of a file's article, nearly always the one the article it was made from has: then its place alone.
        [place if made_from[place].url == url else [place, url]
         for place, url in ((sources[source], url) for source, url in site.urls.items())],
        list(map(problem_data, site.warnings)),
        [site.left_out.drafts, site.left_out.scheduled, site.left_out.expired,
         _optional_date_data(site.left_out.next_publication)],
    ]
    return [tables.article_rows, tables.link_rows, tables.url_rows, body]


def _reader(articles: Sequence[Article]) -> Callable[[Data], tuple[Article, ...]]:
    """Reads a list of articles named by their places in `articles`."""
    place = articles.__getitem__

    def listed(data: Data) -> tuple[Article, ...]:
        items = _list(data)
        if not all(type(item) is int for item in items):
            raise BadRecord("not a list of places")
        return tuple(map(place, items))
    return listed


def _own_link(article: Article) -> Link:
    if article.date is None:
        raise BadRecord("a link to a page without a date")
    return article.link()


def read_site(data: Data, articles: Sequence[Article], sources: Sequence[str]) -> Site:
    """An ordered site from site_data, made from `articles`, one for each of the content files `sources`."""
    if len(articles) != len(sources):
        raise BadRecord("not one article for each content file")
    article_rows, link_rows, url_rows, body = _list(data, 4)
    every = [*articles, *map(read_article, _list(article_rows))]
    links = [_own_link(every[row]) if type(row) is int else read_link(row) for row in _list(link_rows)]
    url_lists = list(map(strings, _list(url_rows)))
    listed = _reader(every)
    (published, pages, neighbours, sections_data, lists_data, tags_data, authors_data, archive_data, related_data,
     menu_data, redirects_data, urls, warnings, left_out_data) = _list(body, 14)

    def link(place: Data) -> Link | None:
        return None if place is None else links[_int(place)]

    def pair(data: Data) -> Neighbours:
        older, newer = _list(data, 2)
        return Neighbours(link(older), link(newer))

    def term(data: Data) -> Term:
        kind, name, slug, url, items = _list(data, 5)
        return Term(_str(kind), _str(name), _str(slug), _str(url), listed(items))

    sections = tuple(Section(_str(name), _str(slug), _str(url), listed(items), _str(intro), strings(links))
                     for name, slug, url, items, intro, links in (_list(s, 6) for s in _list(sections_data)))
    tags = tuple(map(term, _list(tags_data)))
    authors = tuple(map(term, _list(authors_data)))
    terms = (*tags, *authors)

    def listing(data: Data) -> ListPage:
        title, kind, number, total, items, url, output_path, page_urls, section, term = _list(data, 10)
        return ListPage(_str(title), _str(kind), _int(number), _int(total), listed(items), _str(url),
                        _str(output_path), url_lists[_int(page_urls)],
                        None if section is None else sections[_int(section)],
                        None if term is None else terms[_int(term)])

    def month(data: Data) -> ArchiveMonth:
        year, number, items = _list(data, 3)
        return ArchiveMonth(_int(year), _int(number), listed(items))

    def year(data: Data) -> ArchiveYear:
        number, url, output_path, months = _list(data, 4)
        return ArchiveYear(_int(number), _str(url), _str(output_path), tuple(map(month, _list(months))))

    def url(data: Data) -> tuple[str, str]:
        place, written = (data, None) if type(data) is int else _pair(data)
        if type(place) is not int or place < 0:
            raise BadRecord("not a place")
        return sources[place], articles[place].url if written is None else _str(written)

    def related(data: Data) -> tuple[Link, ...]:
        found = tuple(map(link, _list(data)))
        if None in found:
            raise BadRecord("a related article that is no link")
        return found  # type: ignore[return-value]

    news, pages = listed(published), listed(pages)
    return Site(news, pages, read_by_source(neighbours, sources, pair), sections,
                tuple(map(listing, _list(lists_data))), tags, authors, tuple(map(year, _list(archive_data))),
                read_by_source(related_data, sources, related),
                tuple(MenuItem(_str(title), _str(url)) for title, url in map(_pair, _list(menu_data))),
                tuple(Redirect(*strings(item)) for item in _list(redirects_data)), dict(map(url, _list(urls))),
                tuple(map(read_problem, _list(warnings))), _read_left_out(left_out_data),
                {a.source: a.title for a in (*news, *pages)})


def _read_left_out(data: Data) -> LeftOut:
    drafts, scheduled, expired, due = _list(data, 4)
    return LeftOut(_int(drafts), _int(scheduled), _int(expired), _optional_date(due))
