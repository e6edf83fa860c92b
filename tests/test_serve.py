"""The preview server over real HTTP: serving, path safety, Host checks, live reload, rebuilds and errors."""

from __future__ import annotations

import errno
import http.client
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from broadsheet.config import BuildOptions
from broadsheet.errors import SiteError
from broadsheet.serve import PreviewSession, Rebuild
from broadsheet.watch import QUIET_SECONDS, is_relevant

ARTICLE = "content/world/russian-interior-minister-cuba-visit.md"
ARTICLE_URL = "/world/russian-interior-minister-cuba-visit/"
TITLE = "Russian Interior Minister’s Cuba Visit Signals Strengthened Ties"
WAIT = 20.0  # seconds: a bound on waits for events, never an assertion about speed


class Events:
    """A Server-Sent Events client on a background thread, collecting (event, data) pairs."""

    def __init__(self, port: int):
        self.received: queue.Queue[tuple[str, str]] = queue.Queue()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        self.connection.request("GET", "/__broadsheet/events")
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next()[0] == "hello"

    def _read(self) -> None:
        kind, data = "message", ""
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif not line and data:
                    self.received.put((kind, data))
                    kind, data = "message", ""
        except (OSError, ValueError):
            pass

    def next(self) -> tuple[str, str]:
        """The next event; fails the test when none comes within the bound."""
        try:
            return self.received.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail(f"no event from the preview server within {WAIT} s")

    def close(self) -> None:
        self.connection.close()


