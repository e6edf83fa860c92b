"""End to end: build real sites into temporary folders and read the output as HTML."""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO_ROOT, read_tree, write_tree
from htmlcheck import balance_problems, crawl, parse_file, parse_html
from sitegen import write_site
from tooling import serve_directory

SEED = "world/russian-interior-minister-cuba-visit/index.html"
PREVIOUS_TITLE = "Dmitry Voronkov’s North American Life, KHL Ties, and Olympic Glory"
NEXT_TITLE = "New Jersey Pauses Sanctions Law After Court Ruling on Kyocera Case"
NOW = "2025-01-01T00:00"


def article(title: str, date: str, body: str = "Some text for the body.", **front: str) -> str:
    """An article file's text."""
    lines = [f"title: {title}", f"date: {date}"] + [f"{key}: {value}" for key, value in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


@pytest.fixture
def build(run_cli):
    """build(site, *args) -> (CliResult, output folder), with the build's moment fixed unless --now is given."""

    def run(site: Path, *args: str, output: Path | None = None):
        output = output or site / "public"
        extra = () if any(a.startswith("--now") for a in args) else ("--now", NOW)
        return run_cli("build", "--site", str(site), "--output", str(output), "--quiet", *extra, *args), output

    return run


# --------------------------------------------------------------------------- the seed article


def test_seed_article_page(sample_site: Path, build) -> None:
    result, out = build(sample_site)
    assert result.status == 0, result.err
    page = parse_file(out / SEED)
    assert page.find("h1").text() == "Russian Interior Minister’s Cuba Visit Signals Strengthened Ties"
    toggles = page.find_all("details")
    assert len(toggles) == 2
    summary_text = ("Russia’s Interior Minister, Vladimir Kolokoltsev, held talks with Cuba’s leadership, including "
                    "President Miguel Diaz-Canel and Army General Raul Castro.")
    for toggle in toggles:
        assert toggle.find("summary").text() == "No time to read? Get a summary"
        assert summary_text in toggle.text()
        assert "open" not in toggle.attrs
    # The first toggle sits right under the headline, the second after the sources and before the navigation.
    elements = list(page.iter())
    h1, first, second = elements.index(page.find("h1")), elements.index(toggles[0]), elements.index(toggles[1])
    sources = elements.index(page.find("p", class_="sources"))
    nav = elements.index(page.find("a", rel="prev"))
    assert h1 < first < sources < second < nav
    assert page.find("p", class_="sources").text() == "(Sources: Reuters, government briefings, regional policy analyses)"
    time = page.find("time")
    assert time.attrs["datetime"] == "2024-03-06T15:00:00+00:00"
    assert "Staff" in page.find("p", class_="dateline").text()

    previous, following = page.find("a", rel="prev"), page.find("a", rel="next")
    assert previous.attrs["href"] == "/sports/dmitry-voronkov-north-american-life/"
    assert previous.text() == f"Previous Article {PREVIOUS_TITLE}"
    assert following.attrs["href"] == "/business/new-jersey-pauses-sanctions-law/"
    assert following.text() == f"Next Article {NEXT_TITLE}"
    assert (out / "sports/dmitry-voronkov-north-american-life/index.html").is_file()
    assert (out / "business/new-jersey-pauses-sanctions-law/index.html").is_file()


def test_ends_of_the_sequence_have_no_dead_link(sample_site: Path, build) -> None:
    _, out = build(sample_site)
    home = parse_file(out / "index.html")
    newest = home.find("h2", class_="teaser-title").find("a").attrs["href"]
    page = parse_file(out / newest.lstrip("/") / "index.html")
    assert page.find_all("a", rel="next") == []
    assert page.find("a", rel="prev").attrs["href"].startswith("/")
    oldest = parse_file(out / "sports/dmitry-voronkov-north-american-life/index.html")
    assert oldest.find_all("a", rel="prev") == []


# --------------------------------------------------------------------------- links


@pytest.mark.parametrize("base_url", ["https://example.org/", "https://example.org/news/"])
def test_every_internal_link_resolves(sample_site: Path, tmp_path: Path, build, base_url: str) -> None:
    generated = write_site(tmp_path / "generated", 37)
    for site in (sample_site, generated):
        result, out = build(site, "--base-url", base_url)
        assert result.status == 0, result.err
        problems, checked = crawl(out, base_url)
        assert problems == []
        assert checked > 100


def test_sub_path_prefixes_every_link(sample_site: Path, build) -> None:
    _, out = build(sample_site, "--base-url", "https://example.org/news/")
    page = parse_file(out / SEED)
    assert page.find("a", rel="prev").attrs["href"] == "/news/sports/dmitry-voronkov-north-american-life/"
    assert page.find("link", rel="canonical").attrs["href"] == (
        "https://example.org/news/world/russian-interior-minister-cuba-visit/")
    for node in page.iter():
        for name in ("href", "src"):
            value = node.attrs.get(name, "")
            if value.startswith("/"):
                assert value.startswith("/news/"), value


def test_served_from_a_sub_path(sample_site: Path, build) -> None:
    _, out = build(sample_site, "--base-url", "https://example.org/news/")
    with serve_directory(out, "/news/") as base:
        origin = base[: -len("/news/")]
        home = urllib.request.urlopen(base).read().decode("utf-8")
        assert "Broadsheet Daily" in home
        page_url = f"{base}world/russian-interior-minister-cuba-visit/"
        tree = parse_html(urllib.request.urlopen(page_url).read().decode("utf-8"))
        hrefs = [tree.find("a", rel="prev").attrs["href"], tree.find("a", rel="next").attrs["href"],
                 tree.find("link", rel="stylesheet").attrs["href"], tree.find("a", class_="site-title").attrs["href"]]
        hrefs += [a.attrs["href"] for a in tree.find("nav", class_="site-nav").find_all("a")]
        for href in hrefs:
            assert href.startswith("/news/")
            with urllib.request.urlopen(origin + href) as response:
                assert response.status == 200
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(origin + "/world/russian-interior-minister-cuba-visit/")


# --------------------------------------------------------------------------- escaping


def test_titles_are_escaped_in_text_and_attributes(tmp_path: Path, build) -> None:
    title = """Bonds & <Stocks> say "yes" it's <script>alert(1)</script>"""
    site = write_tree(tmp_path / "site", {
        "site.yaml": "title: 'Tom & Jerry <News> \"Daily\"'\n",
        "content/world/a.md": article("'" + title.replace("'", "''") + "'", "2024-01-01",
                                      summary="'A & B <i>not italic</i>'"),
        "content/world/b.md": article("Second", "2024-01-02", sources="['A & <B>']", tags="['R&D <x>']"),
    })
    result, out = build(site)
    assert result.status == 0, result.err
    for path in ("world/a/index.html", "world/b/index.html", "index.html", "world/index.html"):
        text = (out / path).read_text(encoding="utf-8")
        assert "<script>" not in text and "<Stocks>" not in text and "<News>" not in text and "<B>" not in text
    page = parse_file(out / "world/a/index.html")
    assert page.find("h1").text() == title
    assert page.find("title").text().startswith(title)
    # (A summary's safe inline HTML is an element, as in a Jekyll excerpt; the description is its text.)
    assert page.find("meta", name="description").attrs["content"] == "A & B not italic"
    assert page.find("div", class_="summary").find("i").text() == "not italic"
    assert page.find("a", class_="site-title").text() == 'Tom & Jerry <News> "Daily"'
    other = parse_file(out / "world/b/index.html")
    assert other.find("a", rel="prev").text().endswith(title)
    assert "A & <B>" in other.find("p", class_="sources").text()
    home = parse_file(out / "index.html")
    assert title in [a.text() for a in home.find_all("a")]


# --------------------------------------------------------------------------- visibility


def visibility_site(root: Path) -> Path:
    return write_tree(root, {
        "site.yaml": "title: Vis\n",
        "content/world/old.md": article("Old news", "2024-01-01"),
        "content/world/draft.md": article("A draft", "2024-01-02", draft="true"),
        "content/world/future.md": article("From the future", "2030-01-01"),
        "content/world/expired.md": article("Expired", "2024-01-03", expires="2024-06-01"),
        "content/world/current.md": article("Current", "2024-01-04", expires="2030-06-01"),
    })


def visible_titles(out: Path) -> set[str]:
    home = parse_file(out / "index.html")
    titles = {a.text() for a in home.find_all("h2")}
    pages = {p.parent.name for p in (out / "world").glob("*/index.html")}
    assert {t.split()[0].lower() for t in titles} <= {"old", "a", "from", "expired", "current"}
    return titles | pages


def test_drafts_future_and_expired_are_absent(tmp_path: Path, build) -> None:
    site = visibility_site(tmp_path / "site")
    _, out = build(site)
    assert visible_titles(out) == {"Old news", "Current", "old", "current"}
    neighbours = parse_file(out / "world/old/index.html").find("a", rel="next")
    assert neighbours.attrs["href"] == "/world/current/"


def test_drafts_and_future_flags(tmp_path: Path, build) -> None:
    site = visibility_site(tmp_path / "site")
    _, out = build(site, "--drafts", "--future")
    assert visible_titles(out) == {"Old news", "A draft", "From the future", "Current",
                                   "old", "draft", "future", "current"}


def test_now_moves_the_moment(tmp_path: Path, build) -> None:
    site = visibility_site(tmp_path / "site")
    _, out = build(site, "--now", "2024-01-03T12:00")
    assert visible_titles(out) == {"Old news", "Expired", "old", "expired"}


def test_source_date_epoch_sets_the_moment(tmp_path: Path, run_cli, monkeypatch) -> None:
    site = visibility_site(tmp_path / "site")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704283200")  # 2024-01-03T12:00:00Z
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    assert visible_titles(site / "public") == {"Old news", "Expired", "old", "expired"}


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize("count, pages", [(3, 1), (4, 1), (5, 2), (8, 2), (9, 3)])
def test_pagination_edges(tmp_path: Path, build, count: int, pages: int) -> None:
    files = {"site.yaml": "per_page: 4\n"}
    for n in range(count):
        files[f"content/world/a{n}.md"] = article(f"Story {n}", f"2024-01-{n + 1:02d}")
    _, out = build(write_tree(tmp_path / "site", files))
    for base in ("", "world/"):
        for number in range(1, pages + 1):
            path = out / base / ("" if number == 1 else f"page/{number}/") / "index.html"
            items = parse_file(path).find_all("li", class_="teaser")
            assert len(items) == (4 if number < pages else count - 4 * (pages - 1))
        assert not (out / base / f"page/{pages + 1}").exists()
        assert not (out / base / "page/1").exists()
    first = parse_file(out / "index.html")
    if pages == 1:
        assert first.find_all("nav", class_="pagination") == []
    else:
        assert first.find("nav", class_="pagination").find("a", rel="next").attrs["href"] == "/page/2/"
        last = parse_file(out / f"page/{pages}/index.html")
        nav = last.find("nav", class_="pagination")
        assert nav.find_all("a", rel="next") == []
        assert nav.find("a", rel="prev").attrs["href"] == ("/" if pages == 2 else f"/page/{pages - 1}/")
    # Newest first on the home page.
    assert first.find("h2").text() == f"Story {count - 1}"


# --------------------------------------------------------------------------- failing builds


def assert_failed(result, *expected: str) -> list[str]:
    assert result.status == 1
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    for text in expected:
        assert any(text in line for line in lines), f"{text!r} not in:\n{result.err}"
    return lines


def test_failing_build_reports_every_problem_and_keeps_the_output(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": "title: Broken\n",
        "content/world/good.md": article("Good", "2024-01-01"),
    })
    result, out = build(site)
    assert result.status == 0
    before = read_tree(out)
    write_tree(site, {
        "content/world/bad-yaml.md": "---\ntitle: Bad\ndate: 2024-01-01\ntags: [unclosed\n---\n\nBody.\n",
        "content/world/no-title.md": "---\ndate: 2024-01-01\n---\n\nBody.\n",
        "content/world/no-date.md": "---\ntitle: No date\nauthor: Someone\n---\n\nBody.\n",
        "content/world/bad-date.md": "---\ntitle: Bad date\nauthor: Someone\ndate: 2024-02-30\n---\n\nBody.\n",
        "content/world/bad-date-time.md": "---\ntitle: Bad time\ndate: 2024-13-01T10:00:00\n---\n\nBody.\n",
    })
    result, _ = build(site)
    lines = assert_failed(result,
                          "content/world/bad-yaml.md:",
                          "content/world/no-title.md:1: missing 'title'",
                          "content/world/no-date.md:1: missing 'date'",
                          "content/world/bad-date.md:4: 'date' is not a valid date",
                          "content/world/bad-date-time.md:3: 'date' is not a valid date")
    assert len([line for line in lines if line.startswith("content/")]) == 5
    assert read_tree(out) == before
    assert not list(tmp_path.glob("site/.public.*"))


