"""Ordering the site: visibility, reading order, neighbours, sections, pagination, URL collisions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from broadsheet.base.errors import SiteError
from broadsheet.base.model import Article
from broadsheet.stages.config import Config
from broadsheet.stages.content import parse_article
from broadsheet.stages.site import is_published, order_site, paginate, reading_order

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


def make(name: str, date: str, title: str | None = None, section: str = "world", extra: str = "",
         config: Config | None = None) -> Article:
    text = f"---\ntitle: {title or name}\ndate: {date}\n{extra}---\n\nBody of {name}.\n"
    return parse_article(f"content/{section}/{name}.md", text.encode("utf-8"), config or Config()).article


def titles(articles) -> list[str]:
    return [a.title for a in articles]


def test_reading_order_is_by_date_then_title_then_slug() -> None:
    articles = [
        make("c", "2024-01-02T10:00:00Z", "Beta"),
        make("b", "2024-01-02T10:00:00Z", "Alpha"),
        make("a", "2024-01-02T10:00:00Z", "Alpha"),
        make("z", "2024-01-01", "Zulu"),
        make("y", "2024-01-02T11:00:00+01:00", "Yankee"),  # the same instant as 10:00Z
    ]
    ordered = reading_order(articles)
    assert [a.slug for a in ordered] == ["z", "a", "b", "c", "y"]
    assert reading_order(reversed(articles)) == ordered


def test_neighbours_previous_is_older_next_is_newer() -> None:
    site = order_site([make("a", "2024-01-01"), make("b", "2024-01-02"), make("c", "2024-01-03")], Config(), NOW)
    assert titles(site.articles) == ["c", "b", "a"]  # newest first
    middle = site.neighbours["content/world/b.md"]
    assert middle.older is not None and middle.older.title == "a" and middle.older.url == "/world/a/"
    assert middle.newer is not None and middle.newer.title == "c"
    assert middle.newer.summary_html == "<p>Body of c.</p>" and middle.newer.date.year == 2024
    assert site.neighbours["content/world/a.md"].older is None
    assert site.neighbours["content/world/c.md"].newer is None


def test_navigation_by_section() -> None:
    config = Config(navigation="section")
    articles = [make("w1", "2024-01-01", section="world", config=config),
                make("s1", "2024-01-02", section="sport", config=config),
                make("w2", "2024-01-03", section="world", config=config)]
    site = order_site(articles, config, NOW)
    w1 = site.neighbours["content/world/w1.md"]
    assert w1.older is None and w1.newer is not None and w1.newer.title == "w2"
    s1 = site.neighbours["content/sport/s1.md"]
    assert s1.older is None and s1.newer is None
    site_wide = order_site(articles, Config(), NOW).neighbours["content/world/w1.md"]
    assert site_wide.newer is not None and site_wide.newer.title == "s1"


def test_one_visibility_rule_for_everything() -> None:
    articles = [make("old", "2024-01-01"), make("draft", "2024-01-02", extra="draft: true\n"),
                make("future", "2026-01-01"), make("expired", "2024-01-03", extra="expires: 2024-12-01\n"),
                make("edge", "2025-01-01T00:00:00Z")]
    site = order_site(articles, Config(), NOW)
    assert titles(site.articles) == ["edge", "old"]
    assert site.neighbours["content/world/old.md"].newer.title == "edge"  # type: ignore[union-attr]
    assert all(titles(s.articles) == ["edge", "old"] for s in site.sections)
    assert titles(site.lists[0].articles) == ["edge", "old"]
    everything = order_site(articles, Config(), NOW, drafts=True, future=True)
    assert titles(everything.articles) == ["future", "edge", "draft", "old"]
    assert not is_published(articles[3], NOW, drafts=True, future=True)


def test_sections_in_configured_order_then_alphabetical() -> None:
    config = Config(sections=("Sport",))
    articles = [make("a", "2024-01-01", section="world"), make("b", "2024-01-02", section="business"),
                make("c", "2024-01-03", section="sport")]
    site = order_site(articles, config, NOW)
    assert [s.name for s in site.sections] == ["Sport", "Business", "World"]
    assert [s.url for s in site.sections] == ["/sport/", "/business/", "/world/"]


@pytest.mark.parametrize("count, sizes", [(0, [0]), (1, [1]), (3, [3]), (4, [3, 1]), (6, [3, 3]), (7, [3, 3, 1])])
def test_paginate(count: int, sizes: list[int]) -> None:
    config = Config(per_page=3, base_url="https://example.org/news/")
    articles = [make(f"a{n}", f"2024-01-{n + 1:02d}") for n in range(count)]
    pages = paginate("World", "section", articles, "world/", config)
    assert [len(p.articles) for p in pages] == sizes
    assert [p.output_path for p in pages] == ["world/index.html"] + [
        f"world/page/{n}/index.html" for n in range(2, len(sizes) + 1)]
    assert pages[0].newer_url is None and pages[-1].older_url is None
    if len(pages) > 1:
        assert pages[0].older_url == "/news/world/page/2/" and pages[1].newer_url == "/news/world/"


def test_same_url_is_an_error_naming_both_files() -> None:
    articles = [make("one", "2024-01-01", extra="slug: same\n"), make("two", "2024-01-02", extra="slug: same\n")]
    with pytest.raises(SiteError) as error:
        order_site(articles, Config(), NOW)
    [problem] = error.value.problems
    assert "content/world/one.md" in str(problem) and "content/world/two.md" in str(problem)
    # A draft that is left out cannot collide.
    order_site([articles[0], make("two", "2024-01-02", extra="slug: same\ndraft: true\n")], Config(), NOW)


def test_urls_that_differ_only_in_case_collide() -> None:
    articles = [make("one", "2024-01-01", extra="slug: x\n"),
                make("two", "2024-01-02", extra="slug: x\n", section="World")]
    with pytest.raises(SiteError):
        order_site(articles, Config(permalink="/{section}/{slug}/"), NOW)


def test_recent_and_scheduled_articles_are_those_their_windows_hold_however_the_site_is_dated() -> None:
    # Both look at the newest articles only and stop at the first one outside their window: the same as looking at
    # every article, whatever the mix of scheduled, recent and old ones.
    from datetime import timedelta

    from broadsheet.stages.sitemaps import NEWS_WINDOW, recent_articles
    from broadsheet.stages.views import scheduled_articles

    hours = [-70, -49, -48, -47, -30, -1, 0, 0, 1, 5, 49, 200]
    articles = [make(f"a{i}", (NOW + timedelta(hours=h)).isoformat(), f"Story {i}") for i, h in enumerate(hours)]
    site = order_site(articles, Config(), NOW, future=True)
    assert len(site.articles) == len(hours)
    for now in (NOW - timedelta(hours=100), NOW - timedelta(hours=48), NOW, NOW + timedelta(hours=3),
                NOW + timedelta(hours=300)):
        assert recent_articles(site, now) == tuple(a for a in site.articles
                                                   if a.date is not None and now - NEWS_WINDOW <= a.date <= now)
        assert scheduled_articles(site, now) == tuple(a.source for a in site.articles
                                                      if a.date is not None and a.date > now)
    assert scheduled_articles(site, None) == ()
    assert [a.title for a in recent_articles(site, NOW)] == ["Story 7", "Story 6", "Story 5", "Story 4", "Story 3",
                                                             "Story 2"]
