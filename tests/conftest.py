"""Fixtures shared by the tests: writing sites, building them, reading the output."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tooling import in_ci  # noqa: E402 (after tests/ is put on sys.path)

from broadsheet.cli.main import main  # noqa: E402


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text or bytes} under root."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def copy_sample_site(site: Path) -> Path:
    """Copy the repository's own site (site.yaml, content/, templates/, static/) into the new folder `site`."""
    site.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "site.yaml", site / "site.yaml")
    for folder in ("content", "templates", "static"):
        shutil.copytree(REPO_ROOT / folder, site / folder)
    return site


@pytest.fixture
def sample_site(tmp_path: Path) -> Path:
    """A copy of the repository's own site (site.yaml, content/, templates/, static/)."""
    return copy_sample_site(tmp_path / "sample")


@pytest.fixture(scope="session")
def theme_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site plus an article using every element the theme styles, built once per session.

    Returns the output folder; theme_site.PAGE_TYPES maps each page type to one of its pages there.
    """
    from theme_site import write_theme_site

    site = write_theme_site(copy_sample_site(tmp_path_factory.mktemp("theme") / "site"))
    status = main(["build", "--site", str(site), "--quiet"])
    assert status == 0, "the theme's sample site did not build"
    return site / "public"


class CliResult:
    """Exit status and captured output of one in-process CLI run."""

    def __init__(self, status: int, out: str, err: str):
        self.status, self.out, self.err = status, out, err


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the broadsheet CLI in-process: run_cli('build', '--site', str(site))."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            status = main(list(args))
        except SystemExit as exit_:
            status = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)

    return run


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path, for byte-for-byte comparisons."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- skipped checks


def _skipped_reasons(config: pytest.Config) -> Counter[str]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    reasons: Counter[str] = Counter()
    for report in getattr(reporter, "stats", {}).get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    return reasons


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say plainly which checks were skipped and why (a missing browser, Java or npm tool)."""
    reasons = _skipped_reasons(config)
    if not reasons:
        return
    terminalreporter.section("checks skipped")
    for reason, count in sorted(reasons.items()):
        terminalreporter.line(f"{count} skipped: {reason}")
    if in_ci():
        terminalreporter.line("CI=true: a skipped check fails the run (.ci/run installs every tool).", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true nothing may be skipped: a green run must have exercised every check."""
    if in_ci() and exitstatus == 0 and _skipped_reasons(session.config):
        session.exitstatus = 1
