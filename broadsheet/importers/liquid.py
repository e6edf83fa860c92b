"""Liquid in Jekyll bodies, rewritten to what Broadsheet reads: links it resolves, fences, shortcodes; the rest noted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from broadsheet.importers.newsite import link_to

# Jekyll includes with a Broadsheet shortcode of the same name and arguments (by the include's name).
COUNTERPARTS = {"youtube": "youtube", "vimeo": "vimeo", "gist": "gist", "tweet": "x", "twitter": "x",
                "figure": "figure", "instagram": "instagram"}
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
_HIGHLIGHT = re.compile(r"\{%-?\s*highlight\s+([\w+#.-]+)[^%]*-?%\}\n?(.*?)\n?\{%-?\s*endhighlight\s*-?%\}",
                        re.DOTALL)
_TAG = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.DOTALL)
_OUTPUT = re.compile(r"\{\{(?![<%])-?\s*(.*?)\s*-?\}\}", re.DOTALL)
_QUOTED = re.compile(r"""^(["'])(.*?)\1$""")
_ARGUMENT = re.compile(r"""([\w-]+)\s*=\s*("[^"]*"|'[^']*'|\S+)""")
_SITE_URL = re.compile(r"^site\.(?:baseurl|url|base_url)(?:\s*\|\s*(?:prepend|append):\s*site\.(?:baseurl|url))*$")
_URL_FILTER = re.compile(r"""^(["'])(.*?)\1\s*\|\s*(?:relative_url|absolute_url|prepend:\s*site\.(?:baseurl|url))"""
                         r"""(?:\s*\|\s*(?:relative_url|absolute_url|prepend:\s*site\.(?:baseurl|url)))*$""")
_HOLE = "\ue020"


@dataclass
class Converted:
    """A body with its Liquid rewritten, and what needs a person (line, message)."""

    text: str
    notes: list[tuple[int, str]] = field(default_factory=list)


def convert_liquid(body: str, values: Mapping[str, str]) -> Converted:
    """Rewrite a Jekyll body's Liquid: `{{ site.baseurl }}`, `relative_url`, `absolute_url` dropped from URLs,
    `{% post_url %}` and `{% link %}` links to the posts, `{% highlight %}` fences, `{% include %}` shortcodes,
    `{% raw %}` unwrapped, comments removed; other tags and outputs removed and noted. `values`: what
    `{{ page.title }}`-like outputs are (page.title, site.title …)."""
    notes: list[tuple[int, str]] = []
    raw: list[str] = []

    def keep_raw(match: re.Match[str]) -> str:
        raw.append(match.group(1))
        return _HOLE + str(len(raw) - 1) + _HOLE

    def line_of(text: str, offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    text = _RAW.sub(keep_raw, body)
    text = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    text = _HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2)}\n```", text)

    def tag(match: re.Match[str]) -> str:
        name, rest = match.group(1), match.group(2).strip()
        if name in ("post_url", "link"):
            target = rest.split()[0] if rest else ""
            if name == "post_url":
                return link_to("post:" + target.rsplit("/", 1)[-1].rsplit(".", 1)[0])
            return link_to("file:" + target.lstrip("/"))
        if name == "include":
            return _include(rest, notes, line_of(text, match.start()))
        notes.append((line_of(text, match.start()), f"Liquid tag {{% {name} %}} removed: {_short(match.group())}"))
        return "\n" * match.group().count("\n")

    def output(match: re.Match[str]) -> str:
        expression = match.group(1)
        if _SITE_URL.match(expression):
            return ""
        url = _URL_FILTER.match(expression)
        if url:
            return url.group(2)
        quoted = _QUOTED.match(expression)
        if quoted:
            return quoted.group(2)
        if expression in values:
            return values[expression]
        notes.append((line_of(text, match.start()), f"Liquid output removed: {_short(match.group())}"))
        return ""

    text = _TAG.sub(tag, text)
    text = _OUTPUT.sub(output, text)
    text = re.sub(_HOLE + r"(\d+)" + _HOLE, lambda m: raw[int(m.group(1))], text)
    return Converted(text, notes)


def _include(rest: str, notes: list[tuple[int, str]], line: int) -> str:
    """`{% include name.html a="b" %}` as the shortcode `{{< name a="b" >}}` (a counterpart's name where one
    exists)."""
    parts = rest.split(None, 1)
    if not parts:
        return ""
    stem = re.sub(r"[^\w.-]", "-", parts[0].rsplit("/", 1)[-1].rsplit(".", 1)[0]) or "include"
    name = COUNTERPARTS.get(stem, stem)
    arguments = []
    for key, value in _ARGUMENT.findall(parts[1] if len(parts) > 1 else ""):
        if value[0] in "\"'":
            arguments.append(f'{key}="{value[1:-1]}"')
        else:
            notes.append((line, f"include {parts[0]}: argument {key}={value} is a Liquid variable, left out"))
    return "{{< " + " ".join([name, *arguments]) + " >}}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "…"
