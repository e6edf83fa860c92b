"""Head metadata: title, description, canonical, Open Graph, Twitter, feed links and JSON-LD that stays in its <script>."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from conftest import write_tree
from imagefiles import photo


class _Head(HTMLParser):
    """The <head>'s meta and link elements and the text of every script, as a browser would split them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.links: list[dict[str, str | None]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.tags: list[str] = []
        self._script: dict[str, str | None] | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        if tag == "meta" and (values.get("property") or values.get("name")):
            self.meta.append((values.get("property") or values.get("name") or "", values.get("content") or ""))
        if tag == "link":
            self.links.append(values)
        if tag == "script":
            self._script = values
            self.scripts.append((values, ""))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._script = None if tag == "script" else self._script
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        if self._in_title:
            self.title += data


def head(path: Path) -> _Head:
    parser = _Head()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def jsonld(parsed: _Head) -> dict:
    (attrs, text), = parsed.scripts
    assert attrs == {"type": "application/ld+json"}
    return json.loads(text)


SITE = ("title: The Daily\nbase_url: https://example.org/news/\ndescription: All the news.\nlanguage: en-GB\n"
        "publisher:\n  name: Daily Media Ltd\n  logo: images/logo.png\n")
HOSTILE_TITLE = "Breaking </script><script>alert(1)</script> <!-- news --> & 'quotes'"


def build(run_cli, site: Path) -> Path:
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 0, result.err
    return site / "public"


def test_article_head_metadata_and_json_ld_match_the_article(tmp_path: Path, run_cli) -> None:
    article = ("---\ntitle: Harbour Reopens\ndate: 2024-03-01T10:00:00+01:00\nupdated: 2024-03-02T08:30:00+01:00\n"
               "author: [Ana Lima, Bo Chen]\nsection: City\ntags: [Harbour, Transport]\nsummary: Ships are back.\n"
               "image: images/harbour.jpg\nimage_alt: Ships at the quay\n---\n\nThe harbour reopened today.\n")
    site = write_tree(tmp_path / "s", {"site.yaml": SITE, "content/city/harbour.md": article,
                                       "static/images/harbour.jpg": photo(900, 600),
                                       "static/images/logo.png": photo(60, 60, "PNG")})
    out = build(run_cli, site)
    parsed = head(out / "city/harbour/index.html")
    meta = dict(parsed.meta)
    url = "https://example.org/news/city/harbour/"
    assert parsed.title == "Harbour Reopens – The Daily"
    assert meta["description"] == "Ships are back."
    assert {"rel": "canonical", "href": url} in parsed.links
    assert meta["og:type"] == "article" and meta["og:title"] == "Harbour Reopens" and meta["og:url"] == url
    assert meta["og:description"] == "Ships are back."
    # The social card: a 1200×630 crop of the lead image (see test_images for its pixels).
    assert meta["og:image"] == "https://example.org/news/images/harbour-card.jpg"
    assert (meta["og:image:width"], meta["og:image:height"], meta["og:image:type"]) == ("1200", "630", "image/jpeg")
    assert meta["twitter:image"] == "https://example.org/news/images/harbour-card.jpg"
    assert meta["og:image:alt"] == "Ships at the quay"
    assert meta["article:published_time"] == "2024-03-01T09:00:00+00:00"
    assert meta["article:modified_time"] == "2024-03-02T07:30:00+00:00"
    assert meta["article:section"] == "City"
    assert [v for k, v in parsed.meta if k == "article:tag"] == ["Harbour", "Transport"]
    assert meta["twitter:card"] == "summary_large_image" and meta["twitter:title"] == "Harbour Reopens"
    feeds = [(link["type"], link["href"]) for link in parsed.links if link.get("rel") == "alternate"]
    assert feeds == [("application/atom+xml", "/news/feed.xml"), ("application/rss+xml", "/news/rss.xml"),
                     ("application/atom+xml", "/news/city/feed.xml")]
    graph = jsonld(parsed)
    assert graph["@context"] == "https://schema.org"
    news, crumbs = graph["@graph"]
    assert news["@type"] == "NewsArticle" and news["headline"] == "Harbour Reopens"
    assert news["datePublished"] == "2024-03-01T10:00:00+01:00"
    assert news["dateModified"] == "2024-03-02T08:30:00+01:00"
    assert [a["name"] for a in news["author"]] == ["Ana Lima", "Bo Chen"]
    assert news["author"][0]["url"] == "https://example.org/news/authors/ana-lima/"
    assert news["image"] == [{"@type": "ImageObject", "url": "https://example.org/news/images/harbour-card.jpg",
                              "contentUrl": "https://example.org/news/images/harbour.jpg", "width": 1200,
                              "height": 630}]
    assert news["publisher"] == {"@type": "Organization", "name": "Daily Media Ltd", "logo": {
        "@type": "ImageObject", "url": "https://example.org/news/images/logo.png"}}
    assert news["mainEntityOfPage"]["@id"] == url
    assert news["articleSection"] == "City" and news["keywords"] == ["Harbour", "Transport"]
    assert crumbs["@type"] == "BreadcrumbList"
    assert [(i["position"], i["name"], i["item"]) for i in crumbs["itemListElement"]] == [
        (1, "Home", "https://example.org/news/"), (2, "City", "https://example.org/news/city/"), (3, "Harbour Reopens", url)]


