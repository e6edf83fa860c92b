"""The wheel carries the default theme: install it into a fresh venv, `init` a site and build it."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from htmlcheck import crawl, parse_file


def run(command: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    # Outside the repo (cwd) and with no PYTHONPATH, so nothing can be imported from the source tree.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    result = subprocess.run(command, cwd=cwd, env=env, check=False, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_builds_a_site(tmp_path: Path) -> None:
    # Run from the repo's root, as a user would: build.py must hand `python -m build` over to PyPA's build.
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist)], cwd=REPO_ROOT)
    [wheel] = dist.glob("broadsheet-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path)

    where = run([str(python), "-c", "import broadsheet, sys; print(broadsheet.__file__); print(sys.prefix)"],
                cwd=tmp_path).stdout.split()
    assert where[0].startswith(str(env_dir)), "broadsheet must come from the wheel, not the source tree"
    assert where[1] == str(env_dir)

    broadsheet = env_dir / "bin" / "broadsheet"
    run([str(broadsheet), "init", "paper"], cwd=tmp_path)
    result = run([str(broadsheet), "build", "--site", "paper", "--base-url", "https://example.org/news/"],
                 cwd=tmp_path)
    assert result.stdout.startswith("Built ")
    out = tmp_path / "paper" / "public"
    assert not (tmp_path / "paper" / "templates").exists()
    home = parse_file(out / "index.html")
    assert home.find("link", rel="stylesheet").attrs["href"].startswith("/news/style.")
    [teaser] = home.find_all("h2", class_="teaser-title")
    page = parse_file(out / teaser.find("a").attrs["href"].removeprefix("/news/") / "index.html")
    assert len(page.find_all("details")) == 2
    assert (out / "404.html").is_file()
    assert crawl(out, "https://example.org/news/")[0] == []
    run([str(python), "-m", "broadsheet", "--version"], cwd=tmp_path)
