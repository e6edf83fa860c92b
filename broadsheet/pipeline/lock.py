"""One build at a time: a lock on the output folder and one on the cache folder, which a second build waits for.

Two builds writing one output or one cache at once (a cron build and an editor, CI and `serve`) would mix their
files. A build holds an exclusive `flock` on a file beside its output folder (`.public.broadsheet-lock`, named like
the staging folder `.public.broadsheet-new`) and on `lock` in its cache folder, taken in that order, for as long as
it reads or writes either. The system lets go of a lock when its process ends, however it ends, so a killed build
never leaves a stale one. A build that finds a lock held waits up to WAIT_SECONDS, saying so in one line, then fails
naming the process that holds it.

Taking both costs two small files opened, locked and removed: a build with nothing to do stays quick.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from _thread import get_ident  # (threading itself costs a build with nothing to do a millisecond to import)
from collections.abc import Callable, Iterator
from pathlib import Path

from broadsheet.base.errors import Problem, SiteError
from broadsheet.base.options import BuildOptions
from broadsheet.pipeline.places import cache_folder, check_places

try:
    import fcntl

    _CAN_LOCK = True
except ImportError:  # Windows has no flock: builds there are not guarded against each other
    _CAN_LOCK = False

WAIT_SECONDS = 60.0  # how long a build waits for another one to let go (tests make it shorter)
_POLL = 0.05  # seconds between two tries
# Never through a link (the file is written: a link planted there would have another file overwritten), and never
# waiting on a pipe planted there.
_OPEN = os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
# Lock files this process holds, by path and thread (two threads of one process exclude each other too, as their
# descriptors differ): [descriptor, how many times taken]. A thread takes a lock it holds again at no cost: the CLI
# takes them before its check for "nothing changed", then calls build(), which takes them too.
_held: dict[tuple[str, int], list[int]] = {}


def output_lock_file(output_dir: Path) -> Path:
    """The lock file of an output folder: beside it, named like its staging folder."""
    final = output_dir.absolute()
    return final.with_name(f".{final.name}.broadsheet-lock")


@contextlib.contextmanager
def build_lock(options: BuildOptions, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the locks of a build's output folder and cache folder, waiting up to WAIT_SECONDS for another process
    to let go of them; `say` prints the line saying it waits (default: to stderr). The folders' places are checked
    first (see places.check_places), before anything is written."""
    check_places(options)
    deadline = time.monotonic() + WAIT_SECONDS
    what = "preview rebuild" if options.preview else "build"
    cache = cache_folder(options)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_locked(output_lock_file(options.output_dir), str(options.output_dir), "of", what,
                                    deadline, say or _say))
        if cache is not None:
            stack.enter_context(_locked(cache / "lock", str(options.cache_dir or cache), "using the cache", what,
                                        deadline, say or _say))
        yield


