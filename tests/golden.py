#!/usr/bin/env python3
"""Golden sites: sites built at a fixed moment and compared file by file with an output tree kept in tests/.

    python tests/golden.py --regenerate [NAME ...]   rebuild every golden site (or those named) into its expected/
    python tests/golden.py [NAME ...]                build them and print how the output differs from expected/

A case is a folder `tests/sites/<name>/` holding `site/` (the input: site.yaml, content/, templates/, static/) and
`expected/` (the output tree, written by --regenerate). An optional `golden.yaml` beside them sets `site:` (another
site folder, relative to the case's folder: the sample case builds the repository's own) or `now:` (another build
moment than NOW). Adding a case means adding a folder and running --regenerate; tests/test_golden.py finds it.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
SITES = TESTS / "sites"
REGENERATE = "python tests/golden.py --regenerate"

#: The build's moment for every case unless its golden.yaml says otherwise (also given as SOURCE_DATE_EPOCH).
#: The test sites' dates are chosen around it: some articles in the news sitemap's two days, one just after it.
NOW = "2024-03-21T12:00:00+00:00"

#: What a report shows of the differences, so that a template change touching every page stays readable.
DIFF_LINES = 40  # lines of unified diff shown per file
DIFF_FILES = 6  # distinct changes shown (a change made in many files is shown once); the others' files are named
NAMES_LISTED = 30  # missing, unexpected or further differing files named


@dataclass(frozen=True, slots=True)
class Case:
    """One golden site: where its input is, where its expected output is, the moment it is built at."""

    name: str
    folder: Path  # tests/sites/<name>
    site: Path  # the site folder built
    now: str

    @property
    def expected(self) -> Path:
        return self.folder / "expected"


@dataclass(frozen=True, slots=True)
class Environment:
    """The process environment of a build besides SOURCE_DATE_EPOCH: the output must not depend on it."""

    tz: str
    hash_seed: str


#: Regeneration builds in UTC with a fixed hash seed; the tests build elsewhere and with other seeds, so a time zone or
#: set order leaking into the output shows up as a difference from the expected tree.
REFERENCE = Environment(tz="UTC", hash_seed="0")
ELSEWHERE = (Environment(tz="Pacific/Chatham", hash_seed="1"), Environment(tz="America/St_Johns", hash_seed="2"))


class GoldenError(Exception):
    """A golden case that cannot be built or is badly described."""


def find_cases(names: Sequence[str] = ()) -> list[Case]:
    """Every case under tests/sites/ (or those named), in name order."""
    cases = [load_case(folder) for folder in sorted(SITES.iterdir()) if folder.is_dir()]
    if not names:
        return cases
    known = {case.name: case for case in cases}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise GoldenError(f"no golden site named {', '.join(unknown)} (known: {', '.join(known)})")
    return [known[name] for name in names]


def load_case(folder: Path) -> Case:
    """The case in one folder of tests/sites/, with its golden.yaml's settings if it has one."""
    settings: dict[str, object] = {}
    described = folder / "golden.yaml"
    if described.is_file():
        settings = yaml.safe_load(described.read_text(encoding="utf-8")) or {}
        unknown = set(settings) - {"site", "now"}
        if unknown:
            raise GoldenError(f"{described}: unknown keys {sorted(unknown)} (known: site, now)")
    site = (folder / str(settings.get("site", "site"))).resolve()
    if not (site / "site.yaml").is_file():
        raise GoldenError(f"{folder}: no site to build at {site} (a case holds site/, or names one in golden.yaml)")
    return Case(folder.name, folder, site, str(settings.get("now", NOW)))


def source_date_epoch(now: str) -> str:
    """SOURCE_DATE_EPOCH for a moment written with its offset."""
    moment = datetime.fromisoformat(now)
    if moment.utcoffset() is None:
        raise GoldenError(f"the moment {now!r} needs an offset (+00:00)")
    return str(int(moment.timestamp()))


