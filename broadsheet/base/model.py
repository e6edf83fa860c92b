"""Plain values passed between the pipeline's stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from broadsheet.base.errors import Problem


@dataclass(frozen=True, slots=True)
class Link:
    """A small reference to an article, e.g. a neighbour in Previous/Next navigation."""

    title: str
    url: str
    date: datetime
    summary_html: str


@dataclass(frozen=True, slots=True)
class SourceLink:
    """A link in an article's body to another content file, and the line it is written on."""

    target: str  # site-relative path of the linked file: content/world/cuba.md
    line: int


@dataclass(frozen=True, slots=True)
class Article:
    """What the site needs to know about one content file, without its body.

    Pages of kind "page" (About, Contact) have no place in lists, feeds or Previous/Next.
    """

    source: str  # path relative to the site folder, with forward slashes
    kind: str  # "article" or "page"
    slug: str
    title: str
    date: datetime | None
    updated: datetime | None
    authors: tuple[str, ...]
    section: str
    section_slug: str
    tags: tuple[str, ...]
    summary_html: str
    summary_is_written: bool  # False when the summary was made from the body
    description: str  # plain text, at most ~160 characters
    sources: tuple[str, ...]
    draft: bool
    expires: datetime | None
    image: str | None
    image_alt: str | None
    word_count: int
    url: str  # root-relative, including base_url's path: /news/world/slug/
    permalink: str  # absolute URL
    output_path: str  # file in the output folder: world/slug/index.html
    meta: dict[str, Any] = field(default_factory=dict)  # every front matter key, known or not
    # Set for the article's own page only: the next older and next newer article (Previous / Next).
    older: Link | None = None
    newer: Link | None = None
    aliases: tuple[str, ...] = ()  # old URL paths (without base_url's path) that redirect here
    reading_minutes: int = 1
    links: tuple[SourceLink, ...] = ()  # links in the body to other content files

    def link(self) -> Link:
        """The small reference other pages use to point at this article."""
        assert self.date is not None
        return Link(self.title, self.url, self.date, self.summary_html)


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """An article with its rendered body: the result of the per-article stage."""

    article: Article
    body_html: str
    warnings: tuple[Problem, ...] = ()  # problems that do not stop the build, e.g. a misspelt key
    lines: dict[str, int] = field(default_factory=dict)  # file line of the keys later checks name (the image)


@dataclass(frozen=True, slots=True)
class Neighbours:
    """An article's place in the reading order."""

    older: Link | None
    newer: Link | None


@dataclass(frozen=True, slots=True)
class Section:
    """A section of the site and its articles, newest first."""

    name: str
    slug: str
    url: str
    articles: tuple[Article, ...]
    intro_html: str = ""  # the body of its _index.md, shown on its page above the list
    intro_links: tuple[str, ...] = ()  # the content files that body links to (it may show their titles)

    @property
    def feed_url(self) -> str:
        """The section's Atom feed."""
        return self.url + "feed.xml"

    @property
    def count(self) -> int:
        """How many articles the section has."""
        return len(self.articles)


@dataclass(frozen=True, slots=True)
class Term:
    """A tag or an author, with its articles newest first."""

    kind: str  # "tag" or "author"
    name: str
    slug: str
    url: str
    articles: tuple[Article, ...]

    @property
    def feed_url(self) -> str | None:
        """The tag's Atom feed; authors have none."""
        return self.url + "feed.xml" if self.kind == "tag" else None

    @property
    def count(self) -> int:
        """How many articles the tag or author has."""
        return len(self.articles)


@dataclass(frozen=True, slots=True)
class ArchiveMonth:
    """The articles of one month, newest first."""

    year: int
    month: int
    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class ArchiveYear:
    """One year of the archive, newest month first."""

    year: int
    url: str
    output_path: str
    months: tuple[ArchiveMonth, ...]

    @property
    def count(self) -> int:
        """How many articles the year holds."""
        return sum(len(month.articles) for month in self.months)


@dataclass(frozen=True, slots=True)
class MenuItem:
    """An entry of the header navigation."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Redirect:
    """An old URL of a moved article (front matter `aliases`)."""

    url: str  # with base_url's path; may end in a query (`/?p=12`)
    output_path: str  # its redirect page; "" for a rule in `_redirects` only (a query, a letter-case variant)
    source: str  # the moved article's file
    title: str  # the moved article's
    target_url: str
    target_permalink: str


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a paginated list of articles (home, a section)."""

    title: str
    kind: str  # "home", "section", "tag" or "author"
    number: int
    total: int
    articles: tuple[Article, ...]
    url: str
    output_path: str
    page_urls: tuple[str, ...]  # url of every page of this list, first to last
    section: Section | None = None
    term: Term | None = None  # the tag or author of a "tag" or "author" list

    @property
    def feed_url(self) -> str | None:
        """The list's own feed, if it has one (sections and tags)."""
        if self.section is not None:
            return self.section.feed_url
        return self.term.feed_url if self.term is not None else None

    @property
    def newer_url(self) -> str | None:
        """The page before this one (newer articles), if any."""
        return self.page_urls[self.number - 2] if self.number > 1 else None

    @property
    def older_url(self) -> str | None:
        """The page after this one (older articles), if any."""
        return self.page_urls[self.number] if self.number < self.total else None


@dataclass(frozen=True, slots=True)
class LeftOut:
    """What a build left out and why, counted for its summary line (never named: CI logs are often public)."""

    drafts: int = 0
    scheduled: int = 0  # dated after the build's moment (drafts among them count as drafts)
    expired: int = 0
    next_publication: datetime | None = None  # the earliest date of the scheduled ones


@dataclass(frozen=True, slots=True)
class Site:
    """The ordered site: every decision pages share, made before any page is rendered."""

    articles: tuple[Article, ...]  # published news articles, newest first
    pages: tuple[Article, ...]  # published pages (kind "page")
    neighbours: dict[str, Neighbours]  # by article source
    sections: tuple[Section, ...]
    lists: tuple[ListPage, ...]
    tags: tuple[Term, ...] = ()  # alphabetical
    authors: tuple[Term, ...] = ()  # alphabetical
    archive: tuple[ArchiveYear, ...] = ()  # newest year first
    related: dict[str, tuple[Link, ...]] = field(default_factory=dict)  # by article source
    menu: tuple[MenuItem, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    urls: dict[str, str] = field(default_factory=dict)  # source -> url of every published article and page
    warnings: tuple[Problem, ...] = ()
    left_out: LeftOut = field(default_factory=LeftOut)
    titles: dict[str, str] = field(default_factory=dict)  # source -> title of every published article and page

    def groups(self) -> tuple[Section | Term, ...]:
        """Every section, tag and author, in that order."""
        return (*self.sections, *self.tags, *self.authors)