def test_url_collision_names_both_files(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "content/world/one.md": article("One", "2024-01-01", slug="same"),
        "content/world/two.md": article("Two", "2024-01-02", slug="same"),
    })
    result, out = build(site)
    lines = assert_failed(result, "content/world/")
    [line] = [line for line in lines if "same URL" in line or "/world/same/" in line]
    assert "content/world/one.md" in line and "content/world/two.md" in line
    assert line.startswith(("content/world/one.md:", "content/world/two.md:"))
    assert not out.exists()


def test_url_collision_with_a_list_page(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "content/world/one.md": article("One", "2024-01-01"),
        "content/pages/world.md": "---\ntitle: World page\n---\n\nAbout the world.\n",
    })
    result, _ = build(site)
    assert_failed(result, "content/pages/world.md:")


def test_template_syntax_error_names_file_and_line(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "content/world/one.md": article("One", "2024-01-01"),
        "templates/article.html": '{% extends "base.html" %}\n{% block main %}\n<h1>{{ article.title }</h1>\n'
                                  "{% endblock %}\n",
    })
    result, _ = build(site)
    assert_failed(result, "templates/article.html:3: ")


def test_template_undefined_variable_names_file_and_line(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "content/world/one.md": article("One", "2024-01-01"),
        "content/world/two.md": article("Two", "2024-01-02"),
        "templates/article.html": '{% extends "base.html" %}\n{% block main %}\n<h1>{{ article.title }}</h1>\n'
                                  "<p>{{ article.titel }}</p>\n{% endblock %}\n",
    })
    result, _ = build(site)
    lines = assert_failed(result, "templates/article.html:4: ", "titel")
    assert len([line for line in lines if "titel" in line]) == 1  # one line per problem, not one per page


