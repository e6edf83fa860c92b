"""The preview in a real browser: the page reloads itself after an edit, shows a failed build, swaps stylesheets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_serve import ARTICLE, ARTICLE_URL, TITLE, Running, edit
from tooling import open_browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

WAIT_MS = 20_000  # a bound on waits for the page to change, never an assertion about speed


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with open_browser() as opened:
        yield opened


@pytest.fixture
def page(sample_site: Path, browser: Browser) -> Iterator[tuple[Running, Page]]:
    """A preview of a fresh copy of the sample site, and a browser page open on its seed article."""
    running = Running(sample_site)
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"http://127.0.0.1:{running.port}{ARTICLE_URL}")
        yield running, tab
    finally:
        context.close()
        running.close()


def test_the_summary_toggle_opens_and_an_edit_on_disk_shows_by_itself(page: tuple[Running, Page]) -> None:
    from playwright.sync_api import expect

    running, tab = page
    summary = tab.locator(".article-header .summary")
    expect(summary).to_be_hidden()
    tab.locator(".article-header summary").click()
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Cuba")
    tab.evaluate("window.sameDocument = true")
    edit(running.site / ARTICLE, TITLE, "A Headline Changed On Disk")
    expect(tab.locator("h1")).to_have_text("A Headline Changed On Disk", timeout=WAIT_MS)
    assert tab.evaluate("window.sameDocument === undefined")  # the page reloaded itself


def test_a_failed_build_shows_over_the_page_and_goes_when_fixed(page: tuple[Running, Page]) -> None:
    from playwright.sync_api import expect

    running, tab = page
    path = running.site / ARTICLE
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("title: ", "title: [unclosed", 1), encoding="utf-8")
    error = tab.locator("#broadsheet-error")
    expect(error).to_be_visible(timeout=WAIT_MS)
    expect(error).to_contain_text(f"{ARTICLE}:")
    path.write_text(good, encoding="utf-8")
    expect(error).to_have_count(0, timeout=WAIT_MS)
    expect(tab.locator("h1")).to_have_text(TITLE)


def test_a_stylesheet_change_applies_without_a_reload(page: tuple[Running, Page]) -> None:
    from playwright.sync_api import expect

    running, tab = page
    tab.evaluate("window.sameDocument = true")
    with (running.site / "static/style.css").open("a", encoding="utf-8") as css:
        css.write("\nh1 { letter-spacing: 7px !important; }\n")
    expect(tab.locator("h1")).to_have_css("letter-spacing", "7px", timeout=WAIT_MS)
    assert tab.evaluate("window.sameDocument === true")


def test_the_page_reconnects_to_a_restarted_server_and_reloads(page: tuple[Running, Page]) -> None:
    from playwright.sync_api import expect

    running, tab = page
    tab.evaluate("window.sameDocument = true")
    port = running.port
    running.close()
    edit(running.site / ARTICLE, TITLE, "Edited While The Server Was Down")
    restarted = Running(running.site, port=port)
    try:
        expect(tab.locator("h1")).to_have_text("Edited While The Server Was Down", timeout=WAIT_MS)
        assert tab.evaluate("window.sameDocument === undefined")
    finally:
        restarted.close()
