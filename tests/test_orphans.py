"""A build killed with SIGKILL leaves no worker process behind: each worker ends when its parent does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, write_tree

# A test hook for the real CLI: bodies with SLOW-TO-RENDER take a minute to render, so that the workers are busy
# when the build is killed. Workers are forked from this process and inherit the patch.
SLOW_CLI = """
import sys, time
from broadsheet.stages import markup
original = markup.MarkdownRenderer.body
def body(self, text, *args, **kwargs):
    if "SLOW-TO-RENDER" in text:
        time.sleep(60)
    return original(self, text, *args, **kwargs)
markup.MarkdownRenderer.body = body
if sys.argv.pop(1) == "watch":  # as where the system cannot signal a worker that its parent ended
    from broadsheet.incremental import pool
    pool._parent_death_signal = lambda number: False
    pool._ORPHAN_POLL = 2.0  # (long enough to see that the workers hold the build's lock until they end)
from broadsheet.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def children_of(pid: int) -> set[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry))
    return found


def locked(path: Path) -> bool:
    """Whether a process holds the lock file at `path` (asked from a new process, as another build would)."""
    probe = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(3)\n")
    return path.exists() and subprocess.run([sys.executable, "-c", probe, str(path)], check=False).returncode == 3


def running(pid: int) -> bool:
    """Whether `pid` is a process that has not ended (a zombie has ended: only its exit status is left)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes through /proc")
@pytest.mark.parametrize("how", ["signal", "watch"])
def test_workers_end_when_the_build_is_killed(tmp_path: Path, how: str) -> None:
    files = {"site.yaml": "title: T\nrender_timeout: 300\n"}
    files.update({f"content/news/slow-{n}.md": f"---\ntitle: Slow {n}\ndate: 2024-05-01\n---\n\nSLOW-TO-RENDER {n}\n"
                  for n in range(48)})  # three chunks of 16: three busy workers
    site = write_tree(tmp_path / "site", files)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    build = subprocess.Popen([sys.executable, "-c", SLOW_CLI, how, "build", "--site", str(site), "--jobs", "3"],
                             env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        workers: set[int] = set()
        while len(workers) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = children_of(build.pid)
        assert len(workers) >= 3, "the build did not start its workers"
        time.sleep(1)  # they are rendering the slow articles now
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        if how == "watch":  # until they notice, the workers hold the lock: no build begins while they still write
            assert any(running(pid) for pid in workers) and locked(site / ".public.broadsheet-lock")
        deadline = time.monotonic() + 5
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in workers if running(pid)] == []
        assert not locked(site / ".public.broadsheet-lock") and not locked(site / ".broadsheet-cache/lock")
    finally:
        try:
            os.killpg(build.pid, signal.SIGKILL)  # (what the build left, if it left anything)
        except ProcessLookupError:
            pass
        build.wait()
