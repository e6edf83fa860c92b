"""A build killed with SIGKILL at any moment leaves the output folder as the complete previous build or the complete
new one, never a mix; the next build clears what the killed one left behind."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, read_tree

from broadsheet.stages.output import OutputFolder

ARTICLES = 2000
KILLS = 20
CONFIG = "title: Edition {:02d}\nbase_url: https://example.org/\nper_page: 50\n"


def _digests(root: Path) -> dict[str, str] | None:
    """sha256 of every file under root, or None when root does not exist."""
    if not root.is_dir():
        return None
    return {path: hashlib.sha256(data).hexdigest() for path, data in read_tree(root).items()}


def _edition(reference: dict[str, bytes], number: int) -> dict[str, str]:
    """The digests of edition `number`: only the site title differs from edition 0, at the same length."""
    new = f"Edition {number:02d}".encode()
    return {path: hashlib.sha256(data.replace(b"Edition 00", new)).hexdigest() for path, data in reference.items()}


def _write_site(root: Path) -> Path:
    """2,000 short articles in five sections: as many pages as a big site, with little Markdown to render."""
    for index in range(ARTICLES):
        section = ("world", "politics", "business", "sport", "culture")[index % 5]
        path = root / "content" / section / f"story-{index:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: Story number {index}\ndate: 2023-01-01T06:00:00Z\ntags: [tag-{index % 7}]\n"
                        f"summary: The summary of story {index}.\n---\n\nThe one sentence of story {index}.\n",
                        encoding="utf-8")
    (root / "site.yaml").write_text(CONFIG.format(0), encoding="utf-8")
    return root


def _start_build(site: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "SOURCE_DATE_EPOCH": "1735689600"}
    # Its own session, so that SIGKILL reaches any worker processes of the build too.
    return subprocess.Popen([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet"],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def fast_tmp(tmp_path: Path) -> Iterator[Path]:
    """A temporary folder in memory where the system has one (thousands of files are written and removed)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="broadsheet-atomic-") as folder:
        yield Path(folder)


def test_kill_9_at_random_moments_never_leaves_a_mixed_output(fast_tmp: Path) -> None:
    site = _write_site(fast_tmp / "site")
    output = site / "public"
    started = time.perf_counter()
    first = _start_build(site)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    duration = time.perf_counter() - started
    reference = read_tree(output)
    assert len(reference) > ARTICLES
    editions = {0: _edition(reference, 0)}
    current = 0
    rng = random.Random(20240501)
    outcomes = {"killed": 0, "finished": 0}
    for number in range(1, KILLS + 1):
        (site / "site.yaml").write_text(CONFIG.format(number), encoding="utf-8")
        editions[number] = _edition(reference, number)
        build = _start_build(site)
        time.sleep(rng.uniform(0.0, duration * 1.1))
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
            outcomes["killed"] += 1
        else:
            outcomes["finished"] += 1
        build.wait(timeout=60)
        found = _digests(output)
        if found is None:
            # Only between the two renames of a system without an atomic exchange: the previous build is aside.
            assert _digests(site / ".public.broadsheet-old") == editions[current], f"kill {number}: output gone"
        elif found == editions[number]:
            current = number
        else:
            assert found == editions[current], f"kill {number}: the output is neither edition {current} nor {number}"
        if build.returncode == 0:
            assert current == number
    print(f"kill -9 test: first build {duration:.1f} s, {outcomes['killed']} builds killed, "
          f"{outcomes['finished']} finished before their kill")
    assert outcomes["killed"] >= KILLS // 2, outcomes
    (site / "site.yaml").write_text(CONFIG.format(99), encoding="utf-8")
    final = _start_build(site)
    assert final.wait(timeout=300) == 0
    assert _digests(output) == _edition(reference, 99)
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".public")) == []


def test_a_build_killed_between_two_renames_is_restored_first(tmp_path: Path) -> None:
    previous = {"index.html": b"<p>previous</p>", "world/a/index.html": b"a",
                "build-info.json": b'{"generator": "broadsheet 0.1.0"}'}  # (a build: see OutputFolder.check_replaceable)
    output = tmp_path / "public"
    for relative, data in previous.items():
        (tmp_path / ".public.broadsheet-old" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ".public.broadsheet-old" / relative).write_bytes(data)
    (tmp_path / ".public.broadsheet-new/world").mkdir(parents=True)
    (tmp_path / ".public.broadsheet-new/index.html").write_bytes(b"<p>half")
    folder = OutputFolder(output)
    folder.begin()
    assert read_tree(output) == previous
    folder.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_a_failed_build_leaves_nothing_beside_the_output(tmp_path: Path) -> None:
    folder = OutputFolder(tmp_path / "public")
    folder.begin()
    folder.write("index.html", b"new")
    folder.abort()
    assert list(tmp_path.iterdir()) == []
