"""What the site builds around its articles: tags, authors, the archive, related articles, menu, redirects."""

from __future__ import annotations

import difflib
import hashlib
import marshal
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

from broadsheet.config import Config
from broadsheet.errors import Problem, SiteError
from broadsheet.model import ArchiveMonth, ArchiveYear, Article, Link, MenuItem, Redirect, Section, Term
from broadsheet.slugs import quote_path, slugify

TAGS_PATH = "tags/"
AUTHORS_PATH = "authors/"
ARCHIVE_PATH = "archive/"


def _spelling(name: str) -> str:
    """What tells two names of a term apart: not letter case, accents, spaces, hyphens or underscores ("Café
    society" and "cafe-society" are one tag), but any other character ("C++" and "C" are two)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace("_", " ").split())


def group_terms(kind: str, newest_first: Sequence[Article], names: Callable[[Article], Iterable[str]],
                base: str, config: Config) -> list[Term]:
    """Terms (tags or authors) merged by slug, spelled as most articles spell them, sorted by name.

    Two different names with one slug (one URL) raise a SiteError naming a file that uses each.
    """
    by_slug: dict[str, list[Article]] = {}
    spellings: dict[str, dict[str, int]] = {}  # slug: {name as written: how many articles write it so}
    for article in newest_first:
        for slug, name in {slugify(name): name for name in names(article)}.items():
            if slug not in by_slug:
                by_slug[slug], spellings[slug] = [], {}
            by_slug[slug].append(article)
            counts = spellings[slug]
            counts[name] = counts.get(name, 0) + 1
    problems = []
    for slug, counts in spellings.items():
        if len(counts) > 1 and len({_spelling(name) for name in counts}) > 1:
            users: dict[str, tuple[str, str]] = {}  # one file per distinct name, the first in source order
            for article in sorted(by_slug[slug], key=lambda a: a.source):
                for name in names(article):
                    if slugify(name) == slug:
                        users.setdefault(_spelling(name), (name, article.source))
            (first, first_source), *others = users.values()
            problems += [Problem(source, None, f"{kind} {name!r} has the URL {config.base_path}{base}{slug}/ of "
                                 f"the {kind} {first!r} in {first_source}", f"rename one of the two {kind}s")
                         for name, source in others]
    if problems:
        raise SiteError(problems)
    terms = []
    for slug, articles in by_slug.items():
        name = min(spellings[slug].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        terms.append(Term(kind, name, slug, quote_path(f"{config.base_path}{base}{slug}/"), tuple(articles)))
    return sorted(terms, key=lambda t: (t.name.casefold(), t.slug))


def build_archive(newest_first: Sequence[Article], config: Config) -> list[ArchiveYear]:
    """Articles grouped by year and month in the site's time zone, newest first."""
    months: dict[tuple[int, int], list[Article]] = {}
    for article in newest_first:
        assert article.date is not None
        local = article.date.astimezone(config.zone)
        months.setdefault((local.year, local.month), []).append(article)
    years: dict[int, list[ArchiveMonth]] = {}
    for (year, month), articles in sorted(months.items(), reverse=True):
        years.setdefault(year, []).append(ArchiveMonth(year, month, tuple(articles)))
    return [ArchiveYear(year, f"{config.base_path}{ARCHIVE_PATH}{year}/", f"{ARCHIVE_PATH}{year}/index.html",
                        tuple(ms)) for year, ms in years.items()]


RelatedRanks = tuple[tuple[int, ...], ...]  # each article's related articles, as positions in newest-first order


def related_key(newest_first: Sequence[Article], limit: int) -> bytes:
    """What the related rankings depend on: each article's tags and section, in newest-first order, and the limit."""
    # The tags as written: their slugs are a function of them.
    return hashlib.blake2b(marshal.dumps((limit, [(a.tags, a.section_slug) for a in newest_first]), 2),
                           digest_size=20).digest()


def find_related(newest_first: Sequence[Article], limit: int, links: Mapping[str, Link] | None = None,
                 known: dict[bytes, RelatedRanks] | None = None) -> dict[str, tuple[Link, ...]]:
    """Up to `limit` other articles per article: most shared tags, then same section, then newest; an article that
    shares no tag is related only if it is in the same section. `links`: the articles' links by source, if made.

    `known` holds the rankings of an earlier build by their related_key; they are used when the key is the same,
    and replaced by this build's otherwise (ranking was 40 % of the time of ordering 10,000 articles).
    """
    if limit <= 0:
        return {}
    link = [links[a.source] for a in newest_first] if links else [a.link() for a in newest_first]
    key = related_key(newest_first, limit) if known is not None else b""
    ranks = known.get(key) if known is not None else None
    if ranks is None:
        ranks = rank_related(newest_first, limit)
        if known is not None:
            known.clear()
            known[key] = ranks
    return {article.source: tuple(link[i] for i in ranks[index]) for index, article in enumerate(newest_first)}


