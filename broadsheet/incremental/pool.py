"""Worker processes for per-article work, each item under a time budget.

A worker that overruns an item's budget, or dies on it, is killed and replaced; the item is reported as
stalled and the rest of the work goes on. Items travel in small chunks (fewer messages); each worker
notes in shared memory which item it is on and since when, so the parent can time single items.

A worker ends when its parent does, however the parent ends (`kill -9` included): see _end_with_parent.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from broadsheet.base.errors import Problem, SiteError, describe, unexpected

log = logging.getLogger(__name__)
_POLL = 0.25  # seconds between checks of running items' budgets
_ORPHAN_POLL = 0.5  # seconds between a worker's looks at whether its parent still runs (where Linux cannot tell it)
_PR_SET_PDEATHSIG = 1
# This process's ends of its workers' pipes. A worker forked later inherits them: it closes them at once, or the
# pipes of the workers before it would stay open after the parent died, and those would wait for work forever.
_parent_ends: set[multiprocessing.connection.Connection] = set()


@dataclass(frozen=True, slots=True)
class Item:
    """One unit of work: what it is about (for error messages), its time budget and its data."""

    label: str
    budget: float  # seconds
    payload: Any


@dataclass(frozen=True, slots=True)
class Stalled:
    """The result of an item whose worker ran out of time or died."""

    reason: str  # "timeout" or "crash"
    budget: float


Handler = Callable[[Any, Any], Any]


class _Inherited:
    """Sent in place of a setup that workers have from their parent's memory: they were forked after it was made."""


_inherited: Any = None  # the setup workers forked from now on inherit


def _end_with_parent(signalled: bool) -> None:
    """Make this worker end when its parent process ends: at once by a signal from the system where it can send
    one (Linux; `signalled`: the parent forked this worker from its main thread, whose end the system reports),
    else within _ORPHAN_POLL seconds by a thread watching for a new parent; and close the inherited ends of the
    other workers' pipes (see _parent_ends), so that an idle worker reads the end of its own pipe."""
    parent = os.getppid()
    for end in _parent_ends:
        with contextlib.suppress(OSError):
            end.close()
    _parent_ends.clear()
    if signalled and _parent_death_signal(signal.SIGKILL):
        if os.getppid() != parent:  # the parent ended before the signal was asked for
            os._exit(1)
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_ORPHAN_POLL)
        os._exit(1)

    threading.Thread(target=watch, name="broadsheet-orphan-watch", daemon=True).start()


def _parent_death_signal(number: int) -> bool:
    """Ask Linux to send this process `number` when its parent ends (prctl PR_SET_PDEATHSIG); False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return bool(ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, number, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _worker_main(conn: multiprocessing.connection.Connection, slot: Any, make_handler: Callable[[], Handler],
                 signalled: bool = False) -> None:
    """A worker's loop: receive (generation, setup, payloads), answer with one result per payload."""
    _end_with_parent(signalled)
    handler = make_handler()
    setups: dict[int, Any] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if message is None:
            return
        generation, setup, payloads = message
        if setup is not None:
            setups = {generation: _inherited if isinstance(setup, _Inherited) else setup}
        results = []
        for index, payload in enumerate(payloads):
            slot[1] = time.monotonic()
            slot[0] = index
            try:
                results.append(("ok", handler(setups[generation], payload)))
            except SiteError as error:
                results.append(("problems", error.problems))
            except RecursionError:
                results.append(("recursion", None))
            except Exception as error:  # unforeseen: a problem of this item all the same, its traceback for --debug
                results.append(("error", (describe(error), traceback.format_exc(), isinstance(error, OSError))))
        slot[0] = -1
        try:
            conn.send(results)
        except OSError:  # the parent is gone
            return


class _Worker:
    def __init__(self, context: Any, make_handler: Callable[[], Handler]):
        self.slot = context.RawArray("d", 2)
        self.slot[0] = -1
        self.conn, child = context.Pipe()
        _parent_ends.add(self.conn)  # (before the fork: the worker closes its copy of this end too)
        signalled = threading.current_thread() is threading.main_thread()
        self.process = context.Process(target=_worker_main, args=(child, self.slot, make_handler, signalled),
                                       daemon=True)
        self.process.start()
        child.close()
        self.generation = 0  # the last generation whose setup this worker has
        self.chunk: list[Item] | None = None

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.process.kill()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        _parent_ends.discard(self.conn)
        self.conn.close()


