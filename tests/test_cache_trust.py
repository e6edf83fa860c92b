"""The cache folder is data that anyone may have written (CI restores it from other branches' runs): nothing read from
it is ever run, a record is read only under its own key and version, and a cache that cannot be used is a warning."""

from __future__ import annotations

import contextlib
import marshal
import os
import pickle
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jinja2.bccache
import pytest
import sitegen
from conftest import read_tree
from tooling import require_tool

from broadsheet.incremental import cache, sealed
from broadsheet.incremental.pool import can_fork
from broadsheet.pipeline.build import build
from broadsheet.stages.config import BuildOptions

NOW = "2026-01-01T00:00"
CACHE = ".broadsheet-cache"


def options(site: Path, output: Path | None = None, **extra: object) -> BuildOptions:
    return BuildOptions(site_dir=site, output_dir=output or site / "public", now=NOW, jobs=2,
                        **extra)  # type: ignore[arg-type]


def clean_build(site: Path, tmp: Path) -> dict[str, bytes]:
    """The output of a build of the same input with --no-cache, into a folder of its own."""
    output = tmp / "clean"
    shutil.rmtree(output, ignore_errors=True)
    build(options(site, output, no_cache=True))
    return read_tree(output)


def assert_same_tree(actual: dict[str, bytes], expected: dict[str, bytes]) -> None:
    assert sorted(actual) == sorted(expected), "different files"
    different = [name for name in expected if actual[name] != expected[name]]
    assert not different, f"{len(different)} files differ, e.g. {different[:5]}"


def cache_files(site: Path) -> list[Path]:
    return sorted(p for p in (site / CACHE).rglob("*") if p.is_file() and not p.is_symlink())


class _Touch:
    """Pickled, creates the marker file (through os.system, as a planted record would run any command)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[str], int], tuple[str]]:
        return os.system, (f"touch '{self.marker}'",)


def _code(marker: Path) -> object:
    return compile(f"open({str(marker)!r}, 'w').close()", "<planted>", "exec")


def payloads(marker: Path) -> dict[str, Callable[[Path, bytes], bytes]]:
    """Ways to replace a cache file (given its path and bytes) with bytes that run code under pickle or marshal."""
    pickled = pickle.dumps(_Touch(marker), protocol=pickle.HIGHEST_PROTOCOL)
    code = marshal.dumps(_code(marker))
    return {
        "pickle": lambda path, data: pickled,
        "marshal": lambda path, data: code,
        # What Jinja2's bytecode cache reads: its magic, a pickled checksum, marshalled code.
        "jinja2-bytecode": lambda path, data: jinja2.bccache.bc_magic + pickle.dumps("0" * 40, 2) + code,
        # The file's own magic and a checksum made with its name and this code's fingerprint (anyone can make one):
        # a forged record that passes every check but the reading of its payload as plain data.
        "sealed-pickle": lambda path, data: sealed.seal(data[:4], path.name, (
            b"\x04\x00\x00\x00<p/>" if path.parent.parent.name == "articles" else b"") + pickled),
    }


def runs_code(payload: bytes, name: str) -> None:
    """Load a payload (of a file of this name) the unsafe ways: pickle, marshal, Jinja2's bytecode cache."""
    with contextlib.suppress(Exception):
        pickle.loads(payload)
    with contextlib.suppress(Exception):
        exec(marshal.loads(payload))  # (the attack, reproduced on purpose)
    with contextlib.suppress(Exception):
        bucket = jinja2.bccache.Bucket(jinja2.Environment(), "key", "0" * 40)
        bucket.bytecode_from_string(payload)
        if bucket.code is not None:
            exec(bucket.code)
    unsealed = sealed.unseal(payload[:4], name, payload)
    with contextlib.suppress(Exception):
        pickle.loads(unsealed[8:] if unsealed else b"")  # (a sealed article record's head, past its body)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = sitegen.write_site(tmp_path / "site", 30)
    build(options(root))
    sitegen_edit(root, "Earlier")  # (a few pages rendered in the build's process: it keeps template fragments)
    build(options(root))
    an_hour_ago = time.time() - 3600
    for path in root.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    build(options(root))  # (files changed an hour ago: it keeps a stamp)
    names = {p.relative_to(root / CACHE).parts[0] for p in cache_files(root)}
    # Every kind of record is there: stamp, index, shards, articles, the ordered site, template fragments.
    assert {"articles", "index", "fragments"} <= names
    kinds = {"stamp", "manifest", "spare", *(("ordered",) if can_fork() else ())}  # (a forked child keeps the site)
    assert {name.split("-")[0] for name in names} >= kinds
    return root


