"""Links between articles: source-file links become markers in the per-article stage, URLs at render time.

So do the titles a shortcode shows of the articles it links (a `related` card): an article's title is decided by
its own file, so a body holding one is rendered again when that title changes (see views.link_targets).
"""

from __future__ import annotations

import html
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
# The title of a content file, as the per-article stage leaves it: the text between is shown when it is unpublished.
TITLE_MARKER = "<!--broadsheet-title:"
_TITLED = re.compile(TITLE_MARKER + r"([^>]*)-->(.*?)<!--/broadsheet-title-->", re.DOTALL)


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


def title_marker(target: str, fallback: str) -> str:
    """HTML standing for the title of the content file `target` (a path from the site's folder), resolved by
    `resolve_links`; `fallback` (text) is shown if that file is not published."""
    return f"{TITLE_MARKER}{quote(target)}-->{html.escape(fallback, quote=False)}<!--/broadsheet-title-->"


# A title marker in plain text (the sentences of an automatic summary): noncharacters, which no text holds, around
# the file and the fallback; made a marker again once the summary is HTML.
_TEXT_TITLE = re.compile("\ufdd0([^\ufdd0-\ufdd2]*)\ufdd1([^\ufdd0-\ufdd2]*)\ufdd2")


def titles_as_text(fragment: str) -> str:
    """An HTML fragment with its title markers as text that outlives being made plain (see titles_from_text)."""
    if TITLE_MARKER not in fragment:
        return fragment
    return _TITLED.sub(lambda match: f"\ufdd0{match[1]}\ufdd1{match[2]}\ufdd2", fragment)


def titles_from_text(escaped: str) -> str:
    """HTML made of escaped text from titles_as_text, with its title markers again (what a cut left of one
    dropped)."""
    if "\ufdd0" not in escaped:
        return escaped
    restored = _TEXT_TITLE.sub(lambda match: f"{TITLE_MARKER}{match[1]}-->{match[2]}<!--/broadsheet-title-->", escaped)
    return restored.translate(dict.fromkeys((0xFDD0, 0xFDD1, 0xFDD2)))


def resolve_links(body: str, urls: Mapping[str, str], prefix: str = "", titles: Mapping[str, str] | None = None,
                  ) -> str:
    """Replace source-file markers by the linked pages' URLs (`prefix` + url), dropping links to unknown files,
    and title markers by the titles of the published files among `titles` (source -> title)."""
    if SOURCE_MARKER in body:
        def address(match: re.Match[str]) -> str:
            url = urls.get(unquote(match.group(2)))
            return "" if url is None else f' {match.group(1)}="{prefix}{url}{match.group(3) or ""}"'

        body = _MARKED.sub(address, body)
    if TITLE_MARKER in body:
        def title(match: re.Match[str]) -> str:
            found = (titles or {}).get(unquote(match.group(1)))
            return match.group(2) if found is None else html.escape(found, quote=False)

        body = _TITLED.sub(title, body)
    return body


def linking_to(articles: Iterable[Article], targets: set[str]) -> set[str]:
    """The sources of the articles whose bodies link to one of the content files `targets` (and may show its title,
    see title_marker)."""
    if not targets:
        return set()
    return {article.source for article in articles if article.links
            and any(link.target in targets for link in article.links)}


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
