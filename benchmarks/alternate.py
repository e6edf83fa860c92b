#!/usr/bin/env python3
"""Time two checkouts of Broadsheet on one corpus, alternating round by round (ABBA), with run.py's rounds.

Usage::

    python benchmarks/alternate.py --base /path/to/other/checkout [--rounds 2] [--articles 10000]

`run.py --rounds N` runs one checkout's rounds in a row; this runs a round of one, then of the other, so that a
machine whose speed drifts treats both alike. Each round is `run.py`'s (cold, no change, one edit, title edit, later
edit, template edit), every build after a drop of the page cache (Linux, as root). Prints each round, then run.py's
table of medians.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType


def load_run(repo: Path, name: str) -> ModuleType:
    """A checkout's benchmarks/run.py, as a module of its own (its tools run that checkout's code)."""
    spec = importlib.util.spec_from_file_location(name, repo / "benchmarks/run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    """Run the rounds, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (e.g. a worktree of the base)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each checkout")
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/broadsheet-bench"), help="where corpora are kept")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    repos = {}
    for repo in (args.base.resolve(), here):
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
        repos[f"{repo.name} {commit}"] = repo
    tools, run = {}, None
    for number, (label, repo) in enumerate(repos.items()):
        module = load_run(repo, f"run_{number}")
        options = argparse.Namespace(tools="broadsheet", jobs=None, hugo=None, pelican=None, eleventy=None)
        tools[label] = module.find_tools(options)[0]
        run = run or module
    assert run is not None
    site = run.prepare(next(iter(tools.values())), args.articles, args.work)
    results: dict[str, list[dict[str, tuple[float, float]]]] = {label: [] for label in tools}
    number = 10  # (edits name their round: these differ from a run.py run's on the same corpus)
    for round_number in range(args.rounds):
        order = list(tools) if round_number % 2 else list(tools)[::-1]
        for label in order:
            figures = run.run_round(tools[label], site, number, drop=True)
            number += 1
            results[label].append(figures)
            print(f"round {round_number + 1} {label}: "
                  + ", ".join(f"{kind} {value[0]:.2f} s" for kind, value in figures.items()), flush=True)
    print(run.report(results, args.articles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
