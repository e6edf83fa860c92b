"""Broken sites for the error tests: a good site is built first, then broken, and must fail leaving the
previous output byte-identical."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conftest import read_tree, write_tree

SITE_YAML = "title: Bad Input Daily\nbase_url: https://example.org/\n"
GOOD = "---\ntitle: A good story\ndate: 2024-03-01T09:00:00+00:00\nsection: World\n---\n\nA sentence of news.\n"


def article(front: str, body: str = "Some news.\n") -> str:
    """An article file from front matter lines (without the --- lines) and a body."""
    return f"---\n{front.strip(chr(10))}\n---\n\n{body}"


def good_site(root: Path, files: dict[str, str | bytes] | None = None, config: str = SITE_YAML) -> Path:
    """A site with one good article (plus `files`) that builds."""
    return write_tree(root, {"site.yaml": config, "content/world/good.md": GOOD, **(files or {})})


def fails_cleanly(site: Path, run_cli: Any, broken: dict[str, str | bytes], *args: str) -> str:
    """Build `site`, break it with `broken`, rebuild: exit 1, no traceback, output untouched; return stderr."""
    first = run_cli("build", "--site", str(site), "--quiet", *args)
    assert first.status == 0, first.err
    before = read_tree(site / "public")
    write_tree(site, broken)
    result = run_cli("build", "--site", str(site), "--quiet", *args)
    assert result.status == 1, (result.out, result.err)
    assert "Traceback" not in result.err
    assert read_tree(site / "public") == before
    assert not list(site.glob(".public.*")), "a staging folder was left behind"
    return result.err


def problem_lines(stderr: str) -> list[str]:
    """The `path:line: message` lines of a failed build's output."""
    return [line for line in stderr.splitlines() if re.match(r"[^\s:]+:\d+: ", line)]