def rank_related(newest_first: Sequence[Article], limit: int) -> RelatedRanks:
    """Each article's related articles (see find_related), as positions in newest_first."""
    # Sets of articles are Python ints used as bit sets (bit i: newest_first[i]), so a ranking costs a few dozen
    # operations on whole sets instead of a pass over every article sharing a tag.
    tag_sets = [frozenset(slugify(tag) for tag in article.tags) for article in newest_first]
    tagged: dict[str, int] = {}
    in_section: dict[str, int] = {}
    for index, article in enumerate(newest_first):
        bit = 1 << index
        for tag in tag_sets[index]:
            tagged[tag] = tagged.get(tag, 0) | bit
        in_section[article.section_slug] = in_section.get(article.section_slug, 0) | bit
    # The ranking depends only on an article's tags and section, so articles alike share one computation.
    rankings: dict[tuple[frozenset[str], str], list[int]] = {}
    ranks = []
    for index, article in enumerate(newest_first):
        key = (tag_sets[index], article.section_slug)
        ranked = rankings.get(key)
        if ranked is None:
            ranked = rankings[key] = _rank(key[0], in_section[key[1]], tagged, limit + 1)
        ranks.append(tuple(i for i in ranked if i != index)[:limit])
    return tuple(ranks)


def _rank(tags: frozenset[str], section: int, tagged: dict[str, int], wanted: int) -> list[int]:
    """The first `wanted` article indexes by (shared tags, same section, newest); `section` is the bit set of the
    article's section."""
    at_least = [0] * (len(tags) + 1)  # at_least[c]: the articles sharing c or more of the tags
    for tag in sorted(tags):
        members = tagged[tag]
        for count in range(len(tags), 1, -1):
            at_least[count] |= at_least[count - 1] & members
        at_least[1] |= members
    levels = []
    for count in range(len(tags), 0, -1):
        exactly = at_least[count] & ~(at_least[count + 1] if count < len(tags) else 0)
        levels += [exactly & section, exactly & ~section]
    levels.append(section & ~at_least[1] if tags else section)
    ranked: list[int] = []
    for level in levels:
        while level and len(ranked) < wanted:
            lowest = level & -level
            ranked.append(lowest.bit_length() - 1)
            level ^= lowest
        if len(ranked) == wanted:
            break
    return ranked


def build_menu(sections: Sequence[Section], pages: Sequence[Article], config: Config
               ) -> tuple[list[MenuItem], list[Problem]]:
    """The header navigation: site.yaml's `menu` (sections, page slugs, archive, tags, authors), else sections, pages.

    An entry naming nothing published (a typo, or a section whose articles are all drafts) is left out with a warning.
    """
    if not config.menu:
        return [MenuItem(s.name, s.url) for s in sections] + [MenuItem(p.title, p.url) for p in pages], []
    known = {s.slug: MenuItem(s.name, s.url) for s in sections}
    for page in pages:
        known.setdefault(page.slug, MenuItem(page.title, page.url))
    labels = config.labels
    for slug, title, path in (("archive", labels.archive, ARCHIVE_PATH), ("tags", labels.tags, TAGS_PATH),
                              ("authors", labels.authors, AUTHORS_PATH)):
        known.setdefault(slug, MenuItem(title, config.base_path + path))
    items, problems = [], []
    for entry in config.menu:
        item = known.get(slugify(entry))
        if item is None:
            close = difflib.get_close_matches(slugify(entry), list(known), n=1)
            problems.append(Problem("site.yaml", None, f"menu entry {entry!r} is no published section or page",
                                    f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(sorted(known)),
                                    warning=True))
        else:
            items.append(item)
    return items, problems


def build_redirects(articles: Iterable[Article], config: Config) -> list[Redirect]:
    """A redirect for every alias of a published article or page: a page at the alias's path, except for an alias
    with a query (`/?p=12`) or one differing from the article's own URL only in letter case, which only the host's
    redirect rules (`_redirects`) can serve: one folder cannot hold both spellings on macOS or Windows."""
    redirects = []
    for article in articles:
        for alias in article.aliases:
            path = alias.strip("/")
            output_path = path if path.endswith(".html") else path + "/index.html"
            if "?" in alias or output_path.lower() == article.output_path.lower():
                output_path = ""  # (no page: a rule in _redirects only)
            redirects.append(Redirect(config.base_path + alias.lstrip("/"), output_path, article.source, article.title,
                                      article.url, article.permalink))
    return sorted(redirects, key=lambda r: (r.output_path, r.url))
