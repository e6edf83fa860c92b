"""Every failure is one line naming the file, never a traceback: inputs a library chokes on, an exception nobody
foresaw (in a worker or in the build's own process), files removed while a build runs, and a disk that cannot be
written. Each one fails the build (exit 1) with the previous output left as it was, or builds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from badsite import article, fails_cleanly, good_site, problem_lines

from broadsheet import build as build_module
from broadsheet import pool

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
    monkeypatch.setattr(build_module, "_IN_PROCESS", 0)


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
    from broadsheet import markup

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
        from conftest import write_tree

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
    from broadsheet import content

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
    from broadsheet import templates

    if where == "workers":
        monkeypatch.setattr(build_module, "_IN_PROCESS", 0)
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
