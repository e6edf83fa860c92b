"""Progress while a build or check works: a live line on a terminal (tested through a pseudo-terminal), only the
summary line elsewhere, nothing with --quiet, what was rebuilt and why with --verbose; the summary line says what
was left out without naming it, and `--next-publication` tells a CI schedule when to build next."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from conftest import REPO_ROOT, read_tree, write_tree
from sitegen import write_site

from broadsheet.build import build
from broadsheet.options import BuildOptions
from broadsheet.progress import ConsoleReporter, RecordingReporter, summary_line

NOW = "2024-06-01T12:00:00Z"
SUMMARY = re.compile(r"Built [\d,]+ pages? from [\d,]+ articles? in [\d.]+ s")


def run_in_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run broadsheet with its standard output and error on a pseudo-terminal; return its status and all it wrote."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "broadsheet", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                               stdout=follower, stderr=follower, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            process.kill()
            raise AssertionError("no output for 120 s")
        try:
            data = os.read(leader, 65536)
        except OSError:  # (Linux: the other end closed)
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8")


def test_a_terminal_sees_a_live_line_replaced_in_place(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", 60)
    status, text = run_in_terminal(["build", "--site", str(site), "--jobs", "2", "--now", NOW], tmp_path)
    assert status == 0, text
    # One line drawn again and again over itself: each drawing starts by going back and clearing the line.
    drawings = [part for part in text.split("\r\x1b[K") if part]
    assert len(drawings) >= 2, text
    progress, summary = drawings[:-1], drawings[-1]
    assert all("\n" not in drawing for drawing in progress), progress
    assert any(re.search(r"Parsed [\d,]+ of 60 articles", drawing) for drawing in progress), progress
    assert any(re.search(r"rendered [\d,]+ of [\d,]+ pages · [\d.]+ s", drawing) for drawing in progress), progress
    # The screen is left clean: the summary line alone, on a line of its own.
    assert SUMMARY.fullmatch(summary.strip()), summary
    assert summary.strip().startswith("Built ") and "from 60 articles" in summary


def test_the_live_line_gives_an_estimate_once_some_work_is_done() -> None:
    class Screen:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    screen = Screen()
    reporter = ConsoleReporter(screen, live=True)  # type: ignore[arg-type]
    reporter.step("parse", 100)
    for number in range(25):
        reporter.done(f"content/a/{number}.md")
    line = reporter.line(reporter.step_started + 10)  # 25 of 100 in 10 s: 30 s to go
    assert line.startswith("Parsed 25 of 100 articles · ") and line.endswith("about 30 s left"), line
    reporter.finish()
    assert screen.text.endswith("\r\x1b[K")


def test_without_a_terminal_only_the_summary_line(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", 30)
    for args in (["build"], ["check"]):
        done = subprocess.run([sys.executable, "-m", "broadsheet", *args, "--site", str(site), "--now", NOW],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert "\r" not in done.stdout + done.stderr and "\x1b" not in done.stdout + done.stderr
        assert done.stdout.splitlines()[-1].startswith(("Built ", "Checked ")), done.stdout
    assert len(done.stdout.splitlines()) == 2  # check: the warnings of one kind grouped, then the count
    quiet = subprocess.run([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--now", NOW, "-q",
                            "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_quiet_on_a_terminal_prints_nothing(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", 20)
    status, text = run_in_terminal(["build", "--site", str(site), "--now", NOW, "--quiet"], tmp_path)
    assert (status, text) == (0, "")


def test_the_build_reports_its_steps_to_the_reporter(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", 12)
    reporter = RecordingReporter()
    result = build(BuildOptions(site, site / "public", now=NOW, jobs=1), reporter=reporter)
    steps = [(name, total) for event, name, total in reporter.events if event == "step"]
    assert steps == [("parse", 12), ("render", result.pages)]
    assert sum(event == "done" for event, _, _ in reporter.events) == 12 + result.pages
    # A second build with one article edited parses that one again and renders the pages that show it.
    edited = sorted((site / "content").rglob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    again = RecordingReporter()
    build(BuildOptions(site, site / "public", now=NOW, jobs=1, no_cache=False), reporter=again)
    rebuilt = [(label, why) for event, label, why in again.events if event == "rebuilt"]
    source = edited.relative_to(site).as_posix()
    assert rebuilt[0] == (source, "changed")
    assert all(why == "what it shows changed" for _, why in rebuilt[1:]) and len(rebuilt) > 1


def test_verbose_lists_what_was_rebuilt_and_why(tmp_path: Path, run_cli) -> None:
    site = write_site(tmp_path / "site", 5)
    assert run_cli("build", "--site", str(site), "--now", NOW, "-q").status == 0
    edited = sorted((site / "content").rglob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA late correction.\n", encoding="utf-8")
    result = run_cli("build", "--site", str(site), "--now", NOW, "--verbose")
    assert result.status == 0, result.err
    lines = result.err.splitlines()
    assert f"  {edited.relative_to(site).as_posix()}: changed" in lines
    assert any(line.endswith("index.html: what it shows changed") for line in lines), lines
    again = run_cli("build", "--site", str(site), "--now", NOW, "-v")
    assert again.err == "Nothing changed since the last build: nothing was rebuilt.\n"


LEFT_OUT = {
    "site.yaml": "title: Left Out\nbase_url: https://example.org/\n",
    "content/world/out.md": "---\ntitle: Out now\ndate: 2024-05-01T09:00:00Z\nsummary: S.\n---\n\nNews.\n",
    "content/world/secret-one.md": "---\ntitle: Secret merger\ndate: 2024-05-01T09:00:00Z\ndraft: true\n---\n\nX.\n",
    "content/world/secret-two.md": "---\ntitle: Secret memo\ndate: 2024-05-02T09:00:00Z\ndraft: true\n---\n\nX.\n",
    "content/world/embargo.md": "---\ntitle: Embargoed budget\ndate: 2024-06-03T06:00:00+02:00\n---\n\nX.\n",
    "content/world/later.md": "---\ntitle: Later still\ndate: 2024-07-01T06:00:00Z\n---\n\nX.\n",
    "content/world/gone.md": "---\ntitle: Gone story\ndate: 2024-01-01T09:00:00Z\nexpires: 2024-02-01\n---\n\nX.\n",
}


def test_the_summary_line_counts_what_was_left_out_without_naming_it(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "site", LEFT_OUT)
    expected = "(2 drafts, 2 scheduled, 1 expired; next publication 2024-06-03 04:00 UTC)"
    first = run_cli("build", "--site", str(site), "--now", NOW)
    second = run_cli("build", "--site", str(site), "--now", NOW)  # the no-change path tells the same
    for result in (first, second):
        assert result.status == 0, result.err
        assert result.out.strip().endswith(expected), result.out
        for name in ("Secret", "Embargoed", "Later", "Gone", "secret", "embargo", "later", "gone"):
            assert name not in result.out + result.err
    # The moment is never published.
    for path, data in read_tree(site / "public").items():
        assert b"2024-06-03" not in data and b"04:00" not in data.replace(b"+04:00", b""), path


def test_next_publication_for_a_ci_schedule(tmp_path: Path, run_cli) -> None:
    site = write_tree(tmp_path / "site", LEFT_OUT)
    result = run_cli("build", "--site", str(site), "--now", NOW, "--next-publication")
    assert result.status == 0, result.err
    assert result.out == "2024-06-03T04:00:00Z\n"
    assert SUMMARY.match(result.err)
    after = run_cli("build", "--site", str(site), "--now", "2024-08-01T00:00:00Z", "--next-publication", "-q")
    assert (after.status, after.out, after.err) == (0, "", "")


def test_summary_line_wording() -> None:
    assert summary_line(16377, 10000, 9.84, 96, 3, 0, datetime(2026, 12, 8, 6, tzinfo=timezone.utc)) == (
        "Built 16,377 pages from 10,000 articles in 9.8 s (96 drafts, 3 scheduled; next publication 2026-12-08 "
        "06:00 UTC)")
    assert summary_line(1, 1, 0.123) == "Built 1 page from 1 article in 0.12 s"
    assert summary_line(3, 2, 125.0, drafts=1) == "Built 3 pages from 2 articles in 125 s (1 draft)"


def test_check_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", 15)
    status, text = run_in_terminal(["check", "--site", str(site), "--now", NOW], tmp_path)
    assert status == 0, text
    assert re.search(r"Parsed 15 of 15 articles, checked [\d,]+ of [\d,]+ pages", text), text
    after = text.split("\r\x1b[K")[-1].strip().splitlines()
    assert after[-1].startswith("Checked ") and len(after) == 2, after
