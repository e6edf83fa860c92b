"""Writing new files for the user: a new site ready to deploy, a new article (from the site's archetype)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

from broadsheet.config import CONFIG_FILE, Config
from broadsheet.content import CONTENT_DIR
from broadsheet.errors import Problem, SiteError
from broadsheet.slugs import NO_SLUG_HINT, slugify

# Where Broadsheet's source is published: a placeholder until the project has its public home (README, Install).
# Installed, the package's own metadata (pyproject.toml's project URLs) says it instead.
REPOSITORY_URL = "https://github.com/OWNER/broadsheet"

SITE_YAML = """\
# Broadsheet site configuration: every key is optional; docs/configuration.md lists them all.
title: {title}
# The address the site is published at (broadsheet deploy warns while it is still this example).
base_url: {example}
language: en
timezone: UTC
author: Staff
section: News
per_page: 10
# The Markdown dialect: CommonMark with GitHub's tables, ~~strikethrough~~, autolinks, task lists and footnotes,
# what GitHub, Hugo, Zola, Jekyll and Eleventy read, so Markdown written for them renders here as written. Sites
# made before this key existed keep Broadsheet's first dialect, python-markdown (the default when the key is absent).
markdown: commonmark
# The site's own values, for your templates as site.params (an analytics ID, a social handle):
# params:
#   mastodon: "@news@example.social"
"""

EXAMPLE_BASE_URL = "https://example.org/"
# The file naming the Broadsheet a site is built with: GitHub Actions, Netlify and Cloudflare Pages install it.
REQUIREMENTS_FILE = "requirements.txt"
REQUIREMENTS = """# The Broadsheet this site is built with: `broadsheet init` wrote the version that made the site. This line is the
# one place to change it; the GitHub Actions workflow, Netlify and Cloudflare Pages install what it says.
{spec}
"""
GITIGNORE = "public/\n.broadsheet-cache/\n"
WORKFLOW_FILE = ".github/workflows/publish.yml"
# ${{ … }} is GitHub's, not Python's: this text is not formatted.
WORKFLOW = """\
# Builds the site with Broadsheet and publishes it on GitHub Pages (Settings → Pages → Source: GitHub Actions).
# It runs on every push to main, when started by hand, and every hour: a scheduled article appears at the first
# build after its time (`broadsheet build --next-publication` tells when that is).
name: Publish
on:
  push:
    branches: [main]
  workflow_dispatch:
  schedule:
    - cron: "7 * * * *"
permissions:
  contents: read
  pages: write
  id-token: write
concurrency:
  group: pages
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install Broadsheet
        run: python -m pip install -r requirements.txt
      - name: Keep the build cache
        uses: actions/cache@v4
        with:
          path: .broadsheet-cache
          key: broadsheet-${{ github.sha }}
          restore-keys: broadsheet-
      - name: Build
        run: broadsheet build
      - uses: actions/upload-pages-artifact@v3
        with:
          path: public
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""
NETLIFY_FILE = "netlify.toml"
NETLIFY = """\
# Netlify builds the site with the Broadsheet requirements.txt names and publishes public/.
[build]
  command = "python3 -m pip install -r requirements.txt && broadsheet build"
  publish = "public"

[build.environment]
  PYTHON_VERSION = "3.12"
"""
ARCHETYPES_DIR = "templates/archetypes"


WELCOME = """\
Broadsheet builds this site from Markdown files in `content/`. Each file starts with front matter:
a `title`, a `date`, and optionally a `summary`, `tags`, `author` and `section`.

Write a new article with `broadsheet new "Your headline"`, then build the site with
`broadsheet build`. The pages appear in `public/`, ready for any static host.
"""


def _front_matter(fields: dict[str, object]) -> str:
    return "---\n" + yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=1000) + "---\n"


def new_article(site_dir: Path, config: Config, title: str, section: str | None,
                now: datetime) -> tuple[Path, str | None]:
    """Write content/<section>/<slug>.md and return its path and the archetype it filled in (None: a draft with
    the usual front matter); never overwrite a file."""
    section = section or config.section
    slug, section_slug = slugify(title), slugify(section)
    if not slug or not section_slug:
        raise SiteError(Problem(title, None, "cannot make a file name from this headline or section", NO_SLUG_HINT))
    path = site_dir / CONTENT_DIR / section_slug / f"{slug}.md"
    if path.exists():
        raise SiteError(Problem(str(path), None, "already exists; not overwriting it", "choose another headline"))
    fields = {"title": title, "date": now.replace(microsecond=0).isoformat(), "author": config.author,
              "section": section, "tags": [], "summary": "", "draft": True}
    archetype = find_archetype(site_dir, section_slug)
    if archetype is None:
        text = _front_matter(fields) + "\nWrite the article here.\n"
    else:
        text = fill_archetype(site_dir, archetype, {**fields, "slug": slug, "section_slug": section_slug})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path, archetype


