"""Fixtures shared by the tests: writing sites, building them, reading the output."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadsheet.cli import main  # noqa: E402


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


@pytest.fixture
def sample_site(tmp_path: Path) -> Path:
    """A copy of the repository's own site (site.yaml, content/, templates/, static/)."""
    site = tmp_path / "sample"
    site.mkdir()
    shutil.copy(REPO_ROOT / "site.yaml", site / "site.yaml")
    for folder in ("content", "templates", "static"):
        shutil.copytree(REPO_ROOT / folder, site / folder)
    return site


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
