"""Incremental builds equal clean builds byte for byte: after every kind of edit, with any cache, with any --jobs."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sitegen
from conftest import read_tree
from htmlcheck import parse_file
from imagefiles import photo

from broadsheet.base.errors import SiteError
from broadsheet.base.model import Article, Link, Section, Term
from broadsheet.pipeline.build import BuildResult, BuildSession, build
from broadsheet.stages.config import BuildOptions, load_config
from broadsheet.stages.content import load_articles, parse_date
from broadsheet.stages.site import order_site
from broadsheet.stages.views import articles_shown, site_views, view_inputs

ARTICLES = 240
NOW = "2026-01-01T00:00"


def options(site: Path, output: Path | None = None, **extra: object) -> BuildOptions:
    return BuildOptions(site_dir=site, output_dir=output or site / "public", now=NOW, **extra)  # type: ignore[arg-type]


def clean_build(site: Path, tmp: Path) -> dict[str, bytes]:
    """The output of a cold build of the same input, without any cache."""
    output = tmp / "clean"
    shutil.rmtree(output, ignore_errors=True)
    build(options(site, output, no_cache=True, jobs=2))
    return read_tree(output)


def assert_same_tree(actual: dict[str, bytes], expected: dict[str, bytes]) -> None:
    assert sorted(actual) == sorted(expected), "different files"
    different = [name for name in expected if actual[name] != expected[name]]
    assert not different, f"{len(different)} files differ, e.g. {different[:5]}"


def assert_same_as_clean(site: Path, tmp: Path, preview: bool = False) -> None:
    """The site's output equals a clean build's (a preview's when `preview`)."""
    if preview:
        build(options(site, tmp / "clean", preview=True, no_cache=True))
        assert_same_tree(read_tree(site / "public"), read_tree(tmp / "clean"))
    else:
        assert_same_tree(read_tree(site / "public"), clean_build(site, tmp))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated site built once with its cache; the edit tests below change it one after another."""
    root = sitegen.write_site(tmp_path_factory.mktemp("incremental") / "site", ARTICLES)
    # An article linking to two others that the edits below rename and delete: its page follows them.
    (root / "content/world/linker.md").write_text(
        "---\ntitle: Links to others\ndate: 2023-03-01T10:00:00+00:00\nsection: World\n"
        "summary: See [the renamed one](story-00060.md).\n---\n\n"
        "Read [the renamed one](story-00060.md) and [the deleted one](story-00050.md#top).\n", encoding="utf-8")
    (root / "content/pages").mkdir()
    (root / "content/pages/about.md").write_text("---\ntitle: About us\n---\n\nWho we are.\n", encoding="utf-8")
    (root / "static").mkdir()
    (root / "static/logo.txt").write_text("logo v1\n", encoding="utf-8")
    build(options(root))
    return root


def rebuild(site: Path) -> BuildResult:
    return build(options(site))


def test_cold_cached_and_rerun_builds_are_identical(site: Path, tmp_path: Path) -> None:
    expected = clean_build(site, tmp_path)
    assert_same_tree(read_tree(site / "public"), expected)
    again = rebuild(site)
    assert (again.parsed, again.rendered) == (0, 0)
    assert_same_tree(read_tree(site / "public"), expected)


@pytest.mark.parametrize("jobs", [1, 2])
def test_any_number_of_jobs_gives_the_same_site(site: Path, tmp_path: Path, jobs: int) -> None:
    output = tmp_path / f"jobs-{jobs}"
    build(options(site, output, jobs=jobs, cache_dir=tmp_path / "cache"))
    assert_same_tree(read_tree(output), clean_build(site, tmp_path))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(old, text, re.MULTILINE), old
    path.write_text(re.sub(old, new, text, count=1, flags=re.MULTILINE), encoding="utf-8")


def story(site: Path, index: int) -> Path:
    return site / sitegen.article_text(index)[0]


def edit_body(site: Path) -> None:
    path = story(site, 10)
    path.write_text(path.read_text(encoding="utf-8") + "\nA new \"closing\" paragraph -- with typography.\n",
                    encoding="utf-8")


def edit_title(site: Path) -> None:
    _edit(story(site, 20), r"^title: .*$", "title: A wholly new headline")


def edit_date(site: Path) -> None:
    _edit(story(site, 30), r"^date: .*$", "date: 2023-01-01T00:30:00+00:00")


def edit_tags(site: Path) -> None:
    _edit(story(site, 40), r"^tags: .*$", "tags: [Courts, Health]")


def delete_article(site: Path) -> None:
    story(site, 50).unlink()


def add_article(site: Path) -> None:
    path, text = sitegen.article_text(ARTICLES + 1)
    (site / path).write_text(text, encoding="utf-8")


def rename_article(site: Path) -> None:
    path = story(site, 60)
    path.rename(path.with_name("renamed-story.md"))


def edit_template(site: Path) -> None:
    templates = site / "templates"
    templates.mkdir(exist_ok=True)
    theme = Path(__file__).resolve().parent.parent / "templates/article.html"
    (templates / "article.html").write_text(theme.read_text(encoding="utf-8").replace(
        '<div class="article-body">', '<div class="article-body" data-edited="yes">'), encoding="utf-8")


def edit_static(site: Path) -> None:
    (site / "static/logo.txt").write_text("logo v2, longer\n", encoding="utf-8")


def edit_config(site: Path) -> None:
    (site / "site.yaml").write_text("title: Renamed News\nbase_url: https://example.org/\nper_page: 7\n",
                                    encoding="utf-8")


def edit_updated(site: Path) -> None:
    _edit(story(site, 80), r"^title: ", "updated: 2024-06-01T12:00:00+00:00\ntitle: ")


def touch_without_change(site: Path) -> None:
    path = story(site, 70)
    path.write_bytes(path.read_bytes())


EDITS: dict[str, Callable[[Path], None]] = {
    "body": edit_body, "title": edit_title, "date": edit_date, "tags": edit_tags, "delete": delete_article,
    "add": add_article, "rename": rename_article, "template": edit_template, "static": edit_static,
    "config": edit_config, "updated": edit_updated, "touch": touch_without_change,
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_build_after_an_edit_equals_a_clean_build(site: Path, tmp_path: Path, kind: str) -> None:
    EDITS[kind](site)
    result = rebuild(site)
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    if kind in ("body", "title", "tags", "updated", "touch"):
        # Only what shows the article changes: itself, its neighbours, its list, tag, archive and related pages.
        assert result.parsed <= 1
        assert result.rendered < 60
    again = rebuild(site)
    assert (again.parsed, again.rendered) == (0, 0)


def test_a_body_edit_rerenders_the_page_and_the_pages_that_show_its_summary(site: Path) -> None:
    path = story(site, 100)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n---\n\n", "\n---\n\nA brand new lead sentence.\n\n", 1), encoding="utf-8")
    result = rebuild(site)
    assert result.parsed == 1
    assert 1 < result.rendered < 60


def _rewritten_after(site: Path, edit: Callable[[], None], again: Callable[[], object] | None = None) -> set[str]:
    """The pages a rebuild (`again`, else a CLI build) after `edit` wrote anew (a page carried over keeps its
    inode)."""
    def inodes() -> dict[str, int]:
        return {p.relative_to(site / "public").as_posix(): p.stat().st_ino
                for p in (site / "public").rglob("*.html")}

    before = inodes()
    edit()
    (again or (lambda: rebuild(site)))()
    return {path for path, inode in inodes().items() if before.get(path) != inode}


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
def test_a_new_title_rerenders_exactly_the_pages_that_show_it(tmp_path: Path, preview: bool) -> None:
    """The CLI keys the pages; a preview finds them from its held site (see build._unchanged_of_steady)."""
    site = sitegen.write_site(tmp_path / "site", 60, "title: Generated News\nbase_url: https://example.org/\n"
                                                      "per_page: 10\nrelated: 5\n")
    path = story(site, 30)
    path.write_text(path.read_text(encoding="utf-8").replace("author: Staff", "author: Staff\naliases: [/old-url/]"),
                    encoding="utf-8")
    later, text = sitegen.article_text(99, start=datetime(2024, 3, 1, tzinfo=timezone.utc))  # another year's page
    (site / later).write_text(text, encoding="utf-8")
    session = BuildSession(jobs=2)
    held = options(site, preview=True)
    build(held, session) if preview else build(options(site))
    old_title = _title_of(path)
    showing = {p.relative_to(site / "public").as_posix() for p in (site / "public").rglob("*.html")
               if old_title in p.read_text(encoding="utf-8")}
    # Its page, its neighbours', the pages listing it as related, its lists, the archive and its redirect; not
    # the archive of 2024, which links to its year only.
    assert {"old-url/index.html", "archive/index.html"} <= showing and any(p.startswith("page/") for p in showing)
    assert (site / "public/archive/2024/index.html").is_file() and "archive/2024/index.html" not in showing
    assert any(p.startswith("tags/") for p in showing) and len(showing) > 8

    with session:
        rewritten = _rewritten_after(site, lambda: _edit(path, r"^title: .*$", "title: A wholly new headline"),
                                     (lambda: build(held, session)) if preview else None)
    assert rewritten == showing
    assert_same_as_clean(site, tmp_path, preview)


def _title_of(path: Path) -> str:
    return re.search(r"^title: (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)[1]  # type: ignore[index]


def _retitled(site: Path, target: str, session: BuildSession, held: BuildOptions | None) -> set[str]:
    """The pages written anew by a build (in the session of `held`, a preview's, if given) after the article
    `target` is given the title "Its new headline"."""
    with session:
        return _rewritten_after(site, lambda: _edit(site / target, r"^title: .*$", "title: Its new headline"),
                                (lambda: build(held, session)) if held else None)


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
def test_a_new_title_shows_on_the_pages_of_the_articles_whose_related_cards_link_it(tmp_path: Path,
                                                                                  preview: bool) -> None:
    """A `related` card shows the linked article's title, decided when its page is rendered: a new title renders
    again the page of the article holding the card, and the lists showing its summary when the card is in it."""
    site = sitegen.write_site(tmp_path / "site", 30)
    target = story(site, 12).relative_to(site).as_posix()
    (site / "content/linker.md").write_text(
        "---\ntitle: The card holder\ndate: 2023-02-01T10:00:00+00:00\n---\n\n"
        f"Before the card {{{{< related \"{target}\" >}}}} in the lead.\n\n<!--more-->\n\n"
        f"{{{{< related \"/{target.removeprefix('content/')}\" >}}}}\n", encoding="utf-8")
    session = BuildSession(jobs=2)
    held = options(site, preview=True)
    build(held, session) if preview else build(options(site))
    old_title = _title_of(story(site, 12))
    cards = parse_file(site / "public/news/linker/index.html").find("div", class_="article-body").find_all(
        class_="related-card")
    assert [card.find("a").text() for card in cards] == [old_title, old_title]
    for card in cards:  # (followed: the page of the linked article)
        linked = parse_file(site / "public" / card.find("a").attrs["href"].strip("/") / "index.html")
        assert linked.find("h1").text() == old_title
    assert parse_file(site / "public/index.html").find(class_="related-card").find("a").text() == old_title

    rewritten = _retitled(site, target, session, held if preview else None)
    assert {"news/linker/index.html", "index.html"} <= rewritten
    cards = parse_file(site / "public/news/linker/index.html").find("div", class_="article-body").find_all(
        class_="related-card")
    assert [card.find("a").text() for card in cards] == ["Its new headline", "Its new headline"]
    assert parse_file(site / "public/index.html").find(class_="related-card").find("a").text() == "Its new headline"
    assert_same_as_clean(site, tmp_path, preview)


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
def test_a_sections_intro_links_its_articles_and_shows_their_new_titles(tmp_path: Path, preview: bool) -> None:
    """The intro of a section (its _index.md) links content files like an article's body: resolved to their pages,
    a related card with the linked article's title, shown anew after that title changes."""
    site = sitegen.write_site(tmp_path / "site", 30)
    target = story(site, 12).relative_to(site).as_posix()
    section, name = target.split("/")[1], target.split("/")[-1]
    (site / "content" / section / "_index.md").write_text(
        f"---\ntitle: The {section} desk\n---\n\nRead [the story]({name}), and {{{{< related \"{name}\" >}}}}.\n\n"
        "Not [this one](gone.md).\n", encoding="utf-8")
    session = BuildSession(jobs=2)
    held = options(site, preview=True)
    result = build(held, session) if preview else build(options(site))
    warning = f"content/{section}/_index.md:7: warning: links to a file that does not exist: content/{section}/gone.md"
    assert [str(w).split(" (")[0] for w in result.warnings] == [warning]
    old_title = _title_of(story(site, 12))
    intro = parse_file(site / "public" / section / "index.html").find("div", class_="section-intro")
    assert [a.text() for a in intro.find_all("a")] == ["the story", old_title, "this one"]
    assert "href" not in intro.find_all("a")[2].attrs
    for link in intro.find_all("a")[:2]:  # (followed: the page of the linked article)
        assert parse_file(site / "public" / link.attrs["href"].strip("/") / "index.html").find("h1").text() == \
            old_title

    rewritten = _retitled(site, target, session, held if preview else None)
    assert f"{section}/index.html" in rewritten
    intro = parse_file(site / "public" / section / "index.html").find("div", class_="section-intro")
    assert [a.text() for a in intro.find_all("a")] == ["the story", "Its new headline", "this one"]
    with session:
        assert [str(w).split(" (")[0] for w in (build(held, session) if preview else rebuild(site)).warnings] == \
            [warning]
    assert_same_as_clean(site, tmp_path, preview)


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
def test_an_archive_page_that_shows_other_years_articles_follows_them(tmp_path: Path, preview: bool) -> None:
    site = sitegen.write_site(tmp_path / "site", 20)
    later, text = sitegen.article_text(99, start=datetime(2024, 3, 1, tzinfo=timezone.utc))
    (site / later).write_text(text, encoding="utf-8")
    (site / "templates").mkdir()
    theme = (Path(__file__).resolve().parent.parent / "templates/archive.html").read_text(encoding="utf-8")
    (site / "templates/archive.html").write_text(theme.replace(
        "{{ each.year }}</a>", "{{ each.year }}: {{ each.months[0].articles[0].title }}</a>"), encoding="utf-8")
    made = options(site, preview=preview)
    with BuildSession(jobs=2) as session:
        build(made, session)
        newest = story(site, 19)
        _edit(newest, r"^title: .*$", "title: The newest of 2023, retitled")
        build(made, session)
    assert "The newest of 2023, retitled" in (site / "public/archive/2024/index.html").read_text(encoding="utf-8")
    build(options(site, tmp_path / "clean", preview=preview, no_cache=True))
    assert_same_tree(read_tree(site / "public"), read_tree(tmp_path / "clean"))


def test_a_preview_renders_again_only_the_archive_months_an_edit_changed(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive template keeps each month's list once rendered (templates.FragmentCache): after a new title only
    that article's month is rendered again, while an edited template and a part that shows the clock are never
    served from what was kept."""
    import broadsheet.incremental.fragments

    site = sitegen.write_site(tmp_path / "site", 250)  # Jan to Mar 2023
    rendered: list[str] = []  # the fragments rendered (and kept) in this process: a few pages are rendered here
    keep = broadsheet.incremental.fragments.Fragments.keep
    monkeypatch.setattr(broadsheet.incremental.fragments.Fragments, "keep",
                        lambda self, key, *rest: rendered.append(key[0]) or keep(self, key, *rest))

    def check(now: str = NOW) -> None:
        expected = tmp_path / "expected"
        shutil.rmtree(expected, ignore_errors=True)
        build(BuildOptions(site_dir=site, output_dir=expected, now=now, preview=True, no_cache=True))
        assert_same_tree(read_tree(site / "public"), read_tree(expected))

    def archive() -> str:
        return (site / "public/archive/index.html").read_text(encoding="utf-8")

    with BuildSession(jobs=2) as session:
        build(options(site, preview=True), session)
        months = archive().count("<h3")
        assert months == 3
        # The first build rendered its pages in the workers; the edits' few pages are rendered in this process.
        for number, title in enumerate(("A story retitled", "A story retitled again")):
            rendered.clear()
            _edit(story(site, 100), r"^title: .*$", f"title: {title}")
            build(options(site, preview=True), session)
            assert title in archive()
            assert len(rendered) == (months if number == 0 else 1)  # its month, for its year's page and the archive
            check()

        (site / "templates").mkdir()
        theme = (Path(__file__).resolve().parent.parent / "templates/archive.html").read_text(encoding="utf-8")
        (site / "templates/archive.html").write_text(theme.replace("<h3>", '<h3 class="month">'), encoding="utf-8")
        rendered.clear()
        build(options(site, preview=True), session)
        assert len(rendered) == months and archive().count('<h3 class="month">') == months
        check()

        (site / "templates/archive.html").write_text(theme.replace("<h3>", "<h3 data-day=\"{{ now.day }}\">"),
                                                     encoding="utf-8")
        rendered.clear()
        build(options(site, preview=True), session)
        assert not rendered and 'data-day="1"' in archive()  # a part that reads the clock is not kept
        build(BuildOptions(site_dir=site, output_dir=site / "public", now="2026-01-02T00:00", preview=True), session)
        assert 'data-day="2"' in archive() and 'data-day="1"' not in archive()
        check("2026-01-02T00:00")


def test_a_new_process_renders_again_only_the_archive_months_an_edit_changed(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A build keeps the archive's months in its cache folder by their contents, so the next `broadsheet build` (a
    new process) renders only the month of a new title; not across a template edit, nor without a cache."""
    import broadsheet.incremental.fragments

    site = sitegen.write_site(tmp_path / "site", 250)  # Jan to Mar 2023
    rendered: list[str] = []  # fragments rendered in the build's own process (a few pages: an edit's)
    store = broadsheet.incremental.fragments.Fragments.store
    monkeypatch.setattr(broadsheet.incremental.fragments.Fragments, "store",
                        lambda self, where, *rest: rendered.append(where) or store(self, where, *rest))

    def rebuild_alone(**extra: object) -> str:
        rendered.clear()
        with BuildSession(jobs=2) as session:  # as a new process: nothing kept in memory
            build(options(site, **extra), session)
        return (site / "public/archive/index.html").read_text(encoding="utf-8")

    months = rebuild_alone().count("<h3")
    assert months == 3
    for number, title in enumerate(("A story retitled", "A story retitled again", "A third title")):
        _edit(story(site, 100), r"^title: .*$", f"title: {title}")
        assert title in rebuild_alone()
        # The cold build rendered the archive in its workers, which keep nothing; then its month alone, for the
        # archive, its year's page taking it from there.
        assert len(rendered) == (months if number == 0 else 1)
        assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    stored = site / ".broadsheet-cache/fragments"
    stored.write_bytes(stored.read_bytes()[:-40])  # damaged: not used
    _edit(story(site, 100), r"^title: .*$", "title: After damage")
    assert "After damage" in rebuild_alone() and len(rendered) == months
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    (site / "templates").mkdir()
    theme = (Path(__file__).resolve().parent.parent / "templates/archive.html").read_text(encoding="utf-8")
    (site / "templates/archive.html").write_text(theme.replace("<h3>", '<h3 class="month">'), encoding="utf-8")
    assert rebuild_alone().count('<h3 class="month">') == months and len(rendered) == months
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    kept = stored.read_bytes()
    _edit(story(site, 100), r"^title: .*$", "title: Without a cache")
    assert "Without a cache" in rebuild_alone(no_cache=True)
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    assert stored.read_bytes() == kept  # neither used nor written


def test_a_template_edit_rerenders_the_pages_made_with_it(tmp_path: Path) -> None:
    """A page is keyed by the templates it is made with: its own, and those it extends, includes or imports."""
    site = sitegen.write_site(tmp_path / "site", 30, "title: T\nbase_url: https://example.org/\nper_page: 5\n"
                                                     "related: 3\n")
    (site / "content/pages").mkdir()
    (site / "content/pages/about.md").write_text("---\ntitle: About us\n---\n\nWho we are.\n", encoding="utf-8")
    theme = Path(__file__).resolve().parent.parent / "templates"
    (site / "templates/partials").mkdir(parents=True)
    build(options(site))
    pages = {p.relative_to(site / "public").as_posix() for p in (site / "public").rglob("*.html")}
    articles = {p for p in pages if p.startswith(("world/", "politics/", "business/", "sport/", "culture/"))
                and p.count("/") == 2 and not p.split("/")[1].isdigit() and "page/" not in p}

    def override(name: str, old: str, new: str) -> Callable[[], None]:
        text = (theme / name).read_text(encoding="utf-8")
        assert old in text
        return lambda: (site / "templates" / name).write_text(text.replace(old, new, 1), encoding="utf-8")

    # partials/related.html is included by article.html only (not by page.html or the lists).
    related = _rewritten_after(site, override("partials/related.html", "<", "<!-- edited -->\n<"))
    assert related == articles and len(articles) == 30
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    # base.html is extended by every page's template.
    assert _rewritten_after(site, override("base.html", "<", "<!-- edited -->\n<")) == pages
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    # A template naming another by a variable depends on every template.
    (site / "templates/page.html").write_text("{% set layout = 'base.html' %}{% extends layout %}", encoding="utf-8")
    build(options(site))
    rewritten = _rewritten_after(site, override("partials/lead_image.html", "{", "{# edited #}{"))
    assert "about/index.html" in rewritten and rewritten < pages
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def _append(path: Path, text: str) -> Callable[[], None]:
    return lambda: path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_list_pages_depend_only_on_the_fields_they_show_of_their_articles(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 60)
    build(options(site))
    path = story(site, 5)
    url = path.relative_to(site / "content").with_suffix("").as_posix() + "/index.html"
    teaser = f'<h2 class="teaser-title"><a href="/{url.removesuffix("index.html")}">'
    lists = {p.relative_to(site / "public").as_posix() for p in (site / "public").rglob("index.html")
             if teaser in p.read_text(encoding="utf-8")}
    assert any(p.startswith("tags/") for p in lists) and any(p.startswith("authors/") for p in lists)

    # A sentence more changes neither its summary nor its reading time: its own page is the one page rendered
    # again (its feeds are, as they show bodies; the tags and authors indexes show counts, which did not change).
    assert _rewritten_after(site, _append(path, "\nOne more sentence.\n")) == {url}
    # 800 words more change its reading time, which lists show.
    rewritten = _rewritten_after(site, _append(path, "\n" + "word " * 800 + "\n"))
    assert rewritten >= lists | {url}
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))

    # A theme whose lists show the word count: a sentence more now re-renders every list showing the article.
    (site / "templates").mkdir()
    theme = Path(__file__).resolve().parent.parent / "templates/list.html"
    (site / "templates/list.html").write_text(theme.read_text(encoding="utf-8").replace(
        "{{ item.reading_minutes }}", "{{ item.word_count }}"), encoding="utf-8")
    rebuild(site)
    rewritten = _rewritten_after(site, _append(path, "\nAnd another one.\n"))
    assert lists <= rewritten
    assert not {p for p in rewritten if p.startswith("archive/")}  # the archive shows dates and titles only
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def _articles_in(value: object, found: set[int]) -> None:
    """The articles a view's inputs hold, as page digests see them (a section, tag or author by its name)."""
    if isinstance(value, Article):
        found.add(id(value))
    elif isinstance(value, (tuple, list)):
        for item in value:
            _articles_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _articles_in(item, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, (Section, Term)):
        for item in dataclasses.fields(value):
            _articles_in(getattr(value, item.name), found)


def test_every_article_a_view_holds_is_one_it_shows(site: Path) -> None:
    # The rebuild that keys only the views showing a changed article relies on this (see build._unchanged_views).
    config = load_config(site)
    ordered = order_site((p.article for p in load_articles(site, config)), config, parse_date(NOW, config.zone))
    views = site_views(ordered, config)
    assert {view.kind for view in views} >= {"article", "page", "list", "terms", "archive", "404"}
    for view in views:
        found: set[int] = set()
        _articles_in(view_inputs(ordered, config, view), found)
        assert found <= {id(article) for article in articles_shown(ordered, view)}, view


def test_a_preview_rebuilt_once_a_scheduled_date_passed_drops_the_scheduled_banner(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 30)
    path, text = sitegen.article_text(99, start=datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc))
    (site / path).write_text(text, encoding="utf-8")
    page = site / "public" / Path(path).relative_to("content").with_suffix("") / "index.html"

    def preview(now: str, output: Path | None = None, **extra: object) -> BuildOptions:
        return BuildOptions(site_dir=site, output_dir=output or site / "public", now=now, preview=True, future=True,
                            **extra)  # type: ignore[arg-type]

    build(preview("2026-01-01T00:00"))
    assert "Scheduled for" in page.read_text(encoding="utf-8")
    result = build(preview("2026-06-01T00:00"))  # nothing changed but the moment
    assert "Scheduled for" not in page.read_text(encoding="utf-8")
    assert result.rendered < result.pages
    build(preview("2026-06-01T00:00", tmp_path / "clean", no_cache=True))
    assert_same_tree(read_tree(site / "public"), read_tree(tmp_path / "clean"))