def test_home_section_tag_and_page_heads(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "s", {
        "site.yaml": SITE, "static/images/logo.png": photo(60, 60, "PNG"),
        "content/city/a.md": "---\ntitle: A\ndate: 2024-03-01\ntags: [Harbour]\n---\n\nText.\n",
        "content/pages/about.md": "---\ntitle: About us\n---\n\nWho we are.\n"})
    out = build(run_cli, site)
    home = head(out / "index.html")
    website = jsonld(home)
    assert website["@type"] == "WebSite" and website["url"] == "https://example.org/news/"
    assert website["name"] == "The Daily" and website["inLanguage"] == "en-GB"
    assert dict(home.meta)["og:type"] == "website"
    assert dict(home.meta)["og:image"] == "https://example.org/news/images/logo.png"
    tag = head(out / "tags/harbour/index.html")
    assert [i["name"] for i in jsonld(tag)["itemListElement"]] == ["Home", "Tags", "Harbour"]
    assert ("application/atom+xml", "/news/tags/harbour/feed.xml") in [
        (link["type"], link["href"]) for link in tag.links if link.get("rel") == "alternate"]
    section = head(out / "city/index.html")
    assert jsonld(section)["itemListElement"][-1]["item"] == "https://example.org/news/city/"
    about = head(out / "about/index.html")
    assert dict(about.meta)["og:type"] == "website" and "article:published_time" not in dict(about.meta)
    assert [i["name"] for i in jsonld(about)["itemListElement"]] == ["Home", "About us"]


def test_a_hostile_title_cannot_break_out_of_the_json_ld_script(tmp_path: Path, run_cli) -> None:
    title = HOSTILE_TITLE.replace("'", "''")
    article = f"---\ntitle: '{title}'\ndate: 2024-03-01\ntags: ['</script>']\nauthor: '<!-- Eve'\n---\n\nText.\n"
    site = write_tree(tmp_path / "s", {"site.yaml": SITE, "content/city/a.md": article})
    out = build(run_cli, site)
    for page in [*out.rglob("index.html")]:
        parsed = head(page)
        assert parsed.tags.count("script") == len(parsed.scripts) <= 1, page
        for attrs, text in parsed.scripts:
            assert attrs == {"type": "application/ld+json"}
            assert "</" not in text and "<!--" not in text and "\u2028" not in text
            json.loads(text)
    news = jsonld(head(out / "city/a/index.html"))["@graph"][0]
    assert news["headline"] == HOSTILE_TITLE
    assert news["keywords"] == ["</script>"] and news["author"][0]["name"] == "<!-- Eve"


def test_script_json_escapes_what_could_end_or_confuse_a_script() -> None:
    from broadsheet.metadata import script_json

    text = script_json({"a": "</script><!-- --> & \u2028\u2029"})
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"a": "</script><!-- --> & \u2028\u2029"}
