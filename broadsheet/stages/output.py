"""The one place that writes the site: a staging folder beside the output, swapped in whole."""

from __future__ import annotations

import ctypes
import os
import posixpath
import shutil
import stat
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from broadsheet.base.errors import Problem, SiteError
from broadsheet.stages.buildinfo import is_build

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    """A hard link where the file system allows it (cheap, same bytes), else a copy."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def link_files(source: str, target: str, paths: Iterable[str]) -> bool:
    """Link (or copy) each file at `paths` below the folder `source` to the same path below `target`, making the
    folders it needs; False if one cannot be. Parts of one output can be linked at once, in several processes."""
    made: set[str] = set()
    try:
        for path in paths:
            parent = path.rpartition("/")[0]
            if parent and parent not in made:
                os.makedirs(f"{target}/{parent}", exist_ok=True)
                made.add(parent)
            _link_or_copy(f"{source}/{path}", f"{target}/{path}")
    except OSError:
        return False
    return True


def _remove(path: Path) -> None:
    """Remove a file, link or folder if there is one."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _folded(output_path: str) -> str:
    """An output path normalised and case-folded, as two claims on one file compare."""
    parts = output_path.split("/")
    plain = "" not in parts and "." not in parts and ".." not in parts  # as normpath would leave it, found in C
    return (output_path if plain else posixpath.normpath(output_path)).casefold()


def find_collisions(claims: Iterable[tuple[str, str]]) -> list[Problem]:
    """Output paths claimed twice, compared case-insensitively (macOS and Windows fold case), as problems naming
    both claimants; a claim is (output path, the file that claims it)."""
    owners: dict[str, tuple[str, str]] = {}
    problems = []
    for output_path, owner in claims:
        key = _folded(output_path)
        if key in owners:
            first_path, first_owner = owners[key]
            same = f"/{first_path}" if first_path != output_path else "URL"
            problems.append(Problem(owner, 1, f"is published at /{output_path}, the same {same} as {first_owner}",
                                    "rename one of them; URLs that differ only in letter case collide"))
        else:
            owners[key] = (output_path, owner)
    return problems


def folders_of(output_paths: Iterable[str]) -> set[str]:
    """The folders holding output_paths, with the top one ("")."""
    return {path.rpartition("/")[0] for path in output_paths} | {""}


def folder_times(root: Path, folders: Iterable[str]) -> dict[str, int]:
    """The modification time of each of the folders, given relative to root ("": root itself; -1: missing)."""
    try:
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return dict.fromkeys(folders, -1)
    times = {}
    try:
        for folder in folders:  # looked up from the root: a site has a folder per page
            try:
                times[folder] = os.stat(folder or ".", dir_fd=top).st_mtime_ns
            except OSError:
                times[folder] = -1
    finally:
        os.close(top)
    return times


