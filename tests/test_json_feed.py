"""The site's JSON Feed (feed.json): JSON Feed 1.1's required and used fields, absolute URLs under a sub-path, the
home page's link to it, and the same bytes from an incremental build as from a clean one."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from conftest import write_tree

from broadsheet.cli.main import main

BASE_URL = "https://example.org/daily/"  # a site under a sub-path
SITE_YAML = f"""title: The Daily
description: News from the valley.
base_url: {BASE_URL}
language: en
feed_size: 2
"""
FIRST = """---
title: Bridge "reopens" <today>
date: 2024-03-02T09:00:00Z
updated: 2024-03-03T10:30:00Z
section: Local
author: [Ann Writer, Bo Reporter]
tags: [Roads, Bridges]
summary: The bridge is open again.
---

The [old bridge](second.md) reopened, see ![a photo](photo.png) and [the map](/maps/).
"""
SECOND = """---
title: Old bridge closes
date: 2024-03-01T09:00:00Z
section: Local
---

The bridge closed for repairs.
"""
THIRD = """---
title: Council meets
date: 2024-02-01T09:00:00Z
section: Local
---

The council met.
"""
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _site(root: Path, extra: str = "") -> Path:
    return write_tree(root, {"site.yaml": SITE_YAML + extra, "content/local/bridge-reopens.md": FIRST,
                             "content/local/second.md": SECOND, "content/local/council.md": THIRD})


def _build(site: Path, *options: str) -> Path:
    assert main(["build", "--site", str(site), "--quiet", "--now", "2024-06-01T00:00:00Z", *options]) == 0
    return site / "public"


def _absolute_under_base(url: str) -> bool:
    return urlsplit(url).scheme == "https" and url.startswith(BASE_URL)


class _Heads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link":
            self.links.append(dict(attrs))


def _urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', html)


def test_the_json_feed_has_json_feed_1_1s_fields(tmp_path: Path) -> None:
    out = _build(_site(tmp_path / "site"))
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    # Required: version, title, items; each item an id and content_html or content_text.
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "The Daily"
    assert isinstance(feed["items"], list)
    assert feed["home_page_url"] == BASE_URL
    assert feed["feed_url"] == BASE_URL + "feed.json"
    assert feed["description"] == "News from the valley."
    assert feed["language"] == "en"
    assert feed["authors"] == [{"name": "The Daily"}]
    # feed_size: the newest two, newest first.
    assert [item["title"] for item in feed["items"]] == ['Bridge "reopens" <today>', "Old bridge closes"]
    first, second = feed["items"]
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert _absolute_under_base(item["url"]) and item["id"] == item["url"]
        assert isinstance(item["content_html"], str) and item["content_html"].startswith("<p>")
        assert RFC3339.match(item["date_published"]), item["date_published"]
        datetime.fromisoformat(item["date_published"])
    assert first["url"] == BASE_URL + "local/bridge-reopens/"
    assert first["date_published"] == "2024-03-02T09:00:00+00:00"
    assert first["date_modified"] == "2024-03-03T10:30:00+00:00"
    assert first["authors"] == [{"name": "Ann Writer"}, {"name": "Bo Reporter"}]
    assert first["tags"] == ["Roads", "Bridges"]
    assert first["summary"] == "The bridge is open again."
    assert "date_modified" not in second
    # Every URL in the content is absolute, under the sub-path, and names what the article's page names: the
    # linked file's page, the picture beside the page, a site path under the base path.
    urls = _urls_in(first["content_html"])
    assert urls == [BASE_URL + "local/second/", BASE_URL + "local/bridge-reopens/photo.png", BASE_URL + "maps/"]
    assert (out / "local" / "second" / "index.html").is_file()


def test_the_home_page_links_the_json_feed_from_its_head(tmp_path: Path) -> None:
    out = _build(_site(tmp_path / "site"))
    home = _Heads()
    home.feed((out / "index.html").read_text(encoding="utf-8"))
    links = [link for link in home.links if link.get("type") == "application/feed+json"]
    assert len(links) == 1 and links[0]["rel"] == "alternate"
    href = links[0]["href"]
    assert href is not None and urljoin(BASE_URL, href) == BASE_URL + "feed.json"
    assert (out / urljoin(BASE_URL, href).removeprefix(BASE_URL)).is_file()
    article = _Heads()
    article.feed((out / "local" / "second" / "index.html").read_text(encoding="utf-8"))
    assert not [link for link in article.links if link.get("type") == "application/feed+json"]


def test_summary_feeds_carry_the_summary_as_content(tmp_path: Path) -> None:
    out = _build(_site(tmp_path / "site", "feed_content: summary\n"))
    first = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"][0]
    assert first["content_html"] == "<p>The bridge is open again.</p>"


def test_an_edit_updates_the_json_feed_as_a_clean_build_would(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    out = _build(site)
    before = (out / "feed.json").read_bytes()
    second = site / "content/local/second.md"
    second.write_text(SECOND.replace("closed for repairs", "closed for good"), encoding="utf-8")
    incremental = (_build(site) / "feed.json").read_bytes()
    assert incremental != before and "closed for good" in json.loads(incremental)["items"][1]["content_html"]
    _build(site, "--no-cache", "--output", str(tmp_path / "clean"))
    assert (tmp_path / "clean" / "feed.json").read_bytes() == incremental


def test_an_articles_lead_image_is_the_items_image_at_its_published_address(tmp_path: Path) -> None:
    from imagefiles import photo

    site = _site(tmp_path / "site")
    write_tree(site, {"content/local/second.md": SECOND.replace("section: Local\n", "section: Local\nimage: "
                                                                "/images/bridge.jpg\nimage_alt: The old bridge\n"),
                      "static/images/bridge.jpg": photo(1600, 1000)})
    out = _build(site)
    first, second = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert "image" not in first
    image = second["image"]
    assert _absolute_under_base(image) and image.endswith(".jpg")
    published = out / image.removeprefix(BASE_URL)
    assert published.is_file() and published.read_bytes().startswith(b"\xff\xd8")
