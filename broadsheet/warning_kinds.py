"""The kinds of problem `broadsheet check` names, so that a site can turn a kind of warning off in site.yaml
(`warnings: {missing_summary: false}`) and CI can sort them (`check --format json`).

A problem is told apart by its message: the stages that find problems stay free of this list. docs/check.md
documents every kind; a new warning gets a kind here and a line there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from broadsheet.errors import Problem

_P = TypeVar("_P", bound=Problem)

# Warning kinds: name, what it means (as the docs say), and the pattern its message matches.
WARNING_KINDS: dict[str, tuple[str, str]] = {
    "missing_summary": ("an article has no summary written by a person (no `summary:`, no <!--more--> line)",
                        r"has no summary written by a person"),
    "empty_alt_text": ("an image's alt text is empty (right only for a purely decorative image)",
                       r"has empty alt text"),
    "link_to_unpublished": ("an article links to a draft, scheduled or expired article", r"links to an unpublished"),
    "link_to_missing_file": ("an article links to a content file that does not exist",
                             r"links to a file that does not exist"),
    "unknown_front_matter_key": ("a front-matter key looks like a typo of a known one (kept as a custom field)",
                                 r"is kept as a custom field"),
    "unknown_menu_entry": ("a `menu:` entry of site.yaml names no published section or page",
                           r"^menu entry .* is no published section or page"),
    "removed_characters": ("characters XML does not allow were removed from a body", r"that XML does not allow"),
    "comma_separated_tags": ("a tags (or authors) value was one string with commas, read as a list",
                             r"(?i)comma"),
    "example_base_url": ("site.yaml's base_url is still the example `broadsheet init` wrote",
                         r"base_url is still the example"),
    "unwritable_cache": ("the cache folder cannot be written: the site was built without it",
                         r"building without the cache"),
}
# Error kinds (they cannot be turned off), as the JSON output names them.
ERROR_KINDS: dict[str, tuple[str, str]] = {
    "broken_link": ("a link to a page or file that is not in the site", r"^broken link to "),
    "missing_image": ("an image that is not in the site", r"^missing image "),
    "missing_alt_text": ("an image without alt text", r"has no alt text"),
    "unpublished_link": ("a page links to an article that is not published", r"which is not published"),
    "unpublished_page_written": ("an unpublished article's page is written all the same",
                                 r"is not published but .* is written"),
    "front_matter": ("front matter that cannot be read or has a wrong value",
                     r"(?i)front matter|^'[a-z_]+' must be|^missing '|^unknown key"),
    "url_collision": ("two files claim the same URL or output file", r"(?i)same URL|also claimed|claims"),
    "render_failed": ("a page or article could not be rendered (template or Markdown)", r"(?i)template|render"),
}
_PATTERNS = [(kind, re.compile(pattern)) for kind, (_, pattern) in (*WARNING_KINDS.items(), *ERROR_KINDS.items())]


def kind_of(message: str, warning: bool) -> str:
    """The kind of a problem, from its message: one of WARNING_KINDS or ERROR_KINDS, else "warning" or "error"."""
    kinds = WARNING_KINDS if warning else ERROR_KINDS
    for kind, pattern in _PATTERNS:
        if kind in kinds and pattern.search(message):
            return kind
    return "warning" if warning else "error"


def switched_on(problems: Iterable[_P], switches: Mapping[str, bool]) -> list[_P]:
    """The problems but the warnings of kinds site.yaml turns off (`warnings: {missing_summary: false}`)."""
    return [p for p in problems if not p.warning or switches.get(kind_of(p.message, True), True)]
