"""axe-core finds no WCAG 2 A/AA or best-practice violation on any page type, in light and in dark mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from theme_site import PAGE_TYPES
from tooling import axe_script_path, open_browser, require_tool, serve_directory

RULE_SETS = ["wcag2a", "wcag2aa", "best-practice"]


@pytest.fixture(scope="module")
def site_and_browser(theme_site: Path) -> Iterator[tuple[str, Any]]:
    require_tool("axe-core", axe_script_path() is not None, "needs node_modules/axe-core (run 'npm ci')")
    with serve_directory(theme_site) as base, open_browser() as browser:
        yield base, browser


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [" ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"{violation['id']}: {violation['help']} at {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_axe_finds_no_violations(site_and_browser: tuple[str, Any], kind: str, scheme: str) -> None:
    base, browser = site_and_browser
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(base + PAGE_TYPES[kind])
        page.add_script_tag(path=str(axe_script_path()))
        results = page.evaluate("rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", RULE_SETS)
    finally:
        context.close()
    assert not results["violations"], f"{kind} ({scheme}):\n{describe(results['violations'])}"
    assert results["passes"], "axe ran no rule"


def test_axe_finds_no_violations_with_the_summaries_open_on_a_phone(site_and_browser: tuple[str, Any]) -> None:
    base, browser = site_and_browser
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, viewport={"width": 320, "height": 640})
        try:
            page = context.new_page()
            page.goto(base + PAGE_TYPES["article with every element"])
            page.eval_on_selector_all("details.summary-toggle", "all => all.forEach(d => d.open = true)")
            page.add_script_tag(path=str(axe_script_path()))
            results = page.evaluate("rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", RULE_SETS)
        finally:
            context.close()
        assert not results["violations"], f"{scheme}:\n{describe(results['violations'])}"
