"""The built pages of every type are valid HTML, ship no JavaScript, request nothing from elsewhere, and are light."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from theme_site import PAGE_TYPES, SEED_ARTICLE
from tooling import require_tool, vnu_command

#: An article page's HTML plus its CSS, before compression (issue 7).
PAGE_BUDGET = 30 * 1024
SITE_ORIGIN = "https://example.org"


def html_pages(public: Path) -> list[Path]:
    return sorted(public.rglob("*.html"))


def page_file(public: Path, url_path: str) -> Path:
    return public / (url_path if url_path.endswith(".html") else url_path + "index.html")


def test_every_page_type_is_built(theme_site: Path) -> None:
    missing = [kind for kind, path in PAGE_TYPES.items() if not page_file(theme_site, path).is_file()]
    assert not missing, f"page types not in the build: {missing}"


def test_every_page_passes_the_nu_html_checker(theme_site: Path) -> None:
    command = vnu_command()
    require_tool("vnu", command is not None, "needs Java and node_modules/vnu-jar (run 'npm ci')")
    assert command is not None
    result = subprocess.run([*command, "--skip-non-html", "--errors-only", str(theme_site)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr or result.stdout


class _Resources(HTMLParser):
    """Scripts, event-handler attributes and every URL a page would load by itself."""

    DATA_TYPES = frozenset({"application/ld+json", "application/json"})  # data blocks, never run
    LOADING_RELS = frozenset({"stylesheet", "icon", "preload", "modulepreload", "prefetch", "preconnect", "manifest",
                              "apple-touch-icon"})

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []  # the text of each script that runs
        self.in_script = False
        self.handlers: list[str] = []
        self.loaded: list[str] = []

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.scripts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "script" and attributes.get("type", "").lower() not in self.DATA_TYPES:
            self.scripts.append("" if "src" not in attributes else f"src={attributes['src']}")
            self.in_script = True
        self.handlers += [name for name in attributes if name.startswith("on")]
        if tag == "link" and self.LOADING_RELS & set(attributes.get("rel", "").lower().split()):
            self.loaded.append(attributes.get("href", ""))
        for name in ("src", "poster", "data"):
            if name in attributes and tag != "a":
                self.loaded.append(attributes[name])
        for candidate in attributes.get("srcset", "").split(","):
            if candidate.strip():
                self.loaded.append(candidate.split()[0])


#: The one script the theme ships: a video shortcode's click-to-play, which swaps the platform's player in for the
#: placeholder (docs/shortcodes.md). Nothing else runs on any page.
VIDEO_SCRIPT = re.sub(r"</?script>", "", (Path(__file__).resolve().parent.parent / "templates/shortcodes/"
                                          "_video-script.html").read_text(encoding="utf-8")).strip()


def test_pages_ship_no_javascript_but_the_video_players_and_load_nothing_from_elsewhere(theme_site: Path) -> None:
    videos = 0
    for page in html_pages(theme_site):
        resources = _Resources()
        resources.feed(page.read_text(encoding="utf-8"))
        where = page.relative_to(theme_site)
        # Two exceptions: a video shortcode's click-to-play (docs/shortcodes.md), and the search page, whose
        # results need Pagefind's script (docs/search.md); every other page, its header's search field included,
        # works without.
        allowed = [[], [VIDEO_SCRIPT]] if where.as_posix() != PAGE_TYPES["search"] + "index.html" else None
        if allowed is None:
            assert len(resources.scripts) == 1 and not resources.handlers, f"{where} ships other JavaScript"
        else:
            assert resources.scripts in allowed and not resources.handlers, f"{where} ships JavaScript"
        videos += resources.scripts == [VIDEO_SCRIPT]
        foreign = [url for url in resources.loaded if urlsplit(url).netloc and not url.startswith(SITE_ORIGIN)]
        assert not foreign, f"{where} loads from elsewhere: {foreign}"
    assert videos, "no page has the video player's script: the test would not see it change"
    for css in theme_site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert "@import" not in text and not re.search(r"url\(\s*['\"]?(https?:)?//", text), css.name


def stylesheets(page: Path, public: Path) -> list[Path]:
    """The site's own stylesheets a page links."""
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.read_text(encoding="utf-8"))
    return [public / href.lstrip("/") for href in hrefs]


def test_an_article_page_with_its_css_weighs_under_30_kb(theme_site: Path) -> None:
    articles = [p for p in html_pages(theme_site) if 'class="article"' in p.read_text(encoding="utf-8")]
    assert page_file(theme_site, SEED_ARTICLE) in articles
    for page in articles:
        css = stylesheets(page, theme_site)
        assert css, f"{page} links no stylesheet"
        weight = page.stat().st_size + sum(sheet.stat().st_size for sheet in css)
        assert weight < PAGE_BUDGET, f"{page.relative_to(theme_site)}: {weight} bytes of HTML + CSS"

