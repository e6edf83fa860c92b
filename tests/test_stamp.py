"""`broadsheet build` with nothing changed stops at once, and anything that would change the output rebuilds it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import read_tree, write_tree

REPO = Path(__file__).resolve().parent.parent
SITE = "title: Stamped\nbase_url: https://example.org/\n"
ARTICLE = "---\ntitle: {title}\ndate: {date}\nsection: World\n---\n\nBody of {title}.\n"
OLD = "2024-01-0{n}T09:00:00+00:00"
# Prints whether the pipeline was imported, i.e. whether the build did any work beyond checking its stamp.
PROBE = ("import sys; from broadsheet.cli.main import main; status = main(sys.argv[1:]); "
         "print('WORKED' if 'broadsheet.pipeline.build' in sys.modules else 'STAMPED'); sys.exit(status)")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, check=False)


def age(root: Path, seconds: float = 10.0) -> None:
    """Make every file look as if written `seconds` ago: a file changed within two seconds of a build is not
    trusted to show later changes, so the stamp waits for older files."""
    moment = time.time() - seconds
    for path in root.rglob("*"):
        os.utime(path, (moment, moment), follow_symlinks=False)


def built(site: Path) -> str:
    done = cli("build", "--site", str(site))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "site", {"site.yaml": SITE, **{
        f"content/world/story-{n}.md": ARTICLE.format(title=f"Story {n}", date=OLD.format(n=n)) for n in range(1, 4)}})
    age(root)
    assert built(root) == "WORKED"
    return root


def test_a_rerun_with_nothing_changed_does_no_work_and_says_what_the_build_said(site: Path) -> None:
    before = read_tree(site / "public")
    done = cli("build", "--site", str(site))
    assert done.stdout.splitlines()[-1] == "STAMPED"
    assert done.stdout.startswith("Built 11 pages from 3 articles in ")
    assert read_tree(site / "public") == before


def test_a_rerun_at_a_moment_given_with_its_offset_does_no_work(site: Path) -> None:
    """The stamp holds the build's moment, here in a fixed-offset zone, which the cache's pickles name by a
    function of their own: the stamp's reader must know it too."""
    moment = ("--now", "2024-06-01T09:00:00+02:00")
    assert cli("build", "--site", str(site), *moment).stdout.splitlines()[-1] == "WORKED"
    assert cli("build", "--site", str(site), *moment).stdout.splitlines()[-1] == "STAMPED"


@pytest.mark.parametrize("change", ["content", "new file", "delete", "template", "static", "site.yaml", "output",
                                    "option"])
def test_every_kind_of_change_rebuilds(site: Path, change: str) -> None:
    extra: list[str] = []
    if change == "content":
        (site / "content/world/story-2.md").write_text(ARTICLE.format(title="Changed", date=OLD.format(n=2)))
    elif change == "new file":
        (site / "content/world/story-9.md").write_text(ARTICLE.format(title="Story 9", date=OLD.format(n=9)))
    elif change == "delete":
        (site / "content/world/story-3.md").unlink()
    elif change == "template":
        write_tree(site, {"templates/404.html": "{% extends 'base.html' %}{% block main %}Gone{% endblock %}\n"})
    elif change == "static":
        write_tree(site, {"static/extra.txt": "hello\n"})
    elif change == "site.yaml":
        (site / "site.yaml").write_text(SITE + "description: Now described\n")
    elif change == "output":
        (site / "public/world/story-1/index.html").unlink()
    elif change == "option":
        extra = ["--base-url", "https://example.net/"]
    done = cli("build", "--site", str(site), *extra)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "WORKED"
    expected = subprocess.run([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--no-cache",
                               "--output", str(site.parent / "clean"), "--quiet", *extra],
                              env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, check=True)
    assert expected.returncode == 0
    assert read_tree(site / "public") == read_tree(site.parent / "clean")


