"""The cache's file format: every file in the cache folder is a sealed record of plain data written as JSON.

A sealed file is a magic number, a checksum, the code's fingerprint, the key the record is stored under and the
payload (see seal): a record that is truncated, damaged, written by another version of Broadsheet or moved to
another key's file reads as missing. The payloads are JSON, read as data only (see broadsheet.incremental.records,
which checks every field). The no-change stamp is such a file too, so this module imports nothing of the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

import orjson

import broadsheet

_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_from_json = json.JSONDecoder().decode


def to_json(value: Any) -> bytes:
    """Plain data as compact JSON (UTF-8).

    orjson writes it in a third of json's time. What it refuses (a string that is no UTF-8: a lone surrogate) json
    refuses too, on encoding; the one value it writes differently, NaN or an infinity (as null), is never written
    as a number (see records.value_data)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _to_json(value).encode()


def from_json(data: bytes | memoryview) -> Any:
    """Plain data from JSON (UnicodeDecodeError or ValueError when it is not JSON).

    orjson reads it (data only, as json does: dicts, lists, strings, numbers, true/false, null) in about two thirds
    of json's time; what orjson refuses and json reads (NaN, Infinity, a lone surrogate) is read by json. The one
    value both read differently, a whole number beyond 64 bits (a float to orjson), is never written as a number
    (see records.value_data)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _from_json(str(data, "utf-8"))


def code_fingerprint() -> bytes:
    """Broadsheet's version and the bytes of its modules."""
    digest = hashlib.sha256(broadsheet.__version__.encode())
    package = Path(broadsheet.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()[:16]


CODE_FINGERPRINT = code_fingerprint()


def output_id(output_dir: Path) -> str:
    """The name part of the files the cache keeps for one output folder (stamp, index, spare)."""
    return hashlib.sha256(str(output_dir.absolute()).encode()).hexdigest()[:16]


def _header(key: str) -> bytes:
    name = key.encode()
    return CODE_FINGERPRINT + len(name).to_bytes(2, "little") + name


def seal(magic: bytes, key: str, payload: bytes) -> bytes:
    """A cache file: magic, checksum, then what the checksum covers: the code's fingerprint, the record's key (the
    name it is stored under) and the payload. A record read under another key, or written by other code, is not
    the one asked for (see unseal).

    The checksum is a CRC-32, which finds a file written in part or damaged on disk, as in zip and PNG files (and
    costs a third of SHA-256's time over the 30 MB an edit's build reads back); it is no defence against a forged
    record, which no checksum kept beside the data can be: what keeps a forged record from doing harm is that a
    record is data, read by a reader that checks every field (see broadsheet.incremental.records)."""
    header = _header(key)
    return magic + zlib.crc32(payload, zlib.crc32(header)).to_bytes(4, "little") + header + payload


def unseal(magic: bytes, key: str, data: bytes) -> memoryview | None:
    """The payload of a cache file sealed with this key by this code (a view of `data`), or None when it is
    damaged, written by other code, or another key's record."""
    header = _header(key)
    start = len(magic) + 4
    end = start + len(header)
    if len(data) < end or not data.startswith(magic) or data[start:end] != header:
        return None
    view = memoryview(data)
    if zlib.crc32(view[start:]).to_bytes(4, "little") != data[len(magic):start]:
        return None
    return view[end:]