def build_case(case: Case, output: Path, cache_dir: Path | None = None, jobs: int | None = None,
               environment: Environment = REFERENCE) -> None:
    """Build the case into `output` through the CLI in a new process: with the cache in `cache_dir`, else none."""
    command = [sys.executable, "-m", "broadsheet", "build", "--site", str(case.site), "--output", str(output),
               "--now", case.now, "--quiet"]
    command += ["--cache-dir", str(cache_dir)] if cache_dir else ["--no-cache"]
    command += ["--jobs", str(jobs)] if jobs else []
    env = {**os.environ, "SOURCE_DATE_EPOCH": source_date_epoch(case.now), "TZ": environment.tz,
           "PYTHONHASHSEED": environment.hash_seed,
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run(command, env=env, cwd=output.parent, capture_output=True, text=True, timeout=300,
                          check=False)
    if done.returncode != 0:
        raise GoldenError(f"golden site {case.name!r}: `{' '.join(command[2:])}` failed with status {done.returncode}:"
                          f"\n{done.stdout}{done.stderr}")
    if done.stdout or done.stderr:  # --quiet prints nothing on success, and the golden sites have nothing to warn of
        raise GoldenError(f"golden site {case.name!r}: `{' '.join(command[2:])}` printed what a quiet build without "
                          f"warnings does not:\n{done.stdout}{done.stderr}")


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path (hidden ones too; folders are not compared)."""
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def difference_report(actual: Mapping[str, bytes], expected: Mapping[str, bytes], title: str) -> str:
    """'' when the trees are equal; else what differs: missing and unexpected files, then a diff per file."""
    missing = sorted(set(expected) - set(actual))
    unexpected = sorted(set(actual) - set(expected))
    differing = sorted(name for name in set(actual) & set(expected) if actual[name] != expected[name])
    if not (missing or unexpected or differing):
        return ""
    counts = f"{len(differing)} files differ, {len(missing)} missing, {len(unexpected)} unexpected"
    lines = [title, f"{counts} (of {len(expected)} expected)."]
    for heading, names in (("Missing (expected, not built):", missing),
                           ("Unexpected (built, not expected):", unexpected)):
        if names:
            lines += [heading, *_named(names)]
    # A template change makes the same change in many files: each distinct change is shown once, with its files.
    changes: dict[tuple[str, ...], list[str]] = {}
    diffs: dict[str, list[str]] = {}
    for name in differing:
        diffs[name] = file_diff(name, expected[name], actual[name])
        changed_lines = tuple(line for line in diffs[name][2:] if line[:1] in "+-")
        changes.setdefault(changed_lines or (name,), []).append(name)
    groups = list(changes.values())
    for names in groups[:DIFF_FILES]:
        lines += _cut(diffs[names[0]], names[0])
        if len(names) > 1:
            lines += [f"The same lines changed in {len(names) - 1} more files:", *_named(names[1:])]
    if len(groups) > DIFF_FILES:
        rest = [name for names in groups[DIFF_FILES:] for name in names]
        lines += [f"... and {len(rest)} more differing files, not shown:", *_named(rest)]
    lines.append(f"If the change is intended, run `{REGENERATE}` and commit the expected trees with it.")
    return "\n".join(lines)


def _named(names: Sequence[str]) -> list[str]:
    shown = [f"  {name}" for name in names[:NAMES_LISTED]]
    return shown + ([f"  ... and {len(names) - NAMES_LISTED} more"] if len(names) > NAMES_LISTED else [])


def _cut(diff: list[str], name: str) -> list[str]:
    if len(diff) <= DIFF_LINES:
        return diff
    return [*diff[:DIFF_LINES], f"... diff of {name} cut: {len(diff) - DIFF_LINES} more lines"]


def file_diff(name: str, expected: bytes, actual: bytes) -> list[str]:
    """A unified diff of one file; for bytes that are not text, a line saying where they first differ."""
    try:
        old, new = expected.decode("utf-8"), actual.decode("utf-8")
    except UnicodeDecodeError:
        sizes = f"{len(expected)} bytes expected, {len(actual)} built"
        return [f"Binary file {name} differs ({sizes}; {_first_difference(expected, actual)})."]
    diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"expected/{name}", f"built/{name}",
                                     n=2, lineterm=""))
    if not diff:  # only line endings or the final newline differ: splitlines() cannot show it
        return [f"{name} differs in line endings or its final newline ({_first_difference(expected, actual)})."]
    return diff


def _first_difference(expected: bytes, actual: bytes) -> str:
    pairs = enumerate(zip(expected, actual, strict=False))
    at = next((i for i, (a, b) in pairs if a != b), min(len(expected), len(actual)))
    return f"first at byte {at}: {expected[at:at + 16]!r} expected, {actual[at:at + 16]!r} built"


def regenerate(case: Case) -> str:
    """Rebuild the case's expected/ from two clean builds that must agree; return a line saying what changed."""
    with tempfile.TemporaryDirectory(prefix=f"golden-{case.name}-") as folder:
        first, second = Path(folder, "first"), Path(folder, "second")
        build_case(case, first)
        build_case(case, second, environment=ELSEWHERE[0])
        tree = read_tree(first)
        different = difference_report(read_tree(second), tree, f"golden site {case.name!r} is not deterministic: "
                                                               "two clean builds differ (the first is expected/)")
        if different:
            raise GoldenError(different)
    before = read_tree(case.expected)
    shutil.rmtree(case.expected, ignore_errors=True)
    for name, data in tree.items():
        path = case.expected / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    changed = sum(1 for name in tree if name in before and before[name] != tree[name])
    added, removed = len(set(tree) - set(before)), len(set(before) - set(tree))
    return (f"{case.name}: {len(tree)} files in {case.expected.relative_to(REPO_ROOT)}/ "
            f"({changed} changed, {added} added, {removed} removed)")


def check(case: Case) -> str:
    """Build the case without a cache and compare; '' when it matches expected/."""
    if not case.expected.is_dir():
        return f"golden site {case.name!r} has no expected tree: run `{REGENERATE} {case.name}`."
    with tempfile.TemporaryDirectory(prefix=f"golden-{case.name}-") as folder:
        build_case(case, Path(folder, "out"))
        return difference_report(read_tree(Path(folder, "out")), read_tree(case.expected),
                                 f"golden site {case.name!r}: the output differs from {case.expected}")


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: regenerate the expected trees, or compare builds with them."""
    parser = argparse.ArgumentParser(prog="python tests/golden.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--regenerate", action="store_true", help="rebuild the expected trees from the current code")
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these cases (folders of tests/sites/)")
    args = parser.parse_args(argv)
    try:
        cases = find_cases(args.names)
        if args.regenerate:
            for case in cases:
                print(regenerate(case))
            return 0
        reports = [report for case in cases if (report := check(case))]
    except GoldenError as error:
        print(error, file=sys.stderr)
        return 1
    print("\n\n".join(reports) if reports else f"{len(cases)} golden sites match their expected trees.")
    return 1 if reports else 0


if __name__ == "__main__":
    sys.exit(main())
