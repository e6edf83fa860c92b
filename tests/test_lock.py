"""One build at a time per output folder and per cache folder: a second build waits for the first, then builds; a
lock held too long fails the build with one line naming its holder; the preview server holds it only to rebuild."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, read_tree, write_tree

from broadsheet.pipeline import lock

ARTICLES = 2000
ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "SOURCE_DATE_EPOCH": "1735689600"}
# A real process that holds the locks of a build (its options as arguments) until its stdin closes.
HOLDER = """
import sys
from pathlib import Path
from broadsheet.pipeline.lock import build_lock
from broadsheet.base.options import BuildOptions
site, output, cache = map(Path, sys.argv[1:4])
with build_lock(BuildOptions(site_dir=site, output_dir=output, cache_dir=cache)):
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def fast_tmp(tmp_path: Path) -> Iterator[Path]:
    """A temporary folder in memory where the system has one (thousands of files are written and removed)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="broadsheet-lock-") as folder:
        yield Path(folder)


def write_site(root: Path, articles: int = ARTICLES) -> Path:
    files = {"site.yaml": "title: First edition\nbase_url: https://example.org/\nper_page: 50\n"}
    for index in range(articles):
        section = ("world", "politics", "business", "sport", "culture")[index % 5]
        files[f"content/{section}/story-{index:04d}.md"] = (
            f"---\ntitle: Story number {index}\ndate: 2023-01-01T06:00:00Z\ntags: [tag-{index % 7}]\n---\n\n"
            f"The one sentence of story {index}.\n")
    return write_tree(root, files)


def start_build(site: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet", *args],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def clean_build(site: Path, output: Path) -> dict[str, bytes]:
    done = subprocess.run([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet", "--no-cache",
                           "--output", str(output)], env=ENV, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return read_tree(output)


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    """Wait until `path` exists (a build is writing), failing if the process ends first."""
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None and time.monotonic() < deadline, "the build ended before it wrote anything"
        time.sleep(0.005)


def test_a_second_build_waits_for_the_first_and_the_output_is_one_whole_build(fast_tmp: Path) -> None:
    site = write_site(fast_tmp / "site")
    first = start_build(site, "--jobs=1")  # (slowly: the second starts before it ends)
    wait_for(fast_tmp / "site/.public.broadsheet-new", first)  # the first build is writing its output
    write_tree(site, {"site.yaml": "title: Second edition\nbase_url: https://example.org/\nper_page: 50\n"})
    second = start_build(site)
    (_, first_err), (_, second_err) = first.communicate(timeout=120), second.communicate(timeout=120)
    assert (first.returncode, first_err) == (0, "")
    assert second.returncode == 0
    assert second_err.splitlines() == [f"waiting for another build of {site / 'public'} (pid {first.pid}) to finish…"]
    assert read_tree(site / "public") == clean_build(site, fast_tmp / "clean")
    assert sorted(path.name for path in site.iterdir()) == [".broadsheet-cache", "content", "public", "site.yaml"]
    # The next build trusts the second one's stamp: nothing changed.
    done = subprocess.run([sys.executable, "-m", "broadsheet", "build", "--site", str(site)], env=ENV,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith("Built ")


def test_builds_started_together_never_fail_or_mix(fast_tmp: Path) -> None:
    site = write_site(fast_tmp / "site", 600)  # (started together, they overlap: each takes more than a second)
    expected = clean_build(site, fast_tmp / "clean")
    for _ in range(2):
        builds = [start_build(site, "--no-cache" if n == 2 else "--jobs=2") for n in range(3)]
        for build in builds:
            _, err = build.communicate(timeout=180)
            assert build.returncode == 0, err
            assert "Traceback" not in err and all(line.startswith("waiting for another build") for line in
                                                   err.splitlines()), err
        assert read_tree(site / "public") == expected


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[object]:
    """Start a process holding the locks of (site, output, cache); yield its pid."""
    started: list[subprocess.Popen[str]] = []

    def hold(site: Path, output: Path, cache: Path) -> int:
        process = subprocess.Popen([sys.executable, "-c", HOLDER, str(site), str(output), str(cache)], env=ENV,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started.append(process)
        assert process.stdout is not None and process.stdout.readline() == "locked\n"
        return process.pid

    yield hold
    for process in started:
        process.communicate()


@pytest.mark.parametrize("held", ["output", "cache"])
def test_a_lock_held_past_the_wait_fails_the_build_naming_its_holder(tmp_path: Path, run_cli, holder, monkeypatch,
                                                                    held: str) -> None:
    site = write_tree(tmp_path / "site", {"site.yaml": "title: T\n", "content/world/a.md":
                                          "---\ntitle: A\ndate: 2024-03-01\n---\n\nText.\n"})
    assert run_cli("build", "--site", str(site), "--quiet").status == 0
    before = read_tree(site / "public")
    cache = site / ".broadsheet-cache"
    if held == "output":  # another build into public/, with a cache of its own
        pid, folder, relation = holder(site, site / "public", tmp_path / "other-cache"), site / "public", "of"
    else:  # another build with this cache, into another output
        pid, folder, relation = holder(site, tmp_path / "elsewhere", cache), cache, "using the cache"
    monkeypatch.setattr(lock, "WAIT_SECONDS", 0.5)
    write_tree(site, {"content/world/b.md": "---\ntitle: B\ndate: 2024-03-02\n---\n\nText.\n"})
    started = time.monotonic()
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 1 and 0.5 <= time.monotonic() - started < 5
    lines = result.err.splitlines()
    assert lines[0] == f"waiting for another build {relation} {folder} (pid {pid}) to finish…"
    assert lines[1].startswith(f"{folder}: another build (pid {pid}) still holds its lock")
    assert len(lines) == 3 and lines[2].startswith("Failed:") and "Traceback" not in result.err
    assert read_tree(site / "public") == before


def locked(path: Path) -> bool:
    """Whether another process holds the lock file at `path` (asked from a new process, as another build would)."""
    probe = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(3)\n")
    if not path.exists():
        return False
    return subprocess.run([sys.executable, "-c", probe, str(path)], check=False).returncode == 3


def test_the_preview_server_holds_the_lock_only_while_it_rebuilds(tmp_path: Path, run_cli, monkeypatch) -> None:
    from broadsheet.pipeline import build as build_module
    from broadsheet.preview.serve import PreviewSession
    from broadsheet.stages.config import BuildOptions

    site = write_tree(tmp_path / "site", {"site.yaml": "title: T\n", "content/world/a.md":
                                          "---\ntitle: A\ndate: 2024-03-01\n---\n\nText.\n"})
    seen: list[bool] = []
    inner = build_module._build

    def probing(*args: object, **kwargs: object) -> object:
        seen.append(locked(site / ".broadsheet-cache/lock"))
        return inner(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "_build", probing)
    session = PreviewSession(BuildOptions(site_dir=site, output_dir=site / "public", jobs=2), port=0,
                             report=lambda rebuild: None)
    try:
        session.start()
        assert seen == [True]
        assert session.preview.has_site and not locked(site / ".broadsheet-cache/lock")
        # Its workers, kept between rebuilds, hold no lock either: a build from the command line goes ahead.
        monkeypatch.setattr(lock, "WAIT_SECONDS", 0.5)
        result = run_cli("build", "--site", str(site), "--quiet")
        assert (result.status, result.err) == (0, "")
    finally:
        session.close()


@pytest.mark.parametrize("planted", ["link", "pipe", "folder"])
def test_a_link_pipe_or_folder_planted_as_a_lock_file_is_refused_and_nothing_is_written_through_it(
        tmp_path: Path, run_cli, planted: str) -> None:
    site = write_tree(tmp_path / "site", {"site.yaml": "title: T\n", "content/world/a.md":
                                          "---\ntitle: A\ndate: 2024-03-01\n---\n\nText.\n"})
    victim = write_tree(tmp_path, {"victim.txt": "years of notes"}) / "victim.txt"
    lock_file = site / ".public.broadsheet-lock"
    if planted == "link":
        lock_file.symlink_to(victim)
    elif planted == "pipe":
        os.mkfifo(lock_file)
    else:
        lock_file.mkdir()
    result = run_cli("build", "--site", str(site), "--quiet")
    assert result.status == 1
    assert result.err.splitlines()[0] == (f"{lock_file}: is not a lock file Broadsheet made (a link, a folder or "
                                          "a special file) (remove it, then try again)")
    assert victim.read_text() == "years of notes" and not (site / "public").exists()
