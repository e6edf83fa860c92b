"""One pathological article cannot hang or crash the build: it fails, named, within its time budget."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import read_tree, write_tree

from broadsheet.base.errors import SiteError
from broadsheet.incremental.sources import render_budget
from broadsheet.pipeline.build import BuildSession, build
from broadsheet.stages.config import BuildOptions, Config

GOOD = "---\ntitle: Fine story {n}\ndate: 2024-05-0{n}T09:00:00+00:00\n---\n\nAn ordinary paragraph.\n"
FRONT = "---\ntitle: {title}\ndate: 2024-05-09T09:00:00+00:00\n---\n\n"
# Bodies the test renderer below treats as pathological, whatever the Markdown library's speed.
SPINS = FRONT.format(title="Spins") + "SPIN-FOREVER\n"
DEEP = FRONT.format(title="Deep") + "RECURSE-TOO-DEEP\n"
# Real inputs that once made Python-Markdown slow or recurse: a version may take them fast, slowly or not at all.
BRACKETS = FRONT.format(title="Brackets") + "[" * 40000 + "\n"
CDATA = FRONT.format(title="Cdata") + "<![" * 20000 + "\n"
NESTED = FRONT.format(title="Nested") + "".join("  " * depth + "- item\n" for depth in range(700))


@pytest.fixture
def pathological_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bodies with SPIN-FOREVER never finish rendering and RECURSE-TOO-DEEP exhausts the stack.

    The budget and the recursion guard are tested against these, not against a library version that happens to be
    slow. The workers are forked from this process (as on every Linux build), so they inherit the patch.
    """
    from broadsheet.incremental import pool
    from broadsheet.stages import markup

    assert pool.can_fork(), "these tests need workers forked from the test process"
    original = markup.MarkdownRenderer.body

    def body(self: markup.MarkdownRenderer, text: str, source: str = "", base_path: str = "/") -> markup.RenderedBody:
        if "SPIN-FOREVER" in text:
            while True:
                time.sleep(0.05)
        if "RECURSE-TOO-DEEP" in text:
            def down(depth: int) -> int:
                return down(depth + 1) + 1
            down(0)
        return original(self, text, source, base_path)

    monkeypatch.setattr(markup.MarkdownRenderer, "body", body)


def make_site(root: Path, extra: dict[str, str]) -> Path:
    files = {"site.yaml": "title: Bounded\nrender_timeout: 2\n"}
    files.update({f"content/news/fine-{n}.md": GOOD.format(n=n) for n in range(1, 6)})
    files.update(extra)
    return write_tree(root, files)


def test_the_budget_grows_with_the_size_of_the_source() -> None:
    assert render_budget(Config(), 0) == 10
    assert render_budget(Config(), 5_000_000) == 25
    assert render_budget(Config(render_timeout=2), 1_000_000) == 5


@pytest.mark.usefixtures("pathological_renderer")
@pytest.mark.parametrize("name, text, expected", [
    ("spins", SPINS, "took longer than 2 s to render"),
    ("deep", DEEP, "nests too deeply"),
], ids=["spins", "deep"])
def test_a_pathological_article_fails_named_and_the_others_are_still_processed(
        tmp_path: Path, run_cli, name: str, text: str, expected: str) -> None:
    site = make_site(tmp_path / "site", {})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    before = read_tree(site / "public")
    write_tree(site, {f"content/news/{name}.md": text,
                      "content/news/broken.md": "---\ntitle: [unclosed\n---\n\nBody.\n"})
    result = run_cli("build", "--site", str(site), "--jobs", "2")
    assert result.status == 1
    lines = result.err.splitlines()
    named = [line for line in lines if line.startswith(f"content/news/{name}.md:")]
    assert len(named) == 1, result.err
    assert expected in named[0], named[0]
    # The other files were still processed: the broken one is reported too.
    assert any(line.startswith("content/news/broken.md:") for line in lines), result.err
    assert "Traceback" not in result.err
    assert read_tree(site / "public") == before


@pytest.mark.parametrize("name, text", [("brackets", BRACKETS), ("cdata", CDATA), ("nested", NESTED)],
                         ids=["brackets", "cdata", "nested"])
