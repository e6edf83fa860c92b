"""Every failure is one line naming the file, never a traceback: inputs a library chokes on, an exception nobody
foresaw (in a worker or in the build's own process), files removed while a build runs, and a disk that cannot be
written. Each one fails the build (exit 1) with the previous output left as it was, or builds."""

from __future__ import annotations

import errno
import logging
import os
import re
from pathlib import Path
from typing import Any

import pytest
from badsite import article, fails_cleanly, good_site, problem_lines
from conftest import read_tree, write_tree

from broadsheet.incremental import pool
from broadsheet.incremental import render as render_module
from broadsheet.stages import content as content_module

FENCED = "content/world/code.md"
DATE = "date: 2024-03-02T09:00:00Z"
FENCED_BODY = "Some text.\n\n``` { .python linenums=True hl_lines=\"1 2\" #listing }\nprint(1)\n```\n"


def many_articles(count: int) -> dict[str, str]:
    """Enough articles that the build parses and renders them in worker processes."""
    return {f"content/world/story-{n}.md": article(f"title: Story {n}\ndate: 2024-03-0{1 + n % 9}T09:00:00Z")
            for n in range(count)}


@pytest.fixture
def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render every page in the worker processes (a build renders a few in its own process); the workers are
    forked from this process, so they inherit the tests' patches."""
    assert pool.can_fork(), "these tests need workers forked from the test process"
    monkeypatch.setattr(render_module, "IN_PROCESS", 0)


@pytest.mark.parametrize("raw_html", [True, False])
def test_fenced_code_with_boolean_attributes_builds(tmp_path: Path, run_cli, raw_html: bool) -> None:
    # Python-Markdown read `linenums=True` as True and then failed with "cannot serialize True".
    config = f"title: Code Daily\nbase_url: https://example.org/\nraw_html: {str(raw_html).lower()}\n"
    site = good_site(tmp_path / "site", {FENCED: article(f"title: Code\n{DATE}", FENCED_BODY)}, config)
    result = run_cli("build", "--site", str(site), "--quiet")
    assert (result.status, result.err) == (0, "")
    page = (site / "public/world/code/index.html").read_text(encoding="utf-8")
    if raw_html:  # (attributes are written only where attr_list is on: trusted bodies)
        assert '<code class="language-python" linenums="True" hl_lines="1 2">print(1)' in page
    else:
        assert '<code class="language-python">print(1)' in page


def _failing_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bodies holding BREAK-THE-LIBRARY make the Markdown library raise, as a library's bug on some input would."""
    from broadsheet.stages import markup

    original = markup.MarkdownRenderer.body

    def body(self: markup.MarkdownRenderer, text: str, source: str = "", base_path: str = "/") -> markup.RenderedBody:
        if "BREAK-THE-LIBRARY" in text:
            raise TypeError("cannot serialize True (type bool)")
        return original(self, text, source, base_path)

    monkeypatch.setattr(markup.MarkdownRenderer, "body", body)


BROKEN_BODY = "A paragraph.\n\nBREAK-THE-LIBRARY\n"
BROKEN = article(f"title: Broken\n{DATE}", BROKEN_BODY)  # its body starts on line 6


