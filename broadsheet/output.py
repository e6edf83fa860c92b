"""The one place that writes the site: a staging folder beside the output, swapped in whole."""

from __future__ import annotations

import ctypes
import os
import posixpath
import shutil
from collections.abc import Iterable
from pathlib import Path

from broadsheet.errors import Problem, SiteError

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


def find_collisions(claims: Iterable[tuple[str, str]]) -> list[Problem]:
    """Output paths claimed twice, compared case-insensitively (macOS and Windows fold case), as problems naming
    both claimants; a claim is (output path, the file that claims it)."""
    owners: dict[str, tuple[str, str]] = {}
    problems = []
    for output_path, owner in claims:
        key = posixpath.normpath(output_path).casefold()
        if key in owners:
            first_path, first_owner = owners[key]
            same = f"/{first_path}" if first_path != output_path else "URL"
            problems.append(Problem(owner, 1, f"is published at /{output_path}, the same {same} as {first_owner}",
                                    "rename one of them; URLs that differ only in letter case collide"))
        else:
            owners[key] = (output_path, owner)
    return problems


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
        self._root: Path | None = None
        self._written: dict[str, str] = {}  # case-folded output path -> what wrote it, in this build

    def begin(self) -> None:
        """Recover from a build killed mid-swap, clear leftovers, and create an empty staging folder."""
        if not self.final.exists() and self.aside.is_dir():
            self.aside.rename(self.final)
        self.check_replaceable()
        for leftover in (self.staging, self.aside):
            if leftover.is_symlink() or leftover.is_file():
                leftover.unlink()
            elif leftover.exists():
                shutil.rmtree(leftover)
        self.staging.mkdir(parents=True)
        self._root = self.staging.resolve()
        self._written = {}

    def check_replaceable(self) -> None:
        """Refuse to replace what is not a previous build: a link, a file, or a folder of other things (a
        mistyped --output), since a build swaps the whole folder."""
        if self.final.is_symlink() or (self.final.exists() and not self.final.is_dir()):
            raise SiteError(Problem(str(self.final), None, "the output must be a plain folder, not a link or a file",
                                    "point --output at the real folder"))
        if self.final.is_dir() and not (self.final / "index.html").is_file():
            others = sorted(p.name for p in self.final.iterdir() if p.name not in self.keep)
            if others:
                raise SiteError(Problem(str(self.final), None, f"holds files that are not a Broadsheet build "
                                        f"({', '.join(others[:3])}{', …' if len(others) > 3 else ''}), and a build "
                                        "replaces the whole folder", "empty it, list deploy files in site.yaml "
                                        "'keep:', or choose another --output"))

    def _target(self, output_path: str, writer: str) -> Path:
        """The file to write, after the last guards: inside the output folder, and not yet written by this build
        (compared case-insensitively, as macOS and Windows fold case), so that no file silently replaces another."""
        assert self._root is not None, "begin() first"
        target = (self._root / output_path).resolve()
        if not target.is_relative_to(self._root) or target == self._root:
            raise SiteError(Problem(writer, None, f"refusing to write {output_path!r} outside the output folder"))
        key = target.relative_to(self._root).as_posix().casefold()
        if key in self._written:
            raise SiteError(Problem(writer, None, f"would overwrite /{output_path}, already written for "
                                    f"{self._written[key]}", "give one of them another name or slug"))
        self._written[key] = writer if writer != output_path else f"the page /{output_path}"
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, output_path: str, data: bytes) -> None:
        """Write one file of the new output."""
        self._target(output_path, output_path).write_bytes(data)

    def copy(self, output_path: str, source: Path, label: str = "") -> None:
        """Copy a file into the new output; `label` names the source in problems (default: its path)."""
        shutil.copyfile(source, self._target(output_path, label or str(source)))

    def carry_kept(self) -> None:
        """Link the `keep:` entries of the previous output (.git, CNAME) into the new one; the previous output
        keeps them too, so it stays complete until the swap."""
        for name in self.keep:
            source, target = self.final / name, self.staging / name
            if not (source.exists() or source.is_symlink()) or target.exists() or target.is_symlink():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
            elif source.is_dir():
                shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
            else:
                _link_or_copy(source, target)

    def commit(self) -> None:
        """Put the new output in place of the old in one step where the system allows it."""
        self.carry_kept()
        if not self.final.exists():
            self.staging.rename(self.final)
        elif _exchange(self.staging, self.final):
            shutil.rmtree(self.staging)
        else:
            self.final.rename(self.aside)
            self.staging.rename(self.final)
            shutil.rmtree(self.aside)
        self._root = None

    def abort(self) -> None:
        """Drop the new output; the previous one stays as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self._root = None