def test_a_scheduled_article_appears_when_its_time_comes_without_any_change(site: Path) -> None:
    soon = datetime.now(timezone.utc) + timedelta(seconds=3)
    write_tree(site, {"content/world/soon.md": ARTICLE.format(title="Soon", date=soon.isoformat(timespec="seconds"))})
    age(site / "content")
    assert built(site) == "WORKED"
    assert not (site / "public/world/soon").exists()
    assert built(site) == "STAMPED"
    time.sleep(max(0.0, (soon - datetime.now(timezone.utc)).total_seconds()) + 0.5)
    assert built(site) == "WORKED"
    assert (site / "public/world/soon/index.html").is_file()


def test_a_file_changed_just_before_a_build_leaves_no_stamp(site: Path) -> None:
    fresh = site / "content/world/story-2.md"
    fresh.write_text(ARTICLE.format(title="Fresh", date=OLD.format(n=2)))
    moment = time.time() + 1  # within two seconds of the build's scan, however fast it starts
    os.utime(fresh, (moment, moment))
    assert built(site) == "WORKED"
    assert not list((site / ".broadsheet-cache").glob("stamp-*"))
    age(site / "content")
    assert built(site) == "WORKED"
    assert built(site) == "STAMPED"


def test_a_damaged_stamp_is_ignored(site: Path) -> None:
    stamps = list((site / ".broadsheet-cache").glob("stamp-*"))
    assert len(stamps) == 1
    stamps[0].write_bytes(stamps[0].read_bytes()[:-5] + b"xxxxx")
    assert built(site) == "WORKED"
    assert built(site) == "STAMPED"


def test_the_scan_lists_the_content_files_a_build_finds_or_leaves_the_listing_to_the_build(tmp_path: Path) -> None:
    from broadsheet.incremental import stamp
    from broadsheet.incremental.sources import scanned_sources
    from broadsheet.stages.config import BuildOptions
    from broadsheet.stages.content import discover_sources
    from broadsheet.stages.theme import default_theme_dir

    site = tmp_path / "site"
    write_tree(site, {"site.yaml": SITE, "content/world/a.md": "a", "content/world/b.markdown": "b",
                      "content/world/notes.txt": "not content", "content/world/a.md.swp": "editor",
                      "content/_drafts/c.md": "private", "content/.git/d.md": "hidden", "content/e.md": "e",
                      "content/world/deep/f.md": "f", "content/old~/h.md": "backup folder", "content/4913/i.md": "vim",
                      "content/world/j.md.bak": "backup"})
    options = BuildOptions(site_dir=site, output_dir=site / "public")

    def listed() -> list[str] | None:
        found = scanned_sources(stamp.scan(options, default_theme_dir()))
        return None if found is None else sorted(found)

    assert listed() == discover_sources(site) == ["content/e.md", "content/world/a.md", "content/world/b.markdown",
                                                  "content/world/deep/f.md"]
    # What discover_sources decides on its own (links followed or refused) is not listed by the scan.
    (site / "content/world/g.md").symlink_to(site / "content/e.md")
    assert listed() is None
    (site / "content/world/g.md").unlink()
    os.mkfifo(site / "content/world/pipe.md")
    assert listed() is None
    assert "content/world/pipe.md" not in discover_sources(site)


def test_a_stamp_is_read_only_for_the_inputs_it_was_taken_of_and_one_that_cannot_be_written_is_not_kept(
        tmp_path: Path) -> None:
    from broadsheet.incremental import stamp

    output = tmp_path / "public"
    kept = stamp.Stamp(b"i" * 32, (1, 2), (("", 5), ("news", 6)), datetime.now(timezone.utc), None, 2, 1, ("a warning",))
    stamp.save(tmp_path, output, kept)
    assert stamp.load(tmp_path, output, b"i" * 32) == kept
    assert stamp.load(tmp_path, output, b"o" * 32) is None  # after an edit: known stale from its header alone
    # A warning that names a file whose name is no UTF-8 (a lone surrogate) cannot be written: no stamp, no error.
    stamp.save(tmp_path, output, dataclasses.replace(kept, warnings=("bad \udcff name",)))
    assert stamp.load(tmp_path, output, b"i" * 32) is None
    assert not any(path.name.startswith("stamp-") for path in tmp_path.iterdir())