def find_archetype(site_dir: Path, section_slug: str) -> str | None:
    """The site's template for a new article of this section (templates/archetypes/SECTION.md, else default.md),
    as a site-relative path, or None."""
    for name in (f"{section_slug}.md", "default.md"):
        if (site_dir / ARCHETYPES_DIR / name).is_file():
            return f"{ARCHETYPES_DIR}/{name}"
    return None


def fill_archetype(site_dir: Path, archetype: str, values: dict[str, object]) -> str:
    """An archetype (a Jinja2 template of a Markdown file) filled in with the new article's values; its front
    matter must still be YAML (write `title: {{ title | tojson }}` so any headline stays valid)."""
    import jinja2

    try:
        source = (site_dir / archetype).read_text(encoding="utf-8-sig")
        text = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                  autoescape=False).from_string(source).render(values)
    except UnicodeDecodeError:
        raise SiteError(Problem(archetype, None, "not valid UTF-8", "save the file as UTF-8")) from None
    except jinja2.TemplateSyntaxError as error:
        raise SiteError(Problem(archetype, error.lineno, error.message or "not a valid template")) from None
    except jinja2.UndefinedError as error:
        known = ", ".join(sorted(values))
        raise SiteError(Problem(archetype, None, str(error), f"an archetype may use {known}")) from None
    if text.startswith("---\n"):
        front, _, _ = text[4:].partition("\n---")
        try:
            yaml.safe_load(front)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 2 if mark is not None else None
            raise SiteError(Problem(archetype, line, "filled in, its front matter is not valid YAML",
                                    "quote values with the tojson filter: title: {{ title | tojson }}")) from None
    return text


def install_spec() -> str:
    """The requirement that installs the Broadsheet running now: the commit it was installed from when pip took it
    from a git repository, else this version's release tag in the project's repository."""
    from importlib import metadata

    from broadsheet import __version__

    try:
        distribution = metadata.distribution("broadsheet")
    except metadata.PackageNotFoundError:  # (run from a checkout that was never installed)
        return f"broadsheet @ git+{REPOSITORY_URL}@v{__version__}"
    direct = json.loads(distribution.read_text("direct_url.json") or "{}")
    vcs = direct.get("vcs_info") if isinstance(direct, dict) else None
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id") and str(direct.get("url", "")).startswith("https://"):
        return f"broadsheet @ git+{direct['url']}@{vcs['commit_id']}"
    urls = dict(entry.split(", ", 1) for entry in distribution.metadata.get_all("Project-URL") or ())
    return f"broadsheet @ git+{urls.get('Source', REPOSITORY_URL)}@v{__version__}"


def example_base_url_warning(site_dir: Path, config: Config) -> Problem | None:
    """A warning while site.yaml's base_url is still the example `init` wrote (feeds, sitemaps and links to
    shared pages would point there)."""
    if config.base_url.rstrip("/") != EXAMPLE_BASE_URL.rstrip("/"):
        return None
    text = (site_dir / CONFIG_FILE).read_text(encoding="utf-8") if (site_dir / CONFIG_FILE).is_file() else ""
    line = next((n for n, row in enumerate(text.splitlines(), 1) if row.startswith("base_url:")), None)
    return Problem(CONFIG_FILE, line, f"base_url is still the example {EXAMPLE_BASE_URL}: feeds, sitemaps and "
                   "shared links point there", "set it to the address the site is published at, then build again",
                   warning=True)


def init_site(directory: Path) -> list[Path]:
    """Create a new site that builds with the default theme and is ready to deploy: site.yaml, one article, a
    .gitignore, requirements.txt (the Broadsheet it is built with), a GitHub Actions workflow and a netlify.toml.
    Files already there (a .gitignore of the repository) are kept. Returns the files written."""
    if (directory / CONFIG_FILE).exists():
        raise SiteError(Problem(str(directory / CONFIG_FILE), None, "already exists; not overwriting a site"))
    directory.mkdir(parents=True, exist_ok=True)
    title = directory.resolve().name.replace("-", " ").title() or "My Newsroom"
    (directory / CONFIG_FILE).write_text(SITE_YAML.format(title=json.dumps(title, ensure_ascii=False),
                                                          example=EXAMPLE_BASE_URL), encoding="utf-8")
    written = [directory / CONFIG_FILE]
    article = directory / CONTENT_DIR / "news" / "welcome-to-broadsheet.md"
    article.parent.mkdir(parents=True, exist_ok=True)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    fields: dict[str, object] = {"title": "Welcome to Broadsheet", "date": today.isoformat(), "section": "News",
              "tags": ["Getting started"],
              "summary": "Your new site builds from Markdown files in `content/`. This first article shows the format."}
    article.write_text(_front_matter(fields) + "\n" + WELCOME, encoding="utf-8")
    written.append(article)
    for name, text in ((".gitignore", GITIGNORE), (REQUIREMENTS_FILE, REQUIREMENTS.format(spec=install_spec())),
                       (WORKFLOW_FILE, WORKFLOW), (NETLIFY_FILE, NETLIFY)):
        path = directory / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
