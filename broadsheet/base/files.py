"""Writing the files of the cache folder: whole or not at all, or in place for records a checksum guards. Here, in the
base layer, because the stages that keep work of their own between builds (processed images, the search index)
write them as the incremental layer does."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_in_place(path: str, data: bytes) -> None:
    """Write a sealed file of the cache folder (see seal) straight to its path; as write_atomically, a failure is
    not an error. For the many small records whose checksum tells a reader that meets one half-written."""
    try:
        _write_new(path, data)
    except OSError:
        pass


def _write_new(path: str, data: bytes) -> None:
    """Write a file, making its folder where it is missing (only then: most writes go to a folder made before)."""
    try:
        with open(path, "wb") as file:
            file.write(data)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(data)


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write a file of the cache folder whole or not at all (a reader sees the old file or the new one); a cache
    that cannot be written only makes the next build slower, so a failure is not an error."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        _write_new(temporary, data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