def test_bad_site_yaml_names_the_key(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": "title: X\nper_pgae: 5\nsummary_words: many\nlabels:\n  sumary_toggle: Hm\n",
        "content/world/one.md": article("One", "2024-01-01"),
    })
    result, _ = build(site)
    assert_failed(result, "site.yaml:2: unknown key 'per_pgae' (did you mean 'per_page'?)",
                  "site.yaml:3: 'summary_words' must be",
                  "site.yaml:5: unknown key 'labels.sumary_toggle' (did you mean 'summary_toggle'?)")


def test_debug_shows_a_traceback(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {"content/world/no-title.md": "---\ndate: 2024-01-01\n---\n\nBody.\n"})
    result, _ = build(site, "--debug")
    assert result.status == 1
    assert "Traceback" in result.err


# --------------------------------------------------------------------------- determinism, themes, output


def test_two_builds_are_byte_identical(tmp_path: Path, build) -> None:
    site = write_site(tmp_path / "site", 25)
    _, first = build(site, output=tmp_path / "one")
    _, second = build(site, output=tmp_path / "two")
    assert read_tree(first) == read_tree(second)
    write_tree(site, {"content/world/late.md": article("Late", "2024-06-01")})
    build(site, output=tmp_path / "one")
    (site / "content/world/late.md").unlink()
    build(site, output=tmp_path / "one")
    assert read_tree(tmp_path / "one") == read_tree(second)  # nothing left over from the earlier build