def _damage(cache: Path, how: str) -> None:
    records = [*cache.glob("manifest-*"), *sorted((cache / "index").glob("*")),
               *sorted((cache / "articles").rglob("*"))]
    for record in (r for r in records if r.is_file()):
        data = record.read_bytes()
        if how == "truncated":
            record.write_bytes(data[: len(data) // 2])
        elif how == "garbage":
            record.write_bytes(bytes(range(256)) * 4)
        elif how == "other-version":
            record.write_bytes(data[:4] + bytes(16) + data[20:])
        elif how == "empty":
            record.write_bytes(b"")


def test_records_read_back_as_written_and_only_in_their_layout() -> None:
    """Records are plain data: the values read back are equal, with the same zones, and anything but the layout a
    reader expects (a field of another type, a list too short) is refused."""
    from broadsheet.incremental import records
    from broadsheet.incremental.sealed import from_json, to_json

    def round_trip(data: object) -> object:
        return from_json(to_json(data))

    link = Link("Title", "/world/a/", datetime(2024, 5, 1, 9, tzinfo=timezone(timedelta(hours=2))), "<p>S</p>")
    read = records.read_link(round_trip(records.link_data(link)))
    assert read == link and read.date.utcoffset() == timedelta(hours=2)  # the same fields, not only equal ones
    # Dates parsed apart, each with a zone object of its own, read back sharing one zone of the same offset.
    dates = [datetime(2024, 5, day, 9, tzinfo=timezone(timedelta(hours=2), *names)) for day in range(1, 4)
             for names in ((), ("CEST",))]
    read_dates = [records.read_date(round_trip(records.date_data(d))) for d in dates]
    assert read_dates == dates and [d.tzname() for d in read_dates] == [d.tzname() for d in dates]
    assert len({id(d.tzinfo) for d in read_dates}) == 2
    london = datetime(2024, 10, 27, 1, 30, tzinfo=ZoneInfo("Europe/London"), fold=1)
    again = records.read_date(round_trip(records.date_data(london)))
    assert again.tzinfo is london.tzinfo and again.fold == 1 and again.utcoffset() == london.utcoffset()
    meta = {"title": "T", 1: [True, None, 2.5, {"a": (1, 2)}], "when": datetime(2024, 5, 1, tzinfo=timezone.utc),
            "day": date(2024, 5, 1), "raw": b"\x00\xff", "set": {"x"}, "nan": float("inf")}
    assert records.read_value(round_trip(records.value_data(meta))) == meta
    for bad in ([link.title, link.url, records.date_data(link.date)], [1, link.url, records.date_data(link.date), ""],
                [link.title, link.url, ["2024-05-01T09:00:00", None, 2], ""], "Title"):
        with pytest.raises((ValueError, TypeError)):
            records.read_link(bad)


def test_front_matter_values_at_the_readers_edges_read_back_as_written() -> None:
    """Whole numbers beyond 64 bits (which orjson would read as floats), NaN and infinities (which orjson refuses)
    read back as the values front matter gave, in plain front matter and in front matter written as value_data."""
    import math

    from broadsheet.incremental import records
    from broadsheet.incremental.sealed import from_json, to_json

    def round_trip(meta: dict[object, object]) -> dict[object, object]:
        return records.read_meta(from_json(to_json(records.meta_data(meta))))

    big = {"id": 2**64, "low": -(2**63) - 1, "edge": 2**64 - 1, "lowest": -(2**63), "list": [10**30, 1]}
    for meta in (big, {**big, 1: "an int key: written as value_data"}):
        read = round_trip(meta)
        assert read == meta and all(type(read[key]) is type(meta[key]) for key in meta)
    assert records.meta_data(big)[0] == 1 and records.meta_data({"edge": 2**64 - 1})[0] == 0
    odd = round_trip({"nan": float("nan"), "inf": float("-inf")})
    assert math.isnan(odd["nan"]) and odd["inf"] == float("-inf")
    with pytest.raises(ValueError):
        from_json(b'{"a": 1')


def test_an_index_reads_back_with_its_output_before_last_as_written(tmp_path: Path) -> None:
    """The index file holds the output before last as its differences from the index: read back, it is whole."""
    from broadsheet.incremental.cache import Cache, Manifest, PageRecord, Spare

    pages = {f"world/{n}/index.html": PageRecord(b"%d" % n, frozenset()) for n in range(6)}
    earlier = {**pages, "world/2/index.html": PageRecord(b"older", frozenset({"now"})),  # rendered again since
               "world/gone/index.html": PageRecord(b"gone", frozenset())}  # removed since
    del earlier["world/5/index.html"]  # added since
    spare = Spare((1, 2, 3), earlier, {"s.css": ("static/s.css", 3, 4)}, {"feed.xml": b"f"},
                  {"world": 5, "world/gone": 6})
    index = Manifest(env_key="e", sources={"content/a.md": (1, 2, 3, "ab" * 16)}, pages=pages,
                     folders={"world": 7, "world/5": 8}, spare=spare, output=("/out", 1, 2))
    cache = Cache(tmp_path / "cache")
    cache.save_manifest(tmp_path / "out", index)
    read = cache.load_manifest(tmp_path / "out")
    assert read is not None and read.spare == spare and read.pages == pages and read.folders == index.folders
    assert index.spare is spare  # (the index saved is left as it was)


def test_a_new_process_takes_what_each_template_names_from_the_index(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding the templates a template extends or includes means parsing it: the index keeps what each template
    named, so the next build parses only the templates changed since."""
    import jinja2.meta

    import broadsheet.incremental.fingerprints

    site = sitegen.write_site(tmp_path / "site", 12)
    build(options(site))
    parsed: list[str] = []
    find = jinja2.meta.find_referenced_templates
    monkeypatch.setattr(jinja2.meta, "find_referenced_templates", lambda tree: parsed.append(tree) or find(tree))
    monkeypatch.setattr(broadsheet.incremental.fingerprints, "_NAMED", {})  # (as in a new process)
    edit_body(site)
    build(options(site))
    assert parsed == []
    (site / "templates").mkdir(exist_ok=True)
    base = (Path(__file__).resolve().parent.parent / "templates/base.html").read_text(encoding="utf-8")
    (site / "templates/base.html").write_text(base.replace("<", "<!-- edited -->\n<", 1), encoding="utf-8")
    monkeypatch.setattr(broadsheet.incremental.fingerprints, "_NAMED", {})
    build(options(site))
    assert len(parsed) == 1  # the edited base.html
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


@pytest.mark.parametrize("how", ["truncated", "garbage", "other-version", "empty"])
def test_a_damaged_cache_is_ignored(tmp_path: Path, how: str) -> None:
    site = sitegen.write_site(tmp_path / "site", 60)
    build(options(site))
    expected = read_tree(site / "public")
    _damage(site / ".broadsheet-cache", how)
    result = build(options(site))
    assert result.parsed == 60
    assert_same_tree(read_tree(site / "public"), expected)
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    assert build(options(site)).parsed == 0  # the damaged records were replaced


def test_an_article_record_keeps_its_body_apart_and_is_read_back_whole(tmp_path: Path) -> None:
    from broadsheet.incremental.cache import _ARTICLE, _BODY_SIZE, Cache, read_head
    from broadsheet.incremental.sealed import seal
    from broadsheet.stages.content import parse_article

    config = load_config(sitegen.write_site(tmp_path / "site", 1), None, None)
    text = "---\ntitle: Ä\ndate: 2024-05-01\nimage: /a.jpg\nimage_alt: A\nsummry: x\n---\nBody “é”.\n"
    parsed = parse_article("content/world/a.md", text.encode(), config)
    cache = Cache(tmp_path / "cache")
    head = cache.store_article("ab" * 32, parsed)
    assert read_head(head) == dataclasses.replace(parsed, body_html="")
    assert parsed.lines == {"image": 4} and parsed.warnings  # the misspelt key
    assert cache.load_head("ab" * 32) == head
    assert cache.load_body("ab" * 32) == parsed.body_html == "<p>Body “é”.</p>"
    assert cache.load_article("ab" * 32) == parsed
    assert cache.load_body("cd" * 32) is None and cache.load_article("cd" * 32) is None
    record = tmp_path / "cache/articles/ab" / ("ab" * 32)
    record.write_bytes(seal(_ARTICLE, "ab" * 32, _BODY_SIZE.pack(10**6) + b"<p>Short.</p>" + head))  # beyond its end
    assert cache.load_body("ab" * 32) is None and cache.load_article("ab" * 32) is None


def test_an_article_record_whose_head_is_not_a_parsed_article_is_parsed_again(tmp_path: Path) -> None:
    """A record with a sound checksum whose head is not a parsed article (written by hand, or planted) is neither
    read nor trusted: the file is parsed again and the record replaced."""
    from broadsheet.incremental.cache import _ARTICLE, _BODY_SIZE, Cache
    from broadsheet.incremental.sealed import seal

    site = sitegen.write_site(tmp_path / "site", 8)
    build(options(site))
    records = sorted((site / ".broadsheet-cache/articles").rglob("*"))
    planted = next(r for r in records if r.is_file())
    body = b"<p>Planted.</p>"
    planted.write_bytes(seal(_ARTICLE, planted.name, _BODY_SIZE.pack(len(body)) + body + b'{"title": "Planted"}'))
    cache = Cache(site / ".broadsheet-cache")
    assert cache.load_article(planted.name) is None
    for kept in [*(site / ".broadsheet-cache").glob("manifest-*"), *(site / ".broadsheet-cache").glob("stamp-*")]:
        kept.unlink()  # (a new index: every file is looked at, its record read)
    others = {r: r.stat().st_mtime_ns for r in records if r.is_file() and r != planted}
    build(options(site))
    assert cache.load_article(planted.name) is not None
    assert {r: r.stat().st_mtime_ns for r in others} == others  # the sound records were read, not written again
    assert "Planted" not in "".join(map(bytes.decode, read_tree(site / "public").values()))
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


@pytest.mark.parametrize("held", [False, True], ids=["new-process", "session"])
def test_article_records_gone_from_under_the_index_are_parsed_again(tmp_path: Path, held: bool) -> None:
    """The index stands but the article records it names are gone: the cache folder was emptied by hand or by a
    disk cleaner (a new process reads the index from disk), or removed under a running preview (which holds the index
    in memory). The pages that need an article's body parse its file again, and equal a clean build."""
    site = sitegen.write_site(tmp_path / "site", 40)
    with BuildSession(jobs=2) as session:
        build(options(site), session if held else None)
        shutil.rmtree(site / ".broadsheet-cache" / ("" if held else "articles"))
        edit_title(site)  # its neighbours, lists and feeds are rendered again, with other articles' bodies
        result = build(options(site), session if held else None)
    assert result.parsed == 1
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    edit_body(site)
    build(options(site))
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_body_whose_record_is_gone_is_not_taken_from_a_file_changed_since(tmp_path: Path) -> None:
    from broadsheet.incremental.cache import Cache
    from broadsheet.incremental.tasks import env_key, load_body, parse_key

    site = sitegen.write_site(tmp_path / "site", 3)
    build(options(site))
    config = load_config(site, None, None)
    path = story(site, 1)
    source = path.relative_to(site).as_posix()
    key = parse_key(env_key(config), source, path.read_bytes())
    cache = Cache(site / ".broadsheet-cache")
    assert "<p>" in load_body(cache, site, config, env_key(config), source, key)
    shutil.rmtree(site / ".broadsheet-cache/articles")
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        load_body(cache, site, config, env_key(config), source, key)
    assert str(raised.value.problems[0]).startswith(f"{source}: changed while the site was being built")


def test_no_cache_leaves_no_cache_and_cache_dir_is_honoured(tmp_path: Path, run_cli) -> None:
    site = sitegen.write_site(tmp_path / "site", 12)
    assert run_cli("build", "--site", str(site), "--no-cache", "--quiet", "--jobs", "1").status == 0
    assert not (site / ".broadsheet-cache").exists()
    cache = tmp_path / "elsewhere"
    assert run_cli("build", "--site", str(site), "--cache-dir", str(cache), "--quiet").status == 0
    assert list(cache.glob("manifest-*")) and not (site / ".broadsheet-cache").exists()
    assert run_cli("build", "--site", str(site), "--jobs", "0").status == 2


def test_a_session_reuses_its_workers_and_index(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 30)
    with BuildSession(jobs=2) as session:
        first = build(options(site), session)
        assert first.parsed == 30
        edit_body(site)
        second = build(options(site), session)
        assert second.parsed == 1
        assert build(options(site), session).rendered == 0
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_deleted_output_file_is_rendered_again(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 20)
    build(options(site))
    expected = read_tree(site / "public")
    victim = site / "public" / sitegen.article_text(3)[0].replace("content/", "").replace(".md", "/index.html")
    victim.unlink()
    (site / "public/page/2/index.html").unlink()
    story(site, 5).write_text(story(site, 5).read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build(options(site))
    assert read_tree(site / "public").keys() == expected.keys()
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))



def test_pruning_keeps_what_any_output_uses_and_drops_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import broadsheet.incremental.cache
    import broadsheet.incremental.layer
    import broadsheet.incremental.session

    monkeypatch.setattr(broadsheet.incremental.layer, "PRUNE_AFTER", 0)
    monkeypatch.setattr(broadsheet.incremental.session, "PRUNE_AFTER", 0)
    monkeypatch.setattr(broadsheet.incremental.cache, "PRUNE_GRACE", -60.0)
    site = sitegen.write_site(tmp_path / "site", 12)
    records = site / ".broadsheet-cache/articles"
    build(options(site))
    build(options(site, tmp_path / "other"))  # a second output sharing the cache, e.g. the preview server's
    assert len(list(records.rglob("*"))) - len(list(records.iterdir())) == 12
    edit_body(site)
    build(options(site))
    edit_body(site)
    build(options(site))
    assert len([p for p in records.rglob("*") if p.is_file()]) == 14
    # The first version is still used by the other output; the second by none.
    broadsheet.incremental.cache.Cache(site / ".broadsheet-cache").prune(set())
    assert len([p for p in records.rglob("*") if p.is_file()]) == 13
    build(options(site, tmp_path / "other"))
    assert build(options(site)).parsed == 0
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    assert_same_tree(read_tree(tmp_path / "other"), read_tree(site / "public"))
    # The index shards of both outputs stay; those of earlier builds go.
    cache = broadsheet.incremental.cache.Cache(site / ".broadsheet-cache")
    cache.prune(set())
    used = {name for path in cache.root.glob("manifest-*") for name in cache._read_index(path)[1]}  # type: ignore[index]
    assert used and {path.name for path in (cache.root / "index").iterdir()} == used


def test_a_build_with_another_configuration_prunes_the_old_records(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import broadsheet.incremental.cache

    monkeypatch.setattr(broadsheet.incremental.cache, "PRUNE_GRACE", -60.0)
    site = sitegen.write_site(tmp_path / "site", 12)
    records = site / ".broadsheet-cache/articles"
    build(options(site))
    edit_body(site)
    build(options(site))  # no pruning yet: one old record
    assert len([p for p in records.rglob("*") if p.is_file()]) == 13
    edit_config(site)
    assert build(options(site)).parsed == 12
    assert len([p for p in records.rglob("*") if p.is_file()]) == 12  # those of the old configuration are gone
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_rerun_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 30)
    build(options(site))
    before = (site / "public").stat().st_ino
    result = build(options(site))
    assert result.rendered == 0 and result.parsed == 0
    assert (site / "public").stat().st_ino == before  # not swapped for a copy: nothing was written


def test_a_file_changed_in_the_same_tick_as_the_last_build_looked_at_it_is_read_again(tmp_path: Path) -> None:
    """A re-run looks only at the files whose size, time or inode changed, and at those changed too close to the
    previous build's look at them: a second change in the same tick of the clock keeps all three."""
    site = sitegen.write_site(tmp_path / "site", 30)
    path = story(site, 12)
    text = path.read_text(encoding="utf-8")
    title = re.search(r"^title: (.*)$", text, re.MULTILINE)[1]  # type: ignore[index]
    build(options(site))  # the files were written a moment ago
    before = path.stat()
    same_length = "".join(chr(ord(c) + 1) if c.isalpha() and c not in "zZ" else c for c in title)
    path.write_text(text.replace(f"title: {title}", f"title: {same_length}"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    result = build(options(site))
    assert result.parsed == 1
    assert same_length in (site / "public/archive/index.html").read_text(encoding="utf-8")
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_the_output_before_last_is_updated_in_place_without_touching_the_live_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import broadsheet.stages.output

    site = sitegen.write_site(tmp_path / "site", 40)
    build(options(site))
    edit_body(site)
    build(options(site))  # the first output is now kept in the cache, to be updated by the next build
    spares = list((site / ".broadsheet-cache").glob("spare-*"))
    assert len(spares) == 1 and (spares[0] / "index.html").is_file()
    live = read_tree(site / "public")
    seen_before_swap = []
    commit = broadsheet.stages.output.OutputFolder.commit

    def checked_commit(self: broadsheet.stages.output.OutputFolder, *args: object) -> bool:
        seen_before_swap.append(read_tree(self.final))
        return commit(self, *args)

    monkeypatch.setattr(broadsheet.stages.output.OutputFolder, "commit", checked_commit)
    edit_title(site)
    story(site, 7).unlink()  # a page the kept output has and the new one must not
    result = build(options(site))
    assert result.rendered < result.pages
    assert seen_before_swap == [live]  # files shared with the live output were replaced, never written into
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    empty = [p for p in (site / "public").rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert not empty


def test_an_output_updated_in_place_records_the_times_of_its_folders_as_they_are(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build that updates the output before last in place looks again only at the folders it changed, and takes
    the others' times from when that output was live: the times it records must be the output's own, or the next
    run's quick check fails."""
    from broadsheet.incremental.cache import Cache
    from broadsheet.stages.output import OutputFolder

    site = sitegen.write_site(tmp_path / "site", 40, "title: T\nbase_url: https://example.org/\nper_page: 5\n"
                                                     "keep: [CNAME]\n")
    (site / "static/images").mkdir(parents=True)
    (site / "static/images/a.txt").write_text("a\n", encoding="utf-8")
    deep = site / "static/images/sub/b.txt"  # its folder is made and removed; no other file of images/ changes
    later, text = sitegen.article_text(99, start=datetime(2024, 3, 1, tzinfo=timezone.utc))
    oldest = site / "content/world/oldest.md"
    edits: list[Callable[[], object]] = [
        lambda: story(site, 5).write_text(story(site, 5).read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8"),
        lambda: (site / later).write_text(text, encoding="utf-8"),  # new folders: the article's and its year's
        lambda: oldest.write_text("---\ntitle: Oldest\ndate: 2020-01-01T00:00:00+00:00\n---\n\nOld.\n", encoding="utf-8"),
        lambda: _edit(story(site, 8), r"^title: .*$", "title: Retitled"),
        lambda: oldest.unlink(),
        lambda: story(site, 20).unlink(),
        lambda: (deep.parent.mkdir(), deep.write_text("b\n", encoding="utf-8")),
        lambda: shutil.rmtree(deep.parent),
        lambda: (site / "public/CNAME").write_text("example.org\n", encoding="utf-8"),  # a kept file, carried over
        lambda: (site / later).unlink(),
        lambda: None,
    ]
    build(options(site))
    recycled: list[bool] = []
    times = OutputFolder.folder_times
    monkeypatch.setattr(OutputFolder, "folder_times", lambda self, paths, known=None, touched=():
                        recycled.append(bool(known)) or times(self, paths, known, touched))
    for edit in edits:
        edit()
        build(options(site))
        index = Cache((site / ".broadsheet-cache").absolute()).load_manifest(site / "public")
        assert index is not None
        written = [*index.pages, *index.static, *index.generated]
        assert index.folders == times(OutputFolder(site / "public"), written)
    # Every build updated the output before last in place (the first edit: the linked copy the cold build kept, with
    # its folders' times) but the last (nothing to write) and one: the output CNAME was written into by hand became
    # the output before last, and a file added to it since it was the output makes the next build not trust it.
    assert recycled.count(True) == len(edits) - 2
    assert_same_tree(read_tree(site / "public"), {**clean_build(site, tmp_path), "CNAME": b"example.org\n"})


def test_a_kept_output_that_was_replaced_is_not_used(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 30)
    build(options(site))
    edit_body(site)
    build(options(site))
    spare = next((site / ".broadsheet-cache").glob("spare-*"))
    shutil.rmtree(spare)
    spare.mkdir()
    (spare / "stray.html").write_text("not from this site", encoding="utf-8")
    edit_title(site)
    build(options(site))
    assert not (site / "public/stray.html").exists()
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_another_version_of_the_markdown_library_parses_and_renders_everything_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import markdown

    site = sitegen.write_site(tmp_path / "site", 12)
    first = build(options(site))
    monkeypatch.setattr(markdown, "__version__", "0.0-other")
    again = build(options(site))
    assert (first.parsed, again.parsed) == (12, 12)
    assert again.rendered == again.pages


def test_a_file_of_the_kept_output_where_a_folder_is_now_needed_is_replaced(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 30)
    (site / "static").mkdir()
    (site / "static/notes").write_text("a file called notes\n", encoding="utf-8")
    build(options(site))
    edit_body(site)
    build(options(site))  # the output kept for updating in place has the file /notes
    (site / "static/notes").unlink()
    (site / "content/notes").mkdir()
    (site / "content/notes/first.md").write_text(
        "---\ntitle: First note\ndate: 2023-02-01T09:00:00+00:00\nsection: Notes\n---\n\nA note.\n", encoding="utf-8")
    build(options(site))
    assert (site / "public/notes/index.html").is_file() and (site / "public/notes/first/index.html").is_file()
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_file_that_breaks_fails_the_build_without_rendering_the_pages_it_did_not_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import broadsheet.incremental.layer
    from broadsheet.base.errors import SiteError

    site = sitegen.write_site(tmp_path / "site", 60)
    build(options(site))
    before = read_tree(site / "public")
    rendering = broadsheet.incremental.layer.render_pages
    rendered: list[int] = []

    def counted(pool: object, setup: object, render: list[int], *args: object) -> object:
        rendered.append(len(render))
        return rendering(pool, setup, render, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(broadsheet.incremental.layer, "render_pages", counted)
    path = story(site, 5)
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Broken: ", 1), encoding="utf-8")
    with pytest.raises(SiteError) as failure:
        build(options(site))
    assert [p.path for p in failure.value.problems if not p.warning] == [path.relative_to(site).as_posix()]
    assert rendered == [0]  # the broken file stood in as it last built: no page changed
    assert read_tree(site / "public") == before

    # A template broken at the same time is still reported, from the pages it renders.
    (site / "templates").mkdir()
    (site / "templates/list.html").write_text('{% extends "base.html" %}{% block main %}{{ listing.titel }}'
                                              '{% endblock %}\n', encoding="utf-8")
    with pytest.raises(SiteError) as failure:
        build(options(site))
    assert {p.path for p in failure.value.problems if not p.warning} == {
        path.relative_to(site).as_posix(), "templates/list.html"}
    assert read_tree(site / "public") == before


def test_a_site_patched_after_body_edits_is_the_site_ordered_afresh(site: Path) -> None:
    from broadsheet.stages.site import patch_site

    config = load_config(site)
    now = parse_date(NOW, config.zone)
    articles = [p.article for p in load_articles(site, config)]
    ordered = order_site(articles, config, now)
    by_source = {a.source: a for a in (*ordered.articles, *ordered.pages)}
    # The linker's summary links to another article (resolved while ordering); a page; two plain articles.
    shown = [by_source["content/world/linker.md"], ordered.pages[0], *ordered.articles[3:5]]
    assert shown[0].links and "story-00060" in shown[0].meta["summary"]
    # What a body edit changes: words, description, links (one to a missing file: a warning), meta, image.
    changed = {a.source: dataclasses.replace(a, word_count=a.word_count + 7, description=a.description + " More.",
                                             meta={**a.meta, "extra": 1}, image="images/new.jpg",
                                             links=(*a.links, dataclasses.replace(a.links[0], target="content/x.md"))
                                             if a.links else a.links)
               for a in shown}
    sources = [a.source for a in articles]
    fresh = order_site([changed.get(a.source, a) for a in articles], config, now)
    patched = patch_site(ordered, changed, sources, config)
    assert patched == fresh
    assert len(patched.warnings) > len(ordered.warnings)  # the link to the missing file


def test_a_site_patched_after_new_titles_is_the_site_ordered_afresh(tmp_path: Path) -> None:
    from broadsheet.stages.site import patch_site

    site = sitegen.write_site(tmp_path / "site", 60, "title: T\nbase_url: https://example.org/\nper_page: 5\n"
                              "related: 3\nmenu: [world, about]\n")
    _edit(story(site, 30), r"^title: ", "aliases: [/old/thirty/]\ntitle: ")
    (site / "content/pages").mkdir()
    (site / "content/pages/about.md").write_text("---\ntitle: About us\n---\n\nWho we are.\n", encoding="utf-8")
    config = load_config(site)
    now = parse_date(NOW, config.zone)
    articles = [p.article for p in load_articles(site, config)]
    sources = [a.source for a in articles]
    ordered = order_site(articles, config, now)
    by_source = {a.source: a for a in (*ordered.articles, *ordered.pages)}
    retitle = [by_source[sitegen.article_text(n)[0]] for n in (30, 31)] + [by_source["content/pages/about.md"]]
    assert ordered.redirects and ordered.related[retitle[0].source] and ordered.menu[-1].title == "About us"
    changed = {a.source: dataclasses.replace(a, title=f"A new title for {a.slug}") for a in retitle}
    fresh = order_site([changed.get(a.source, a) for a in articles], config, now)
    patched = patch_site(ordered, changed, sources, config)
    assert patched == fresh
    assert patched is not None and patched.menu[-1].title == "A new title for about"
    assert patched.redirects[0].title == "A new title for story-00030"
    # An article of the same moment as another is ordered by its title: a new title may change the order.
    same = dataclasses.replace(ordered.articles[5], date=ordered.articles[4].date)
    tied = order_site([same if a.source == same.source else a for a in articles], config, now)
    assert patch_site(tied, {same.source: dataclasses.replace(same, title="Zzz")}, sources, config) is None


def test_a_preview_session_patches_its_site_after_a_body_edit_and_orders_it_again_after_a_title_edit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import broadsheet.pipeline.build

    site = sitegen.write_site(tmp_path / "site", 40)
    ordering = broadsheet.pipeline.build.order_site
    ordered: list[int] = []

    def counted(*args: object, **kwargs: object) -> object:
        ordered.append(1)
        return ordering(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(broadsheet.pipeline.build, "order_site", counted)
    preview = options(site, preview=True)
    with BuildSession(jobs=2) as session:
        build(preview, session)
        assert len(ordered) == 1
        path = story(site, 5)
        path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence, with [a link](nowhere.md).\n",
                        encoding="utf-8")
        result = build(preview, session)
        assert len(ordered) == 1 and result.rendered >= 1  # patched, not ordered again
        assert any("nowhere.md" in str(w) for w in result.warnings)
        expected = tmp_path / "expected"
        build(options(site, expected, preview=True, no_cache=True))
        assert_same_tree(read_tree(site / "public"), read_tree(expected))

        edit_title(site)
        build(preview, session)
        assert len(ordered) == 2  # a new title is patched in too (the clean build above ordered once)
        shutil.rmtree(expected)
        build(options(site, expected, preview=True, no_cache=True))
        assert_same_tree(read_tree(site / "public"), read_tree(expected))

        _edit(story(site, 6), r"^date: .*$", f"date: {sitegen.article_text(7)[1].split('date: ')[1].split(chr(10))[0]}")
        build(preview, session)
        assert len(ordered) == 4  # a new date orders the site again (the clean build above ordered once more)
        _edit(story(site, 6), r"^title: .*$", "title: Zzz, now after its twin")
        build(preview, session)
        assert len(ordered) == 5  # a new title of an article of the same moment as another: ordered again
        shutil.rmtree(expected)
        build(options(site, expected, preview=True, no_cache=True))
        assert_same_tree(read_tree(site / "public"), read_tree(expected))


def test_a_preview_session_takes_its_pages_and_sitemap_from_the_held_site_only_while_they_stand(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit that keeps the site's structure, a preview reuses its previous build's pages, output claims,
    sitemap and digests; every build still equals a clean one, whatever the edit touched."""
    import broadsheet.pipeline.build

    site = sitegen.write_site(tmp_path / "site", 40)
    (site / "static/images").mkdir(parents=True)
    (site / "static/images/a.jpg").write_bytes(photo(40, 30))
    expiring = story(site, 7)
    _edit(expiring, r"^title: ", "expires: 2026-01-01T12:00:00+00:00\ntitle: ")
    draft = story(site, 9)
    _edit(draft, r"^title: ", "draft: true\ntitle: ")
    (site / "content/pages").mkdir()
    about = site / "content/pages/about.md"
    about.write_text("---\ntitle: About us\n---\n\nWho we are.\n", encoding="utf-8")
    listed: list[int] = []
    views_of = broadsheet.pipeline.build.site_views
    monkeypatch.setattr(broadsheet.pipeline.build, "site_views", lambda *a: listed.append(1) or views_of(*a))

    def preview(now: str, output: Path | None = None, **extra: object) -> BuildOptions:
        return options(site, output, preview=True, **extra) if now == NOW else \
            BuildOptions(site_dir=site, output_dir=output or site / "public", now=now, preview=True, **extra)  # type: ignore[arg-type]

    def check(now: str = NOW) -> None:
        expected = tmp_path / "expected"
        shutil.rmtree(expected, ignore_errors=True)
        build(preview(now, expected, no_cache=True))
        assert_same_tree(read_tree(site / "public"), read_tree(expected))

    path = story(site, 5)
    with BuildSession(jobs=2) as session:
        build(preview(NOW), session)
        edit_steps: list[tuple[str, Callable[[], None], int]] = [
            ("body", lambda: path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8"), 0),
            # The sitemap shows when an article last changed: it is made again.
            ("updated", lambda: _edit(path, r"^title: ", "updated: 2025-06-01T12:00:00+00:00\ntitle: "), 0),
            # A new lead image gets its social card, a new static file: the claims are checked again.
            ("image", lambda: _edit(path, r"^title: ", "image: images/a.jpg\nimage_alt: A photo\ntitle: "), 1),
            # A draft is in no page; a page's title is in every page's menu.
            ("draft", lambda: _edit(draft, r"^title: .*$", "title: A draft, retitled, with [a link](nowhere.md)"), 0),
            ("page", lambda: _edit(about, r"^title: .*$", "title: Who we are"), 0),
            # A new static file may claim a page's path: the claims are checked again.
            ("static", lambda: (site / "static/images/b.jpg").write_bytes(photo(30, 40)), 1),
        ]
        for name, edit, views_made in edit_steps:
            listed.clear()
            edit()
            build(preview(NOW), session)
            assert len(listed) == views_made, name
            check()
        _edit(path, r"^image: .*$", "image: images/missing.jpg")
        with pytest.raises(SiteError, match=r"missing\.jpg"):
            build(preview(NOW), session)
        _edit(path, r"^image: .*$", "image: images/b.jpg")
        build(preview(NOW), session)
        check()
        # Once an article's expiry passed, the site is ordered again, though the edit alone would keep it.
        listed.clear()
        _edit(path, r"^image: .*$", "image: images/a.jpg")
        later = "2026-02-01T00:00"
        build(preview(later), session)
        assert listed == [1]
        check(later)
        assert not (site / "public" / Path(expiring.relative_to(site / "content")).with_suffix("")).exists()


def test_a_watched_session_looks_only_at_the_content_files_noted_as_changed(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 30)
    preview = options(site, preview=True)
    expected = tmp_path / "expected"

    def assert_same_as_a_clean_build() -> None:
        shutil.rmtree(expected, ignore_errors=True)
        build(options(site, expected, preview=True, no_cache=True))
        assert_same_tree(read_tree(site / "public"), read_tree(expected))

    def append(index: int, text: str) -> str:
        path = story(site, index)
        path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")
        return sitegen.article_text(index)[0]

    def page_of(index: int) -> str:
        folder = sitegen.article_text(index)[0].removeprefix("content/").removesuffix(".md")
        return (site / "public" / folder / "index.html").read_text(encoding="utf-8")

    with BuildSession(jobs=2) as session:
        build(preview, session)
        session.watch()
        append(3, "Saved before the watcher started.")  # unnoted, but the next build still looks at every file
        assert build(preview, session).parsed == 1
        assert "Saved before the watcher started." in page_of(3)

        append(4, "Saved where no watcher saw it.")
        session.note_changes([append(5, "Saved and seen.")])
        assert build(preview, session).parsed == 1
        assert "Saved and seen." in page_of(5) and "Saved where no watcher saw it." not in page_of(4)
        session.note_changes([sitegen.article_text(4)[0]])
        build(preview, session)
        assert_same_as_a_clean_build()

        # A file added and one removed, noted: both found without listing content/.
        added = site / "content/world/added.md"
        added.write_text("---\ntitle: Added while watched\ndate: 2023-02-01T10:00:00+00:00\n---\n\nNew.\n",
                         encoding="utf-8")
        story(site, 6).unlink()
        session.note_changes(["content/world/added.md", sitegen.article_text(6)[0]])
        build(preview, session)
        assert_same_as_a_clean_build()

        # Noted changes are kept until a build succeeds: an edit noted with a broken template is built after the fix.
        template = site / "templates/article.html"
        template.parent.mkdir(exist_ok=True)
        template.write_text("{% block oops %}", encoding="utf-8")
        session.note_changes([append(7, "Saved while the template was broken."), "templates/article.html"])
        with pytest.raises(SiteError):
            build(preview, session)
        template.unlink()
        session.note_changes(["templates/article.html"])
        build(preview, session)
        assert "Saved while the template was broken." in page_of(7)
        assert_same_as_a_clean_build()

        # A folder noted: every file is looked at again, the unnoted ones too.
        append(8, "Saved unnoted, found by the folder's look.")
        session.note_changes(["content/world"])
        build(preview, session)
        assert_same_as_a_clean_build()

        # A burst of changes (a checkout, which may overflow the system's queue of events): every file is looked at.
        append(9, "Saved unnoted, found in a burst.")
        session.note_changes(f"static/burst-{number}.css" for number in range(600))
        build(preview, session)
        assert_same_as_a_clean_build()

        # A folder moved out of the site is one event, for the folder: its articles go.
        (site / "content/politics").rename(tmp_path / "politics-elsewhere")
        session.note_changes(["content/politics"])
        build(preview, session)
        assert_same_as_a_clean_build()


def test_a_site_named_by_a_relative_or_an_absolute_path_reuses_its_pages(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    site = sitegen.write_site(tmp_path / "site", 12)
    (site / "templates").mkdir()
    (site / "templates/404.html").write_text("{% extends 'base.html' %}{% block main %}Gone.{% endblock %}",
                                             encoding="utf-8")
    build(options(site))
    monkeypatch.chdir(site)
    result = build(BuildOptions(site_dir=Path("."), output_dir=Path("public"), now=NOW))
    assert (result.parsed, result.rendered) == (0, 0)


def test_a_preview_keeps_a_linked_copy_of_its_first_build_for_the_first_save_to_update(tmp_path: Path) -> None:
    from broadsheet.incremental.sealed import output_id

    site = sitegen.write_site(tmp_path / "site", 40)
    preview = options(site, preview=True)
    expected = tmp_path / "expected"
    with BuildSession(jobs=2) as session:
        build(preview, session)
        copy = site / ".broadsheet-cache" / f"spare-{output_id(site / 'public')}"
        assert read_tree(copy) == read_tree(site / "public")
        for edit in (edit_body, edit_title, edit_body):
            edit(site)
            build(preview, session)
            shutil.rmtree(expected, ignore_errors=True)
            build(options(site, expected, preview=True, no_cache=True))
            assert_same_tree(read_tree(site / "public"), read_tree(expected))


@pytest.mark.parametrize("linked_in", ["this process", "workers"])
def test_the_first_build_keeps_a_linked_copy_that_the_first_edit_updates_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linked_in: str) -> None:
    import broadsheet.incremental.render
    from broadsheet.incremental.sealed import output_id

    site = sitegen.write_site(tmp_path / "site", 40)
    if linked_in == "workers":  # (as a site of thousands of pages: the copy is linked in parts, by the workers)
        monkeypatch.setattr(broadsheet.incremental.render, "IN_PROCESS", 0)
    build(options(site))
    copy = site / ".broadsheet-cache" / f"spare-{output_id(site / 'public')}"
    assert read_tree(copy) == read_tree(site / "public")
    page = next(path.relative_to(site / "public") for path in sorted((site / "public").rglob("index.html"))
                if path.parent != site / "public")
    assert os.stat(copy / page).st_ino == os.stat(site / "public" / page).st_ino  # a link, not a second file
    copy_folder = os.stat(copy).st_ino
    edit_body(site)
    result = build(options(site))
    assert result.rendered < 10
    # The copy, updated, is the new output; the output it replaced is kept in its place for the next edit.
    assert os.stat(site / "public").st_ino == copy_folder
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    assert read_tree(copy) != read_tree(site / "public")


def test_a_page_removed_from_the_output_by_hand_comes_back_and_stays(tmp_path: Path) -> None:
    """The output with the page removed is kept after the next build, to be updated in place by the one after: the
    records of what it holds no longer hold, and that build must not trust them."""
    site = sitegen.write_site(tmp_path / "site", 30)
    build(options(site))
    edit_body(site)
    build(options(site))
    removed = sorted(path for path in (site / "public").rglob("index.html") if path.parent != site / "public")[5]
    removed.unlink()
    for _ in range(3):
        edit_body(site)
        build(options(site))
        assert removed.is_file()
        assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_file_added_to_the_output_by_hand_is_removed_and_stays_removed(tmp_path: Path) -> None:
    site = sitegen.write_site(tmp_path / "site", 30)
    build(options(site))
    edit_body(site)
    build(options(site))
    stray = site / "public/stray.html"
    stray.write_text("not from this site", encoding="utf-8")
    for _ in range(3):
        edit_body(site)
        build(options(site))
        assert not stray.exists()
        assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_page_removed_from_the_kept_copy_is_not_missed(tmp_path: Path) -> None:
    from broadsheet.incremental.sealed import output_id

    site = sitegen.write_site(tmp_path / "site", 30)
    build(options(site))
    copy = site / ".broadsheet-cache" / f"spare-{output_id(site / 'public')}"
    sorted(path for path in copy.rglob("index.html") if path.parent != copy)[5].unlink()
    edit_body(site)
    build(options(site))
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_no_copy_is_kept_for_an_output_that_went_missing_since_the_last_build(tmp_path: Path) -> None:
    """A CI machine keeps the cache folder between runs but not the output: a linked copy of each run's output would
    only make the cache it saves as large again as the site."""
    from broadsheet.incremental.sealed import output_id

    site = sitegen.write_site(tmp_path / "site", 20)
    build(options(site))
    copy = site / ".broadsheet-cache" / f"spare-{output_id(site / 'public')}"
    assert copy.is_dir()
    for _ in range(2):
        shutil.rmtree(site / "public")
        edit_body(site)
        result = build(options(site))
        assert result.parsed == 1
        assert not os.path.lexists(copy)
        assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_new_process_patches_the_site_the_cache_kept_while_its_structure_stands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `broadsheet build` is a new process: after edits that keep the site's structure it patches the ordered
    site an earlier build kept in the cache, even when several edits old, instead of ordering the site again; after
    one that changes it, or when the kept site cannot be trusted, it orders the site and keeps that. Every build
    equals a clean one."""
    import broadsheet.incremental.layer
    import broadsheet.pipeline.build
    from broadsheet.incremental.sealed import output_id

    site = sitegen.write_site(tmp_path / "site", 45)
    (site / "content/pages").mkdir()
    (site / "content/pages/about.md").write_text("---\ntitle: About us\n---\n\nWho we are.\n", encoding="utf-8")
    ordering = broadsheet.pipeline.build.order_site
    ordered: list[int] = []
    monkeypatch.setattr(broadsheet.pipeline.build, "order_site", lambda *a, **k: ordered.append(1) or ordering(*a, **k))
    kept = site / ".broadsheet-cache" / f"ordered-{output_id(site / 'public')}"

    def rebuilt(expect_ordering: bool, now: str = NOW) -> None:
        before = len(ordered)
        build(BuildOptions(site_dir=site, output_dir=site / "public", now=now))
        assert len(ordered) - before == int(expect_ordering)
        expected = tmp_path / "expected"
        shutil.rmtree(expected, ignore_errors=True)
        build(BuildOptions(site_dir=site, output_dir=expected, now=now, no_cache=True))
        assert_same_tree(read_tree(site / "public"), read_tree(expected))
        assert kept.is_file()  # (the child process that keeps it is waited for)

    def append(index: int, text: str) -> None:
        assert index % 3 == 0  # (an article with a summary in its front matter: its summary stays as it is)
        path = story(site, index)
        path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")

    rebuilt(expect_ordering=True)
    first = kept.stat().st_ino
    append(12, "A body edit.")
    rebuilt(expect_ordering=False)
    edit_title(site)  # its neighbours, lists, tag pages and the archive show the new title
    rebuilt(expect_ordering=False)
    # Two edits since the kept site: the first article's record of then comes from the cache.
    _edit(story(site, 20), r"^title: .*$", "title: Another new headline")
    append(12, "Another body edit, of the same article.")
    _edit(site / "content/pages/about.md", r"^title: .*$", "title: About the newsroom")  # (in the menu)
    rebuilt(expect_ordering=False)
    # A title put back as it was when the site was kept: the pages that showed the other title follow.
    path = story(site, 20)
    path.write_text(sitegen.article_text(20)[1], encoding="utf-8")
    rebuilt(expect_ordering=False)
    # A new time of last change, then an edit of another article: the sitemap keeps the new time.
    _edit(story(site, 39), r"^title: ", "updated: 2024-06-01T12:00:00+00:00\ntitle: ")
    rebuilt(expect_ordering=False)
    append(15, "A body edit after the new time.")
    rebuilt(expect_ordering=False)
    assert kept.stat().st_ino == first  # not kept again for edits that keep the structure

    edit_tags(site)  # a new structure: ordered, and kept anew
    rebuilt(expect_ordering=True)
    assert kept.stat().st_ino != first
    append(36, "A body edit after the new structure.")
    rebuilt(expect_ordering=False)

    # Past the moment the kept site's articles could change by time alone, it is not used.
    _edit(story(site, 13), r"^title: ", "expires: 2026-03-01T00:00:00+00:00\ntitle: ")
    rebuilt(expect_ordering=True)
    append(18, "Before it expires.")
    rebuilt(expect_ordering=False)
    append(18, "After it expired.")
    rebuilt(expect_ordering=True, now="2026-04-01T00:00")

    # A damaged kept site, or one naming a record the cache no longer has, is not trusted.
    append(21, "With a damaged kept site.")
    data = kept.read_bytes()
    kept.write_bytes(data[: len(data) // 2])
    rebuilt(expect_ordering=True, now="2026-04-01T00:00")
    append(24, "A body edit that leaves a record of the kept site only in the cache.")
    rebuilt(expect_ordering=False, now="2026-04-01T00:00")
    for record in (site / ".broadsheet-cache/articles").rglob("*"):
        if record.is_file() and f"story-{24:05d}".encode() in record.read_bytes() and b"body edit that" not in \
                record.read_bytes():
            record.unlink()
    append(27, "Then another.")
    rebuilt(expect_ordering=True, now="2026-04-01T00:00")

    # A build for a moment before the kept site's: an article published in between is not published yet.
    (site / "content/world/late.md").write_text(
        "---\ntitle: Published in February\ndate: 2026-02-01T09:00:00+00:00\nsection: World\nsummary: Late.\n---\n\n"
        "Late news.\n", encoding="utf-8")
    rebuilt(expect_ordering=True, now="2026-04-01T00:00")
    append(39, "A body edit, built for an earlier moment.")
    rebuilt(expect_ordering=True)
    append(42, "And for the later one again.")
    rebuilt(expect_ordering=True, now="2026-04-01T00:00")

    # Many edits since it was kept: the next build keeps the site it patched.
    monkeypatch.setattr(broadsheet.incremental.layer, "STALE_LIMIT", 1)
    inode = kept.stat().st_ino
    append(30, "One.")
    rebuilt(expect_ordering=False, now="2026-04-01T00:00")
    assert kept.stat().st_ino == inode
    append(33, "Two.")
    rebuilt(expect_ordering=False, now="2026-04-01T00:00")
    assert kept.stat().st_ino != inode
