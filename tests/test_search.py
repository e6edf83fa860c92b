"""Search: Pagefind's index made by the build (site.yaml `search: true`), the search page and the header's field,
in a real browser under a sub-path (docs/search.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from badsite import article, good_site
from conftest import read_tree, write_tree
from tooling import axe_script_path, open_browser, serve_directory

import broadsheet.stages.search

CONFIG = "title: The Daily\nbase_url: https://example.org/news/\nsearch: true\n"
DATE = "date: 2024-05-01T09:00:00+00:00"
ZEBRA = article(f"title: Zebra crossing painted near the school\n{DATE}\nsection: City\ntags: [Roads]\n"
                "author: Ana Lima", "The council painted a new zebra crossing outside the primary school.\n")
HARBOUR = article("title: Harbour reopens\ndate: 2024-05-02T09:00:00+00:00\nsection: World",
                  "The harbour reopened after three weeks of repairs to the quay.\n")


def search_site(path: Path, config: str = CONFIG) -> Path:
    return good_site(path, {"content/city/zebra.md": ZEBRA, "content/world/harbour.md": HARBOUR}, config=config)


def build(run_cli, site: Path, *options: str) -> Path:
    result = run_cli("build", "--site", str(site), "--quiet", *options)
    assert result.status == 0, result.err
    return site / "public"


def test_the_build_indexes_the_articles_and_adds_the_search_page(tmp_path: Path, run_cli) -> None:
    out = build(run_cli, search_site(tmp_path / "site"))
    assert (out / "pagefind/pagefind.js").is_file() and list((out / "pagefind/fragment").iterdir())
    page = (out / "city/zebra/index.html").read_text(encoding="utf-8")
    assert '<article class="article" data-pagefind-body>' in page
    assert 'data-pagefind-filter="section">City</a>' in page and 'data-pagefind-filter="tag">Roads</a>' in page
    assert 'data-pagefind-filter="author">Ana Lima</a>' in page
    assert 'data-pagefind-meta="date:2024-05-01T09:00:00+00:00"' in page
    assert page.count('<details class="summary-toggle" data-pagefind-ignore>') == 2
    # The header's field: a labelled form that goes to the search page, which works without JavaScript.
    assert '<form class="site-search" role="search" action="/news/search/" method="get">' in page
    assert '<label for="site-search-query" class="visually-hidden">Search</label>' in page
    assert '<input type="search" id="site-search-query" name="q"' in page
    search = (out / "search/index.html").read_text(encoding="utf-8")
    assert '"/news/pagefind/pagefind.js"' in search and "site-search-query" not in search
    assert "data-pagefind-body" not in (out / "index.html").read_text(encoding="utf-8")  # lists are not indexed
    assert "pagefind" in json.loads((out / "build-info.json").read_text())["keep"]  # deploy commits the index


def test_search_off_has_no_index_field_or_page(tmp_path: Path, run_cli) -> None:
    site = search_site(tmp_path / "site")
    build(run_cli, site)
    out = build(run_cli, search_site(tmp_path / "site", CONFIG.replace("search: true", "search: false")))
    assert not (out / "pagefind").exists() and not (out / "search").exists()
    assert "site-search" not in (out / "index.html").read_text(encoding="utf-8")


def test_an_unchanged_site_keeps_its_index_without_running_pagefind(tmp_path: Path, run_cli,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    site = search_site(tmp_path / "site")
    out = build(run_cli, site)
    index = read_tree(out / "pagefind")
    real = broadsheet.stages.search.run_pagefind
    runs: list[Path] = []

    def counted(folder: Path) -> None:
        runs.append(folder)
        real(folder)

    monkeypatch.setattr(broadsheet.stages.search, "run_pagefind", counted)
    build(run_cli, site)  # nothing changed
    # A page removed from the output by hand: the build writes a new output with that page made again, the same
    # pages as the index's, which is linked over from the current output.
    (out / "world/harbour/index.html").unlink()
    build(run_cli, site)
    assert runs == [] and read_tree(out / "pagefind") == index and (out / "world/harbour/index.html").is_file()
    write_tree(site, {"content/world/harbour.md": HARBOUR.replace("quay", "quay and the lighthouse")})
    build(run_cli, site)
    assert len(runs) == 1 and read_tree(out / "pagefind") != index


def test_everything_but_the_index_is_byte_identical_across_builds(tmp_path: Path, run_cli) -> None:
    # Pagefind's index is not byte-identical from one run to the next (its filter files are named by hashes that
    # vary): docs/search.md names pagefind/ as the one exception to deterministic output. The pages are the same.
    site = search_site(tmp_path / "site")
    trees = []
    for name in ("one", "two"):
        build(run_cli, site, "--no-cache", "--output", str(tmp_path / name))
        trees.append(read_tree(tmp_path / name))
    one, two = ({path: data for path, data in tree.items() if not path.startswith("pagefind/")} for tree in trees)
    assert one == two
    assert {p for p in trees[0] if p.startswith("pagefind/fragment/")} == \
        {p for p in trees[1] if p.startswith("pagefind/fragment/")}


def test_a_missing_pagefind_fails_the_build_with_a_hint(tmp_path: Path, run_cli,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    site = search_site(tmp_path / "site")
    before = read_tree(build(run_cli, site, "--no-cache"))

    def missing() -> str:
        raise broadsheet.stages.search.SiteError(broadsheet.stages.search.Problem(
            "site.yaml", None, "search: true needs Pagefind, which is not installed", "pip install 'broadsheet[search]'"))

    monkeypatch.setattr(broadsheet.stages.search, "pagefind_executable", missing)
    write_tree(site, {"content/world/harbour.md": HARBOUR.replace("quay", "pier")})
    result = run_cli("build", "--site", str(site), "--no-cache")
    assert result.status == 1 and "Traceback" not in result.err
    assert "site.yaml: search: true needs Pagefind, which is not installed (pip install 'broadsheet[search]')" \
        in result.err
    assert read_tree(site / "public") == before


# --- in a browser, under a sub-path ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from broadsheet.cli.main import main

    site = search_site(tmp_path_factory.mktemp("search") / "site")
    assert main(["build", "--site", str(site), "--quiet"]) == 0
    with serve_directory(site / "public", "/news/") as base, open_browser() as browser:
        yield base, browser


def results(page: Any) -> list[tuple[str, str]]:
    page.wait_for_selector("#search-results li a", timeout=15000)
    return page.eval_on_selector_all("#search-results li a",
                                     "as => as.map(a => [a.textContent, a.getAttribute('href')])")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_typing_a_query_shows_the_article(served: tuple[str, Any], scheme: str) -> None:
    base, browser = served
    context = browser.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(base + "search/")
        page.get_by_label("Search", exact=True).fill("zebra")
        assert [tuple(r) for r in results(page)] == [("Zebra crossing painted near the school",
                                                      "/news/city/zebra/")]
        assert "1 result" in page.inner_text("#search-status")
        assert "<mark>zebra</mark>" in page.inner_html("#search-results").lower()
        page.add_script_tag(path=str(axe_script_path()))
        found = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: "
                              "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})")
        assert not found["violations"], [v["id"] for v in found["violations"]]
        page.click("#search-results li a")
        page.wait_for_url("**/news/city/zebra/")
    finally:
        context.close()


def test_the_header_field_searches_from_the_keyboard(served: tuple[str, Any]) -> None:
    base, browser = served
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base + "world/harbour/")
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "site-search-query":
                break
        else:
            pytest.fail("Tab never reached the header's search field")
        page.keyboard.type("harbour")
        page.keyboard.press("Enter")
        page.wait_for_url("**/news/search/?q=harbour")
        assert ("Harbour reopens", "/news/world/harbour/") in [tuple(r) for r in results(page)]
    finally:
        context.close()


def test_without_javascript_the_field_leads_to_the_search_page(served: tuple[str, Any]) -> None:
    base, browser = served
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base)
        page.fill("#site-search-query", "zebra")
        page.press("#site-search-query", "Enter")
        page.wait_for_url("**/news/search/?q=zebra")
        assert "they need JavaScript" in page.inner_text("#search-status")
    finally:
        context.close()


def test_without_its_index_the_search_page_says_so(tmp_path: Path, served: tuple[str, Any], run_cli) -> None:
    _, browser = served
    out = build(run_cli, search_site(tmp_path / "site"))
    for path in sorted((out / "pagefind").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (out / "pagefind").rmdir()
    with serve_directory(out, "/news/") as base:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(base + "search/?q=zebra")
            page.wait_for_function("document.getElementById('search-status').textContent.includes('could not')")
        finally:
            context.close()
