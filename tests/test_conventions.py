"""Conventions of other generators read natively: front matter formats, file names, bundles, sections, dates."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_tree
from htmlcheck import crawl, parse_file
from imagefiles import photo

NOW = "2025-01-01T00:00"
SITE = "title: Test Times\nbase_url: https://example.org/\ntimezone: Europe/Berlin\n"


@pytest.fixture
def build(run_cli):
    """build(site, *args) -> (CliResult, output folder), at a fixed moment."""

    def run(site: Path, *args: str):
        output = site / "public"
        return run_cli("build", "--site", str(site), "--output", str(output), "--quiet", "--now", NOW, *args), output

    return run


CHART = photo(60, 40, "PNG")


def site_of(tmp_path: Path, files: dict[str, str | bytes], config: str = "") -> Path:
    """A site folder with a site.yaml and these files."""
    return write_tree(tmp_path / "site", {"site.yaml": SITE + config, **files})


def no_broken_links(output: Path) -> None:
    problems, checked = crawl(output, "https://example.org/")
    assert not problems and checked


# --------------------------------------------------------------------------- front matter formats


def test_toml_front_matter_and_blank_lines_before_it(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {
        "content/world/toml.md": '+++\ntitle = "Elections in Europe"\ndate = 2024-03-06T15:00:00+01:00\n'
                                 'tags = ["Europe", "Votes"]\n\n[params]\ncolour = "red"\n+++\n\nThe body.\n',
        "content/world/blank.md": "\n\n---\ntitle: After blank lines\ndate: 2024-03-07\n---\nText.\n",
        "content/world/blank-toml.md": '\n+++\ntitle = "TOML after a blank line"\ndate = 2024-03-08\n+++\nText.\n',
    })
    result, out = build(site)
    assert result.status == 0, result.err
    page = parse_file(out / "world/toml/index.html")
    assert page.find("h1").text() == "Elections in Europe"
    assert page.find("time").attrs["datetime"] == "2024-03-06T15:00:00+01:00"
    assert (out / "tags/europe/index.html").is_file() and (out / "tags/votes/index.html").is_file()
    assert parse_file(out / "world/blank/index.html").find("h1").text() == "After blank lines"
    assert parse_file(out / "world/blank-toml/index.html").find("time").attrs["datetime"].startswith("2024-03-08T00:00")
    no_broken_links(out)


@pytest.mark.parametrize(("text", "expected"), [
    ('+++\ntitle = "A"\ndate = 2024-03-06\nsummary = unquoted words\n+++\nBody.\n',
     "content/world/story.md:4: invalid TOML front matter: Invalid value"),
    ('\n\n+++\ntitle = "A"\ntitle = "B"\n+++\nBody.\n', "content/world/story.md:5: invalid TOML front matter"),
    ('+++\ntitle = "A"\n', "content/world/story.md:1: front matter is not closed (end it with a '+++' line)"),
    ("\n\nJust text.\n", "content/world/story.md:3: no front matter (start the file with a '---' line"),
    ('\n---\ntitle: A\ndate: 2024-03-06\nsummary: [\n---\nBody.\n', "content/world/story.md:6: invalid front matter"),
    ('+++\ntitle = 3\ndate = 2024-03-06\n+++\nBody.\n', "content/world/story.md:2: 'title' must be text"),
])
def test_front_matter_problems_name_the_line(tmp_path: Path, build, text: str, expected: str) -> None:
    site = site_of(tmp_path, {"content/world/story.md": text})
    result, _ = build(site)
    assert result.status == 1
    assert expected in result.err, result.err
    assert "Traceback" not in result.err


# --------------------------------------------------------------------------- dates


BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(("written", "iso"), [
    ("2024-03-06", "2024-03-06T00:00:00+01:00"),
    ("2016-9-6", "2016-09-06T00:00:00+02:00"),
    ("2024-03-06 15:00", "2024-03-06T15:00:00+01:00"),
    ("2024-03-06 15:00:30", "2024-03-06T15:00:30+01:00"),
    ("2024-03-06T15:00:00Z", "2024-03-06T15:00:00+00:00"),
    ("2024-03-06T15:00:00+0000", "2024-03-06T15:00:00+00:00"),  # refused by Python 3.10's fromisoformat
    ("2024-03-06 15:00:00 -0500", "2024-03-06T15:00:00-05:00"),
    ("2024-03-06T15:00:00.250+05:30", "2024-03-06T15:00:00.250000+05:30"),
    ("2016-03-21 12:00 EDT", "2016-03-21T12:00:00-04:00"),
    ("2016-03-21 12:00 pst", "2016-03-21T12:00:00-08:00"),
    ("2016-07-21 12:00 BST", "2016-07-21T12:00:00+01:00"),
    ("2016-07-21 12:00 CEST", "2016-07-21T12:00:00+02:00"),
    ("2016-07-21 12:00 GMT", "2016-07-21T12:00:00+00:00"),
    ("2016-07-21 12:00 America/New_York", "2016-07-21T12:00:00-04:00"),
    ("2016-01-21 12:00 America/New_York", "2016-01-21T12:00:00-05:00"),
])
def test_date_forms_of_jekyll_and_hugo(written: str, iso: str) -> None:
    from zoneinfo import ZoneInfo

    from broadsheet.stages.dates import parse_when

    assert parse_when(written, ZoneInfo(BERLIN)).isoformat() == iso


@pytest.mark.parametrize(("written", "iso"), [
    ("September 8, 2014", "2014-09-08"),
    ("Sep 8 2014", "2014-09-08"),
    ("8 September 2014", "2014-09-08"),
    ("Monday, September 8th, 2014", "2014-09-08"),
    ("2014/09/08", "2014-09-08"),
    ("25/12/2014", "2014-12-25"),
    ("12/25/2014", "2014-12-25"),
    ("20140908", "2014-09-08"),
    ("September 8, 2014 10:30", "2014-09-08T10:30:00"),
    ("September 8, 2014 at 10:30 +0200", "2014-09-08T10:30:00+02:00"),
    ("Mon, 08 Sep 2014 10:00:00 +0000", "2014-09-08T10:00:00+00:00"),
    ("03/04/2014", None),  # the 3rd of April or the 4th of March
    ("Smarch 8, 2014", None),
    ("2016-03-21 12:00 IST", None),  # India, Ireland or Israel
    ("2024-02-30", None),
])
def test_other_forms_get_their_iso_form_when_unambiguous(written: str, iso: str | None) -> None:
    from zoneinfo import ZoneInfo

    from broadsheet.stages.dates import iso_form, parse_when

    with pytest.raises(ValueError):
        parse_when(written, ZoneInfo(BERLIN))
    assert iso_form(written) == iso


def test_date_errors_show_the_iso_form(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {
        "content/world/a.md": "---\ntitle: A\ndate: September 8, 2014\n---\nText.\n",
        "content/world/b.md": "---\ntitle: B\ndate: 03/04/2014\n---\nText.\n",
        "content/world/c.md": "---\ntitle: C\ndate: 20140908\n---\nText.\n",
    })
    result, out = build(site)
    assert result.status == 1
    assert ("content/world/a.md:3: 'date' is not a valid date: 'September 8, 2014' (write it as 2014-09-08)"
            in result.err)
    assert "content/world/b.md:3: 'date' is not a valid date: '03/04/2014' (write it as 2024-05-01" in result.err
    assert "content/world/c.md:3: 'date' is not a valid date: 20140908 (write it as 2014-09-08)" in result.err
    assert not out.exists()


def test_date_and_slug_from_a_dated_file_name(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {
        "content/world/2014-09-15-Rust-1.0.md": "---\ntitle: Rust 1.0\n---\nReleased.\n",
        "content/world/2014-09-16-kept.md": "---\ntitle: Dated inside\ndate: 2014-09-20 10:00\n---\nText.\n",
        "content/world/2014-09-17-named.md": "---\ntitle: Own slug\nslug: chosen\n---\nText.\n",
    })
    result, out = build(site)
    assert result.status == 0, result.err
    page = parse_file(out / "world/rust-1-0/index.html")
    assert page.find("time").attrs["datetime"] == "2014-09-15T00:00:00+02:00"  # midnight in the site's zone
    # A date in the front matter wins, and the name is then the slug as it always was.
    assert parse_file(out / "world/2014-09-16-kept/index.html").find("time").attrs["datetime"] == \
        "2014-09-20T10:00:00+02:00"
    assert parse_file(out / "world/chosen/index.html").find("time").attrs["datetime"].startswith("2014-09-17")
    no_broken_links(out)


def test_missing_date_points_at_the_file_name_convention(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {"content/world/story.md": "---\ntitle: A\n---\nText.\n",
                              "content/world/2014-02-30-odd.md": "---\ntitle: B\n---\nText.\n"})
    result, _ = build(site)
    assert result.status == 1
    assert ("content/world/story.md:1: missing 'date' (add a line like 'date: 2024-05-01' (or "
            "'2024-05-01T09:00:00+02:00') to the front matter, or begin the file's name with the date, as in "
            "2024-05-01-story.md)") in result.err
    assert "content/world/2014-02-30-odd.md:1: the file name's date 2014-02-30 is not a valid date" in result.err


# --------------------------------------------------------------------------- bodies written in HTML

HTML_BODY = """WordPress keeps paragraphs as <em>blank lines</em>.