@dataclass(frozen=True, slots=True)
class Stage:
    """A handle on one build's staging folder that worker processes use to write pages into it."""

    root: Path  # the staging folder, resolved
    previous: Path  # the current output folder, where unchanged pages are carried over from
    token: str  # tells one build's staging folder from the next one at the same path
    # The staging folder is an earlier output being updated in place: its files may be hard links shared with the
    # current output, so a file is always replaced, never written into.
    recycled: bool = False
    # What this process made of the staging folder: the folders checked and made, and each case-folded output path
    # with what wrote it. A copy sent to a worker starts empty (see __reduce__): each process keeps its own.
    made_folders: set[str] = field(default_factory=set, compare=False, repr=False)
    written: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return Stage, (self.root, self.previous, self.token, self.recycled)

    def _target(self, output_path: str, writer: str) -> str:
        """The file to write, its folder made, after the last guards: inside the staging folder, and not yet written
        by this build in this process (compared case-insensitively, as macOS and Windows fold case; the build checks
        all claims before rendering), so that no file silently replaces another."""
        parent, _, name = output_path.rpartition("/")
        if name in ("", ".", "..") or "\0" in output_path:
            raise SiteError(Problem(writer, None, f"refusing to write {output_path!r} outside the output folder"))
        if parent and parent not in self.made_folders:
            self._make_folder(parent, output_path, writer)
        key = _folded(output_path)
        if key in self.written:
            raise SiteError(Problem(writer, None, f"would overwrite /{output_path}, already written for "
                                    f"{self.written[key]}", "give one of them another name or slug"))
        self.written[key] = writer if writer != output_path else f"the page /{output_path}"
        # Only this module creates entries in the staging folder, and only real folders and files: a folder
        # checked once stays inside it.
        # (A string: a Path per page costs more than writing it.)
        return f"{self.root}/{parent}/{name}" if parent else f"{self.root}/{name}"

    def _make_folder(self, parent: str, output_path: str, writer: str) -> None:
        """Make a folder of the staging folder, one name at a time below folders already checked: each name is a
        plain name, and what stands there is a real folder (not a link), so the folder is inside the staging one
        without resolving its whole path."""
        if any(name in ("", ".", "..") for name in parent.split("/")):  # an absolute path too: it starts with ""
            raise SiteError(Problem(writer, None, f"refusing to write {output_path!r} outside the output folder"))
        head = parent.rpartition("/")[0]
        if head and head not in self.made_folders:
            self._make_folder(head, output_path, writer)
        folder = f"{self.root}/{parent}"
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                if not self.recycled:
                    raise SiteError(Problem(writer, None, f"refusing to write {output_path!r}: /{parent} is "
                                            "not a folder")) from None
                os.unlink(folder)  # a file (or link) of the earlier output where this build has a folder
                os.mkdir(folder)
        self.made_folders.add(parent)

    def _fresh(self, target: str) -> str:
        """The target, with what an earlier output left there removed (see `recycled`)."""
        if self.recycled:
            try:
                os.unlink(target)
            except FileNotFoundError:
                pass
            except IsADirectoryError:
                shutil.rmtree(target)
        return target

    def write(self, output_path: str, data: bytes, label: str = "") -> None:
        """Write one file of the new output; `label` names what it is made from in problems (default: its path)."""
        try:
            with open(self._fresh(self._target(output_path, output_path)), "wb") as file:
                file.write(data)
        except OSError as error:
            raise _unwritable(label or output_path, output_path, error) from None

    def copy(self, output_path: str, source: Path, label: str = "") -> None:
        """Copy a file into the new output; `label` names the source in problems (default: its path)."""
        try:
            shutil.copyfile(source, self._fresh(self._target(output_path, label or str(source))))
        except OSError as error:
            raise _unwritable(label or str(source), output_path, error) from None

    def remove(self, output_path: str) -> None:
        """Remove a file an earlier output had and this one does not, with the folders it leaves empty."""
        target = self.root / output_path
        if not target.resolve().is_relative_to(self.root):
            return
        try:
            if stat.S_ISDIR(os.lstat(target).st_mode):
                return  # a folder of this build now stands where the earlier output had the file
            os.unlink(target)
        except OSError:
            return
        for folder in target.parents:
            if folder == self.root:
                break
            try:
                os.rmdir(folder)
            except OSError:
                break

    def carry(self, output_path: str) -> bool:
        """Carry a file over unchanged from the current output (a hard link, else a copy); False if it is not there."""
        source = os.path.join(self.previous, output_path)
        try:
            if not stat.S_ISREG(os.lstat(source).st_mode):
                return False
            _link_or_copy(source, self._fresh(self._target(output_path, output_path)))
        except (OSError, ValueError):
            return False
        return True


def _unwritable(writer: str, output_path: str, error: OSError) -> SiteError:
    """A file of the output that the system would not write (a name too long, a full or read-only disk)."""
    return SiteError(Problem(writer, None, f"cannot write /{output_path}: {error.strerror or error}"))