@pytest.mark.parametrize("kind", ["pickle", "marshal", "jinja2-bytecode", "sealed-pickle"])
def test_a_cache_of_planted_code_runs_nothing_and_builds_the_clean_site(site: Path, tmp_path: Path, kind: str) -> None:
    marker, proof = tmp_path / "ran", tmp_path / "proof"
    runs_code(payloads(proof)[kind](site / CACHE / "articles/ab/ab", cache._ARTICLE), "ab")
    assert proof.exists()  # the payload does run code when loaded as the cache once loaded its records
    plant = payloads(marker)[kind]
    files = cache_files(site)
    assert len(files) > 60
    for path in files:
        data = path.read_bytes()
        path.unlink()  # (not written into: a spare page is a hard link to the output's)
        path.write_bytes(plant(path, data))
    result = build(options(site))
    assert not marker.exists()
    assert result.parsed == 30  # every record was a miss
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    sitegen_edit(site)
    build(options(site))  # the records written again read back
    assert not marker.exists()
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def sitegen_edit(site: Path, word: str = "New") -> None:
    """A new title for one article."""
    path = sorted((site / "content").rglob("*.md"))[7]
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", f"title: {word} ", 1), encoding="utf-8")


def test_planted_records_beside_a_sound_index_run_nothing(site: Path, tmp_path: Path) -> None:
    """The index stands (so the build reads the ordered site, the fragments and the article records it names) but
    those are planted: each is a miss, and the build after an edit equals a clean one."""
    marker = tmp_path / "ran"
    plant = payloads(marker)["sealed-pickle"]
    for path in cache_files(site):
        if path.name.startswith(("ordered-", "fragments")) or path.parent.parent.name == "articles":
            data = path.read_bytes()
            path.unlink()
            path.write_bytes(plant(path, data))
    sitegen_edit(site)
    build(options(site))
    assert not marker.exists()
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_records_swapped_between_keys_are_misses(site: Path, tmp_path: Path) -> None:
    """Two articles' records exchanged on disk (and two index shards): each is another key's record, not read."""
    articles = [p for p in cache_files(site) if p.parent.parent.name == "articles"]
    first, second = articles[0], articles[-1]
    data = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(data)
    shards = sorted((site / CACHE / "index").iterdir())
    data = shards[0].read_bytes()
    shards[0].write_bytes(shards[1].read_bytes())
    shards[1].write_bytes(data)
    shutil.rmtree(site / "public")  # every page is rendered, with its body from the cache
    build(options(site))
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    # With the index sound, a build that renders the pages of both articles takes their bodies from the records.
    first.write_bytes(second.read_bytes())
    for path in (site / "public").rglob("story-*/index.html"):  # (their pages are rendered again)
        path.unlink()
    build(options(site))
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_records_of_another_version_or_layout_are_ignored_and_rebuilt(site: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(site / CACHE)
    with monkeypatch.context() as patched:  # a build by another version of Broadsheet (of the same parse keys)
        patched.setattr(sealed, "CODE_FINGERPRINT", b"another version!")
        build(options(site))
    monkeypatch.setattr(cache, "_sound_shards", {})  # (what this process wrote: in another process, nothing)
    assert build(options(site)).parsed == 30
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))
    assert build(options(site)).parsed == 0
    # Records sealed by this code in a layout of another version (one field more): read as missing.
    for path in cache_files(site):
        data = path.read_bytes()
        if path.parent.parent.name == "articles":
            unsealed = sealed.unseal(data[:4], path.name, data)
            assert unsealed is not None
            payload = bytes(unsealed)
            assert payload.endswith(b"]")
            path.write_bytes(sealed.seal(data[:4], path.name, payload[:-1] + b',"more"]'))
    for path in (site / "public").rglob("story-*/index.html"):  # (their pages are rendered again)
        path.unlink()
    (site / CACHE / next(p.name for p in (site / CACHE).iterdir() if p.name.startswith("manifest-"))).unlink()
    assert build(options(site)).parsed == 30
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """The folder and every folder in it read-only: nothing can be added, removed or renamed (for root, who may
    write any folder, they are made immutable; their files are not, since the output's pages are links to them)."""
    folders = [folder, *(path for path in folder.rglob("*") if path.is_dir() and not path.is_symlink())]
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in folders}
        for path, mode in modes.items():
            path.chmod(mode & 0o555)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    made_immutable = subprocess.run(["chattr", "+i", *map(str, folders)], capture_output=True).returncode == 0
    require_tool("chattr +i", made_immutable, "making a folder read-only for root (the file system must allow it)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, folders)], check=True)


@pytest.mark.parametrize("kept", [False, True], ids=["empty", "kept"])
def test_a_read_only_cache_builds_without_the_cache_with_one_warning(tmp_path: Path, run_cli, kept: bool) -> None:
    site = sitegen.write_site(tmp_path / "site", 12)
    cache = tmp_path / "cache"
    cache.mkdir()
    if kept:
        assert run_cli("build", "--site", str(site), "--cache-dir", str(cache), "--quiet").status == 0
        sitegen_edit(site)  # (a build to do, not a stamp to trust)
    with read_only(cache):
        result = run_cli("build", "--site", str(site), "--cache-dir", str(cache), "--quiet", "--now", NOW)
    assert result.status == 0, result.err
    assert len(result.err.splitlines()) == 1, result.err
    assert result.err.startswith(f"{cache}: warning: cannot be written (") and "building without the cache" in result.err
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_cache_path_that_is_a_file_builds_without_the_cache_with_one_warning(tmp_path: Path, run_cli) -> None:
    site = sitegen.write_site(tmp_path / "site", 12)
    cache = tmp_path / "cache"
    cache.write_text("not a folder\n", encoding="utf-8")
    result = run_cli("build", "--site", str(site), "--cache-dir", str(cache), "--quiet", "--now", NOW)
    assert result.status == 0
    assert result.err.splitlines() == [f"{cache}: warning: is not a folder: building without the cache"]
    assert cache.read_text(encoding="utf-8") == "not a folder\n"
    assert_same_tree(read_tree(site / "public"), clean_build(site, tmp_path))


def test_a_file_that_fails_prints_this_runs_problems_only(tmp_path: Path, run_cli) -> None:
    """A file that fails stands in the site as it last built, but the warnings of that version are not printed
    again (at its old line numbers) once the key they were about is fixed."""
    site = sitegen.write_site(tmp_path / "site", 6)
    path = site / "content/world/story-00000.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("author: Staff", "author: Staff\nsumary: Typo."), encoding="utf-8")
    first = run_cli("build", "--site", str(site), "--quiet")
    assert first.status == 0 and "unknown key 'sumary'" in first.err
    path.write_text(text.replace("author: Staff", "author: Staff\nexpires: 2024-02-30"), encoding="utf-8")
    second = run_cli("build", "--site", str(site), "--quiet")
    assert second.status == 1
    assert "content/world/story-00000.md:" in second.err and "expires" in second.err
    assert "sumary" not in second.err and "warning" not in second.err


def test_the_cache_layer_has_no_way_to_run_what_it_reads() -> None:
    """The modules that read the cache folder use no reader that can run code (pickle, marshal, a bytecode cache
    on disk, classes made by exec)."""
    package = Path(__file__).resolve().parent.parent / "broadsheet"
    for name in ("incremental/cache.py", "incremental/records.py", "incremental/stamp.py", "incremental/sealed.py",
                 "incremental/fragments.py", "incremental/tasks.py", "incremental/session.py",
                 "incremental/sources.py", "incremental/carry.py", "incremental/render.py", "stages/templates.py",
                 "pipeline/build.py"):
        source = (package / name).read_text(encoding="utf-8")
        for forbidden in ("pickle", "marshal.load", "copyreg", "exec(", "eval(", "FileSystemBytecodeCache"):
            assert forbidden not in source, f"{name} uses {forbidden}"
