"""What only a browser shows: the summary toggle, Previous/Next, layout from 320 px up, dark mode and print."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from theme_site import PAGE_TYPES, RICH_ARTICLE, SEED_ARTICLE
from tooling import open_browser, serve_directory

PREVIOUS = ("/sports/dmitry-voronkov-north-american-life/",
            "Dmitry Voronkov’s North American Life, KHL Ties, and Olympic Glory")
NEXT = ("/business/new-jersey-pauses-sanctions-law/",
        "New Jersey Pauses Sanctions Law After Court Ruling on Kyocera Case")


@pytest.fixture(scope="module")
def site(theme_site: Path) -> Iterator[tuple[str, Any]]:
    with serve_directory(theme_site) as base, open_browser() as browser:
        yield base, browser


@pytest.fixture
def open_page(site: tuple[str, Any]) -> Iterator[Any]:
    """open_page(path, width=1280, scheme='light') -> a loaded Playwright page; contexts close after the test."""
    base, browser = site
    contexts = []

    def open_(path: str, width: int = 1280, scheme: str = "light") -> Any:
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.base = base
        page.goto(base + path)
        return page

    yield open_
    for context in contexts:
        context.close()


def style(page: Any, selector: str, prop: str, pseudo: str | None = None) -> str:
    return page.eval_on_selector(selector, "(e, [p, s]) => getComputedStyle(e, s).getPropertyValue(p)", [prop, pseudo])


def test_the_summary_toggles_open_with_a_click(open_page: Any) -> None:
    page = open_page(SEED_ARTICLE)
    toggles = page.locator("details.summary-toggle")
    assert toggles.count() == 2
    for index in range(2):
        toggle = toggles.nth(index)
        summary = toggle.locator(".summary")
        assert not summary.is_visible()
        toggle.locator("summary").click()
        assert toggle.evaluate("d => d.open")
        assert summary.is_visible() and "Kolokoltsev" in summary.inner_text()


def test_the_summary_toggle_opens_with_the_keyboard_and_shows_its_focus(open_page: Any) -> None:
    page = open_page(SEED_ARTICLE)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('details.summary-toggle > summary')"):
            break
    else:
        pytest.fail("Tab never reached the summary toggle")
    assert page.evaluate("document.activeElement.closest('details') === document.querySelector('details')")
    focused = "details.summary-toggle > summary:focus-visible"
    assert style(page, focused, "outline-style") == "solid"
    assert float(style(page, focused, "outline-width").removesuffix("px")) >= 2
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('details.summary-toggle').open")
    assert page.locator("details.summary-toggle .summary").first.is_visible()
    page.keyboard.press("Enter")
    assert not page.evaluate("document.querySelector('details.summary-toggle').open")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_toggle_looks_like_a_control_and_shows_its_state(open_page: Any, scheme: str) -> None:
    page = open_page(SEED_ARTICLE, scheme=scheme)
    summary = "details.summary-toggle > summary"
    assert style(page, summary, "cursor") == "pointer"
    assert float(style(page, summary, "border-top-width").removesuffix("px")) >= 1
    closed = (style(page, summary, "background-color"), style(page, summary, "color"),
              style(page, summary, "transform", "::before"))
    page.locator(summary).first.click()
    # The chevron turns in a short transition: wait for it to leave the closed state (a timeout fails the test).
    page.wait_for_function("([s, t]) => getComputedStyle(document.querySelector(s), '::before').transform !== t",
                           arg=[summary, closed[2]], timeout=5000)
    opened = (style(page, summary, "background-color"), style(page, summary, "color"),
              style(page, summary, "transform", "::before"))
    assert closed[0] != opened[0] and closed[1] != opened[1] and closed[2] != opened[2]
    # Once open, the summary is set apart from the body: its own background and a rule on its left.
    panel = "details.summary-toggle .summary"
    assert style(page, panel, "background-color") != style(page, "body", "background-color")
    assert float(style(page, panel, "border-left-width").removesuffix("px")) >= 3


def test_previous_and_next_lead_to_the_right_articles(open_page: Any) -> None:
    page = open_page(SEED_ARTICLE)
    for rel, (path, title) in (("prev", PREVIOUS), ("next", NEXT)):
        link = page.locator(f".article-nav a[rel={rel}]")
        assert title in link.inner_text()
        link.click()
        page.wait_for_url(page.base + path.lstrip("/"))
        assert page.locator("h1").inner_text() == title
        page.go_back()
    # Following Previous then Next comes back to the same article.
    page.locator(".article-nav a[rel=prev]").click()
    page.locator(".article-nav a[rel=next]").click()
    page.wait_for_url(page.base + SEED_ARTICLE)


@pytest.mark.parametrize(("width", "side_by_side"), [(1280, True), (768, True), (360, False), (320, False)])
def test_previous_and_next_sit_side_by_side_on_wide_screens_and_stack_on_narrow(
        open_page: Any, width: int, side_by_side: bool) -> None:
    page = open_page(SEED_ARTICLE, width=width)
    previous = page.locator(".article-nav a[rel=prev]").bounding_box()
    following = page.locator(".article-nav a[rel=next]").bounding_box()
    if side_by_side:
        assert previous["y"] == following["y"] and previous["x"] + previous["width"] <= following["x"]
    else:
        assert previous["y"] + previous["height"] <= following["y"] and previous["x"] == following["x"]


@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_no_horizontal_scroll_at_320_px(open_page: Any, kind: str) -> None:
    page = open_page(PAGE_TYPES[kind], width=320)
    page.eval_on_selector_all("details.summary-toggle", "all => all.forEach(d => d.open = true)")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{kind} scrolls sideways by {overflow}px at 320 px"


def test_a_wide_table_scrolls_in_its_own_box_and_images_scale(open_page: Any) -> None:
    page = open_page(RICH_ARTICLE, width=320)
    table = page.locator(".article-body table")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth"), "the sample table should be wider than a phone"
    assert table.evaluate("t => t.getBoundingClientRect().right <= document.documentElement.clientWidth")
    assert page.locator(".article-body figure:not(.video) img").evaluate(
        "i => i.getBoundingClientRect().width <= document.documentElement.clientWidth && i.complete")


def test_body_text_has_a_readable_measure(open_page: Any) -> None:
    page = open_page(SEED_ARTICLE, width=1600)
    characters = page.eval_on_selector(".article-body p", """p => {
        const probe = document.createElement('span');
        probe.textContent = p.textContent.slice(0, 400);
        probe.style.whiteSpace = 'nowrap';
        p.append(probe);
        const perCharacter = probe.getBoundingClientRect().width / probe.textContent.length;
        probe.remove();
        return p.getBoundingClientRect().width / perCharacter;
    }""")
    assert 62 <= characters <= 78, f"{characters:.0f} characters a line"


def test_dark_mode_follows_the_system_setting(open_page: Any) -> None:
    light = open_page(SEED_ARTICLE, scheme="light")
    dark = open_page(SEED_ARTICLE, scheme="dark")
    luminance = "rgb => rgb.match(/\\d+/g).slice(0, 3).reduce((sum, v) => sum + Number(v), 0)"
    light_background = light.evaluate(luminance, style(light, "body", "background-color"))
    dark_background = dark.evaluate(luminance, style(dark, "body", "background-color"))
    assert light_background > 600 and dark_background < 150


def test_the_skip_link_is_the_first_stop_and_shows_when_focused(open_page: Any) -> None:
    page = open_page(SEED_ARTICLE)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = page.locator(".skip-link").bounding_box()
    assert box["y"] >= 0 and box["height"] > 10
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_print_hides_navigation_and_shows_link_addresses(open_page: Any) -> None:
    page = open_page(RICH_ARTICLE)
    page.emulate_media(media="print")
    for hidden in (".site-nav", ".site-footer", ".article-nav", ".skip-link", ".article-footer"):
        assert style(page, hidden, "display") == "none", hidden
    assert "https://example.org/notes" in style(page, ".footnote a[href^=http]", "content", "::after")
    assert style(page, ".footnote-ref", "content", "::after") in ("none", "normal")
    # The summary prints as a standfirst, without the control.
    assert page.locator(".article-header .summary").is_visible()
    assert style(page, ".article-header summary", "display") == "none"


def test_the_pages_request_nothing_from_elsewhere(open_page: Any, site: tuple[str, Any]) -> None:
    base, browser = site
    context = browser.new_context()
    try:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        for path in PAGE_TYPES.values():
            page.goto(base + path)
        assert requests and all(url.startswith(base) for url in requests), requests
    finally:
        context.close()
