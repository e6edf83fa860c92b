"""The command line: init, new, --version, build.py, and how mistakes are reported."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from conftest import REPO_ROOT, write_tree
from htmlcheck import crawl, parse_file

from broadsheet import __version__


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.status == 0
    assert result.out.strip() == f"broadsheet {__version__}"


def test_version_through_python_m_and_build_py() -> None:
    for command in ([sys.executable, "-m", "broadsheet", "--version"],
                    [sys.executable, str(REPO_ROOT / "build.py"), "--version"]):
        result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"broadsheet {__version__}"


def test_no_command_prints_help(run_cli) -> None:
    result = run_cli()
    assert result.status == 2
    assert "build" in result.out


def test_init_then_build(tmp_path: Path, run_cli) -> None:
    site = tmp_path / "my-paper"
    result = run_cli("init", str(site))
    assert result.status == 0, result.err
    assert (site / "site.yaml").is_file() and (site / ".gitignore").is_file()
    assert not (site / "templates").exists()
    articles = list((site / "content").rglob("*.md"))
    assert len(articles) == 1
    build = run_cli("build", "--site", str(site))
    assert build.status == 0, build.err
    assert build.out.startswith("Built ") and "from 1 article " in build.out
    out = site / "public"
    home = parse_file(out / "index.html")
    [teaser] = home.find_all("h2", class_="teaser-title")
    page = parse_file(out / teaser.find("a").attrs["href"].lstrip("/") / "index.html")
    assert len(page.find_all("details")) == 2
    assert crawl(out, "https://example.org/")[0] == []


def test_init_refuses_an_existing_site(tmp_path: Path, run_cli) -> None:
    write_tree(tmp_path, {"site.yaml": "title: Mine\n"})
    result = run_cli("init", str(tmp_path))
    assert result.status == 1
    assert "site.yaml" in result.err and "Traceback" not in result.err
    assert (tmp_path / "site.yaml").read_text() == "title: Mine\n"


def test_new_writes_a_draft_in_the_site_time_zone(tmp_path: Path, run_cli) -> None:
    write_tree(tmp_path, {"site.yaml": "timezone: Pacific/Auckland\nauthor: Night Desk\nsection: Local News\n"})
    result = run_cli("new", "Storm hits the coast: what we know", "--site", str(tmp_path))
    assert result.status == 0, result.err
    path = tmp_path / "content/local-news/storm-hits-the-coast-what-we-know.md"
    assert result.out.strip() == str(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] == "Storm hits the coast: what we know"
    assert front["author"] == "Night Desk" and front["section"] == "Local News"
    assert front["tags"] == [] and front["summary"] == "" and front["draft"] is True
    date = datetime.fromisoformat(str(front["date"]))
    assert date.utcoffset() == datetime.now(ZoneInfo("Pacific/Auckland")).utcoffset()
    assert abs(date - datetime.now(ZoneInfo("UTC"))) < timedelta(minutes=5)
    # The new draft builds, and shows up only with --drafts.
    assert run_cli("build", "--site", str(tmp_path), "--quiet").status == 0
    assert not (tmp_path / "public/local-news/storm-hits-the-coast-what-we-know").exists()
    assert run_cli("build", "--site", str(tmp_path), "--quiet", "--drafts").status == 0
    assert (tmp_path / "public/local-news/storm-hits-the-coast-what-we-know/index.html").is_file()


def test_new_with_a_section_and_never_overwriting(tmp_path: Path, run_cli) -> None:
    write_tree(tmp_path, {"site.yaml": "title: Sport\n"})
    result = run_cli("new", "Match report", "--section", "Sports", "--site", str(tmp_path))
    assert result.status == 0, result.err
    path = tmp_path / "content/sports/match-report.md"
    path.write_text(path.read_text() + "\nMy words.\n")
    before = path.read_bytes()
    again = run_cli("new", "Match report", "--section", "Sports", "--site", str(tmp_path))
    assert again.status == 1
    assert "already exists" in again.err and "Traceback" not in again.err
    assert path.read_bytes() == before


def test_new_through_build_py_targets_the_repo_site(tmp_path: Path) -> None:
    # `python build.py new` would write into the repository: only check that it is routed to the repo's site.
    sys.path.insert(0, str(REPO_ROOT))
    try:
        import build as build_py
    finally:
        sys.path.remove(str(REPO_ROOT))
    assert build_py.site_command(["new", "Headline"]) == ["new", "--site", str(REPO_ROOT), "Headline"]
    assert build_py.site_command([]) == ["build", "--site", str(REPO_ROOT)]
    assert build_py.site_command(["--output", "x"]) == ["build", "--site", str(REPO_ROOT), "--output", "x"]
    assert build_py.site_command(["--version"]) == ["--version"]
    assert build_py.site_command(["check", "-s", "other"]) == ["check", "-s", "other"]


def test_site_yaml_problems_are_reported_without_traceback(tmp_path: Path, run_cli) -> None:
    write_tree(tmp_path, {"site.yaml": "titel: X\ntimezone: Mars/Olympus\nper_page: -1\nsections: World\n"})
    result = run_cli("build", "--site", str(tmp_path))
    assert result.status == 1
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert "site.yaml:1: unknown key 'titel' (did you mean 'title'?)" in lines
    assert any(line.startswith("site.yaml:3: 'per_page' must be a positive whole number") for line in lines)
    assert any(line.startswith("site.yaml:4: 'sections' must be a list of strings") for line in lines)
    assert any(line.startswith("site.yaml:2: unknown time zone 'Mars/Olympus'") for line in lines)


def test_invalid_site_yaml(tmp_path: Path, run_cli) -> None:
    write_tree(tmp_path, {"site.yaml": "title: X\nlabels: [a\n"})
    result = run_cli("build", "--site", str(tmp_path))
    assert result.status == 1
    assert result.err.startswith("site.yaml:")


def test_output_cannot_be_the_sources(tmp_path: Path, run_cli) -> None:
    write_tree(tmp_path, {"content/world/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\n\nA.\n"})
    result = run_cli("build", "--site", str(tmp_path), "--output", str(tmp_path / "content"))
    assert result.status == 1
    assert (tmp_path / "content/world/a.md").is_file()


def test_a_folder_that_is_not_a_site_is_refused(tmp_path: Path, run_cli) -> None:
    missing = run_cli("build", "--site", str(tmp_path / "typo"))
    assert missing.status == 1
    assert missing.err.startswith(f"{tmp_path / 'typo'}: does not exist")
    empty = run_cli("build", "--site", str(tmp_path))
    assert empty.status == 1 and "is not a site" in empty.err
    assert not (tmp_path / "typo").exists() and not (tmp_path / "public").exists()
