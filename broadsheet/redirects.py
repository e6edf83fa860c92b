"""The host's redirect rules: `_redirects` (Netlify, Cloudflare Pages) from aliases and site.yaml's `redirects`."""

from __future__ import annotations

import re
from urllib.parse import quote

from broadsheet.config import Config
from broadsheet.model import Site

REDIRECTS_FILE = "_redirects"
# What a path in a rule may hold as written; anything else (spaces, letters outside ASCII) is percent-encoded,
# since the file separates its fields by spaces.
_SAFE = "/%:@!$&'()*+,;=~-._"


def redirect_rules(site: Site, config: Config) -> list[tuple[str, str]]:
    """(old URL path, new URL) of every redirect, site.yaml's first: a path given twice keeps its first rule.

    Paths carry base_url's path; a query (`/?p=12`) is part of the old path. Rules with a query come first, as a
    host applies the first rule that matches and `/?p=12` is more specific than `/`."""
    rules: dict[str, str] = {}
    for old, new in config.redirects:
        target = new if re.match(r"https?://", new) else config.base_path + new.lstrip("/")
        rules.setdefault(config.base_path + old.lstrip("/"), target)
    for redirect in site.redirects:
        rules.setdefault(redirect.url, redirect.target_url)
    return sorted(rules.items(), key=lambda rule: ("?" not in rule[0], rule[0]))


def redirects_file(rules: list[tuple[str, str]]) -> bytes:
    """The `_redirects` file: one `old new 301` line a rule, a query as Netlify writes it (`/ p=12 /new/ 301`)."""
    lines = ["# Permanent redirects of old URLs, for hosts that read this file (Netlify, Cloudflare Pages).",
             "# Written by Broadsheet from the articles' aliases and site.yaml's redirects."]
    for old, new in rules:
        path, _, query = old.partition("?")
        fields = [quote(path, safe=_SAFE), *query.split("&")] if query else [quote(path, safe=_SAFE)]
        lines.append(" ".join([*fields, quote(new, safe=_SAFE + "?#"), "301"]))
    return ("\n".join(lines) + "\n").encode()