class OutputFolder:
    """Builds a new output in `.<name>.broadsheet-new` beside the output folder and swaps it in on commit.

    Until commit, the previous output is untouched; a killed build leaves only the staging folder,
    which the next build removes.
    """

    def __init__(self, output_dir: Path, keep: tuple[str, ...] = ()):
        self.final = output_dir.absolute()
        self.keep = keep  # entries of the previous output carried into the new one (site.yaml `keep:`)
        self.staging = self.final.with_name(f".{self.final.name}.broadsheet-new")
        self.aside = self.final.with_name(f".{self.final.name}.broadsheet-old")
        self._stage: Stage | None = None

    def identity(self) -> tuple[str, int, int] | None:
        """The output folder's path, device and inode: a new value after every commit."""
        try:
            info = os.stat(self.final)
        except OSError:
            return None
        return str(self.final), info.st_dev, info.st_ino

    def holds(self, output_path: str, data: bytes) -> bool:
        """Whether the current output has exactly these bytes at output_path."""
        try:
            with open(os.path.join(self.final, output_path), "rb") as file:
                return file.read(len(data) + 1) == data
        except (OSError, ValueError):
            return False

    def folder_times(self, output_paths: Iterable[str], known: Mapping[str, int] | None = None,
                     touched: Iterable[str] = ()) -> dict[str, int]:
        """The modification time of each folder holding output_paths (and of the output folder itself): a file
        added to or removed from the output by anyone changes its folder's time.

        `known` are the folders' times before this build updated the output in place, and `touched` the paths it
        wrote, linked or removed there: only their folders (and those folders' parents, where a folder may have
        been made or removed) are looked at again. A time taken from `known` that is out of date only makes the
        next build's check of the output fail, and that build look at everything."""
        folders = sorted(folders_of(output_paths))
        again = {""}
        for path in touched:
            folder = path.rpartition("/")[0]
            while folder not in again:  # ("" is in it: every path ends there)
                again.add(folder)
                folder = folder.rpartition("/")[0]
        known = known or {}
        looked_at = folder_times(self.final, [f for f in folders if f not in known or f in again])
        return {folder: looked_at[folder] if folder in looked_at else known[folder] for folder in folders}

    def check_replaceable(self) -> None:
        """Refuse to replace what is not a previous build, since a build swaps the whole folder: a link, a file,
        or a folder (a mistyped --output) that is neither a build (its build-info file says so) nor empty but for
        the `keep:` entries (a deploy checkout)."""
        if self.final.is_symlink() or (self.final.exists() and not self.final.is_dir()):
            raise SiteError(Problem(str(self.final), None, "the output must be a plain folder, not a link or a file",
                                    "point --output at the real folder"))
        if self.final.is_dir() and not is_build(self.final):
            others = sorted(p.name for p in self.final.iterdir() if p.name not in self.keep)
            if others:
                raise SiteError(Problem(str(self.final), None, f"holds files that are not a Broadsheet build "
                                        f"({', '.join(others[:3])}{', …' if len(others) > 3 else ''}), and a build "
                                        "replaces the whole folder", "empty it, list deploy files in site.yaml "
                                        "'keep:', or choose another --output"))

    @property
    def stage(self) -> Stage:
        """The handle workers write through."""
        assert self._stage is not None, "begin() first"
        return self._stage

    def begin(self, reuse: Path | None = None) -> bool:
        """Recover from a build killed mid-swap, clear leftovers, and make the staging folder: `reuse` (an earlier
        output kept by `commit`, to be updated in place) where given and possible, else an empty folder.
        Returns whether `reuse` became the staging folder."""
        if not self.final.exists() and self.aside.is_dir():
            self.aside.rename(self.final)
        self.check_replaceable()
        for leftover in (self.staging, self.aside):
            _remove(leftover)
        recycled = False
        if reuse is not None and reuse.is_dir() and not reuse.is_symlink():
            try:
                os.rename(reuse, self.staging)
                recycled = True
            except OSError:
                _remove(reuse)
        if not recycled:
            self.staging.mkdir(parents=True)
        self._stage = Stage(self.staging.resolve(), self.final, uuid.uuid4().hex, recycled)
        return recycled

    def write(self, output_path: str, data: bytes) -> None:
        """Write one file of the new output."""
        self.stage.write(output_path, data)

    def copy(self, output_path: str, source: Path, label: str = "") -> None:
        """Copy a file into the new output; `label` names the source in problems (default: its path)."""
        self.stage.copy(output_path, source, label)

    def carry(self, output_path: str) -> bool:
        """Carry a file of the current output over unchanged; False if it is not there."""
        return self.stage.carry(output_path)

    def carry_kept(self) -> None:
        """Link the `keep:` entries of the previous output (.git, CNAME) into the new one; the previous output
        keeps them too, so it stays complete until the swap."""
        for name in self.keep:
            source, target = self.final / name, self.staging / name
            if self.stage.recycled:
                _remove(target)  # the earlier output's copy, perhaps out of date
            if not (source.exists() or source.is_symlink()) or target.exists() or target.is_symlink():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
            elif source.is_dir():
                shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
            else:
                _link_or_copy(source, target)

    def commit(self, keep_previous: Path | None = None) -> bool:
        """Put the new output in place of the old in one step where the system allows it. With `keep_previous`,
        the old output is moved there (for the next build to update in place) rather than deleted, if it can be;
        returns whether it was."""
        self.carry_kept()
        old = None
        if not self.final.exists():
            self.staging.rename(self.final)
        elif _exchange(self.staging, self.final):
            old = self.staging
        else:
            self.final.rename(self.aside)
            self.staging.rename(self.final)
            old = self.aside
        self._stage = None
        if old is None:
            return False
        if keep_previous is not None:
            _remove(keep_previous)
            try:
                os.rename(old, keep_previous)
                return True
            except OSError:
                pass
        shutil.rmtree(old)
        return False

    def keep_copy(self, target: Path, output_paths: Iterable[str],
                  link: Callable[[str, str, list[str]], bool] | None = None) -> bool:
        """Make `target` a copy of the output's files at `output_paths`, by hard links (copies where links fail),
        for the next build to update in place (see commit); False, with nothing left, if it cannot be made whole.
        `link` does the linking (see link_files), in worker processes, say."""
        _remove(target)
        try:
            target.mkdir(parents=True)
        except OSError:
            return False
        if not (link or link_files)(str(self.final), str(target), list(output_paths)):
            shutil.rmtree(target, ignore_errors=True)
            return False
        return True

    def abort(self) -> None:
        """Drop the new output; the previous one stays as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self._stage = None
