"""Rendering the pages that changed and carrying the others over, into the staging folder: in this process for a
few pages (an edit), in the worker processes for many; each rendered page's record keyed by what it read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from broadsheet.base.errors import Problem, SiteError, problem_of
from broadsheet.base.progress import Reporter
from broadsheet.incremental.cache import PageRecord
from broadsheet.incremental.fingerprints import page_key
from broadsheet.incremental.pool import Item, Stalled, WorkerPool, can_fork
from broadsheet.incremental.sources import render_budget, stalled_problem
from broadsheet.incremental.tasks import (
    KeptRenders,
    Maker,
    Renderer,
    Setup,
    handle,
)

_CARRY_CHUNK = 256  # files carried over, or linked, per work item
_MAKE_BUDGET = 600.0  # seconds for making a feed or a sitemap in a worker (bodies read back from the cache)
IN_PROCESS = 32  # up to this many pages are rendered in the build's own process


def render_pages(pool: WorkerPool, setup: Setup, render: list[int], carry: list[str], make: dict[str, Maker],
                 records: dict[str, PageRecord], commons: Mapping[str, bytes], reads: Mapping[str, bytes],
                 light: Callable[[int, frozenset[str]], bytes], kept: KeptRenders,
                 reporter: Reporter | None = None) -> tuple[list[int], list[Problem]]:
    """Carry the unchanged pages over, render the others (views by number) and make the other files (feeds,
    sitemaps: `make`, by output path), into the staging folder; note each rendered page's record; return the views
    rendered (with the pages found gone from the output, which could not be carried) and the problems of all pages
    and files. Pages rendered in this process keep what they can in `kept`."""
    problems: dict[Problem, None] = {}
    kinds_read: dict[frozenset[str], frozenset[str]] = {}
    views = setup.views
    gone = [path for result in in_parts(pool, setup, "carry", carry) for path in carried_paths(result)]
    if gone:  # a file gone from the current output since the last build is rendered after all
        numbers = {view.output_path: number for number, view in enumerate(views)}
        render = sorted({*render, *(numbers[path] for path in gone)})
    reporter = reporter or Reporter()
    if render:
        reporter.step("render", len(render))

    def failed(label: str, result: Any) -> bool:
        """Note the problems of a task that failed (in a worker: a value, see WorkerPool.run)."""
        if isinstance(result, Stalled):
            problems[stalled_problem(label, result)] = None
        elif isinstance(result, SiteError):
            problems.update(dict.fromkeys(result.problems))
        return isinstance(result, (Stalled, SiteError))

    def note(number: int, result: Any) -> None:
        reporter.done(views[number].output_path)
        if not failed(views[number].label, result):
            read = kinds_read.setdefault(result, result)  # one object for equal sets: a smaller index
            view = views[number]
            records[view.output_path] = PageRecord(page_key(commons[view.template], light(number, read), reads, read),
                                                   read)

    if len(render) <= IN_PROCESS:
        # A few pages (an edit): rendering them here costs less than starting workers; the Markdown, where time
        # can run away, was done under budget when the article was parsed.
        renderer = Renderer(setup, kept)
        for number in render:
            try:
                note(number, renderer.render(number))
            except SiteError as error:
                note(number, error)
            except Exception as error:  # unforeseen: a problem of this page, as in a worker (see pool)
                note(number, SiteError(problem_of(views[number].label, error)))
        if renderer.kept.fragments is not None:
            renderer.kept.fragments.save()
        problems.update(dict.fromkeys(make_files(setup, make)))
        return render, list(problems)
    entries = setup.entries
    # Workers forked for the pages make the other files too, beside them (the feeds first: the largest), rather than
    # this process after them; workers that are sent their setup cannot be sent what makes the files.
    forked = can_fork()
    items = [Item(path, _MAKE_BUDGET, ("make", path)) for path in make] if forked else []
    items += [Item(views[number].label, render_budget(setup.config, entries.get(views[number].label, (0,))[0]),
                   ("render", number)) for number in render]
    for item, result in pool.run(replace(setup, makers=make) if forked else setup, items, inherit=True):
        if item.payload[0] == "render":
            note(item.payload[1], result)
        else:
            failed(item.label, result)
    if not forked:
        problems.update(dict.fromkeys(make_files(setup, make)))
    return render, list(problems)


def make_files(setup: Setup, make: Mapping[str, Maker]) -> list[Problem]:
    """Make the files other than pages in this process (the workers' "make" task), into the staging folder; return
    their problems."""
    with_makers = replace(setup, makers=make)
    problems: list[Problem] = []
    for path in make:
        try:
            handle(with_makers, ("make", path))
        except SiteError as error:
            problems += error.problems
    return problems


def carried_paths(result: Any) -> list[str]:
    """The paths a carry task found gone (see tasks.handle); a task that failed in its worker fails the build."""
    if isinstance(result, SiteError):
        raise result
    if isinstance(result, Stalled):
        raise SiteError(stalled_problem("carrying unchanged pages over", result))
    return list(result)


def in_parts(pool: WorkerPool, setup: Setup, kind: str, paths: list[str], *before: str) -> list[Any]:
    """The results of a task over output files (see tasks.handle), run on parts of them: in the workers for many
    files, else in this process. Such tasks need only the staging folder: a light setup, cheap to send where
    workers cannot be forked."""
    light_setup = Setup(setup.site_dir, setup.config, setup.env_key, setup.cache_root, setup.stage)
    items = [Item(paths[i], 600.0, (kind, *before, paths[i:i + _CARRY_CHUNK]))
             for i in range(0, len(paths), _CARRY_CHUNK)]
    if len(paths) <= IN_PROCESS * _CARRY_CHUNK // 16:
        return [handle(light_setup, item.payload) for item in items]
    return [result for _, result in pool.run(light_setup, items, chunk=1)]


def link_in_workers(pool: WorkerPool, setup: Setup, source: str, target: str, paths: list[str]) -> bool:
    """output.link_files, in the workers for many files."""
    return all(result is True for result in in_parts(pool, setup, "link", paths, source, target))


def why_rendered(known: PageRecord | None, can_carry: bool, same_template: bool) -> str:
    """Why a page is rendered again, for `--verbose`."""
    if known is None:
        return "a new page"
    if not can_carry:
        return "the output folder is not the last build's"
    return "what it shows changed" if same_template else "its template changed"


def run_images(pool: WorkerPool, setup: Setup, jobs: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[str, Any]]:
    """Image tasks (see stages.images.run_task) in the workers, one at a time each: an image takes up to seconds."""
    items = [Item(label, 120.0, payload) for label, payload in jobs]
    return [(item.label, result) for item, result in pool.run(setup, items, chunk=1)]
