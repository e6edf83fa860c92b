"""The wheel, as a new user gets it: built from the checkout, installed into a fresh virtual environment, then the
README's quick start run line by line (`init`, `new`, `serve` until its first page answers, `build`, `deploy` into
a git repository), and the files `init` writes for the hosts: the GitHub Actions workflow parsed and its build step
run, Netlify's command run."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomllib
import yaml
from conftest import REPO_ROOT
from htmlcheck import crawl, parse_file

from broadsheet import __version__


@dataclass(frozen=True)
class Installed:
    """A fresh virtual environment with the wheel installed."""

    wheel: Path
    env_dir: Path

    @property
    def bin(self) -> Path:
        return self.env_dir / "bin"

    def environ(self) -> dict[str, str]:
        """Outside the repo and with no PYTHONPATH, so nothing can be imported from the source tree; the venv's
        programs first on PATH, as after `activate`; pip never goes to the network."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        return {**env, "PATH": f"{self.bin}{os.pathsep}{env.get('PATH', '')}", "VIRTUAL_ENV": str(self.env_dir),
                "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "GIT_AUTHOR_NAME": "Desk",
                "GIT_AUTHOR_EMAIL": "desk@example.org", "GIT_COMMITTER_NAME": "Desk",
                "GIT_COMMITTER_EMAIL": "desk@example.org"}

    def run(self, command: str | list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """Run a command line (a string runs in the shell, as a user types it)."""
        result = subprocess.run(command, cwd=cwd, env=self.environ(), shell=isinstance(command, str), check=False,
                                capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        return result


def run(command: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    result = subprocess.run(command, cwd=cwd, env=env, check=False, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    # Run from the repo's root, as a user would: build.py must hand `python -m build` over to PyPA's build.
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist)], cwd=REPO_ROOT)
    [wheel] = dist.glob("broadsheet-*.whl")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=root)
    return Installed(wheel, env_dir)


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_builds_a_site(installed: Installed, tmp_path: Path) -> None:
    python = installed.bin / "python"
    where = installed.run([str(python), "-c", "import broadsheet, sys; print(broadsheet.__file__); print(sys.prefix)"],
                          cwd=tmp_path).stdout.split()
    assert where[0].startswith(str(installed.env_dir)), "broadsheet must come from the wheel, not the source tree"
    assert where[1] == str(installed.env_dir)

    broadsheet = installed.bin / "broadsheet"
    installed.run([str(broadsheet), "init", "paper"], cwd=tmp_path)
    result = installed.run([str(broadsheet), "build", "--site", "paper", "--base-url", "https://example.org/news/"],
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
    installed.run([str(python), "-m", "broadsheet", "--version"], cwd=tmp_path)


def test_the_wheel_describes_itself_with_the_short_readme(installed: Installed) -> None:
    import zipfile

    with zipfile.ZipFile(installed.wheel) as wheel:
        [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = wheel.read(name).decode("utf-8")
    head, _, description = metadata.partition("\n\n")
    assert description.strip() == (REPO_ROOT / "README.md").read_text(encoding="utf-8").strip()
    assert "Requires-Python: >=3.10" in head and "Classifier: Programming Language :: Python :: 3.12" in head
    assert re.search(r"^Project-URL: Source, https://\S+$", head, re.M)
    assert "License-Expression: MIT" in head or "License: MIT" in head


def quick_start() -> list[str]:
    """The command lines of the README's Quick start, as written."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def serve_until_answered(installed: Installed, command: str, cwd: Path) -> None:
    """Start `broadsheet serve` (on a free port), wait until its first page answers 200, then stop it."""
    process = subprocess.Popen([*shlex.split(command), "--port", "0"], cwd=cwd, env=installed.environ(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        printed = [process.stdout.readline()]  # the first build's line, then the address
        while printed[-1] and not printed[-1].startswith("Serving"):
            printed.append(process.stdout.readline())
        match = re.match(r"Serving the preview at (http://\S+) ", printed[-1])
        assert match, "".join(printed) + (process.stderr.read() if process.stderr and process.poll() is not None
                                          else "")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(match.group(1), timeout=5) as response:
                    assert response.status == 200
                    assert b"Council approves the new tram line" not in response.read()  # a draft, not shown
                    break
            except OSError:
                assert time.monotonic() < deadline, "the preview never answered"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0


@pytest.mark.slow
def test_the_readme_quick_start_from_the_wheel(installed: Installed, tmp_path: Path) -> None:
    lines = quick_start()
    assert [line.split()[:2] for line in lines] == [["broadsheet", "init"], ["cd", "my-news"], ["broadsheet", "new"],
                                                    ["broadsheet", "serve"], ["broadsheet", "build"],
                                                    ["broadsheet", "deploy"]]
    cwd = tmp_path
    for line in lines:
        if line.startswith("cd "):
            cwd = cwd / line.removeprefix("cd ")
            # (deploy needs the site in a git repository, as the README says: the user's own step)
            installed.run("git init -q -b main && git add -A && git commit -q -m 'A new site'", cwd=cwd)
        elif line == "broadsheet serve":
            serve_until_answered(installed, line, cwd)
        else:
            result = installed.run(line, cwd=cwd)
            if line.startswith("broadsheet new"):
                assert result.stdout == "content/news/council-approves-the-new-tram-line.md\n"
            if line == "broadsheet build":
                assert re.fullmatch(r"Built \d+ pages from 1 article in [\d.]+ s \(1 draft\)\n", result.stdout)
            if line == "broadsheet deploy":
                assert result.stdout.startswith("Deployed public to branch gh-pages (")
                assert "base_url is still the example" in result.stderr
    files = installed.run("git ls-tree -r --name-only gh-pages", cwd=cwd).stdout.split()
    assert "index.html" in files and "404.html" in files and "build-info.json" in files
    assert not any(name.startswith("council-approves") for name in files)


def _init(installed: Installed, where: Path) -> Path:
    installed.run("broadsheet init site -q", cwd=where)
    return where / "site"


def _wheel_requirements(installed: Installed, site: Path) -> str:
    """requirements.txt as init wrote it; the file then names the wheel instead (the test has no network, and
    the release it names is not published from a test)."""
    written = (site / "requirements.txt").read_text(encoding="utf-8")
    (site / "requirements.txt").write_text(written.replace(written.splitlines()[-1],
                                                           f"broadsheet @ {installed.wheel.as_uri()}"))
    return written


@pytest.mark.slow
def test_init_names_its_own_version_in_one_place(installed: Installed, tmp_path: Path) -> None:
    site = _init(installed, tmp_path)
    requirement = [line for line in (site / "requirements.txt").read_text().splitlines()
                   if line and not line.startswith("#")]
    assert requirement == [f"broadsheet @ git+https://github.com/OWNER/broadsheet@v{__version__}"]
    assert (site / ".gitignore").read_text().splitlines() == ["public/", ".broadsheet-cache/"]


@pytest.mark.slow
def test_the_github_workflow_installs_that_version_and_builds_the_site(installed: Installed, tmp_path: Path) -> None:
    site = _init(installed, tmp_path)
    workflow = yaml.safe_load((site / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # (YAML 1.1 reads the key `on` as true)
    assert triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    [schedule] = triggers["schedule"]
    assert re.fullmatch(r"\d+ \* \* \* \*", schedule["cron"])
    steps = workflow["jobs"]["build"]["steps"]
    runs = {step["name"]: step["run"] for step in steps if "run" in step}
    assert runs == {"Install Broadsheet": "python -m pip install -r requirements.txt", "Build": "broadsheet build"}
    assert [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact")] == \
        ["public"]
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    assert "build.py" not in (site / ".github/workflows/publish.yml").read_text()
    # The steps, run in the site folder as the runner would (python: the venv's, as setup-python puts its own first).
    _wheel_requirements(installed, site)
    installed.run(runs["Install Broadsheet"], cwd=site)
    result = installed.run(runs["Build"], cwd=site)
    assert result.stdout.startswith("Built ")
    assert (site / "public/index.html").is_file() and (site / "public/404.html").is_file()


@pytest.mark.slow
def test_the_netlify_recipe_works_in_an_init_made_folder(installed: Installed, tmp_path: Path) -> None:
    site = _init(installed, tmp_path)
    config = tomllib.loads((site / "netlify.toml").read_text(encoding="utf-8"))
    assert config["build"]["publish"] == "public"
    assert config["build"]["environment"]["PYTHON_VERSION"].startswith("3.")
    _wheel_requirements(installed, site)
    result = installed.run(config["build"]["command"], cwd=site)
    assert "Built " in result.stdout
    assert (site / config["build"]["publish"] / "index.html").is_file()
