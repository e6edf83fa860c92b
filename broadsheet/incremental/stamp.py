"""The no-change fast path: a build whose inputs and output are as the last build left them does nothing.

A stamp, kept in the cache folder for each output folder, records the state of every input (names, sizes,
modification times and inodes of the files under content/, templates/, static/ and the default theme, the bytes
of site.yaml, the code and libraries, the build's options), the output folder's identity and folder times, and
the span of time in which the output stays right (until the next scheduled article appears, or one expires, or
one leaves the news sitemap). Checking it reads no content file and imports none of the pipeline, so that
`broadsheet build` with nothing to do finishes in the time it takes to look at the files.

A file changed less than two seconds before the scan that recorded it is not trusted (its time may not show
a later change in the same tick); then no stamp is kept and the next build checks everything.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from broadsheet.base.files import write_atomically
from broadsheet.base.names import CACHE_DIR, INPUT_FOLDERS
from broadsheet.base.options import BuildOptions
from broadsheet.incremental import sealed
from broadsheet.incremental.sealed import from_json, output_id, seal, to_json, unseal

_MAGIC = b"BSS3"
RACY_NS = 2_000_000_000  # a file changed this close to a scan is not trusted: a later change may keep its time
_LIBRARIES = ("markdown", "jinja2", "yaml", "markupsafe", "markdown_it", "mdit_py_plugins", "pygments",
              "PIL", "pagefind_bin_extended")  # (the last two: images and search)
_INPUT_FOLDERS = ("content", "templates", "static")


@dataclass(frozen=True, slots=True)
class Scan:
    """The state of a build's inputs, taken before the build reads any of them."""

    digest: bytes
    taken: int  # time.time_ns() when the scan began
    newest: int  # the latest modification time among the files scanned (ns)
    content: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # content/… file: size, mtime, inode
    content_whole: bool = False  # content/ holds only plain files and folders, all listed in `content`


@dataclass(frozen=True, slots=True)
class Stamp:
    """What the last build of an output folder left, when it can be trusted to stay right."""

    inputs: bytes  # Scan.digest
    output: tuple[int, int]  # device and inode of the output folder
    folders: tuple[tuple[str, int], ...]  # every folder of the output, with its modification time
    valid_from: datetime  # the build's moment
    valid_until: datetime | None  # the next moment at which the output would change by time alone
    pages: int
    articles: int
    warnings: tuple[str, ...]  # as printed
    # What the build left out (see progress.summary_line): drafts, scheduled, expired, the next publication.
    left_out: tuple[int, int, int, datetime | None] = (0, 0, 0, None)


def _library_files() -> list[str]:
    """The files whose change means a library was upgraded or replaced."""
    found = []
    for name in _LIBRARIES:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None) if module else None
        if path is None:
            for folder in sys.path:
                candidate = os.path.join(folder or ".", name, "__init__.py")
                if os.path.isfile(candidate):
                    path = candidate
                    break
        found.append(path or name)
    return found


def _walk(folder: str, found: list[tuple[object, ...]]) -> int:
    """Note every entry under folder in `found`; return the latest modification time of its files (ns)."""
    # In the order the system lists them: a different order only makes the digest differ (a full build).
    newest = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        found.append(("?", folder))
        return newest
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False):  # most entries: tested first, with the fewest calls
                info = entry.stat(follow_symlinks=False)
                newest = max(newest, info.st_mtime_ns)
                found.append((entry.path, info.st_size, info.st_mtime_ns, info.st_ino))
            elif entry.is_dir(follow_symlinks=False):
                found.append(("D", entry.path))
                newest = max(newest, _walk(entry.path, found))
            elif entry.is_symlink():
                try:
                    info = os.stat(entry.path)
                    state: tuple[object, ...] = (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ino)
                except OSError:
                    state = ("dangling",)
                found.append(("L", entry.path, os.readlink(entry.path), state))
            else:  # a pipe, a socket, a device: not read by a build
                found.append(("?", entry.path))
        except OSError:
            found.append(("?", entry.path))
    return newest


def scan(options: BuildOptions, theme_dir: Path) -> Scan:
    """Take the state of everything a build of `options` reads."""
    import time

    taken = time.time_ns()
    settings = {name: getattr(options, name) for name in BuildOptions.__dataclass_fields__ if name not in ("quiet", "jobs")}
    parts = [sealed.CODE_FINGERPRINT, repr(sorted(settings.items())).encode(),
             os.environ.get("SOURCE_DATE_EPOCH", "-").encode()]
    for path in _library_files():
        try:
            info = os.stat(path)
            parts.append(b"%s\0%d:%d" % (path.encode(), info.st_size, info.st_mtime_ns))
        except OSError:
            parts.append(path.encode())
    try:
        parts.append(b"site.yaml\0" + (options.site_dir / "site.yaml").read_bytes())
    except OSError:
        parts.append(b"no site.yaml")
    newest = 0
    found: list[tuple[object, ...]] = []
    content: dict[str, tuple[int, int, int]] = {}
    content_whole = False
    for root in (options.site_dir.absolute(), theme_dir):
        for name in INPUT_FOLDERS:
            found.append(("R", str(root / name)))
            start = len(found)
            newest = max(newest, _walk(str(root / name), found))
            if root != theme_dir and name == "content":  # the build takes these rather than look again
                cut = len(str(root)) + 1
                content = {entry[0][cut:]: entry[1:] for entry in found[start:]  # type: ignore[index,misc]
                           if len(entry) == 4 and entry[0] != "L"}
                content_whole = not any(entry[0] in ("L", "?") for entry in found[start:])
    parts.append(marshal.dumps(found, 2))  # (version 2: no back-references, so equal lists give equal bytes)
    digest = hashlib.blake2b(b"\n".join(parts), digest_size=20).digest()
    return Scan(digest, taken, newest, content, content_whole)