@pytest.mark.parametrize("command", ["build", "check"])
def test_an_exception_in_the_markdown_is_a_problem_of_its_file_at_its_body(
        tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    _failing_markdown(monkeypatch)
    site = good_site(tmp_path / "site", many_articles(40))
    broken = {"content/world/broken.md": BROKEN, "content/world/bad-date.md": article("title: T\ndate: 2024-02-31")}
    if command == "build":
        err = fails_cleanly(site, run_cli, broken)
    else:
        write_tree(site, broken)
        result = run_cli("check", "--site", str(site))
        assert result.status == 1 and "Traceback" not in result.out + result.err
        err = result.out
    lines = problem_lines(err)
    # The other file's problem is found in the same run: one failure does not stop the checking.
    assert "content/world/bad-date.md:3: 'date' is not a valid date: '2024-02-31'" in " ".join(lines)
    assert ("content/world/broken.md:6: failed: TypeError: cannot serialize True (type bool) (an unexpected error, "
            "in Broadsheet or a library it uses: please report it; --debug shows where)") in lines


def test_an_unforeseen_exception_in_a_worker_is_one_line(tmp_path: Path, run_cli,
                                                         monkeypatch: pytest.MonkeyPatch, in_workers: None,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    from broadsheet.stages import content

    original = content.parse_article

    def parse_article(source: str, data: bytes, config: Any) -> Any:
        if source.endswith("broken.md"):
            raise KeyError("nobody foresaw this")
        return original(source, data, config)

    monkeypatch.setattr(content, "parse_article", parse_article)
    site = good_site(tmp_path / "site", many_articles(40))
    caplog.set_level(logging.DEBUG)
    err = fails_cleanly(site, run_cli, {"content/world/broken.md": BROKEN})
    assert [line for line in err.splitlines() if "broken.md" in line] == [
        ("content/world/broken.md: failed: KeyError: 'nobody foresaw this' (an unexpected error, in Broadsheet or a "
        "library it uses: please report it; --debug shows where)")]
    # The worker's own traceback is kept for --debug (the CLI's logging prints it).
    assert "Traceback" in caplog.text and "nobody foresaw this" in caplog.text and "parse_article" in caplog.text


@pytest.mark.parametrize("where", ["in-process", "workers"])
def test_an_unforeseen_exception_while_rendering_is_a_problem_of_that_page(
        tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    from broadsheet.stages import templates

    if where == "workers":
        monkeypatch.setattr(render_module, "IN_PROCESS", 0)
    original = templates.render_page

    def render_page(env: Any, template: str, context: Any, site_dir: Path) -> bytes:
        article_ = context.get("article")
        if article_ is not None and article_.title == "Renders badly":
            raise OverflowError("a library's bug")
        return original(env, template, context, site_dir)

    monkeypatch.setattr(templates, "render_page", render_page)
    site = good_site(tmp_path / "site", many_articles(40))
    err = fails_cleanly(site, run_cli, {"content/world/bad.md": article(f"title: Renders badly\n{DATE}")})
    assert [line for line in err.splitlines() if "bad.md" in line] == [
        ("content/world/bad.md: failed: OverflowError: a library's bug (an unexpected error, in Broadsheet or a "
        "library it uses: please report it; --debug shows where)")]


# --------------------------------------------------------------------------- files removed while a build runs


def _remove_before_parsing(monkeypatch: pytest.MonkeyPatch, victim: Path) -> None:
    """Delete `victim` after the build has listed the content files and before the workers parse them: at the
    first run of parse tasks (the pool is the build's only way to its workers)."""
    original = pool.WorkerPool.run

    def run(self: pool.WorkerPool, setup: Any, items: Any, *args: Any, **kwargs: Any) -> Any:
        if any(item.payload[0] == "parse" for item in items) and victim.exists():
            victim.unlink()
        return original(self, setup, items, *args, **kwargs)

    monkeypatch.setattr(pool.WorkerPool, "run", run)


def test_an_article_removed_while_the_site_is_built_is_gone(tmp_path: Path, run_cli,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    site = good_site(tmp_path / "site", many_articles(5))
    victim = site / "content/world/story-3.md"
    _remove_before_parsing(monkeypatch, victim)
    result = run_cli("build", "--site", str(site), "--quiet")
    # As if it had been removed just before the build: the site is built without it, and nothing is said.
    assert (result.status, result.err) == (0, "")
    assert not victim.exists()
    assert not (site / "public/world/story-3").exists()
    assert (site / "public/world/story-2/index.html").is_file()
    again = run_cli("build", "--site", str(site), "--quiet")
    assert (again.status, again.err) == (0, "")


def test_an_edited_article_removed_while_the_site_is_rebuilt_is_gone(tmp_path: Path, run_cli,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    site = good_site(tmp_path / "site", many_articles(5))
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    victim = site / "content/world/story-3.md"
    victim.write_text(article(f"title: Story 3, edited\n{DATE}"), encoding="utf-8")
    _remove_before_parsing(monkeypatch, victim)
    result = run_cli("build", "--site", str(site), "--quiet")
    assert (result.status, result.err) == (0, "")
    assert not (site / "public/world/story-3").exists()


def test_check_takes_a_file_removed_while_it_runs_as_gone(tmp_path: Path, run_cli,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    site = good_site(tmp_path / "site")
    original = content_module.discover_sources
    # A file listed, then removed before it is read.
    monkeypatch.setattr(content_module, "discover_sources",
                        lambda site_dir: [*original(site_dir), "content/world/removed.md"])
    result = run_cli("check", "--site", str(site))
    assert result.status == 0, result.out
    assert "removed.md" not in result.out + result.err


def test_an_article_removed_before_its_page_is_rendered_is_one_line(tmp_path: Path) -> None:
    from broadsheet.base.errors import SiteError
    from broadsheet.incremental.cache import Cache
    from broadsheet.incremental.tasks import load_body
    from broadsheet.stages.config import Config

    # Its body is not in the cache (the cache folder was pruned), and the file is gone.
    with pytest.raises(SiteError) as raised:
        load_body(Cache(tmp_path / "cache"), tmp_path, Config(), "env", "content/world/gone.md", "0" * 64)
    assert [str(p) for p in raised.value.problems] == [
        "content/world/gone.md: was removed while the site was being built (build again)"]


# --------------------------------------------------------------------------- names too long, disks that refuse


def test_an_alias_longer_than_a_file_name_may_be_is_an_error_at_its_line(tmp_path: Path, run_cli) -> None:
    long_alias = "/old/" + "a" * 300 + "/"
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"content/world/story.md": article(f"title: T\n{DATE}\naliases: ['{long_alias}']")})
    assert problem_lines(err) == [
        ("content/world/story.md:4: alias '/old/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'… has a part longer than 255 "
         "bytes, which no file system allows in a name (shorten it)")]


def test_a_static_file_whose_published_name_is_too_long_is_one_line(tmp_path: Path, run_cli) -> None:
    # 250 characters is a name the site's disk holds; its fingerprint makes the published name longer than 255.
    name = "s" * 246 + ".css"
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {f"static/css/{name}": "body { color: black }\n"})
    lines = [line for line in err.splitlines() if name in line]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"static/css/{name}: cannot write /css/{name[:-4]}.")
    assert lines[0].endswith(".css: File name too long")


def _refuse_writes(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Make every file the output module opens for writing fail with `code`, as a full (ENOSPC) or read-only
    (EROFS) disk would. (Tests run as root, whom a folder's permissions do not stop; this fails at the place where
    the output's files are written, in this process and in the workers forked from it.)"""
    from broadsheet.stages import output

    def refusing_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:
            raise OSError(code, os.strerror(code), str(file))
        return open(file, mode, *args, **kwargs)

    monkeypatch.setattr(output, "open", refusing_open, raising=False)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
@pytest.mark.parametrize("where", ["in-process", "workers"])
def test_a_disk_that_refuses_the_pages_is_one_line_per_page(tmp_path: Path, run_cli,
                                                             monkeypatch: pytest.MonkeyPatch, code: int,
                                                             where: str) -> None:
    if where == "workers":
        monkeypatch.setattr(render_module, "IN_PROCESS", 0)
    site = good_site(tmp_path / "site", many_articles(3))
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    before = read_tree(site / "public")
    write_tree(site, {"content/world/new.md": article(f"title: New\n{DATE}")})
    _refuse_writes(monkeypatch, code)
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 1 and "Traceback" not in result.err
    assert f"content/world/new.md: cannot write /world/new/index.html: {os.strerror(code)}" in result.err.splitlines()
    *pages, last = result.err.splitlines()  # one line per page that could not be written, then the summary
    assert all(re.fullmatch(rf"\S+: cannot write /\S+: {os.strerror(code)}", line) for line in pages), result.err
    assert last.startswith("Failed:")
    assert read_tree(site / "public") == before
    assert not list(site.glob(".public.*"))


def test_a_read_only_folder_around_the_output_is_one_line(tmp_path: Path, run_cli,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    site = good_site(tmp_path / "site")
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    before = read_tree(site / "public")
    write_tree(site, {"content/world/new.md": article(f"title: New\n{DATE}")})
    # The site's folder, where the new output is made beside the old, refuses new entries as a read-only file
    # system would (root ignores its permissions).
    def refusing(original: Any, moves: bool = False) -> Any:
        def operation(path: Any, *args: Any, **kwargs: Any) -> None:
            target = Path(args[0] if moves else path)
            if target.parent == site and target.name.startswith(".public"):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(target))
            original(path, *args, **kwargs)
        return operation

    monkeypatch.setattr(os, "mkdir", refusing(os.mkdir))
    monkeypatch.setattr(os, "rename", refusing(os.rename, moves=True))
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 1 and "Traceback" not in result.err
    assert problem_lines(result.err) == [] and result.err.splitlines()[0] == (
        f"{site / 'public'}: cannot be written: Read-only file system ({site / '.public.broadsheet-new'})")
    assert read_tree(site / "public") == before


def test_a_file_operation_the_system_refuses_in_a_worker_names_its_message(tmp_path: Path, run_cli,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from broadsheet.stages import content

    original = content.parse_article

    def parse_article(source: str, data: bytes, config: Any) -> Any:
        if source.endswith("broken.md"):  # as a library writing a temporary file on a full disk would
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/tmp/library-scratch")
        return original(source, data, config)

    monkeypatch.setattr(content, "parse_article", parse_article)
    site = good_site(tmp_path / "site")
    err = fails_cleanly(site, run_cli, {"content/world/broken.md": BROKEN})
    # The system's message says what to do: no request for a bug report.
    assert [line for line in err.splitlines() if "broken.md" in line] == [
        "content/world/broken.md: failed: No space left on device: /tmp/library-scratch"]


@pytest.mark.parametrize("where", ["in-process", "workers"])
def test_an_unforeseen_exception_making_a_feed_is_a_problem_of_that_file(tmp_path: Path, run_cli,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        where: str) -> None:
    # Where the pages are rendered in the workers, the feeds and sitemaps are made there too, beside them.
    from broadsheet.stages import feeds

    def serialise(root: Any) -> bytes:
        raise ValueError("a library's bug")

    if where == "workers":
        assert pool.can_fork(), "this test needs workers forked from the test process"
        monkeypatch.setattr(render_module, "IN_PROCESS", 0)
    site = good_site(tmp_path / "site", many_articles(40) if where == "workers" else {})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    before = read_tree(site / "public")
    monkeypatch.setattr(feeds, "serialise", serialise)  # (the feeds' own, not the sitemaps')
    write_tree(site, {"content/world/new.md": article("title: New\ndate: 2024-04-01T09:00:00Z")})  # the newest
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 1 and "Traceback" not in result.err
    failed = [line for line in result.err.splitlines() if "a library's bug" in line]
    assert ("rss.xml: failed: ValueError: a library's bug (an unexpected error, in Broadsheet or a library it uses: "
            "please report it; --debug shows where)") in failed
    assert {line.split(":")[0] for line in failed} >= {"rss.xml", "feed.xml", "world/feed.xml"}  # each feed, once
    assert len(failed) == len(set(failed))
    assert read_tree(site / "public") == before
    assert not list(site.glob(".public.*")), "a staging folder was left behind"