@contextlib.contextmanager
def output_lock(output_dir: Path, what: str, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of an output folder alone, for `what` reads it whole (a deploy): no build swaps it meanwhile."""
    with _locked(output_lock_file(output_dir), str(output_dir), "of", what, time.monotonic() + WAIT_SECONDS,
                 say or _say):
        yield


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _locked(path: Path, folder: str, relation: str, what: str, deadline: float, say: Callable[[str], None],
            ) -> Iterator[None]:
    """Hold the lock file at `path`, which guards `folder` (a build "of" an output, "using the cache" …)."""
    key = (str(path), get_ident())
    if not _CAN_LOCK:
        yield
        return
    if key in _held:
        _held[key][1] += 1
    else:
        descriptor = _acquire(path, folder, relation, what, deadline, say)
        if descriptor is None:  # no lock file can be made there: what the build writes there fails on its own
            yield
            return
        _held[key] = [descriptor, 1]
    try:
        yield
    finally:
        _release(key)


def _acquire(path: Path, folder: str, relation: str, what: str, deadline: float, say: Callable[[str], None],
             ) -> int | None:
    """The descriptor of the lock file at `path` (made if missing), locked, once no other process holds it; a
    SiteError naming the holder at `deadline`; None where the file cannot be made or opened."""
    waited = False
    while True:
        try:
            descriptor = _try_lock(path)
        except SiteError:
            raise
        except OSError:  # (a read-only folder, or one whose file system cannot lock)
            return None
        if descriptor is not None:
            _sign(descriptor, f"{os.getpid()} {what}\n".encode())
            return descriptor
        pid, holder = _holder(path)
        if time.monotonic() >= deadline:
            raise SiteError(Problem(folder, None, f"another {holder}{pid} still holds its lock ({path.name}) after "
                                    f"{WAIT_SECONDS:g} s", "wait for it to finish, or stop it, then try again"))
        if not waited:
            say(f"waiting for another {holder} {relation} {folder}{pid} to finish…")
            waited = True
        time.sleep(_POLL)


def _try_lock(path: Path) -> int | None:
    """The descriptor of the lock file at `path`, locked; None while another process holds it."""
    try:
        descriptor = _open(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)  # (what the build makes anyway: the cache, the output's parent)
        descriptor = _open(path)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise _not_a_lock_file(path)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # held
        os.close(descriptor)
        return None
    except OSError:  # a file system that cannot lock (some network ones): not a lock another process holds
        os.close(descriptor)
        raise
    # The last holder removes the file as it lets go (see _release): a lock taken on the file it removed would
    # exclude no one, so the file locked must still be the one at `path`.
    try:
        if os.fstat(descriptor).st_ino == os.stat(path).st_ino:
            return descriptor
    except OSError:
        pass
    os.close(descriptor)
    return None


def _open(path: Path) -> int:
    """Open (or make) a lock file: for writing the holder's pid in it where this process may, else for reading."""
    try:
        try:
            return os.open(path, os.O_RDWR | _OPEN, 0o644)
        except PermissionError:
            return os.open(path, os.O_RDONLY | _OPEN, 0o644)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.EISDIR):  # (ELOOP: O_NOFOLLOW met a link)
            raise _not_a_lock_file(path) from None
        raise


def _not_a_lock_file(path: Path) -> SiteError:
    return SiteError(Problem(str(path), None, "is not a lock file Broadsheet made (a link, a folder or a special file)",
                             "remove it, then try again"))


def _sign(descriptor: int, line: bytes) -> None:
    """Write who holds a lock file into it, for a build that waits to name. (Cut to length only when an older
    line was longer: emptying a file first costs a file system such as ext4 milliseconds.)"""
    with contextlib.suppress(OSError):  # (opened read-only: another user's lock file)
        os.pwrite(descriptor, line, 0)
        if os.fstat(descriptor).st_size > len(line):
            os.ftruncate(descriptor, len(line))


def _holder(path: Path) -> tuple[str, str]:
    """What holds the lock file at `path`, as it wrote there: (" (pid 123)", "build")."""
    try:
        pid, _, what = path.read_text(encoding="utf-8").partition("\n")[0].strip().partition(" ")
    except (OSError, ValueError):
        pid, what = "", ""
    return (f" (pid {pid})" if pid.isdigit() else ""), (what or "build")


def _release(key: tuple[str, int]) -> None:
    """Let go of a lock once this thread let go of it as many times as it took it; the file is removed first,
    while still locked (see _try_lock), so that nothing stays beside the output."""
    entry = _held[key]
    entry[1] -= 1
    if entry[1] > 0:
        return
    del _held[key]
    with contextlib.suppress(OSError):
        os.unlink(key[0])
    os.close(entry[0])


def _forget_inherited() -> None:
    """In a forked child (a worker): forget the locks the parent holds, so that the child never lets go of them
    itself. Their descriptors stay open in it: a worker that outlives a killed build (for the moment it takes to
    end with it) holds the lock until it ends, so the next build cannot begin while it still writes. A worker
    the preview server keeps between rebuilds holds nothing that matters: the parent removed the lock file as it
    let go, and the next build locks a new one."""
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited)
