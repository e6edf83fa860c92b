"""Links between articles: source-file links become markers in the per-article stage, URLs at render time."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit

from broadsheet.base.errors import Problem
from broadsheet.base.model import Article
from broadsheet.base.names import SOURCE_SUFFIXES

# A link to a content file, as the per-article stage leaves it: the page it points at is decided by the whole site.
SOURCE_MARKER = "broadsheet-source:"
_MARKED = re.compile(r' (href|src)="' + SOURCE_MARKER + r'([^"#]*)(#[^"]*)?"')


def rewrite_href(href: str, source: str, base_path: str) -> tuple[str, str | None]:
    """A link as written in `source` → (the href to output, the content file it links to or None).

    Root-relative links get base_url's path; relative links to .md files become markers for `resolve_links`.
    """
    try:
        parts = urlsplit(href)
    except ValueError:  # a malformed address ("https://[example.org"): output as written, like any external link
        return href, None
    if parts.scheme or parts.netloc:
        return href, None
    if href.startswith("/"):
        return base_path + href[1:], None
    path = unquote(parts.path)
    if not source or not path.endswith(SOURCE_SUFFIXES):
        return href, None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    fragment = "#" + parts.fragment if parts.fragment else ""
    return SOURCE_MARKER + quote(target) + fragment, target


def resolve_links(html: str, urls: Mapping[str, str], prefix: str = "") -> str:
    """Replace source-file markers by the linked pages' URLs (`prefix` + url); drop links to unknown files."""
    if SOURCE_MARKER not in html:
        return html

    def replace(match: re.Match[str]) -> str:
        url = urls.get(unquote(match.group(2)))
        return "" if url is None else f' {match.group(1)}="{prefix}{url}{match.group(3) or ""}"'

    return _MARKED.sub(replace, html)


def check_links(articles: Iterable[Article], published: Mapping[str, str], known: Iterable[str]) -> list[Problem]:
    """A warning for every link from a published article to a content file that is missing or not published."""
    existing = set(known)
    problems = []
    for article in articles:
        for link in article.links:
            if link.target in published:
                continue
            state = "an unpublished article" if link.target in existing else "a file that does not exist"
            problems.append(Problem(article.source, link.line, f"links to {state}: {link.target}",
                                    "fix the link or publish the article", warning=True))
    return problems