def can_fork() -> bool:
    """Whether this process can fork a child safely: where fork exists, and while no other thread runs."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _context() -> Any:
    """fork in a single-threaded process (fast); forkserver where threads run (the preview server)."""
    methods = multiprocessing.get_all_start_methods()
    if can_fork():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["broadsheet.incremental.tasks"])
        return context
    return multiprocessing.get_context("spawn")


class WorkerPool:
    """Up to `jobs` worker processes, each calling `make_handler()` first (imports, say, while the parent goes on),
    then the handler it returns, `handler(setup, payload)`, for each item; started on first use (or by `start`),
    reused after."""

    def __init__(self, jobs: int, make_handler: Callable[[], Handler]):
        self.jobs = max(1, jobs)
        self.make_handler = make_handler
        self._workers: list[_Worker] = []
        self._context: Any = None
        self._generation = 0

    def start(self, count: int = 1) -> None:
        """Start workers ahead of a run (up to `count`, at most `jobs`), so that they prepare while this process
        does other work."""
        while len(self._workers) < min(count, self.jobs):
            self._workers.append(self._spawn())

    def _spawn(self) -> _Worker:
        if self._context is None:
            self._context = _context()
        return _Worker(self._context, self.make_handler)

    def run(self, setup: Any, items: Sequence[Item], chunk: int = 16,
            inherit: bool = False) -> Iterator[tuple[Item, Any]]:
        """Yield (item, result) as items finish, in no fixed order; a result is a Stalled for an item that
        overran its budget or crashed its worker, and problems raise nothing here: they come back as values (a
        SiteError), an exception the handler did not foresee too.

        With `inherit`, where processes are forked, workers are forked anew so that they share the setup with
        this process instead of receiving a copy of it (a large setup, such as the whole site, then costs nothing
        to send)."""
        global _inherited
        self._generation += 1
        generation = self._generation
        pending: deque[list[Item]] = deque(list(items[i:i + chunk]) for i in range(0, len(items), chunk))
        message = setup
        if inherit and pending and self._forks():
            if _inherited is not setup:
                self.close()
                _inherited = setup
            message = _Inherited()
        wanted = min(self.jobs, len(pending))
        while len(self._workers) < wanted:
            self._workers.append(self._spawn())
        try:
            yield from self._drive(message, generation, pending)
        finally:
            # Stopped early (an exception in the consumer): workers still busy would answer the next run.
            for index, worker in enumerate(self._workers):
                if worker.chunk is not None:
                    worker.stop(kill=True)
                    self._workers[index] = self._spawn()

    def _forks(self) -> bool:
        if self._context is None:
            self._context = _context()
        return bool(self._context.get_start_method() == "fork")

    def _drive(self, setup: Any, generation: int, pending: deque[list[Item]]) -> Iterator[tuple[Item, Any]]:
        while True:
            for worker in self._workers:
                if worker.chunk is None and pending:
                    worker.chunk = pending.popleft()
                    worker.conn.send((generation, setup if worker.generation != generation else None,
                                      [item.payload for item in worker.chunk]))
                    worker.generation = generation
            busy = [w for w in self._workers if w.chunk is not None]
            if not busy:
                return
            ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=_POLL)
            for worker in busy:
                if worker.conn in ready:
                    yield from self._collect(worker, pending)
            now = time.monotonic()
            for worker in busy:
                chunk = worker.chunk
                if chunk is None:
                    continue
                index = int(worker.slot[0])
                if 0 <= index < len(chunk) and now - worker.slot[1] > chunk[index].budget:
                    yield from self._replace(worker, index, "timeout", pending)

    def _collect(self, worker: _Worker, pending: deque[list[Item]]) -> Iterator[tuple[Item, Any]]:
        chunk = worker.chunk
        assert chunk is not None
        try:
            results = worker.conn.recv()
        except (EOFError, OSError):
            index = int(worker.slot[0])
            yield from self._replace(worker, index if 0 <= index < len(chunk) else 0, "crash", pending)
            return
        worker.chunk = None
        for item, (status, value) in zip(chunk, results, strict=False):
            if status == "error":
                description, trace, by_system = value
                log.debug("%s failed in a worker:\n%s", item.label, trace)
                yield item, SiteError(unexpected(item.label, description, by_system=by_system))
            elif status == "problems":
                yield item, SiteError(value)
            elif status == "recursion":
                yield item, SiteError(Problem(item.label, None, "is nested too deeply to render",
                                              "flatten deeply nested lists or quotations"))
            else:
                yield item, value

    def _replace(self, worker: _Worker, index: int, reason: str,
                 pending: deque[list[Item]]) -> Iterator[tuple[Item, Any]]:
        """Kill a worker stuck on (or killed by) chunk[index]; requeue the rest of its chunk; start another."""
        chunk = worker.chunk
        assert chunk is not None
        worker.chunk = None
        worker.stop(kill=True)
        self._workers[self._workers.index(worker)] = self._spawn()
        rest = chunk[:index] + chunk[index + 1:]
        if rest:
            pending.appendleft(rest)
        yield chunk[index], Stalled(reason, chunk[index].budget)

    def close(self) -> None:
        """Stop every worker."""
        global _inherited
        for worker in self._workers:
            worker.stop(kill=worker.chunk is not None)
        self._workers = []
        _inherited = None


def default_jobs() -> int:
    """The number of processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
