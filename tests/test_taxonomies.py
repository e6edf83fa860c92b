"""Tags, authors, archive, related articles, reading time, pages and menu, aliases and links between articles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import read_tree, write_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from imagefiles import photo
from pagecheck import broken_links, links_of
from sitegen import write_site

from broadsheet.slugs import slugify
from broadsheet.taxonomy import find_related

SITE = "title: Test News\nbase_url: https://example.org/\nper_page: 3\n"


def article(title: str, date: str, section: str = "World", tags: str = "[]", extra: str = "", body: str = "Text.") -> str:
    return f"---\ntitle: \"{title}\"\ndate: {date}\nsection: {section}\ntags: {tags}\n{extra}---\n\n{body}\n"


def build(run_cli, site: Path, *args: str) -> Path:
    result = run_cli("build", "--site", str(site), "--quiet", *args)
    assert result.status == 0, result.err
    return site / "public"


def teaser_urls(page: Path) -> list[str]:
    return re.findall(r'<h2 class="teaser-title"><a href="([^"]+)"', page.read_text(encoding="utf-8"))


def list_urls(out: Path, first: str) -> list[str]:
    """Article URLs of a paginated list, following its pages."""
    urls, page = [], out / first / "index.html"
    while True:
        urls += teaser_urls(page)
        older = [href for href, text in links_of(page).anchors if text.startswith("Older")]
        if not older:
            return urls
        page = out / older[0].lstrip("/") / "index.html"


def test_sample_site_has_every_page_type_and_no_broken_link(sample_site: Path, run_cli) -> None:
    out = build(run_cli, sample_site)
    for path in ("index.html", "world/index.html", "tags/index.html", "tags/diplomacy/index.html",
                 "authors/index.html", "authors/staff/index.html", "archive/index.html", "archive/2024/index.html",
                 "about/index.html", "404.html", "feed.xml", "rss.xml", "world/feed.xml", "tags/diplomacy/feed.xml",
                 "sitemap.xml", "news-sitemap.xml", "robots.txt", "build-info.json", ".nojekyll"):
        assert (out / path).is_file(), path
    assert broken_links(out) == []
    about = (out / "about/index.html").read_text(encoding="utf-8")
    assert '<a href="/about/">About</a>' in about
    assert "/about/" not in " ".join(teaser_urls(out / "index.html"))


def test_generated_site_lists_every_article_on_its_tag_author_and_archive_pages(tmp_path: Path, run_cli) -> None:
    site = write_site(tmp_path / "gen", 240)
    out = build(run_cli, site)
    assert broken_links(out) == []
    articles = sorted(p.parent for p in out.glob("*/story-*/index.html"))
    assert len(articles) == 240
    tagged: dict[str, set[str]] = {}
    for folder in articles:
        url = "/" + folder.relative_to(out).as_posix() + "/"
        for href, _ in links_of(folder / "index.html").anchors:
            if href.startswith("/tags/") and href != "/tags/":
                tagged.setdefault(href, set()).add(url)
    assert tagged, "articles link their tags"
    for tag_url, expected in tagged.items():
        listed = list_urls(out, tag_url.strip("/"))
        assert len(listed) == len(set(listed)) and set(listed) == expected, tag_url
    assert len(list_urls(out, "authors/staff")) == 240
    archive = (out / "archive/index.html").read_text(encoding="utf-8")
    assert sum(1 for url in re.findall(r'</time> <a href="([^"]+)"', archive)) == 240
    years = sorted(p.parent.name for p in out.glob("archive/*/index.html"))
    assert years == ["2023"]


@pytest.mark.parametrize("count,pages", [(3, 1), (4, 2), (6, 2), (7, 3)])
def test_tag_pages_paginate_at_the_edges(tmp_path: Path, run_cli, count: int, pages: int) -> None:
    files = {"site.yaml": SITE}
    for n in range(count):
        files[f"content/world/a{n}.md"] = article(f"Story {n}", f"2024-01-{n + 1:02d}", tags="[Europe]")
    out = build(run_cli, write_tree(tmp_path / "s", files))
    assert sorted(p.relative_to(out).as_posix() for p in out.glob("tags/europe/**/index.html")) == sorted(
        ["tags/europe/index.html"] + [f"tags/europe/page/{n}/index.html" for n in range(2, pages + 1)])
    assert list_urls(out, "tags/europe") == [f"/world/a{n}/" for n in reversed(range(count))]
    assert not (out / f"tags/europe/page/{pages + 1}").exists()


def test_tag_and_author_names_with_spaces_accents_ampersands_and_slashes(tmp_path: Path, run_cli) -> None:
    names = ["New York", "Café Society", "AT&T", "Israel/Gaza", "Zürich", "Ελλάδα"]
    files = {"site.yaml": SITE}
    for n, name in enumerate(names):
        files[f"content/world/a{n}.md"] = article(f"Story {n}", f"2024-01-{n + 1:02d}", tags=f"[\"{name}\"]",
                                                  extra=f"author: \"{name} Reporter\"\n")
    out = build(run_cli, write_tree(tmp_path / "s", files))
    tag_urls = {href for href, _ in links_of(out / "tags/index.html").anchors if href.startswith("/tags/") and href != "/tags/"}
    assert tag_urls == {f"/tags/{slugify(name)}/" for name in names}
    assert len(tag_urls) == len(names)
    assert all(re.fullmatch(r"/tags/[a-z0-9-]+/", url) for url in tag_urls)
    index = (out / "tags/index.html").read_text(encoding="utf-8")
    assert "AT&amp;T" in index and "Israel/Gaza" in index
    assert (out / "authors/at-t-reporter/index.html").is_file()
    assert broken_links(out) == []


def test_slug_equal_tags_share_one_page_spelled_as_most_articles_spell_it(tmp_path: Path, run_cli) -> None:
    files = {"site.yaml": SITE,
             "content/world/a.md": article("A", "2024-01-01", tags="[Café]"),
             "content/world/b.md": article("B", "2024-01-02", tags="[cafe]"),
             "content/world/c.md": article("C", "2024-01-03", tags="[Café]")}
    out = build(run_cli, write_tree(tmp_path / "s", files))
    assert [p.name for p in (out / "tags").iterdir() if p.is_dir()] == ["cafe"]
    assert list_urls(out, "tags/cafe") == ["/world/c/", "/world/b/", "/world/a/"]
    assert "<h1 class=\"list-title\">Café</h1>" in (out / "tags/cafe/index.html").read_text(encoding="utf-8")


def test_related_articles_share_most_tags_then_section_then_are_newest(tmp_path: Path, run_cli) -> None:
    files = {"site.yaml": SITE + "related: 3\n",
             "content/world/me.md": article("Me", "2024-01-10", tags="[A, B]"),
             "content/world/one-tag-old.md": article("One tag old", "2024-01-01", tags="[A]"),
             "content/sport/one-tag-new.md": article("One tag new", "2024-01-05", section="Sport", tags="[B]"),
             "content/sport/two-tags.md": article("Two tags", "2024-01-02", section="Sport", tags="[a, b]"),
             "content/world/same-section.md": article("Same section", "2024-01-09"),
             "content/sport/unrelated.md": article("Unrelated", "2024-01-11", section="Sport")}
    out = build(run_cli, write_tree(tmp_path / "s", files))
    page = (out / "world/me/index.html").read_text(encoding="utf-8")
    related = re.search(r'<aside class="related".*?</aside>', page, re.DOTALL)
    assert related
    assert re.findall(r'href="([^"]+)"', related.group()) == ["/sport/two-tags/", "/world/one-tag-old/",
                                                              "/sport/one-tag-new/"]
    lonely = (out / "sport/unrelated/index.html").read_text(encoding="utf-8")
    assert re.findall(r'<aside class="related".*?</aside>', lonely, re.DOTALL)[0].count("<li>") == 2


def test_reading_time_and_word_count(tmp_path: Path, run_cli) -> None:
    body = " ".join(["word"] * 700)
    files = {"site.yaml": SITE + "words_per_minute: 200\n", "content/world/long.md": article("Long", "2024-01-01", body=body)}
    out = build(run_cli, write_tree(tmp_path / "s", files))
    page = (out / "world/long/index.html").read_text(encoding="utf-8")
    assert '<span class="reading-time">4 min read</span>' in page and "(700 words)" in page
    assert '<span class="reading-time">4 min read</span>' in (out / "index.html").read_text(encoding="utf-8")


def test_lead_image_is_shown_with_its_alt_text(tmp_path: Path, run_cli) -> None:
    files = {"site.yaml": "base_url: https://example.org/news/\n",
             "static/images/harbour.jpg": photo(64, 48),
             "content/world/a.md": article("A", "2024-01-01",
                                           extra="image: images/harbour.jpg\nimage_alt: Boats in the harbour\n")}
    out = build(run_cli, write_tree(tmp_path / "s", files))
    page = (out / "world/a/index.html").read_text(encoding="utf-8")
    assert ('<img src="/news/images/harbour-64w.jpg" srcset="/news/images/harbour-64w.jpg 64w" sizes="'
            in page and 'width="64" height="48" alt="Boats in the harbour" fetchpriority="high">' in page)
    assert '<meta property="og:image" content="https://example.org/news/images/harbour-card.jpg">' in page
    assert broken_links(out, "/news/") == []


def test_pages_render_at_their_slug_and_stay_out_of_lists_feeds_and_sitemaps(tmp_path: Path, run_cli) -> None:
    files = {"site.yaml": SITE + "menu: [contact, World, Archive]\n",
             "content/pages/contact.md": "---\ntitle: Contact us\n---\n\nWrite to us.\n",
             "content/world/a.md": article("A", "2024-01-01")}
    out = build(run_cli, write_tree(tmp_path / "s", files), "--now", "2024-01-02")
    assert (out / "contact/index.html").is_file()
    nav = re.search(r'<nav class="site-nav".*?</nav>', (out / "index.html").read_text(encoding="utf-8"), re.DOTALL)
    assert nav and re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav.group()) == [
        ("/contact/", "Contact us"), ("/world/", "World"), ("/archive/", "Archive")]
    for name in ("feed.xml", "rss.xml", "news-sitemap.xml", "index.html", "archive/index.html"):
        assert "/contact/" not in (out / name).read_text(encoding="utf-8").split("</nav>")[-1], name
    assert "https://example.org/contact/" in (out / "sitemap.xml").read_text(encoding="utf-8")


def test_unknown_menu_entry_is_a_warning_and_an_error_with_strict(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "s", {"site.yaml": SITE + "menu: [Wordl, World]\n",
                                       "content/world/a.md": article("A", "2024-01-01")})
    result = run_cli("build", "--site", str(site))
    message = "site.yaml: warning: menu entry 'Wordl' is no published section or page (did you mean 'world'?)"
    assert result.status == 0 and message in result.err
    nav = re.search(r'<nav class="site-nav".*?</nav>', (site / "public/index.html").read_text(encoding="utf-8"), re.DOTALL)
    assert nav and re.findall(r'<a href="([^"]+)">', nav.group()) == ["/world/"]
    result = run_cli("build", "--site", str(site), "--strict")
    assert result.status == 1 and message.replace("warning: ", "") in result.err


def test_aliases_write_redirect_pages(tmp_path: Path, run_cli) -> None:
    files = {"site.yaml": "base_url: https://example.org/news/\n",
             "content/world/new-name.md": article("Moved", "2024-01-01", extra="aliases: [/world/old-name/, /old.html]\n")}
    out = build(run_cli, write_tree(tmp_path / "s", files))
    for path in ("world/old-name/index.html", "old.html"):
        page = (out / path).read_text(encoding="utf-8")
        assert '<meta http-equiv="refresh" content="0; url=/news/world/new-name/">' in page
        assert '<link rel="canonical" href="https://example.org/news/world/new-name/">' in page
        assert '<a href="/news/world/new-name/">Moved</a>' in page
        assert "<script" not in page
    assert "old-name" not in (out / "sitemap.xml").read_text(encoding="utf-8")


def test_an_alias_may_not_overwrite_another_page(tmp_path: Path, run_cli) -> None:
    files = {"site.yaml": SITE,
             "content/world/a.md": article("A", "2024-01-01"),
             "content/world/b.md": article("B", "2024-01-02", extra="aliases: [/world/a/]\n")}
    site = write_tree(tmp_path / "s", files)
    result = run_cli("build", "--site", str(site))
    assert result.status == 1
    assert "content/world/b.md:6: content/world/b.md (alias /world/a/) would be written to world/a/index.html" in result.err


def test_bad_alias_is_reported_with_its_line(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "s", {"site.yaml": SITE, "content/world/a.md": article(
        "A", "2024-01-01", extra="aliases: [https://example.org/x/]\n")})
    result = run_cli("build", "--site", str(site))
    assert result.status == 1 and "content/world/a.md:6: alias 'https://example.org/x/' is not a URL path" in result.err


LINKING = """Read [the other story](../sport/b.md#scores) and [the guide](/guides/x/).

![chart](/images/chart.png)

See also [a missing one](missing.md).

And [a draft](../sport/draft.md).
"""


def test_links_to_source_files_and_root_relative_links_follow_the_site(tmp_path: Path, run_cli) -> None:
    files = {"site.yaml": "base_url: https://example.org/news/\npermalink: \"/{year}/{slug}/\"\n",
             "content/world/a.md": article("A", "2024-01-01", body=LINKING),
             "content/sport/b.md": article("B", "2024-01-02", section="Sport",
                                           extra="summary: \"Back to [A](../world/a.md).\"\n"),
             "content/sport/draft.md": article("Draft", "2024-01-03", extra="draft: true\n")}
    site = write_tree(tmp_path / "s", files)
    result = run_cli("build", "--site", str(site))
    assert result.status == 0, result.err
    assert "content/world/a.md:12: warning: links to a file that does not exist: content/world/missing.md" in result.err
    assert "content/world/a.md:14: warning: links to an unpublished article: content/sport/draft.md" in result.err
    page = (site / "public/2024/a/index.html").read_text(encoding="utf-8")
    assert '<a href="/news/2024/b/#scores">the other story</a>' in page
    assert '<a href="/news/guides/x/">the guide</a>' in page
    assert '<img alt="chart" src="/news/images/chart.png">' in page
    assert "<a>a missing one</a>" in page and "broadsheet-source" not in page
    assert '<a href="/news/2024/a/">A</a>' in (site / "public/2024/b/index.html").read_text(encoding="utf-8")
    feed = (site / "public/feed.xml").read_text(encoding="utf-8")
    assert "https://example.org/news/2024/b/#scores" in feed and "broadsheet-source" not in feed


def test_strict_turns_link_warnings_into_errors(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "s", {"site.yaml": SITE, "content/world/a.md": article("A", "2024-01-01")})
    before = read_tree(build(run_cli, site))
    write_tree(site, {"content/world/a.md": article("A", "2024-01-01", body="[x](nowhere.md)")})
    result = run_cli("build", "--site", str(site), "--strict")
    assert result.status == 1
    assert "content/world/a.md:8: links to a file that does not exist: content/world/nowhere.md" in result.err
    assert read_tree(site / "public") == before


@dataclass
class _Story:
    source: str
    tags: tuple[str, ...]
    section_slug: str

    def link(self) -> str:
        return self.source


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sets(st.sampled_from("abcdef"), max_size=4), st.sampled_from("xyz")), max_size=25),
       st.integers(1, 5))
def test_related_articles_match_a_plain_ranking_of_every_pair(stories: list[tuple[set[str], str]], limit: int) -> None:
    newest_first = [_Story(f"s{i}", tuple(tags), section) for i, (tags, section) in enumerate(stories)]
    expected = {}
    for index, story in enumerate(newest_first):
        def rank(other: int, story: _Story = story) -> tuple[int, bool, int]:
            return -len(set(story.tags) & set(newest_first[other].tags)), newest_first[other].section_slug != story.section_slug, other
        candidates = [i for i in range(len(newest_first)) if i != index and (rank(i)[0] or not rank(i)[1])]
        expected[story.source] = tuple(newest_first[i].source for i in sorted(candidates, key=rank)[:limit])
    assert find_related(newest_first, limit) == expected  # type: ignore[arg-type]


_STORIES = st.lists(st.tuples(st.sets(st.sampled_from("abcd"), max_size=3), st.sampled_from("xy")), max_size=12)


@settings(max_examples=200, deadline=None)
@given(_STORIES, _STORIES, st.integers(1, 4))
def test_related_rankings_kept_from_an_earlier_build_give_what_a_fresh_ranking_gives(
        earlier: list[tuple[set[str], str]], now: list[tuple[set[str], str]], limit: int) -> None:
    def stories(spec: list[tuple[set[str], str]]) -> list[_Story]:
        return [_Story(f"s{i}", tuple(sorted(tags)), section) for i, (tags, section) in enumerate(spec)]

    known: dict[bytes, tuple[tuple[int, ...], ...]] = {}
    find_related(stories(earlier), limit, known=known)  # type: ignore[arg-type]
    fresh = find_related(stories(now), limit)  # type: ignore[arg-type]
    assert find_related(stories(now), limit, known=known) == fresh  # type: ignore[arg-type]
    assert len(known) == 1
    assert find_related(stories(now), limit, known=known) == fresh  # type: ignore[arg-type]


def test_related_rankings_are_reused_only_while_tags_sections_and_order_are_unchanged(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import broadsheet.taxonomy

    newest_first = [_Story("a", ("x", "y"), "world"), _Story("b", ("y",), "world"), _Story("c", ("x",), "arts")]
    known: dict[bytes, tuple[tuple[int, ...], ...]] = {}
    first = find_related(newest_first, 2, known=known)  # type: ignore[arg-type]
    rank = broadsheet.taxonomy.rank_related
    calls = []
    monkeypatch.setattr(broadsheet.taxonomy, "rank_related", lambda *args: calls.append(args) or rank(*args))
    assert find_related(newest_first, 2, known=known) == first and not calls  # type: ignore[arg-type]
    newest_first[2] = _Story("c", ("y",), "arts")
    assert find_related(newest_first, 2, known=known) == find_related(newest_first, 2)  # type: ignore[arg-type]
    assert len(calls) == 2


def test_two_different_tags_with_one_url_are_an_error_naming_both_files(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "s", {"site.yaml": SITE,
                                       "content/world/a.md": article("A", "2024-01-01", tags="[C++, Climate change]"),
                                       "content/world/b.md": article("B", "2024-01-02", tags="[C, climate-change]")})
    result = run_cli("build", "--site", str(site))
    assert result.status == 1
    lines = [line for line in result.err.splitlines() if "has the URL" in line]
    assert lines == [("content/world/b.md: tag 'C' has the URL /tags/c/ of the tag 'C++' in content/world/a.md "
                     "(rename one of the two tags)")], result.err
    assert not (site / "public").exists()
    write_tree(site, {"content/world/b.md": article("B", "2024-01-02", tags="[C language, climate-change]")})
    out = build(run_cli, site)
    assert sorted(p.name for p in (out / "tags").iterdir() if p.is_dir()) == ["c", "c-language", "climate-change"]