def _path(cache_dir: Path, output_dir: Path) -> Path:
    return cache_dir / f"stamp-{output_id(output_dir)}"


def _folders(output_dir: Path, names: list[str]) -> tuple[tuple[str, int], ...] | None:
    try:
        folder = os.open(output_dir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        return tuple((name, os.stat(name or ".", dir_fd=folder).st_mtime_ns) for name in names)
    except OSError:
        return None
    finally:
        os.close(folder)


def _stamp_data(stamp: Stamp) -> list[object]:
    return [stamp.inputs.hex(), list(stamp.output), [list(entry) for entry in stamp.folders],
            stamp.valid_from.isoformat(), None if stamp.valid_until is None else stamp.valid_until.isoformat(),
            stamp.pages, stamp.articles, list(stamp.warnings),
            [*stamp.left_out[:3], None if stamp.left_out[3] is None else stamp.left_out[3].isoformat()]]


def _read_stamp(data: object) -> Stamp:
    """A stamp from _stamp_data; ValueError or TypeError when the data is not one."""
    if type(data) is not list or len(data) != 9:
        raise ValueError("not a stamp")
    inputs, output, folders, valid_from, valid_until, pages, articles, warnings, left_out = data
    if (type(output) is not list or len(output) != 2 or not all(type(n) is int for n in output)
            or type(folders) is not list or type(pages) is not int or type(articles) is not int
            or type(warnings) is not list or not all(type(w) is str for w in warnings)
            or type(left_out) is not list or len(left_out) != 4 or not all(type(n) is int for n in left_out[:3])):
        raise ValueError("not a stamp")
    entries = []
    for entry in folders:
        if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not str or type(entry[1]) is not int:
            raise ValueError("not a stamp")
        entries.append((entry[0], entry[1]))
    start = datetime.fromisoformat(valid_from)
    until = None if valid_until is None else datetime.fromisoformat(valid_until)
    due = None if left_out[3] is None else datetime.fromisoformat(left_out[3])
    if start.tzinfo is None or (until is not None and until.tzinfo is None) or (due is not None and due.tzinfo is None):
        raise ValueError("not a stamp")
    return Stamp(bytes.fromhex(inputs), (output[0], output[1]), tuple(entries), start, until, pages, articles,
                 tuple(warnings), (left_out[0], left_out[1], left_out[2], due))


def _stamp_key(path: Path, inputs: bytes) -> str:
    # The inputs' digest is part of the key the stamp is sealed with: after an edit the stamp is known to be of no
    # use from its header alone, before its folders (one per page) are read.
    return f"{path.name}-{inputs.hex()}"


def load(cache_dir: Path, output_dir: Path, inputs: bytes) -> Stamp | None:
    """The stamp of the last build into output_dir, if a sound one is there and was taken of these inputs (see
    Scan.digest)."""
    path = _path(cache_dir, output_dir)
    try:
        payload = unseal(_MAGIC, _stamp_key(path, inputs), path.read_bytes())
        return None if payload is None else _read_stamp(from_json(payload))
    except (OSError, ValueError, TypeError, RecursionError):  # a miss
        return None


def save(cache_dir: Path, output_dir: Path, stamp: Stamp | None) -> None:
    """Keep the stamp of a finished build, or (None) remove the last one."""
    path = _path(cache_dir, output_dir)
    try:
        record = None if stamp is None else seal(_MAGIC, _stamp_key(path, stamp.inputs), to_json(_stamp_data(stamp)))
    except ValueError:  # (a warning naming a file whose name is no UTF-8: no stamp is kept)
        record = None
    if record is None:
        with contextlib.suppress(OSError):  # (a cache that cannot be written: its stamp stays, and is checked)
            path.unlink(missing_ok=True)
        return
    write_atomically(path, record)


def make(scan_before: Scan, output_dir: Path, folder_times: dict[str, int], now: datetime, until: datetime | None,
         pages: int, articles: int, warnings: tuple[str, ...],
         left_out: tuple[int, int, int, datetime | None] = (0, 0, 0, None)) -> Stamp | None:
    """The stamp of a build that just finished, with the times of the output's folders it took after its swap (-1:
    missing), or None when it cannot be trusted (a file changed too recently, a folder is missing)."""
    if scan_before.newest > scan_before.taken - RACY_NS or -1 in folder_times.values():
        return None
    try:
        info = os.stat(output_dir)
    except OSError:
        return None
    return Stamp(scan_before.digest, (info.st_dev, info.st_ino), tuple(sorted(folder_times.items())), now, until,
                 pages, articles, warnings, left_out)


def unchanged(options: BuildOptions, theme_dir: Path, scan_now: Scan) -> Stamp | None:
    """The last build's stamp if nothing it depends on has changed since, else None."""
    if options.no_cache:
        return None
    stamp = load((options.cache_dir or options.site_dir / CACHE_DIR).absolute(), options.output_dir, scan_now.digest)
    if stamp is None or stamp.inputs != scan_now.digest:
        return None
    try:
        info = os.stat(options.output_dir)
    except OSError:
        return None
    if (info.st_dev, info.st_ino) != stamp.output or _folders(options.output_dir, [n for n, _ in stamp.folders]) != stamp.folders:
        return None
    if options.now is None and not os.environ.get("SOURCE_DATE_EPOCH"):
        now = datetime.now(timezone.utc)
        if now < stamp.valid_from or (stamp.valid_until is not None and now >= stamp.valid_until):
            return None
    return stamp
