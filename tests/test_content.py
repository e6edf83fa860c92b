"""Content files: front matter, dates and time zones, slugs, permalinks, discovery."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import write_tree

from broadsheet.base.errors import SiteError
from broadsheet.base.slugs import slugify
from broadsheet.stages.config import Config
from broadsheet.stages.content import discover_sources, parse_article, parse_date, read_ahead, resolve_now

UTC = timezone.utc


def parse(text: str | bytes, source: str = "content/world/story.md", **config: object):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_article(source, data, Config(**config)).article  # type: ignore[arg-type]


def problems(text: str, source: str = "content/world/story.md", **config: object) -> list[str]:
    with pytest.raises(SiteError) as error:
        parse(text, source, **config)
    return [str(p) for p in error.value.problems]


# --------------------------------------------------------------------------- front matter


def test_read_ahead_changes_nothing_and_passes_over_what_it_cannot_open(tmp_path: Path) -> None:
    write_tree(tmp_path, {"content/a.md": "---\ntitle: A\n---\nBody.\n", "content/folder/b.md": "b"})
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in tmp_path.rglob("*.md")}
    read_ahead(tmp_path, ["content/a.md", "content/missing.md", "content/folder", "content/folder/b.md"])
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in tmp_path.rglob("*.md")} == before
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "content", "content/a.md", "content/folder", "content/folder/b.md"]


def test_front_matter_fields() -> None:
    article = parse("---\ntitle: A story\ndate: 2024-03-06T15:00:00+00:00\nauthor: [Ann, Bob]\n"
                    "tags: [Europe, Elections]\nsources: [Reuters, AP]\nsummary: Short *summary*.\n"
                    "image: lead.jpg\nimage_alt: A harbour\nupdated: 2024-03-07\npriority: 3\n---\n\nBody text.\n")
    assert article.title == "A story"
    assert article.date == datetime(2024, 3, 6, 15, tzinfo=UTC)
    assert article.authors == ("Ann", "Bob")
    assert article.tags == ("Europe", "Elections")
    assert article.sources == ("Reuters", "AP")
    assert article.summary_html == "<p>Short <em>summary</em>.</p>"
    assert article.image == "lead.jpg" and article.image_alt == "A harbour"
    assert article.updated == datetime(2024, 3, 7, tzinfo=ZoneInfo("UTC"))
    assert article.meta["priority"] == 3  # unknown keys are kept for templates
    assert article.section == "World" and article.section_slug == "world"
    assert article.kind == "article" and article.draft is False


def test_defaults_come_from_the_site() -> None:
    article = parse("---\ntitle: T\ndate: 2024-01-01\ntags: Solo\n---\n\nBody.\n", "content/lone.md",
                    author="Desk", section="Local News")
    assert article.authors == ("Desk",)
    assert article.section == "Local News" and article.section_slug == "local-news"
    assert article.tags == ("Solo",)


def test_section_from_front_matter_wins_over_folder() -> None:
    article = parse("---\ntitle: T\ndate: 2024-01-01\nsection: Business\n---\n\nBody.\n")
    assert (article.section, article.section_slug, article.url) == ("Business", "business", "/business/story/")


def test_bom_and_crlf() -> None:
    text = "\ufeff---\r\ntitle: Windows\r\ndate: 2024-01-01\r\n---\r\n\r\nLine one.\r\n"
    article = parse(text.encode("utf-8"))
    assert article.title == "Windows"
    assert article.summary_html == "<p>Line one.</p>"


@pytest.mark.parametrize("text, expected", [
    ("title: T\n---\n", "content/world/story.md:1: no front matter"),
    ("---\ntitle: T\ndate: 2024-01-01\n", "content/world/story.md:1: front matter is not closed"),
    ("---\ntitle: T\ndate: 2024-01-01\ntitle: U\n---\n", "content/world/story.md:4: invalid front matter: duplicate key"),
    ("---\ntitle: T\ndate: 2024-01-01\ntags: [a\nauthor: x\n---\n", "content/world/story.md:5: invalid front matter"),
    ("---\ndate: 2024-01-01\n---\n", "content/world/story.md:1: missing 'title'"),
    ("---\ntitle: T\n---\n", "content/world/story.md:1: missing 'date'"),
    ("---\ntitle: T\ndate: yesterday\n---\n", "content/world/story.md:3: 'date' is not a valid date"),
    ("---\ntitle: T\ndate: 2024-02-30\n---\n", "content/world/story.md:3: 'date' is not a valid date"),
    ("---\ntitle: T\n\ndate: 2024-01-01T25:00:00\n---\n", "content/world/story.md:4: 'date' is not a valid date"),
    ("---\ntitle: 2024\ndate: 2024-01-01\n---\n", "content/world/story.md:2: 'title' must be text"),
    ("---\ntitle: T\ndate: 2024-01-02\nupdated: 2024-01-01\n---\n", "content/world/story.md:4: 'updated' is before"),
    ("---\ntitle: T\ndate: 2024-01-01\nimage: a.jpg\n---\n", "content/world/story.md:4: an image needs 'image_alt'"),
    ("---\ntitle: T\ndate: 2024-01-01\ndraft: maybe\n---\n", "content/world/story.md:4: 'draft' must be true"),
    ("---\n- a\n- b\n---\n", "content/world/story.md:2: front matter must be a mapping"),
])
def test_front_matter_problems_name_file_and_line(text: str, expected: str) -> None:
    assert any(line.startswith(expected) for line in problems(text)), problems(text)


def test_every_problem_of_a_file_is_listed() -> None:
    found = problems("---\nauthor: 5\ndraft: maybe\n---\n")
    assert len(found) == 4  # title, date, author, draft


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(SiteError) as error:
        parse(b"---\ntitle: T\ndate: 2024-01-01\n---\n\ncaf\xe9\n")
    assert str(error.value.problems[0]).startswith("content/world/story.md:6: not valid UTF-8")


def test_safe_loader_only() -> None:
    found = problems("---\ntitle: !!python/object/apply:os.system ['true']\ndate: 2024-01-01\n---\n")
    assert found[0].startswith("content/world/story.md:2: invalid front matter")


# --------------------------------------------------------------------------- dates and time zones


def test_naive_datetime_is_in_the_site_time_zone() -> None:
    winter = parse("---\ntitle: T\ndate: 2024-01-15T09:30:00\n---\n", timezone="America/New_York")
    summer = parse("---\ntitle: T\ndate: 2024-07-15 09:30\n---\n", timezone="America/New_York")
    assert winter.date is not None and summer.date is not None
    assert winter.date.utcoffset() == timedelta(hours=-5)
    assert summer.date.utcoffset() == timedelta(hours=-4)
    assert winter.date.astimezone(UTC) == datetime(2024, 1, 15, 14, 30, tzinfo=UTC)


def test_offsets_are_kept() -> None:
    article = parse("---\ntitle: T\ndate: 2024-03-06T15:00:00+02:00\n---\n", timezone="America/New_York")
    assert article.date == datetime(2024, 3, 6, 13, tzinfo=UTC)
    zulu = parse("---\ntitle: T\ndate: 2024-03-06T15:00:00Z\n---\n")
    assert zulu.date == datetime(2024, 3, 6, 15, tzinfo=UTC)
    quoted = parse("---\ntitle: T\ndate: '2024-03-06T15:00:00-05:00'\n---\n")
    assert quoted.date == datetime(2024, 3, 6, 20, tzinfo=UTC)


def test_date_only_is_midnight_in_the_site_time_zone() -> None:
    article = parse("---\ntitle: T\ndate: 2024-03-06\n---\n", timezone="Asia/Tokyo")
    assert article.date == datetime(2024, 3, 5, 15, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2024-05-01", "2024-05-01T09:00", "2024-05-01 09:00:00", "2024-05-01T09:00:00+02:00"])
def test_parse_date_always_aware(value: str) -> None:
    assert parse_date(value, ZoneInfo("Europe/Paris")).tzinfo is not None


def test_now_option_is_in_the_site_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    now = resolve_now("2024-05-01T09:00", Config(timezone="Europe/Berlin"))  # --now wins over the epoch
    assert now == datetime(2024, 5, 1, 7, tzinfo=UTC)


def test_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714554000")
    assert resolve_now(None, Config()) == datetime(2024, 5, 1, 9, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(SiteError):
        resolve_now(None, Config())
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert abs(resolve_now(None, Config()) - datetime.now(UTC)) < timedelta(minutes=1)


def test_bad_now_is_a_site_error() -> None:
    with pytest.raises(SiteError) as error:
        resolve_now("next tuesday", Config())
    assert str(error.value).startswith("--now: ")


# --------------------------------------------------------------------------- slugs and permalinks


@pytest.mark.parametrize("text, slug", [
    ("Hello, World!", "hello-world"),
    ("  Crème brûlée -- à la carte  ", "creme-brulee-a-la-carte"),
    ("Straße nach Łódź", "strasse-nach-lodz"),
    ("Путин и Кастро", "putin-i-kastro"),
    ("2024: the year", "2024-the-year"),
    ("___", ""),
    ("a" * 100, "a" * 80),
])
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slug_from_file_name_and_front_matter() -> None:
    assert parse("---\ntitle: T\ndate: 2024-01-01\n---\n", "content/world/My Story_2.md").slug == "my-story-2"
    assert parse("---\ntitle: T\ndate: 2024-01-01\nslug: Über Uns!\n---\n").slug == "uber-uns"
    assert parse("---\ntitle: T\ndate: 2024-01-01\n---\n", "content/world/story.markdown").url == "/world/story/"


def test_permalink_uses_the_site_time_zone() -> None:
    text = "---\ntitle: T\ndate: 2024-03-31T23:30:00+00:00\n---\n"
    pattern = "/{year}/{month}/{day}/{slug}/"
    assert parse(text, permalink=pattern).url == "/2024/03/31/story/"
    berlin = parse(text, permalink=pattern, timezone="Europe/Berlin")
    assert berlin.url == "/2024/04/01/story/"
    assert berlin.output_path == "2024/04/01/story/index.html"
    assert parse(text, permalink="/{section}/{year}/{slug}/").url == "/world/2024/story/"


def test_urls_honour_the_base_path() -> None:
    article = parse("---\ntitle: T\ndate: 2024-01-01\n---\n", base_url="https://example.org/news/")
    assert article.url == "/news/world/story/"
    assert article.permalink == "https://example.org/news/world/story/"
    assert article.output_path == "world/story/index.html"


def test_pages() -> None:
    page = parse("---\ntitle: About us\n---\n\nWho we are.\n", "content/pages/about.md")
    assert (page.kind, page.url, page.date) == ("page", "/about/", None)


# --------------------------------------------------------------------------- discovery


def test_discovery_ignores_editor_and_private_files(tmp_path: Path) -> None:
    names = ["a.md", "b.markdown", ".hidden.md", "_draft.md", "c.md~", "d.md.swp", "e.md.tmp", "notes.txt",
             "_private/f.md", "sub/g.md"]
    write_tree(tmp_path, {f"content/{name}": "x" for name in names})
    assert discover_sources(tmp_path) == ["content/a.md", "content/b.markdown", "content/sub/g.md"]
