"""`_redirects` for hosts (Netlify, Cloudflare Pages): aliases, queries, letter case, site.yaml's redirects."""

from __future__ import annotations

from pathlib import Path

from conftest import read_tree, write_tree

from broadsheet.cli import main

STORY = """---
title: The harbour story
date: 2024-01-02T10:00:00Z
aliases: [/World/Harbour-Story/, /2024/01/02/harbour.html, "/?p=12", /old stories/harbour/, /über/]
---
Body.
"""


def _site(tmp_path: Path, config: str = "") -> Path:
    return write_tree(tmp_path / "site", {
        "site.yaml": "title: T\nbase_url: https://example.org/news/\n" + config,
        "content/world/harbour-story.md": STORY,
        "content/world/other.md": "---\ntitle: Other\ndate: 2024-01-01T10:00:00Z\n---\nText.\n",
    })


def test_aliases_and_site_redirects_make_the_hosts_file(tmp_path: Path) -> None:
    site = _site(tmp_path, 'redirects:\n  /feed/: /feed.xml\n  "/?cat=3": /world/\n  /old-about/: https://example.com/about/\n')
    assert main(["build", "--site", str(site), "--quiet"]) == 0
    public = site / "public"
    assert (public / "_redirects").read_text(encoding="utf-8").splitlines()[2:] == [
        "/news/ cat=3 /news/world/ 301",
        "/news/ p=12 /news/world/harbour-story/ 301",
        "/news/2024/01/02/harbour.html /news/world/harbour-story/ 301",
        "/news/World/Harbour-Story/ /news/world/harbour-story/ 301",
        "/news/feed/ /news/feed.xml 301",
        "/news/old%20stories/harbour/ /news/world/harbour-story/ 301",
        "/news/old-about/ https://example.com/about/ 301",
        "/news/%C3%BCber/ /news/world/harbour-story/ 301",
    ]
    # Redirect pages stay for hosts without the file; the letter-case variant and the query are rules only.
    assert 'url=/news/world/harbour-story/"' in (public / "2024/01/02/harbour.html").read_text(encoding="utf-8")
    assert (public / "old stories/harbour/index.html").is_file() and (public / "über/index.html").is_file()
    assert sorted(p.name for p in public.iterdir() if p.is_dir() and p.name.lower() == "world") == ["world"]
    assert sorted(p.name for p in (public / "world").iterdir()) == ["feed.xml", "harbour-story", "index.html",
                                                                      "other"]
    assert main(["check", "--site", str(site), "--quiet"]) == 0


def test_the_file_is_deterministic_and_absent_without_redirects(tmp_path: Path) -> None:
    site = _site(tmp_path)
    assert main(["build", "--site", str(site), "--quiet", "--no-cache"]) == 0
    first = read_tree(site / "public")
    assert main(["build", "--site", str(site), "--quiet", "--no-cache", "--output", str(tmp_path / "again")]) == 0
    assert read_tree(tmp_path / "again")["_redirects"] == first["_redirects"]
    plain = write_tree(tmp_path / "plain", {"content/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nText.\n"})
    assert main(["build", "--site", str(plain), "--quiet"]) == 0
    assert not (plain / "public" / "_redirects").exists()


def test_bad_redirects_are_one_line_each(tmp_path: Path, capsys: object) -> None:
    import pytest

    assert isinstance(capsys, pytest.CaptureFixture)
    site = _site(tmp_path, "redirects:\n  old-path/: /new/\n  /fine/: /new/\n  /to-nowhere/: ftp://x\n")
    assert main(["build", "--site", str(site)]) == 1
    err = capsys.readouterr().err
    assert "site.yaml:4: redirect from 'old-path/' is not a URL path on this site" in err
    assert "site.yaml:6: redirect '/to-nowhere/' must go to a path or an http(s) URL, not 'ftp://x'" in err
    site = _site(tmp_path / "b", "redirects: [/a/, /b/]\n")
    assert main(["build", "--site", str(site)]) == 1
    assert "site.yaml:3: 'redirects' must be a mapping of old path: new path" in capsys.readouterr().err


def test_an_alias_in_another_articles_letter_case_names_the_cause(tmp_path: Path, capsys: object) -> None:
    import pytest

    assert isinstance(capsys, pytest.CaptureFixture)
    site = write_tree(tmp_path / "site", {
        "content/world/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nText.\n",
        "content/world/b.md": "---\ntitle: B\ndate: 2024-01-02\naliases: [/World/A/]\n---\nText.\n",
    })
    assert main(["build", "--site", str(site)]) == 1
    err = capsys.readouterr().err
    assert "differ only in letter case" in err and "content/world/b.md" in err