def test_site_without_templates_uses_the_default_theme(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {"content/world/one.md": article("One", "2024-01-01", summary="Short.")})
    result, out = build(site)
    assert result.status == 0, result.err
    page = parse_file(out / "world/one/index.html")
    assert len(page.find_all("details")) == 2
    assert page.find("link", rel="stylesheet").attrs["href"].startswith("/style.")
    assert (out / "404.html").is_file()
    assert crawl(out, "https://example.org/")[0] == []


def test_overriding_one_template_keeps_the_default_base(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "content/world/one.md": article("One", "2024-01-01"),
        "templates/article.html": '{% extends "base.html" %}\n{% block main %}<h1 class="custom">{{ article.title }}'
                                  "</h1>{% endblock %}\n",
    })
    result, out = build(site)
    assert result.status == 0, result.err
    page = parse_file(out / "world/one/index.html")
    assert page.find("h1", class_="custom").text() == "One"
    assert page.find("a", class_="skip-link")  # from the default base.html
    assert page.find_all("details") == []


def test_summary_html_in_pages_is_balanced(sample_site: Path, build) -> None:
    _, out = build(sample_site)
    for path in out.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert balance_problems(text.split("<body>", 1)[1].rsplit("</body>", 1)[0]) == [], path


def test_summary_line_and_quiet(tmp_path: Path, run_cli) -> None:
    site = write_site(tmp_path / "site", 12)
    result = run_cli("build", "--site", str(site), "--now", NOW)
    assert result.status == 0
    line = result.out.strip()
    assert line.startswith("Built ") and " pages from 12 articles in " in line and line.endswith(" s")
    assert len(result.out.strip().splitlines()) == 1
    quiet = run_cli("build", "--site", str(site), "--now", NOW, "--quiet")
    assert quiet.status == 0 and quiet.out == "" and quiet.err == ""


