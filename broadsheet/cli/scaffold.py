"""Writing new files for the user: a new site, a new article."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.names import CONFIG_FILE, CONTENT_DIR
from broadsheet.base.slugs import slugify
from broadsheet.stages.config import Config

SITE_YAML = """\
# Broadsheet site configuration: every key is optional; see the README for all of them.
title: {title}
base_url: https://example.org/
language: en
timezone: UTC
author: Staff
section: News
per_page: 10
# The Markdown dialect: CommonMark with GitHub's tables, ~~strikethrough~~, autolinks, task lists and footnotes,
# what GitHub, Hugo, Zola, Jekyll and Eleventy read, so Markdown written for them renders here as written. Sites
# made before this key existed keep Broadsheet's first dialect, python-markdown (the default when the key is absent).
markdown: commonmark
"""

WELCOME = """\
Broadsheet builds this site from Markdown files in `content/`. Each file starts with front matter:
a `title`, a `date`, and optionally a `summary`, `tags`, `author` and `section`.

Write a new article with `broadsheet new "Your headline"`, then build the site with
`broadsheet build`. The pages appear in `public/`, ready for any static host.
"""


def _front_matter(fields: dict[str, object]) -> str:
    return "---\n" + yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=1000) + "---\n"


def new_article(site_dir: Path, config: Config, title: str, section: str | None, now: datetime) -> Path:
    """Write content/<section>/<slug>.md as a draft and return its path; never overwrite a file."""
    section = section or config.section
    slug, section_slug = slugify(title), slugify(section)
    if not slug or not section_slug:
        raise SiteError(Problem(title, None, "cannot make a file name from this headline or section", "use some letters or digits"))
    path = site_dir / CONTENT_DIR / section_slug / f"{slug}.md"
    if path.exists():
        raise SiteError(Problem(str(path), None, "already exists; not overwriting it", "choose another headline"))
    fields = {"title": title, "date": now.replace(microsecond=0).isoformat(), "author": config.author,
              "section": section, "tags": [], "summary": "", "draft": True}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(_front_matter(fields) + "\nWrite the article here.\n")
    return path


def init_site(directory: Path) -> None:
    """Create a new site (site.yaml, one article, .gitignore) that builds with the default theme."""
    if (directory / CONFIG_FILE).exists():
        raise SiteError(Problem(str(directory / CONFIG_FILE), None, "already exists; not overwriting a site"))
    directory.mkdir(parents=True, exist_ok=True)
    title = directory.resolve().name.replace("-", " ").title() or "My Newsroom"
    (directory / CONFIG_FILE).write_text(SITE_YAML.format(title=json.dumps(title, ensure_ascii=False)), encoding="utf-8")
    article = directory / CONTENT_DIR / "news" / "welcome-to-broadsheet.md"
    article.parent.mkdir(parents=True, exist_ok=True)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    fields: dict[str, object] = {"title": "Welcome to Broadsheet", "date": today.isoformat(), "section": "News",
              "tags": ["Getting started"],
              "summary": "Your new site builds from Markdown files in `content/`. This first article shows the format."}
    article.write_text(_front_matter(fields) + "\n" + WELCOME, encoding="utf-8")
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("public/\n.broadsheet-cache/\n", encoding="utf-8")
