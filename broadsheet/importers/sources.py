"""Reading the old site's files: front matter in YAML or TOML, file walks, values as Broadsheet takes them."""

from __future__ import annotations

import html
import json
import os
import re
import sys
from collections.abc import Collection, Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import yaml

_TAGS = re.compile(r"<[^>]+>")
_BLOCK_TAGS = re.compile(r"</?(?:p|br|div|li|ul|ol|h[1-6]|blockquote|tr|td|th)\b[^>]*>", re.IGNORECASE)


def load_toml(text: str) -> dict[str, Any]:
    """TOML as a mapping (tomllib; tomli on Python 3.10)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    data: dict[str, Any] = tomllib.loads(text)
    return data


def load_data(path: Path) -> dict[str, Any]:
    """A configuration file in YAML, TOML or JSON, by its suffix; {} when it holds no mapping."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".toml":
        data: Any = load_toml(text)
    elif path.suffix == ".json":
        data = json.loads(text)
    else:
        data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


def front_and_body(path: Path) -> tuple[dict[str, Any], str, int]:
    """A content file's front matter (YAML between `---`, TOML between `+++`, JSON in braces), its body, and the line
    of the body's first line; ({}, whole text, 1) without front matter."""
    text = path.read_text(encoding="utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.lstrip("\n")
    skipped = len(text) - len(stripped)
    for fence, loader in (("---", yaml.safe_load), ("+++", load_toml)):
        if stripped.startswith(fence + "\n") or stripped.rstrip() == fence:
            end = stripped.find("\n" + fence, len(fence))
            if end < 0:
                return {}, text, 1
            head = stripped[len(fence) + 1:end + 1]
            close = stripped.find("\n", end + 1)
            body = stripped[close + 1:] if close >= 0 else ""
            try:
                data = loader(head) or {}
            except Exception:  # (yaml or toml: a broken header is reported by the caller as no front matter)
                data = {}
            line = skipped + stripped[:close + 1].count("\n") + 1 if close >= 0 else 1
            return (data if isinstance(data, dict) else {}), body, line
    if stripped.startswith("{"):
        try:
            data, end = json.JSONDecoder().raw_decode(stripped)
            body = stripped[end:].lstrip("\n")
            return (data if isinstance(data, dict) else {}), body, text.count("\n", 0, len(text) - len(body)) + 1
        except ValueError:
            pass
    return {}, text, 1


def mapping(value: Any) -> dict[str, Any]:
    """A configuration value that should be a mapping, or {} when it is not one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A front matter value as a list: a list as it is, one value as a list of one, nothing as []."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def summary_of(value: Any) -> str:
    """A summary from an excerpt or description (HTML tags dropped, entities read, one line)."""
    if not isinstance(value, str):
        return ""
    text = _BLOCK_TAGS.sub(" ", value)
    return " ".join(html.unescape(_TAGS.sub("", text)).split())


def image_of(value: Any) -> tuple[str, str] | None:
    """(image, alt text) from an `image:` that is a path, a URL or a mapping with `path`/`url` (and `alt`)."""
    alt = ""
    if isinstance(value, dict):
        alt = str(value.get("alt") or value.get("caption") or "")
        value = value.get("path") or value.get("url") or value.get("src") or value.get("feature")
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.strip() or "{{" in value:
        return None
    value = value.strip()
    if not re.match(r"https?://", value):
        value = value.lstrip("/")
    return value, alt


def walk_files(root: Path, include: Collection[str] = ()) -> Iterator[tuple[Path, str]]:
    """Every file below root, sorted, as (path, root-relative POSIX path); folders are not followed through links,
    and version-control and build folders are skipped."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "_site", "public", "resources", "node_modules")
                         or d in include)
        relative = Path(folder).relative_to(root).as_posix()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path, name if relative == "." else f"{relative}/{name}"


def is_excluded(relative: str, patterns: list[str]) -> bool:
    """Whether a path matches one of Jekyll's `exclude:` entries (a name, a folder, or a glob)."""
    for pattern in patterns:
        pattern = pattern.strip("/")
        if relative == pattern or relative.startswith(pattern + "/") or fnmatch(relative, pattern):
            return True
    return False