def test_inputs_that_were_once_pathological_build_or_fail_named(
        tmp_path: Path, run_cli, name: str, text: str) -> None:
    site = make_site(tmp_path / "site", {f"content/news/{name}.md": text})
    result = run_cli("build", "--site", str(site), "--jobs", "2", "--quiet")
    assert "Traceback" not in result.err
    if result.status == 0:
        assert (site / f"public/news/{name}/index.html").is_file()
    else:
        assert result.status == 1
        assert [line for line in result.err.splitlines() if line.startswith(f"content/news/{name}.md:")], result.err


@pytest.mark.usefixtures("pathological_renderer")
def test_a_session_survives_a_hung_article(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {"content/news/spins.md": SPINS})
    options = BuildOptions(site_dir=site, output_dir=site / "public", jobs=1)
    with BuildSession(jobs=1) as session:
        with pytest.raises(SiteError) as failure:
            build(options, session)
        assert [p.path for p in failure.value.problems] == ["content/news/spins.md"]
        assert "took longer than 2 s" in str(failure.value)
        (site / "content/news/spins.md").write_text(FRONT.format(title="Spins") + "Fixed.\n", encoding="utf-8")
        result = build(options, session)
    assert result.articles == 6
    assert "Fixed." in (site / "public/news/spins/index.html").read_text(encoding="utf-8")


def test_a_five_megabyte_article_of_ordinary_prose_still_builds(tmp_path: Path) -> None:
    paragraph = ("The council met on Tuesday to discuss the budget, and the *mayor* said the plan was "
                 "\"ambitious but affordable\" -- a view not shared by the opposition. ") * 4
    body = "\n\n".join(f"## Part {n}\n\n{paragraph}" if n % 20 == 0 else paragraph for n in range(9000))
    assert len(body) > 5_000_000
    site = write_tree(tmp_path / "site", {"content/news/long.md": FRONT.format(title="Long") + body + "\n"})
    result = build(BuildOptions(site_dir=site, output_dir=site / "public"))
    assert result.articles == 1
    assert (site / "public/news/long/index.html").stat().st_size > 5_000_000


_PREPARED: list[str] = []


def _report_prepared(setup: object, payload: object) -> list[str]:
    return list(_PREPARED)


def _prepare() -> Any:
    _PREPARED.append("prepared")
    return _report_prepared


def test_a_worker_started_ahead_prepares_in_its_own_process_before_its_first_item() -> None:
    from broadsheet.incremental.pool import Item, WorkerPool

    pool = WorkerPool(2, _prepare)
    try:
        pool.start()
        results = [result for _, result in pool.run("setup", [Item("probe", 60.0, ("probe",))])]
    finally:
        pool.close()
    assert results == [["prepared"]]
    assert _PREPARED == []  # not in this process


def _square_or_misbehave(setup: object, payload: int) -> int:
    import os
    import time

    if payload == 5:
        time.sleep(60)  # hangs: the parent kills its worker when its budget runs out
    if payload == 12:
        os._exit(3)  # dies
    return payload * payload


def _squares() -> Any:
    return _square_or_misbehave


def test_each_item_gets_one_result_when_workers_hang_or_die_in_the_middle_of_a_chunk() -> None:
    # The rest of the hung and the dead worker's chunks is requeued; only the item at fault is reported stalled.
    from broadsheet.incremental.pool import Item, Stalled, WorkerPool

    pool = WorkerPool(2, _squares)
    try:
        items = [Item(f"item {n}", 1.0, n) for n in range(24)]
        results = [(item.payload, result) for item, result in pool.run("setup", items, chunk=2)]
        again = sorted(result for _, result in pool.run("setup", [Item("after", 1.0, 3)]))
    finally:
        pool.close()
    assert sorted(payload for payload, _ in results) == list(range(24))
    stalled = {payload: result.reason for payload, result in results if isinstance(result, Stalled)}
    assert stalled == {5: "timeout", 12: "crash"}
    assert all(result == payload * payload for payload, result in results if payload not in stalled)
    assert again == [9]  # the replaced workers take new work
