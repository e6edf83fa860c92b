"""Conventions of other generators read natively: front matter formats, file names, bundles, sections, dates."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_tree
from htmlcheck import crawl, parse_file

NOW = "2025-01-01T00:00"
SITE = "title: Test Times\nbase_url: https://example.org/\ntimezone: Europe/Berlin\n"


@pytest.fixture
def build(run_cli):
    """build(site, *args) -> (CliResult, output folder), at a fixed moment."""

    def run(site: Path, *args: str):
        output = site / "public"
        return run_cli("build", "--site", str(site), "--output", str(output), "--quiet", "--now", NOW, *args), output

    return run


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

    from broadsheet.dates import parse_when

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

    from broadsheet.dates import iso_form, parse_when

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
        "static/images/lead.jpg": b"\xff\xd8\xff",
    }, f"raw_html: {'true' if raw_html else 'false'}\n")
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


def test_page_bundles(tmp_path: Path, build) -> None:
    site = site_of(tmp_path, {
        "content/news/0.26-relnotes/index.md": "---\ntitle: Release notes\ndate: 2024-03-06\nimage: cover.jpg\n"
                                               "image_alt: The cover\n---\nSee ![the chart](chart.png) and "
                                               "[the data](data/table.csv).\n\nMore text.\n",
        "content/news/0.26-relnotes/cover.jpg": b"\xff\xd8\xffcover",
        "content/news/0.26-relnotes/chart.png": b"\x89PNGchart",
        "content/news/0.26-relnotes/data/table.csv": "a,b\n1,2\n",
        "content/news/0.26-relnotes/notes.md": "Not an article: a file of the bundle.\n",
        "content/news/2024-03-07-dated/index.html": "---\ntitle: Dated bundle\n---\n<p>Body <img src=\"pic.png\" "
                                                    "alt=\"A picture\"></p>\n",
        "content/news/2024-03-07-dated/pic.png": b"\x89PNGpic",
        "content/news/0.27-relnotes/index.md": "---\ntitle: Next notes\ndate: 2024-03-08\n---\nText.\n",
        "content/pages/about/index.md": "---\ntitle: About us\n---\n![Our office](office.jpg)\n",
        "content/pages/about/office.jpg": b"\xff\xd8\xffoffice",
        "content/news/index.md": "---\ntitle: An article named index\ndate: 2024-03-01\n---\nText.\n",
    })
    result, out = build(site)
    assert result.status == 0, result.err
    # The slug is the folder's name (no collision between bundles), the section the folder above it.
    page = parse_file(out / "news/0-26-relnotes/index.html")
    assert page.find("h1").text() == "Release notes"
    assert (out / "news/0-27-relnotes/index.html").is_file()
    assert (out / "news/0-26-relnotes/chart.png").read_bytes() == b"\x89PNGchart"
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
