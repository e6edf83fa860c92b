"""Atom and RSS feeds, sitemap.xml, the news sitemap and robots.txt: parsed, validated and counted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
from conftest import read_tree, write_tree
from lxml import etree
from sitegen import write_site

SCHEMAS = Path(__file__).resolve().parent / "schemas"
A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def build(run_cli, site: Path, *args: str) -> Path:
    result = run_cli("build", "--site", str(site), "--quiet", *args)
    assert result.status == 0, result.err
    return site / "public"


def parse(path: Path) -> etree._Element:
    return etree.parse(str(path)).getroot()


def valid_sitemap(path: Path) -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))
    assert schema.validate(etree.parse(str(path))), schema.error_log


def check_atom(path: Path) -> etree._Element:
    """An Atom feed with every element RFC 4287 requires, which feedparser reads without complaint."""
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    root = parse(path)
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{A}{name}").text
    assert root.find(f"{A}link[@rel='self']").get("href").startswith(("https://", "http://"))
    assert root.find(f"{A}author/{A}name").text
    ids = []
    for entry in root.findall(f"{A}entry"):
        for name in ("id", "title", "updated", "published"):
            assert entry.find(f"{A}{name}").text, name
        assert entry.find(f"{A}link[@rel='alternate']").get("href") == entry.find(f"{A}id").text
        assert entry.find(f"{A}author/{A}name").text
        datetime.fromisoformat(entry.find(f"{A}updated").text)
        ids.append(entry.find(f"{A}id").text)
    assert len(ids) == len(set(ids))
    newest = max((e.find(f"{A}updated").text for e in root.findall(f"{A}entry")), key=datetime.fromisoformat,
                 default=None)
    if newest:
        assert datetime.fromisoformat(root.find(f"{A}updated").text) == datetime.fromisoformat(newest)
    return root


def test_sample_site_feeds_and_sitemaps(sample_site: Path, run_cli) -> None:
    out = build(run_cli, sample_site)
    feed = check_atom(out / "feed.xml")
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 12
    assert entries[0].find(f"{A}content").get("type") == "html"
    for path in [*out.glob("*/feed.xml"), *out.glob("tags/*/feed.xml")]:
        check_atom(path)
    world = check_atom(out / "world/feed.xml")
    assert [e.find(f"{A}id").text for e in world.findall(f"{A}entry")] == [
        "https://example.org/world/russian-interior-minister-cuba-visit/"]
    rss = feedparser.parse((out / "rss.xml").read_bytes())
    assert not rss.bozo and len(rss.entries) == 12
    valid_sitemap(out / "sitemap.xml")
    locs = [loc.text for loc in parse(out / "sitemap.xml").iter(f"{SM}loc")]
    html_pages = {p for p in out.rglob("index.html")}
    assert len(locs) == len(set(locs)) == len(html_pages)
    assert all((out / loc.removeprefix("https://example.org/") / "index.html") in html_pages for loc in locs)
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: https://example.org/sitemap.xml\n" in robots
    assert "Sitemap: https://example.org/news-sitemap.xml\n" in robots


def test_feed_size_counts_and_newest_first_on_a_generated_site(tmp_path: Path, run_cli) -> None:
    site = write_site(tmp_path / "gen", 150, "title: Gen\nbase_url: https://example.org/news/\nfeed_size: 7\n")
    out = build(run_cli, site)
    for path in [out / "feed.xml", *out.glob("*/feed.xml"), *out.glob("tags/*/feed.xml")]:
        root = check_atom(path)
        published = [datetime.fromisoformat(e.find(f"{A}published").text) for e in root.findall(f"{A}entry")]
        assert len(published) == 7 and published == sorted(published, reverse=True), path
    assert len(list(out.glob("*/feed.xml"))) == 5
    rss = parse(out / "rss.xml")
    items = rss.findall("channel/item")
    assert len(items) == 7
    assert rss.find("channel/{http://www.w3.org/2005/Atom}link").get("href") == "https://example.org/news/rss.xml"
    for item in items:
        assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None
        assert item.find("guid").get("isPermaLink") == "true"
        assert item.findtext("link").startswith("https://example.org/news/")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" type="application/atom+xml" title="Gen" href="/news/feed.xml">' in index
    section = (out / "world/index.html").read_text(encoding="utf-8")
    assert 'href="/news/world/feed.xml"' in section


HOSTILE = ('---\ntitle: "Fish & <Chips> ]]> \\"quoted\\""\ndate: 2024-03-01T10:00:00\n'
           'tags: ["R&D", "A/B"]\nsummary: "Less <than> & more"\n---\n\nBody with <em>html</em> & [a link](/x/).\n')


def test_html_and_special_characters_are_escaped_and_round_trip(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "s", {"site.yaml": "base_url: https://example.org/\ntimezone: Europe/Paris\n",
                                       "content/world/fish.md": HOSTILE})
    out = build(run_cli, site)
    for path in (out / "feed.xml", out / "tags/r-d/feed.xml", out / "tags/a-b/feed.xml"):
        entry = check_atom(path).find(f"{A}entry")
        assert entry.findtext(f"{A}title") == 'Fish & <Chips> ]]> "quoted"'
        assert entry.findtext(f"{A}published") == "2024-03-01T10:00:00+01:00"
        assert "<em>html</em> &amp; <a href=\"https://example.org/x/\">a link</a>" in entry.findtext(f"{A}content")
        assert entry.find(f"{A}content").get("{http://www.w3.org/XML/1998/namespace}base") == \
            "https://example.org/world/fish/"
        assert "Less &lt;than&gt; &amp; more" in entry.findtext(f"{A}summary")
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    assert parsed.entries[0].title.startswith("Fish & <Chips> ]]>")
    item = parse(out / "rss.xml").find("channel/item")
    assert item.findtext("title").startswith("Fish & <Chips> ]]>")
    assert item.findtext("pubDate") == "Fri, 01 Mar 2024 10:00:00 +0100"
    assert sorted(c.text for c in item.findall("category")) == ["A/B", "R&D", "World"]


def test_summary_feeds_carry_no_content(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "s", {"site.yaml": "feed_content: summary\n", "content/world/fish.md": HOSTILE})
    out = build(run_cli, site)
    entry = check_atom(out / "feed.xml").find(f"{A}entry")
    assert entry.find(f"{A}content") is None and entry.find(f"{A}summary") is not None
    assert "Body with" not in (out / "rss.xml").read_text(encoding="utf-8")


def articles_every(minutes: int, count: int, end: datetime) -> dict[str, str]:
    return {f"content/world/a{n:04d}.md": f"---\ntitle: Story {n}\ndate: {(end - timedelta(minutes=minutes * n)).isoformat()}\n"
            f"---\n\nText {n}.\n" for n in range(count)}


def test_news_sitemap_lists_the_two_days_before_the_build(tmp_path: Path, run_cli) -> None:
    now = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)
    files = {"site.yaml": "title: Daily\nlanguage: en-GB\npublisher:\n  name: The Daily Paper\n",
             **articles_every(600, 10, now)}  # every 10 hours: 0 h, 10 h, ... 90 h old
    site = write_tree(tmp_path / "s", files)
    out = build(run_cli, site, "--now", "2024-05-10T12:00:00Z")
    valid_sitemap(out / "news-sitemap.xml")
    root = parse(out / "news-sitemap.xml")
    urls = root.findall(f"{SM}url")
    assert [u.findtext(f"{SM}loc") for u in urls] == [f"http://localhost:8000/world/a{n:04d}/" for n in range(5)]
    news = urls[0].find(f"{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "The Daily Paper"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en-gb"
    assert news.findtext(f"{NEWS}publication_date") == "2024-05-10T12:00:00+00:00"
    assert news.findtext(f"{NEWS}title") == "Story 0"
    first = read_tree(out)
    assert read_tree(build(run_cli, site, "--now", "2024-05-10T12:00:00Z")) == first
    later = build(run_cli, site, "--now", "2024-05-11T12:00:00Z")
    assert len(parse(later / "news-sitemap.xml").findall(f"{SM}url")) == 3


def test_news_sitemap_uses_source_date_epoch(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)
    site = write_tree(tmp_path / "s", {"site.yaml": "title: Daily\n", **articles_every(600, 10, now)})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(now.timestamp())))
    out = build(run_cli, site)
    assert len(parse(out / "news-sitemap.xml").findall(f"{SM}url")) == 5


def test_news_sitemap_holds_at_most_1000_articles(tmp_path: Path, run_cli) -> None:
    now = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)
    site = write_tree(tmp_path / "s", {"site.yaml": "per_page: 500\n", **articles_every(2, 1005, now)})
    out = build(run_cli, site, "--now", "2024-05-10T12:00:00Z")
    valid_sitemap(out / "news-sitemap.xml")
    urls = parse(out / "news-sitemap.xml").findall(f"{SM}url")
    assert len(urls) == 1000 and urls[0].findtext(f"{SM}loc").endswith("/a0000/")


def test_feed_settings_are_checked(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "s", {"site.yaml": "feed_size: 0\nfeed_content: everything\nrelated: -1\n"
                                                    "publisher: Acme\nwords_per_minute: fast\ncname: 'https://x.org/'\n"})
    result = run_cli("build", "--site", str(site))
    assert result.status == 1
    for message in ("site.yaml:1: 'feed_size' must be a positive whole number, not 0",
                    "site.yaml:3: 'related' must be a whole number, 0 or more, not -1",
                    "site.yaml:4: 'publisher' must be a mapping",
                    "site.yaml:5: 'words_per_minute' must be a positive whole number, not 'fast'"):
        assert message in result.err
    site = write_tree(tmp_path / "t", {"site.yaml": "feed_content: everything\ncname: 'https://x.org/'\n"
                                                    "publisher:\n  nmae: X\n"})
    result = run_cli("build", "--site", str(site))
    assert "site.yaml:1: 'feed_content' must be 'full' or 'summary'" in result.err
    assert "site.yaml:2: 'cname' must be a bare domain name" in result.err
    assert "site.yaml:4: unknown key 'publisher.nmae'" in result.err


def test_above_the_url_limit_sitemap_xml_is_an_index_of_sitemaps(tmp_path: Path, run_cli,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import broadsheet.stages.sitemaps

    site = write_site(tmp_path / "s", 25)
    assert run_cli("build", "--site", str(site), "--quiet", "--output", str(tmp_path / "whole")).status == 0
    every = [loc.text for loc in parse(tmp_path / "whole/sitemap.xml").iter(f"{SM}loc")]
    monkeypatch.setattr(broadsheet.stages.sitemaps, "SITEMAP_LIMIT", 10)
    assert run_cli("build", "--site", str(site), "--quiet", "--no-cache").status == 0
    out = site / "public"
    valid_sitemap(out / "sitemap.xml")
    index = parse(out / "sitemap.xml")
    assert index.tag == f"{SM}sitemapindex"
    parts = [loc.text for loc in index.iter(f"{SM}loc")]
    assert parts == [f"https://example.org/sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    assert len(parts) == -(-len(every) // 10)
    listed = []
    for url in parts:
        part = out / url.rsplit("/", 1)[1]
        valid_sitemap(part)
        listed += [loc.text for loc in parse(part).iter(f"{SM}loc")]
    assert listed == every
