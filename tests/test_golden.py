"""Golden sites: each folder of tests/sites/ built through the CLI equals its expected/ tree, byte for byte.

Without a cache, with a cache (a clean build, a re-run, and a build whose output was removed since), in other time
zones and with other hash seeds than the expected trees were made with. After an intended change to the output,
`python tests/golden.py --regenerate` rewrites the expected trees; see the README's Tests section.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import golden
import pytest

CASES = golden.find_cases()


def assert_matches_expected(case: golden.Case, output: Path, how: str) -> None:
    """Fail with the report of differences (missing, unexpected, a diff per file) unless output equals expected/."""
    if not case.expected.is_dir():
        pytest.fail(f"golden site {case.name!r} has no expected tree: run `{golden.REGENERATE} {case.name}`",
                    pytrace=False)
    report = golden.difference_report(golden.read_tree(output), golden.read_tree(case.expected),
                                      f"golden site {case.name!r}, {how}: the output differs from {case.expected}")
    if report:
        pytest.fail(report, pytrace=False)


def test_every_case_folder_is_a_golden_site() -> None:
    assert [case.name for case in CASES] == sorted(p.name for p in golden.SITES.iterdir() if p.is_dir())
    assert {"sample", "subpath-news", "custom-theme"} <= {case.name for case in CASES}
    assert next(case for case in CASES if case.name == "sample").site == golden.REPO_ROOT


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_clean_build_without_cache_equals_the_expected_tree(case: golden.Case, tmp_path: Path) -> None:
    golden.build_case(case, tmp_path / "out", jobs=1, environment=golden.ELSEWHERE[0])
    assert_matches_expected(case, tmp_path / "out", "--no-cache --jobs 1")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_builds_with_the_cache_equal_the_expected_tree(case: golden.Case, tmp_path: Path) -> None:
    output, cache = tmp_path / "out", tmp_path / "cache"
    build = {"cache_dir": cache, "environment": golden.ELSEWHERE[1]}
    golden.build_case(case, output, **build)
    assert_matches_expected(case, output, "the first build with a cache")
    golden.build_case(case, output, **build)
    assert_matches_expected(case, output, "a re-run with the cache")
    shutil.rmtree(output)  # a CI machine that keeps the cache but not the output
    golden.build_case(case, output, **build)
    assert_matches_expected(case, output, "a build with the cache after the output was removed")


# --------------------------------------------------------------------------- the report a failure prints


def test_report_names_missing_and_unexpected_files_and_diffs_each_differing_file() -> None:
    expected = {"a.html": b"<p>one</p>\n<p>two</p>\n", "gone.xml": b"<x/>\n", "logo.png": b"\x89PNG\x00\x01"}
    actual = {"a.html": b"<p>one</p>\n<p>TWO</p>\n", "new.html": b"hi\n", "logo.png": b"\x89PNG\x00\x02\xff"}
    report = golden.difference_report(actual, expected, "title line")
    assert report.splitlines()[:7] == [
        "title line", "2 files differ, 1 missing, 1 unexpected (of 3 expected).",
        "Missing (expected, not built):", "  gone.xml", "Unexpected (built, not expected):", "  new.html",
        "--- expected/a.html"]
    assert "-<p>two</p>\n+<p>TWO</p>" in report
    assert ("Binary file logo.png differs (6 bytes expected, 7 built; first at byte 5: b'\\x01' expected, "
            "b'\\x02\\xff' built).") in report
    assert report.endswith(f"run `{golden.REGENERATE}` and commit the expected trees with it.")
    assert golden.difference_report(expected, dict(expected), "title line") == ""


def test_report_shows_a_change_made_in_many_files_once() -> None:
    page = "".join(f"<p>line {n}</p>\n" for n in range(20))
    expected = {f"page-{n:02}.html": page.encode() for n in range(50)}
    actual = {name: page.replace("<p>line 7</p>", "<p>line seven</p>").encode() for name in expected}
    actual["page-03.html"] += b"<p>and one more</p>\n"
    report = golden.difference_report(actual, expected, "title line")
    assert report.count("--- expected/") == 2
    assert "--- expected/page-00.html" in report and "--- expected/page-03.html" in report
    assert "The same lines changed in 48 more files:\n  page-01.html\n  page-02.html\n  page-04.html" in report
    assert f"  ... and {48 - golden.NAMES_LISTED} more" in report


def test_report_stays_short_when_every_page_changes_differently() -> None:
    page = "".join(f"<p>line {n}</p>\n" for n in range(200))
    expected = {f"page-{n:02}.html": page.encode() for n in range(50)}
    actual = {name: page.replace("<p>", f"<p class={name}>").encode() for name in expected}
    report = golden.difference_report(actual, expected, "title line")
    assert report.count("--- expected/") == golden.DIFF_FILES
    assert "... diff of page-00.html cut: " in report
    assert f"... and {50 - golden.DIFF_FILES} more differing files, not shown:" in report
    assert f"  ... and {50 - golden.DIFF_FILES - golden.NAMES_LISTED} more" in report
    assert len(report.splitlines()) < golden.DIFF_FILES * (golden.DIFF_LINES + 1) + golden.NAMES_LISTED + 10


def test_report_shows_a_difference_only_in_line_endings() -> None:
    report = golden.difference_report({"a.txt": b"x\r\ny\n"}, {"a.txt": b"x\ny\n"}, "title line")
    assert "a.txt differs in line endings or its final newline (first at byte 1: b'\\ny\\n' expected, " in report
