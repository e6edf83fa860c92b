"""Search: Pagefind's index of the articles, made in the staging folder before the swap (site.yaml `search: true`).

Pagefind is the one external program a build runs (docs/search.md). Its index is a function of the pages: when no
page changed since the last build into the same output, the index is linked over from the current output instead
of being made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from broadsheet.config import Config
from broadsheet.errors import Problem, SiteError
from broadsheet.stamp import write_atomically

SEARCH_PAGE = "search/index.html"
INDEX_DIR = "pagefind"  # in the output: Pagefind's index and its scripts
_KEYS_FILE = "search.json"  # in the cache folder: the key of the index in each output folder


def search_context(config: Config) -> dict[str, Any]:
    """The search page's context."""
    return {"page_title": config.labels.search, "description": "",
            "canonical_url": config.origin + config.base_path + SEARCH_PAGE.removesuffix("index.html")}


def pagefind_executable() -> str:
    """The Pagefind program of the `pagefind` Python package (its extended build, which segments Chinese and
    Japanese text, where installed)."""
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        try:
            from pagefind_bin import get_executable  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError:
            raise SiteError(Problem("site.yaml", None, "search: true needs Pagefind, which is not installed",
                                    "pip install 'broadsheet[search]'")) from None
    return str(get_executable())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for name in ("pagefind-bin-extended", "pagefind-bin"):
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            continue
    return "none"


def index_key(pages: Iterable[tuple[str, bytes]], config: Config) -> str:
    """What the index is made from: every page (path and key), Pagefind's version and the site's address and
    language."""
    digest = hashlib.sha256(f"{_version()}\0{config.base_path}\0{config.language}\0".encode())
    for path, key in sorted(pages):
        digest.update(path.encode() + b"\0" + key + b"\0")
    return digest.hexdigest()


def index_site(stage: Path, current: Path, cache_root: Path, key: str | None) -> str | None:
    """Put the search index into the staging folder: linked over from the `current` output when the last build
    into it made the index of the same `key`, else made by Pagefind. With `key` None (search off), only remove an
    index an earlier build left in a staging folder being updated in place. Returns the key for `remember`."""
    target = stage / INDEX_DIR
    kept = _kept_keys(cache_root).get(str(current))
    if key is None:
        if kept is not None:
            shutil.rmtree(target, ignore_errors=True)
        return None
    shutil.rmtree(target, ignore_errors=True)  # (an earlier output's index, in a staging folder updated in place)
    if kept == key and (current / INDEX_DIR / "pagefind.js").is_file():
        try:
            shutil.copytree(current / INDEX_DIR, target, copy_function=_link)
            return key
        except OSError:
            shutil.rmtree(target, ignore_errors=True)
    run_pagefind(stage)
    return key


def run_pagefind(site: Path) -> None:
    """Run Pagefind over a built site; a failure is a problem of the build."""
    command = [pagefind_executable(), "--site", str(site), "--output-subdir", INDEX_DIR, "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SiteError(Problem("pagefind", None, f"could not be run: {error}")) from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise SiteError(Problem("pagefind", None, f"failed (exit {done.returncode}): "
                                f"{message[-1] if message else 'no message'}"))


def remember(cache_root: Path, output_dir: Path, key: str | None) -> None:
    """Note the key of the index now in the output folder (after the swap), for the next build."""
    keys = _kept_keys(cache_root)
    if keys.get(str(output_dir.absolute())) == key:
        return
    if key is None:
        keys.pop(str(output_dir.absolute()), None)
    else:
        keys[str(output_dir.absolute())] = key
    try:
        write_atomically(cache_root / _KEYS_FILE, json.dumps(keys, sort_keys=True).encode())
    except OSError:
        pass  # (a read-only cache: the next build makes the index again)


def _kept_keys(cache_root: Path) -> dict[str, str]:
    try:
        keys = json.loads((cache_root / _KEYS_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(keys, dict):
        return {}
    return {k: v for k, v in keys.items() if isinstance(k, str) and isinstance(v, str)}


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