def test_default_output_is_site_public(tmp_path: Path, run_cli) -> None:
    site = write_site(tmp_path / "site", 3)
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    assert (site / "public/index.html").is_file()


def test_python_build_py_builds_the_repo_site(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(REPO_ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", "public", "node_modules", "__pycache__", ".pytest_cache", "dist", "build", "*.egg-info"))
    shutil.copy(REPO_ROOT / "build.py", copy / "build.py")
    result = subprocess.run([sys.executable, "build.py"], cwd=copy, check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built ")
    assert (copy / "public" / SEED).is_file()
    assert crawl(copy / "public", "https://example.org/")[0] == []


def test_python_m_broadsheet(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", 2)
    result = subprocess.run([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--output",
                             str(tmp_path / "out")], cwd=REPO_ROOT, check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built ")
    assert (tmp_path / "out/index.html").is_file()


def test_one_failed_build_lists_problems_of_every_stage(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "content/world/no-title.md": "---\ndate: 2024-01-01\n---\n\nBody.\n",
        "content/world/one.md": article("One", "2024-01-01", slug="same"),
        "content/world/two.md": article("Two", "2024-01-02", slug="same"),
        "content/world/three.md": article("Three", "2024-01-03"),
        "templates/list.html": '{% extends "base.html" %}\n{% block main %}{{ listing.titel }}{% endblock %}\n',
    })
    result, out = build(site)
    assert_failed(result, "content/world/no-title.md:1: missing 'title'", "content/world/two.md:4: ",
                  "templates/list.html:2: ")
    assert not out.exists()


def test_no_empty_summary_toggle(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {"content/world/code.md": article("Code only", "2024-01-01", "```\nx = 1\n```")})
    _, out = build(site)
    assert parse_file(out / "world/code/index.html").find_all("details") == []


def test_labels_translate_the_page(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "site.yaml": "language: fr\nlabels:\n  summary_toggle: Pas le temps de lire ? Le résumé\n"
                     "  previous: Article précédent\n  next: Article suivant\n  sources: Sources citées\n",
        "content/monde/a.md": article("Un", "2024-01-01"),
        "content/monde/b.md": article("Deux", "2024-01-02", sources="[AFP]"),
        "content/monde/c.md": article("Trois", "2024-01-03"),
    })
    _, out = build(site)
    page = parse_file(out / "monde/b/index.html")
    assert page.find("html").attrs["lang"] == "fr"
    assert [s.text() for s in page.find_all("summary")] == ["Pas le temps de lire ? Le résumé"] * 2
    assert page.find("a", rel="prev").text() == "Article précédent Un"
    assert page.find("a", rel="next").text() == "Article suivant Trois"
    assert page.find("p", class_="sources").text() == "(Sources citées: AFP)"


def test_templates_get_article_older_and_newer(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "content/world/a.md": article("Alpha", "2024-01-01"),
        "content/world/b.md": article("Beta", "2024-01-02"),
        "templates/article.html": '{% extends "base.html" %}\n{% block main %}'
                                  '<p id="o">{{ article.older.title if article.older else "none" }}|'
                                  '{{ older.url if older else "none" }}</p>'
                                  '<p id="n">{{ article.newer.title if article.newer else "none" }}|'
                                  '{{ article.newer.date|isodate if article.newer else "none" }}</p>{% endblock %}\n',
    })
    result, out = build(site)
    assert result.status == 0, result.err
    first, second = parse_file(out / "world/a/index.html"), parse_file(out / "world/b/index.html")
    assert first.find("p", id="o").text() == "none|none"
    assert first.find("p", id="n").text() == "Beta|2024-01-02T00:00:00+00:00"
    assert second.find("p", id="o").text() == "Alpha|/world/a/"
    assert second.find("p", id="n").text() == "none|none"


def test_dated_permalinks_and_section_navigation_resolve(tmp_path: Path, build) -> None:
    config = ("title: Dated\nbase_url: https://example.org/news/\ntimezone: Europe/Berlin\nper_page: 4\n"
              'permalink: "/{year}/{month}/{day}/{slug}/"\nnavigation: section\n')
    site = write_site(tmp_path / "site", 23, config)
    result, out = build(site)
    assert result.status == 0, result.err
    problems, checked = crawl(out, "https://example.org/news/")
    assert problems == [] and checked > 100
    # story 0 is dated 2023-01-01 06:xx UTC: 07:xx in Berlin, the same day.
    assert (out / "2023/01/01/story-00000/index.html").is_file()
    page = parse_file(out / "2023/01/01/story-00000/index.html")
    newer = page.find("a", rel="next").attrs["href"]
    assert newer.startswith("/news/2023/") and newer.endswith("/story-00005/")  # the next World story


def test_missing_included_template_names_the_including_line(tmp_path: Path, build) -> None:
    site = write_tree(tmp_path / "site", {
        "content/world/one.md": article("One", "2024-01-01"),
        "templates/article.html": '{% extends "base.html" %}\n{% block main %}\n{% include "partials/nope.html" %}\n'
                                  "{% endblock %}\n",
    })
    result, _ = build(site)
    assert_failed(result, "templates/article.html:3: template error: template 'partials/nope.html' not found")