A second one, with a <a href="other.md">link to an article</a>, a <a href="javascript:alert(1)">bad link</a>
and a <a href="https://example.com/" onclick="steal()">good one</a>.
<!--more-->
<h2>What happened</h2>
<p>It <strong>rained<p>And then it stopped.
<ul><li>one<li>two</ul>
<script>document.title = "owned"</script>
<div style="color: red" onmouseover="x()">A box <img src="/images/lead.jpg" alt="Lead" onerror="y()"></div>
<iframe src="https://video.example/embed"></iframe>
"""


@pytest.mark.parametrize("raw_html", [True, False])
def test_html_bodies(tmp_path: Path, build, raw_html: bool) -> None:
    site = site_of(tmp_path, {
        "content/world/jekyll-post.html": "---\ntitle: A Jekyll post\ndate: 2024-03-06\n---\n" + HTML_BODY,
        "content/world/other.md": "---\ntitle: Other\ndate: 2024-03-05\n---\nText.\n",
        "static/images/lead.jpg": photo(40, 30),
    }, f"raw_html: {'true' if raw_html else 'false'}\nimages: false\n")  # (images as written: see test_images)
    result, out = build(site)
    assert result.status == 0, result.err
    page = parse_file(out / "world/jekyll-post/index.html")
    body = page.find("div", class_="article-body") or page.find("article")
    paragraphs = [p.text() for p in body.find_all("p")]
    assert "WordPress keeps paragraphs as blank lines." in paragraphs
    assert "It rained" in paragraphs and "And then it stopped." in paragraphs
    assert [li.text() for li in body.find_all("li")][:2] == ["one", "two"]
    assert body.find("h2").attrs["id"] == "what-happened"
    links = {a.text(): a.attrs.get("href") for a in body.find_all("a")}
    assert links["link to an article"] == "/world/other/"
    assert links["bad link"] is None  # javascript: never passes
    assert links["good one"] == "https://example.com/"
    # The summary toggle shows the part before <!--more-->, without the heading ids of the body.
    summary = page.find("details")
    assert "WordPress keeps paragraphs as blank lines." in summary.text()
    html = (out / "world/jekyll-post/index.html").read_text()
    if raw_html:  # trusted bodies pass as written, as Markdown bodies' raw HTML does
        assert "<script>document.title" in html and 'onclick="steal()"' in html and "<iframe" in html
    else:  # as in Markdown bodies under raw_html: false, nothing that runs, no frames, no styles
        for unsafe in ("<script", "steal()", "onmouseover", "onerror", "style=", "<iframe", "owned"):
            assert unsafe not in html.split("</header>", 1)[1], unsafe
        assert body.find("img").attrs["src"] == "/images/lead.jpg"
    no_broken_links(out)


def test_html_body_is_balanced_whatever_it_leaves_open(tmp_path: Path, build) -> None:
    from htmlcheck import balance_problems

    site = site_of(tmp_path, {"content/world/open.html": "---\ntitle: Open\ndate: 2024-03-06\n---\n"
                                                         "<div><p>Unclosed <em>emphasis</div></span>\n<table><tr><td>a"})
    result, out = build(site)
    assert result.status == 0, result.err
    html = (out / "world/open/index.html").read_text()
    assert not balance_problems(html.split("<main", 1)[1].split("</main>", 1)[0].split(">", 1)[1])


# --------------------------------------------------------------------------- page bundles


def test_page_bundles(tmp_path: Path, build, run_cli) -> None:
    site = site_of(tmp_path, {
        "content/news/0.26-relnotes/index.md": "---\ntitle: Release notes\ndate: 2024-03-06\nimage: cover.jpg\n"
                                               "image_alt: The cover\n---\nSee ![the chart](chart.png) and "
                                               "[the data](data/table.csv).\n\nMore text.\n",
        "content/news/0.26-relnotes/cover.jpg": photo(40, 30),
        "content/news/0.26-relnotes/chart.png": CHART,
        "content/news/0.26-relnotes/data/table.csv": "a,b\n1,2\n",
        "content/news/0.26-relnotes/notes.md": "Not an article: a file of the bundle.\n",
        "content/news/2024-03-07-dated/index.html": "---\ntitle: Dated bundle\n---\n<p>Body <img src=\"pic.png\" "
                                                    "alt=\"A picture\"></p>\n",
        "content/news/2024-03-07-dated/pic.png": photo(30, 40, "PNG"),
        "content/news/0.27-relnotes/index.md": "---\ntitle: Next notes\ndate: 2024-03-08\n---\nText.\n",
        "content/pages/about/index.md": "---\ntitle: About us\n---\n![Our office](office.jpg)\n",
        "content/pages/about/office.jpg": photo(50, 30),
        "content/news/index.md": "---\ntitle: An article named index\ndate: 2024-03-01\n---\nText.\n",
    }, "images: false\n")  # (the files as written; test_images builds a bundle with images on)
    result, out = build(site)
    assert result.status == 0, result.err
    # The slug is the folder's name (no collision between bundles), the section the folder above it.
    page = parse_file(out / "news/0-26-relnotes/index.html")
    assert page.find("h1").text() == "Release notes"
    assert (out / "news/0-27-relnotes/index.html").is_file()
    assert (out / "news/0-26-relnotes/chart.png").read_bytes() == CHART
    assert (out / "news/0-26-relnotes/data/table.csv").read_text() == "a,b\n1,2\n"
    assert (out / "news/0-26-relnotes/notes.md").is_file() and not (out / "news/notes").exists()
    body = page.find("div", class_="article-body")
    assert body.find("img").attrs["src"] == "/news/0-26-relnotes/chart.png"
    assert body.find("a").attrs["href"] == "/news/0-26-relnotes/data/table.csv"
    assert page.find("meta", property="og:image").attrs["content"] == "https://example.org/news/0-26-relnotes/cover.jpg"
    dated = parse_file(out / "news/dated/index.html")
    assert dated.find("time").attrs["datetime"].startswith("2024-03-07T00:00")
    assert dated.find("div", class_="article-body").find("img").attrs["src"] == "/news/dated/pic.png"
    assert (out / "news/dated/pic.png").is_file()
    about = parse_file(out / "about/index.html")
    assert about.find("img").attrs["src"] == "/about/office.jpg" and (out / "about/office.jpg").is_file()
    assert (out / "news/index/index.html").is_file()  # an index.md in a section folder is an article as before
    # The home page lists the summaries: their images work there too.
    home_images = [img.attrs["src"] for img in parse_file(out / "index.html").find_all("img")]
    assert all(src.startswith("/") for src in home_images)
    no_broken_links(out)
    checked = run_cli("check", "--site", str(site), "--now", NOW)
    assert checked.status == 0 and " 0 errors" in checked.out, checked.out + checked.err


def test_a_bundle_file_that_takes_a_page_url_is_a_collision(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {
        "content/news/story/index.md": "---\ntitle: Story\ndate: 2024-03-06\n---\nText.\n",
        "content/news/story/old/index.html": "<p>a stray page</p>",
        "content/news/other.md": "---\ntitle: Other\ndate: 2024-03-06\naliases: [/news/story/old/]\n---\nText.\n",
    })
    result, out = build(site)
    assert result.status == 1
    assert "content/news/story/old/index.html" in result.err, result.err
    assert not out.exists()
    site = site_of(tmp_path / "b", {
        "content/news/story/index.md": "---\ntitle: Story\ndate: 2024-03-06\n---\nText.\n",
        "content/news/story/index.html": "---\ntitle: Story again\ndate: 2024-03-06\n---\n<p>Text.</p>\n",
    })
    result, _ = build(site)
    assert result.status == 1
    assert "content/news/story/index.md" in result.err and "same URL" in result.err


# --------------------------------------------------------------------------- Unicode URLs

# (file name, title, tag, author, slug): the slug is what the URL holds, unencoded.
SCRIPTS = [
    ("東京で選挙.md", "東京で選挙", "日本", "山田太郎", "東京で選挙"),  # Japanese
    ("北京新闻.md", "北京新闻", "中国", "王小明", "北京新闻"),  # Chinese
    ("أخبار-القاهرة.md", "أخبار القاهرة", "مصر", "أحمد علي", "أخبار-القاهرة"),  # Arabic
    ("दिल्ली-समाचार.md", "दिल्ली समाचार", "भारत", "राहुल शर्मा", "दिल्ली-समाचार"),  # Hindi (with vowel signs)
    ("서울-뉴스.md", "서울 뉴스", "한국", "김민수", "서울-뉴스"),  # Korean
    ("Новости-Москвы.md", "Новости Москвы", "Россия", "Иван Петров", "novosti-moskvy"),  # Cyrillic: as today
    ("Ειδήσεις.md", "Ειδήσεις", "Ελλάδα", "Γιώργος", "eidiseis"),  # Greek: as today
]


def unicode_site(tmp_path: Path) -> Path:
    files: dict[str, str | bytes] = {}
    for day, (name, title, tag, author, _) in enumerate(SCRIPTS, start=1):
        files[f"content/world/{name}"] = (f"---\ntitle: {title}\ndate: 2024-03-{day:02d}\ntags: [{tag}]\n"
                                          f"author: {author}\nsummary: {title}.\n---\n{title}: [{tag}](../../tags/)\n")
    files["content/ニュース/記事.md"] = ("---\ntitle: セクションの記事\ndate: 2024-03-20\nsummary: 記事\n---\n"
                                     "[東京](../world/東京で選挙.md)\n")
    return site_of(tmp_path, files)


def test_urls_in_any_script(tmp_path: Path, build, run_cli) -> None:
    from urllib.parse import quote, unquote

    from broadsheet.base.slugs import slugify

    site = unicode_site(tmp_path)
    result, out = build(site)
    assert result.status == 0, result.err
    home = parse_file(out / "index.html")
    hrefs = {a.attrs["href"] for a in home.find_all("a")}
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    for _, title, tag, author, slug in SCRIPTS:
        # The output's file names are the Unicode form; links, sitemaps and feeds percent-encode it.
        page = parse_file(out / "world" / slug / "index.html")
        assert page.find("h1").text() == title
        url = "/world/" + quote(slug) + "/"
        assert url.isascii() and url in hrefs
        assert f"<loc>https://example.org{url}</loc>" in sitemap
        assert f"https://example.org{url}" in feed
        page_links = {a.attrs["href"] for a in page.find_all("a")}
        assert "/tags/" + quote(slugify(tag)) + "/" in page_links
        assert "/authors/" + quote(slugify(author)) + "/" in page_links
        assert (out / "tags" / slugify(tag) / "index.html").is_file()
        assert (out / "authors" / slugify(author) / "index.html").is_file()
        assert all(unquote(href).isascii() or not href.isascii() or "%" in href for href in page_links)
    assert slugify("Новости Москвы") == "novosti-moskvy" and slugify("Ειδήσεις") == "eidiseis"  # unchanged
    section = parse_file(out / "ニュース" / "index.html")
    assert section.find("h1").text() == "ニュース"
    assert "/" + quote("ニュース") + "/" + quote("記事") + "/" in hrefs
    no_broken_links(out)
    checked = run_cli("check", "--site", str(site), "--now", NOW)
    assert checked.status == 0 and " 0 errors, 0 warnings" in checked.out, checked.out + checked.err


def test_the_preview_server_serves_unicode_urls(tmp_path: Path) -> None:
    from urllib.parse import quote

    from test_serve import Running

    site = unicode_site(tmp_path)
    running = Running(site)
    try:
        for _, title, _, _, slug in SCRIPTS:
            status, _, body = running.get("/world/" + quote(slug) + "/")
            assert status == 200 and title in body, (slug, status)
        status, headers, _ = running.get("/world/" + quote("東京で選挙"))
        assert status in (301, 302, 307, 308) and headers["location"].endswith(quote("東京で選挙") + "/")
    finally:
        running.close()


def test_new_accepts_any_headline(tmp_path: Path, run_cli, build) -> None:
    site = site_of(tmp_path, {})
    result = run_cli("new", "東京で選挙", "--site", str(site))
    assert result.status == 0, result.err
    path = site / "content" / "news" / "東京で選挙.md"
    assert path.is_file() and result.out.strip().endswith("東京で選挙.md")
    refused = run_cli("new", "🎉🎉", "--site", str(site))
    assert refused.status == 1 and "letter or digit" in refused.err


def test_a_name_without_letters_or_digits_says_so(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {"content/world/a.md": "---\ntitle: A\ndate: 2024-03-06\ntags: ['🎉']\n---\nText.\n"})
    result, _ = build(site)
    assert result.status == 1
    assert ("content/world/a.md:4: tag '🎉' gives an empty URL segment (give it a name with at least one letter or "
            "digit)") in result.err


# --------------------------------------------------------------------------- other generators' keys


def test_other_generators_keys(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {
        "content/news/jekyll.md": "---\ntitle: Jekyll post\ndate: 2024-03-06 10:00\nauthors: [Ann Lee, Bo Chen]\n"
                                  "categories: Politics Europe\nexcerpt: 'Read <a href=\"https://example.com/x\">the "
                                  "report</a> and <a href=\"javascript:alert(1)\">this</a>, <b>now</b>.'\n---\nBody.\n",
        "content/news/hugo.md": "---\ntitle: Hugo post\ndate: 2024-03-01\nlastmod: 2024-03-04T12:00:00+01:00\n"
                                "publishDate: 2024-03-02\nexpiryDate: 2030-01-01\nimages: [/images/card.jpg]\n"
                                "image_alt: A card\ncategory: Sport\n---\nBody.\n",
        "content/news/later.md": "---\ntitle: Scheduled\ndate: 2024-03-01\npublishDate: 2031-01-01\n---\nBody.\n",
        "content/news/gone.md": "---\ntitle: Expired\ndate: 2024-03-01\nexpiryDate: 2024-06-01\n---\nBody.\n",
        "content/news/hidden.md": "---\ntitle: Unpublished\ndate: 2024-03-01\npublished: false\n---\nBody.\n",
        "content/news/shown.md": "---\ntitle: Published\ndate: 2024-03-01\npublished: true\nsection: World\n"
                                 "categories: [Economy, Trade]\ntags: Politics, Europe\n---\nBody.\n",
        "static/images/card.jpg": photo(40, 30),
    }, "images: false\n")
    result, out = build(site)
    assert result.status == 0, result.err
    jekyll = parse_file(out / "politics/jekyll/index.html")  # the first category is the section
    assert {a.text() for a in jekyll.find_all("a") if a.attrs.get("href", "").startswith("/authors/")} >= {
        "Ann Lee", "Bo Chen"}
    assert (out / "tags/europe/index.html").is_file()  # the other categories are tags
    summary = jekyll.find("details")
    links = {a.text(): a.attrs.get("href") for a in summary.find_all("a")}
    assert links == {"the report": "https://example.com/x"}  # safe link kept, unsafe one left as its text
    assert "Read the report and this, now." in summary.text()
    html = (out / "politics/jekyll/index.html").read_text()
    assert "&lt;a" not in html and "&lt;b" not in html and "javascript:" not in html
    hugo = parse_file(out / "sport/hugo/index.html")
    assert hugo.find("time").attrs["datetime"].startswith("2024-03-02")  # publishDate, later than date
    assert '"dateModified":"2024-03-04T12:00:00+01:00"' in (out / "sport/hugo/index.html").read_text()
    assert hugo.find("figure", class_="lead-image").find("img").attrs["src"] == "/images/card.jpg"
    assert not (out / "news/later").exists() and not (out / "news/gone").exists()
    assert not (out / "news/hidden").exists()
    shown = parse_file(out / "world/shown/index.html")  # section: given, so every category is a tag
    tag_links = {a.text() for a in shown.find_all("a") if a.attrs.get("href", "").startswith("/tags/")}
    assert {"Politics", "Europe", "Economy", "Trade"} <= tag_links
    assert ("content/news/shown.md:7: warning: 'tags' is one text holding commas: read as the tags 'Politics', "
            "'Europe' (write a list: tags: [Politics, Europe])") in result.err
    assert "did you mean" not in result.err  # authors, excerpt... are known keys
    no_broken_links(out)


def test_images_without_alt_text_is_a_warning_not_a_failure(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {"content/news/a.md": "---\ntitle: A\ndate: 2024-03-01\nimages: [/images/c.jpg]\n---\nB.\n",
                              "static/images/c.jpg": photo(40, 30)}, "images: false\n")
    result, out = build(site)
    assert result.status == 0, result.err
    assert "content/news/a.md:4: warning: the lead image has no 'image_alt'" in result.err
    assert parse_file(out / "news/a/index.html").find("figure").find("img").attrs["alt"] == ""


# --------------------------------------------------------------------------- letter case


def test_letter_case_clashes_name_the_line_and_the_cause(tmp_path: Path, build, run_cli) -> None:
    # (An article's own old URL in other letter case is a rule of _redirects only: see test_redirects.py. One in
    # another page's letter case would be a second folder of the same name on macOS and Windows.)
    site = site_of(tmp_path, {
        "content/world/story.md": "---\ntitle: Story\ndate: 2024-03-06\n---\nText.\n",
        "content/world/other.md": "---\ntitle: Other\ndate: 2024-03-06\naliases: [/World/Story/]\n---\nText.\n",
    })
    result, out = build(site)
    assert result.status == 1
    assert ("content/world/other.md:4: content/world/other.md (alias /World/Story/) would be written to "
            "World/Story/index.html: it and world/story/index.html (content/world/story.md) differ only in letter "
            "case") in result.err, result.err
    assert "remove the alias (a host's redirect rules can send it on)" in result.err
    assert not out.exists()
    checked = run_cli("check", "--site", str(site), "--now", NOW)
    assert checked.status == 1 and "content/world/other.md:4:" in checked.out and "only in letter case" in checked.out


def test_a_url_clash_names_the_slug_line(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {
        "content/world/story.md": "---\ntitle: Story\ndate: 2024-03-06\n---\nText.\n",
        "content/world/zz.md": "---\ntitle: Other\ndate: 2024-03-06\nslug: Story\n---\nText.\n",
    })
    result, _ = build(site)
    assert result.status == 1
    assert "content/world/zz.md:4: has the same URL /world/story/ as content/world/story.md" in result.err


# --------------------------------------------------------------------------- sections' _index.md


def test_a_sections_index_gives_its_title_and_intro(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {
        "content/world/_index.md": "---\ntitle: World News\n---\nReports from *every* continent.\n",
        "content/world/a.md": "---\ntitle: A\ndate: 2024-03-06\n---\nText.\n",
        "content/sport/_index.md": '+++\ntitle = "Sport"\n+++\nResults.\n',
        "content/sport/b.md": "---\ntitle: B\ndate: 2024-03-07\n---\nText.\n",
        "content/world/_notes.md": "---\ntitle: Private\ndate: 2024-03-06\n---\nNot content.\n",
        "content/_index.md": "---\ntitle: Not read\n---\nText.\n",
    }, "per_page: 1\n")
    result, out = build(site)
    assert result.status == 0, result.err
    world = parse_file(out / "world/index.html")
    assert world.find("h1").text() == "World News"
    assert world.find("div", class_="section-intro").text().strip() == "Reports from every continent."
    assert world.find("div", class_="section-intro").find("em").text() == "every"
    assert parse_file(out / "sport/index.html").find("div", class_="section-intro").text().strip() == "Results."
    assert "World News" in {a.text() for a in parse_file(out / "index.html").find_all("a")}  # the menu
    assert not (out / "world/notes").exists() and not (out / "world/_notes").exists()
    assert not (out / "world/index/index.html").exists()
    # An edit of the intro is seen by the next build (from the cache).
    (site / "content/world/_index.md").write_text("---\ntitle: The World\n---\nNew intro.\n", encoding="utf-8")
    result, out = build(site)
    assert result.status == 0, result.err
    world = parse_file(out / "world/index.html")
    assert world.find("h1").text() == "The World"
    assert world.find("div", class_="section-intro").text().strip() == "New intro."
    (site / "content/world/_index.md").unlink()
    result, out = build(site)
    assert not parse_file(out / "world/index.html").find_all("div", class_="section-intro")
    no_broken_links(out)


# --------------------------------------------------------------------------- month names


@pytest.mark.parametrize(("language", "long_date", "month"), [
    ("de", "7. März 2024", "März"),
    ("fr", "7 mars 2024", "mars"),
    ("ja", "2024年3月7日", "3月"),
    ("pt-BR", "7 de março de 2024", "março"),
    ("en-GB", "7 March 2024", "March"),
])
def test_month_names_follow_the_language(tmp_path: Path, build, language: str, long_date: str, month: str) -> None:
    site = site_of(tmp_path, {"content/world/a.md": "---\ntitle: A\ndate: 2024-03-07 10:00\n---\nText.\n"},
                   f"language: {language}\n")
    result, out = build(site)
    assert result.status == 0, result.err
    page = parse_file(out / "world/a/index.html")
    assert page.find("time").text() == long_date
    archive = parse_file(out / "archive/2024/index.html")
    assert f"{month} 2024" in {h.text() for h in archive.find_all("h3")}


def test_an_unknown_language_is_a_clear_error(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {"content/world/a.md": "---\ntitle: A\ndate: 2024-03-07\n---\nText.\n"},
                   "language: xx-nowhere\n")
    result, out = build(site)
    assert result.status == 1
    assert "site.yaml: language 'xx-nowhere' is not a language whose month names are known" in result.err
    assert "Traceback" not in result.err and not out.exists()


def test_an_english_site_does_not_load_babel(tmp_path: Path) -> None:
    import subprocess
    import sys

    site = site_of(tmp_path, {"content/world/a.md": "---\ntitle: A\ndate: 2024-03-07\n---\nText.\n"})
    code = ("import sys; from broadsheet.cli.main import main; status = main(['build', '--site', sys.argv[1], '--quiet', "
            "'--jobs', '1']); print(status, 'babel' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.stdout.split() == ["0", "False"], result.stdout + result.stderr