class Running:
    """A started preview of a site, its build loop on a thread, and what it reported."""

    def __init__(self, site: Path, **options: object):
        self.site = site
        self.rebuilds: list[Rebuild] = []
        poll = bool(options.pop("poll", False))
        port = int(options.pop("port", 0))  # type: ignore[call-overload]
        build_options = BuildOptions(site_dir=site, output_dir=site / "public", **options)  # type: ignore[arg-type]
        self.session = PreviewSession(build_options, port=port, poll=poll, report=self.rebuilds.append)
        self.session.start()
        assert self.session.server is not None
        self.port = self.session.server.server_address[1]
        self.thread = threading.Thread(target=self.session.run, daemon=True)
        self.thread.start()

    def get(self, path: str, host: str | None = None) -> tuple[int, dict[str, str], str]:
        """Send GET path exactly as written (no normalisation); (status, headers, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            headers = {"Host": host} if host is not None else {}
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
        finally:
            connection.close()

    def events(self) -> Events:
        return Events(self.port)

    def page_after_reload(self, events: Events, path: str, wanted: str) -> tuple[int, str]:
        """(status, body) of path after the reload that makes it contain `wanted`.

        An editor's write may reach the watcher in two parts (the file emptied, then written); under load
        each part can be a rebuild of its own, so this waits (within the bound) for the one that shows the edit.
        """
        deadline = time.monotonic() + WAIT
        while True:
            assert events.next()[0] == "reload"
            status, _, body = self.get(path)
            if re.search(wanted, body, re.DOTALL) or time.monotonic() > deadline:
                return status, body

    def close(self) -> None:
        self.session.close()
        self.thread.join(timeout=WAIT)


@pytest.fixture
def preview(sample_site: Path) -> Iterator[Running]:
    """A preview of a fresh copy of the sample site, for tests that change it."""
    running = Running(sample_site)
    yield running
    running.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One preview shared by the tests that only read; a secret file and links beside and inside its output."""
    site = tmp_path_factory.mktemp("served")
    shutil.copy(REPO_ROOT / "site.yaml", site / "site.yaml")
    for folder in ("content", "templates", "static"):
        shutil.copytree(REPO_ROOT / folder, site / folder)
    running = Running(site)
    folder = running.session.preview.output_dir
    secret = folder.parent / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    (folder / "outside").symlink_to(secret)
    (folder / "outside-dir").symlink_to(folder.parent, target_is_directory=True)
    yield running
    running.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def settle(running: Running) -> None:
    """Wait (within the bound) until no change is pending and no rebuild is running."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        time.sleep(QUIET_SECONDS * 4)
        if running.session.idle():
            return
    pytest.fail(f"the preview kept rebuilding for {WAIT} s")


def test_serves_pages_with_the_live_reload_script_only_in_responses(served: Running) -> None:
    status, headers, body = served.get(ARTICLE_URL)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert f"<h1>{TITLE}</h1>" in body
    assert "/__broadsheet/events" in body and body.index("/__broadsheet/events") < body.rindex("</body>")
    assert not any(name.startswith("access-control-") for name in headers)
    built = (served.session.preview.output_dir / ARTICLE_URL.strip("/") / "index.html").read_text(encoding="utf-8")
    assert "__broadsheet" not in built
    assert not (served.site / "public").exists()  # the preview never writes the deploy output
    status, headers, _ = served.get("/world")
    assert (status, headers["location"]) == (301, "world/")
    css = next(p.name for p in served.session.preview.output_dir.iterdir() if p.suffix == ".css")
    status, headers, body = served.get(f"/{css}")
    assert (status, headers["content-type"]) == (200, "text/css; charset=utf-8")
    assert "__broadsheet" not in body


def test_the_preview_links_point_at_the_server(served: Running) -> None:
    _, _, body = served.get(ARTICLE_URL)
    assert f'<link rel="canonical" href="http://127.0.0.1:{served.port}{ARTICLE_URL}">' in body
    assert "example.org" not in body


def test_a_missing_page_is_the_sites_404_page(served: Running) -> None:
    status, _, body = served.get("/world/no-such-story/")
    assert status == 404
    assert "<h1>Page not found</h1>" in body and "/__broadsheet/events" in body


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/world/..%2f..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt", "/..%5csecret.txt", "//secret.txt", "/%2fsecret.txt", "/./../secret.txt",
    "/%00", "/%ff", "SECRET_ABSOLUTE", "/outside", "/outside-dir/secret.txt",
])
def test_only_files_inside_the_output_folder_are_served(served: Running, path: str) -> None:
    secret = served.session.preview.output_dir.parent / "secret.txt"
    assert secret.is_file()
    path = path.replace("SECRET_ABSOLUTE", str(secret))
    status, _, body = served.get(path)
    assert status == 404
    assert "secret" not in body


def test_a_foreign_host_header_is_refused(served: Running) -> None:
    assert served.get("/", host="evil.example")[0] == 403
    assert served.get("/", host=f"evil.example:{served.port}")[0] == 403
    for host in ("evil.example@localhost", "localhost/evil.example", "localhost.evil.example", ""):
        assert served.get("/", host=host)[0] == 403, host
    assert served.get("/__broadsheet/events", host="evil.example")[0] == 403
    for host in (f"localhost:{served.port}", f"LOCALHOST:{served.port}", f"127.0.0.1:{served.port}", "127.0.0.1"):
        assert served.get("/", host=host)[0] == 200, host


def test_an_edit_rebuilds_and_reloads(preview: Running) -> None:
    events = preview.events()
    edit(preview.site / ARTICLE, TITLE, "A Corrected Headline")
    _, body = preview.page_after_reload(events, ARTICLE_URL, "<h1>A Corrected Headline</h1>")
    assert "<h1>A Corrected Headline</h1>" in body
    settle(preview)  # browsers are told before the rebuild is reported (its index is saved in between)
    assert preview.rebuilds[-1].ok and preview.rebuilds[-1].changed == (ARTICLE,)
    assert preview.rebuilds[-1].line().startswith("Rebuilt in ")
    assert preview.rebuilds[-1].line().endswith(f" s — {ARTICLE} changed")
    events.close()


def test_a_broken_article_shows_the_error_over_the_last_good_page_until_fixed(preview: Running) -> None:
    events = preview.events()
    path = preview.site / ARTICLE
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("title: ", "title: [unclosed", 1), encoding="utf-8")
    status, body = preview.page_after_reload(events, ARTICLE_URL, "invalid front matter")
    assert status == 200
    assert 'id="broadsheet-error"' in body
    assert re.search(rf"{ARTICLE}:\d+: invalid front matter", body)  # file and line of the broken front matter
    assert f"<h1>{TITLE}</h1>" in body  # the last good page is still served underneath
    settle(preview)
    assert not preview.rebuilds[-1].ok
    path.write_text(good, encoding="utf-8")
    _, body = preview.page_after_reload(events, ARTICLE_URL, "^(?!.*broadsheet-error)")
    assert "broadsheet-error" not in body and f"<h1>{TITLE}</h1>" in body
    events.close()


def test_a_burst_of_writes_is_built_at_most_three_times(preview: Running) -> None:
    events = preview.events()
    start = len(preview.rebuilds)
    for number in range(50):
        path = preview.site / f"content/world/burst-{number}.md"
        path.write_text(f"---\ntitle: Burst {number}\ndate: 2024-01-01\n---\n\nText.\n", encoding="utf-8")
        time.sleep(0.008)
    settle(preview)
    assert preview.get("/world/burst-49/")[0] == 200
    assert 1 <= len(preview.rebuilds) - start <= 3
    events.close()


def test_a_save_by_rename_is_one_rebuild(preview: Running) -> None:
    events = preview.events()
    path = preview.site / ARTICLE
    temporary = path.with_name("tmpx8d1f3q")  # as tempfile.NamedTemporaryFile names them
    temporary.write_text(path.read_text(encoding="utf-8").replace(TITLE, "Saved By Rename"), encoding="utf-8")
    os.replace(temporary, path)
    assert events.next()[0] == "reload"
    settle(preview)
    assert [r.changed for r in preview.rebuilds[1:]] == [(ARTICLE,)]
    assert "<h1>Saved By Rename</h1>" in preview.get(ARTICLE_URL)[2]
    events.close()


def test_a_site_given_as_a_relative_folder_is_watched(sample_site: Path, monkeypatch) -> None:
    monkeypatch.chdir(sample_site)
    running = Running(Path("."))
    try:
        events = running.events()
        edit(sample_site / ARTICLE, TITLE, "Relative Headline")
        assert "<h1>Relative Headline</h1>" in running.page_after_reload(events, ARTICLE_URL, "Relative Headline")[1]
        events.close()
    finally:
        running.close()


def test_a_deleted_article_is_a_change(preview: Running) -> None:
    events = preview.events()
    (preview.site / ARTICLE).unlink()
    assert events.next()[0] == "reload"
    assert preview.get(ARTICLE_URL)[0] == 404


def test_rebuilds_after_the_first_look_only_at_what_the_watcher_saw_and_miss_nothing(preview: Running) -> None:
    events = preview.events()
    edit(preview.site / ARTICLE, TITLE, "First Save")
    preview.page_after_reload(events, ARTICLE_URL, "<h1>First Save</h1>")
    settle(preview)
    # The watcher now reports every change: an edit and a new article, then a deletion.
    added = preview.site / "content/world/seen-by-the-watcher.md"
    added.write_text("---\ntitle: Seen By The Watcher\ndate: 2024-01-02\n---\n\nText.\n", encoding="utf-8")
    edit(preview.site / ARTICLE, "First Save", "Second Save")
    settle(preview)
    assert "<h1>Second Save</h1>" in preview.get(ARTICLE_URL)[2]
    assert "<h1>Seen By The Watcher</h1>" in preview.get("/world/seen-by-the-watcher/")[2]
    added.unlink()
    settle(preview)
    assert preview.get("/world/seen-by-the-watcher/")[0] == 404
    assert all(rebuild.ok for rebuild in preview.rebuilds)
    events.close()


def test_editor_temp_files_do_not_count_as_changes(preview: Running) -> None:
    events = preview.events()
    folder = preview.site / "content/world"
    for name in (".russian.md.swp", "russian.md~", "4913", ".#russian.md", "notes.txt"):
        (folder / name).write_text("---\n", encoding="utf-8")
    (preview.site / "templates/.base.html.swx").write_text("x", encoding="utf-8")
    edit(preview.site / ARTICLE, TITLE, "After The Temp Files")
    assert events.next()[0] == "reload"
    settle(preview)
    assert {path for r in preview.rebuilds[1:] for path in r.changed} == {ARTICLE}
    events.close()


def test_which_paths_count() -> None:
    assert is_relevant("site.yaml") and is_relevant("content/world/a.md") and is_relevant("templates/_macros.html")
    assert is_relevant("static/css/style.css") and is_relevant("content/world", is_dir=True)
    assert is_relevant("content/world/story/photo.jpg")  # a page bundle's file, published beside its page
    for path in ("public/index.html", ".git/index", "content/world/a.md~", "content/world/.#a.md",
                 "content/world/4913", "content/world/.a.md.swp", "templates/base.html.swp", "content/notes.txt",
                 "content/world/notes.txt", "content/world/tmpx8d1f3q",
                 "static/_drafts/a.css", "README.md"):
        assert not is_relevant(path), path


def test_a_stylesheet_change_swaps_the_stylesheet(preview: Running) -> None:
    events = preview.events()
    with (preview.site / "static/style.css").open("a", encoding="utf-8") as css:
        css.write("\nbody { outline: 1px solid red; }\n")
    assert events.next()[0] == "css"
    edit(preview.site / ARTICLE, TITLE, "Not Only Style")
    assert events.next()[0] == "reload"
    events.close()


def test_preview_keeps_the_base_url_path(sample_site: Path) -> None:
    edit(sample_site / "site.yaml", "base_url: https://example.org/", "base_url: https://example.org/news/")
    running = Running(sample_site)
    try:
        assert running.session.url == f"http://127.0.0.1:{running.port}/news/"
        status, headers, _ = running.get("/")
        assert (status, headers["location"]) == (301, "/news/")
        status, _, body = running.get("/news" + ARTICLE_URL)
        assert status == 200
        assert f'href="http://127.0.0.1:{running.port}/news{ARTICLE_URL}"' in body
        assert 'href="/news/world/"' in body
        assert running.get(ARTICLE_URL)[0] == 404
    finally:
        running.close()


DRAFT = "---\ntitle: Unfinished Story\ndate: 2024-01-02\ndraft: true\n---\n\nText.\n"
SCHEDULED = "---\ntitle: Tomorrow's Story\ndate: 2999-01-02T09:00:00Z\n---\n\nText.\n"


def test_drafts_and_scheduled_articles_only_with_the_flags_and_with_a_banner(sample_site: Path) -> None:
    (sample_site / "content/world/unfinished.md").write_text(DRAFT, encoding="utf-8")
    (sample_site / "content/world/tomorrow.md").write_text(SCHEDULED, encoding="utf-8")
    running = Running(sample_site)
    try:
        assert running.get("/world/unfinished/")[0] == 404
        assert running.get("/world/tomorrow/")[0] == 404
        assert "preview-banner" not in running.get(ARTICLE_URL)[2]
    finally:
        running.close()
    running = Running(sample_site, drafts=True, future=True)
    try:
        status, _, body = running.get("/world/unfinished/")
        assert status == 200 and '<p class="preview-banner" role="note">Draft' in body
        status, _, body = running.get("/world/tomorrow/")
        assert status == 200 and "Scheduled for <time" in body and "2 January 2999" in body
    finally:
        running.close()


def test_a_site_that_never_built_shows_the_error_then_recovers(sample_site: Path) -> None:
    (sample_site / "site.yaml").write_text("titel: Oops\n", encoding="utf-8")
    running = Running(sample_site)
    try:
        events = running.events()
        status, _, body = running.get("/")
        assert status == 500 and "site.yaml:1: unknown key &#x27;titel&#x27;" in body
        (sample_site / "site.yaml").write_text("title: Fixed\n", encoding="utf-8")
        status, body = running.page_after_reload(events, "/", "Fixed")
        assert status == 200 and "Fixed" in body
        events.close()
    finally:
        running.close()


def test_polling_sees_changes(sample_site: Path) -> None:
    running = Running(sample_site, poll=True)
    try:
        events = running.events()
        edit(sample_site / ARTICLE, TITLE, "Polled Headline")
        assert "<h1>Polled Headline</h1>" in running.page_after_reload(events, ARTICLE_URL, "Polled Headline")[1]
        events.close()
    finally:
        running.close()


def test_closing_removes_the_preview_folder(sample_site: Path) -> None:
    running = Running(sample_site)
    folder = running.session.folder
    assert folder.is_dir()
    running.close()
    assert not folder.exists()
    assert not running.thread.is_alive()


def test_a_port_in_use_is_a_clear_message(sample_site: Path, run_cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        session = PreviewSession(BuildOptions(site_dir=sample_site, output_dir=sample_site / "public"), port=port)
        with pytest.raises(SiteError, match=f"port {port} on 127.0.0.1 is already in use"):
            session.start()
        assert not session.folder.exists()  # nothing left behind
        result = run_cli("serve", "--site", str(sample_site), "--port", str(port))
    assert result.status == 1
    assert f"--port: port {port} on 127.0.0.1 is already in use" in result.err
    assert "could not start" in result.err


def test_python_build_py_serve_prints_the_address_and_stops_cleanly_on_ctrl_c(sample_site: Path) -> None:
    shutil.copy(REPO_ROOT / "build.py", sample_site / "build.py")
    shutil.copytree(REPO_ROOT / "broadsheet", sample_site / "broadsheet", ignore=shutil.ignore_patterns("__pycache__"))
    process = subprocess.Popen([sys.executable, "build.py", "serve", "--port", "0"], cwd=sample_site,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Built ") and " pages from " in first
        serving = process.stdout.readline()
        assert serving.startswith("Serving the preview at http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert out.strip().endswith("Stopped.")
    assert not (sample_site / "public").exists()


def test_without_native_watching_the_preview_polls_and_says_so(sample_site: Path, monkeypatch, capsys) -> None:
    from watchdog.observers.polling import PollingObserver

    import broadsheet.watch

    class OutOfWatches(broadsheet.watch.Observer):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(broadsheet.watch, "Observer", OutOfWatches)
    running = Running(sample_site)
    try:
        assert "polling for changes instead" in capsys.readouterr().out
        assert isinstance(running.session._observer, PollingObserver)
        events = running.events()
        edit(sample_site / ARTICLE, TITLE, "Seen By Polling")
        assert "Seen By Polling" in running.page_after_reload(events, ARTICLE_URL, "Seen By Polling")[1]
        events.close()
    finally:
        running.close()


def test_the_terminal_gets_one_line_per_rebuild_and_warnings_only_when_they_change(capsys) -> None:
    from broadsheet.errors import Problem
    from broadsheet.serve import TerminalReport

    warning = Problem("content/a.md", 3, "unknown key 'titel'", "did you mean 'title'?", warning=True)
    error = Problem("content/b.md", 2, "invalid front matter")
    report = TerminalReport()
    report(Rebuild((), 0.5, summary="Built 3 pages from 1 article in 0.50 s", warnings=(warning,)))
    report(Rebuild(("content/a.md",), 0.08, warnings=(warning,)))
    report(Rebuild(("content/b.md", "content/c.md", "site.yaml"), 0.05, problems=(error,)))
    report(Rebuild(("content/b.md",), 0.07))
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "Built 3 pages from 1 article in 0.50 s",
        "Rebuilt in 0.08 s — content/a.md changed",
        "Rebuild failed in 0.05 s — content/b.md and 2 other files changed; the preview shows the problems",
        "Rebuilt in 0.07 s — content/b.md changed",
    ]
    assert captured.err.splitlines() == [str(warning), str(error)]
