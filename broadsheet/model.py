"""Plain values passed between the pipeline's stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from broadsheet.errors import Problem


@dataclass(frozen=True, slots=True)
class Link:
    """A small reference to an article, e.g. a neighbour in Previous/Next navigation."""

    title: str
    url: str
    date: datetime
    summary_html: str


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
    lines: dict[str, int] = field(default_factory=dict)  # file line of each front matter key, for later checks


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


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a paginated list of articles (home, a section)."""

    title: str
    kind: str  # "home" or "section"
    number: int
    total: int
    articles: tuple[Article, ...]
    url: str
    output_path: str
    page_urls: tuple[str, ...]  # url of every page of this list, first to last
    section: Section | None = None

    @property
    def newer_url(self) -> str | None:
        """The page before this one (newer articles), if any."""
        return self.page_urls[self.number - 2] if self.number > 1 else None

    @property
    def older_url(self) -> str | None:
        """The page after this one (older articles), if any."""
        return self.page_urls[self.number] if self.number < self.total else None


@dataclass(frozen=True, slots=True)
class Site:
    """The ordered site: every decision pages share, made before any page is rendered."""

    articles: tuple[Article, ...]  # published news articles, newest first
    pages: tuple[Article, ...]  # published pages (kind "page")
    neighbours: dict[str, Neighbours]  # by article source
    sections: tuple[Section, ...]
    lists: tuple[ListPage, ...]
