"""The preview server's bounds, over raw sockets on 127.0.0.1: long names and loops are 404s, a long request line a
414, too many header bytes a 431, and neither slow clients nor open tabs can take every thread."""

from __future__ import annotations

import gc
import http.client
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_serve import WAIT, Running

from broadsheet.preview.connections import MAX_CONNECTIONS

HOST = b"Host: 127.0.0.1\r\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A preview of a one-article site, with a symbolic link loop in its output."""
    site = tmp_path_factory.mktemp("bounds")
    (site / "site.yaml").write_text("title: T\nbase_url: https://example.org/\n", encoding="utf-8")
    (site / "content/world").mkdir(parents=True)
    (site / "content/world/one.md").write_text("---\ntitle: One\ndate: 2024-03-01T09:00:00Z\nsummary: S.\n---\n\nNews.\n",
                                               encoding="utf-8")
    running = Running(site)
    folder = running.session.preview.output_dir
    (folder / "loop").symlink_to(folder / "loop")
    (folder / "ping").symlink_to(folder / "pong")
    (folder / "pong").symlink_to(folder / "ping")
    yield running
    running.close()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=WAIT)


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (within the bound)."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def status_of(port: int, request: bytes) -> int:
    """The status the server answers a raw request with (the connection closed after it)."""
    with connect(port) as sock:
        sock.sendall(request)
        head = answer(sock) if b"Connection: close" in request else sock.recv(65536)
    assert head.startswith(b"HTTP/1."), head[:100]
    return int(head.split(b" ", 2)[1])


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\n".encode() + HOST + b"Connection: close\r\n\r\n"


def test_a_name_longer_than_a_file_system_allows_is_a_404(served: Running) -> None:
    assert status_of(served.port, get("/" + "a" * 300)) == 404
    assert status_of(served.port, get("/world/" + "%C3%A9" * 130 + "/")) == 404
    assert status_of(served.port, get("/" + "/".join(["b" * 200] * 19))) == 404  # 3.8 KB: beyond PATH_MAX
    assert status_of(served.port, get("/world/one/")) == 200


def test_a_symbolic_link_loop_in_the_output_is_a_404(served: Running) -> None:
    for path in ("/loop", "/loop/", "/loop/x", "/ping", "/pong/index.html"):
        assert status_of(served.port, get(path)) == 404, path


def test_a_request_line_over_4_kb_is_a_414_before_anything_more_is_read(served: Running) -> None:
    with connect(served.port) as sock:
        sock.sendall(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n")  # and nothing more: no headers, no end
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.0 414") or reply.startswith(b"HTTP/1.1 414"), reply[:100]


def big_headers(total: int, line: int = 3400) -> bytes:  # (fewer than the 100 lines http.client allows)
    count = total // line
    return b"".join(b"X-Filler-%d: %s\r\n" % (n, b"v" * line) for n in range(count))


def test_header_lines_over_64_kb_are_a_431_and_not_kept(served: Running) -> None:
    request = b"GET / HTTP/1.1\r\n" + HOST + big_headers(200_000) + b"\r\n"
    assert status_of(served.port, request) == 431
    assert status_of(served.port, b"GET / HTTP/1.1\r\n" + HOST + b"X: y\r\n" * 101 + b"\r\n") == 431
    assert status_of(served.port, b"GET / HTTP/1.1\r\n" + HOST + big_headers(60_000) + b"Connection: close\r\n\r\n") == 200
    # Twenty clients that send 200 KB of headers and keep their connections open: the server keeps none of it.
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        clients = [connect(served.port) for _ in range(20)]
        try:
            for sock in clients:
                sock.sendall(request)
            for sock in clients:
                assert sock.recv(65536).split(b" ", 2)[1] == b"431"
            gc.collect()
            kept = tracemalloc.get_traced_memory()[0] - before
        finally:
            for sock in clients:
                sock.close()
    finally:
        tracemalloc.stop()
    assert kept < 2_000_000, f"{kept} bytes kept after 20 requests of 200 KB of headers"


def eventually(condition: Callable[[], bool]) -> bool:
    """Whether the condition holds, waiting for it within the bound (threads take a moment to end)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_slow_clients_cannot_take_every_thread_and_a_real_request_is_served(served: Running) -> None:
    threads_before = threading.active_count()
    server = served.session.server
    assert server is not None
    slow = []
    try:
        for n in range(300):  # each sends the start of a request, then nothing
            sock = connect(served.port)
            sock.sendall(b"GET / HTTP/1.1\r\n" + HOST + b"X-Slow: %d\r\n" % n)
            slow.append(sock)
        assert eventually(lambda: server.slots.count() == MAX_CONNECTIONS)
        assert eventually(lambda: threading.active_count() <= threads_before + MAX_CONNECTIONS), \
            threading.active_count()
        status, _, body = served.get("/world/one/")
        assert status == 200 and "<h1>One</h1>" in body
        assert eventually(lambda: threading.active_count() <= threads_before + MAX_CONNECTIONS)
    finally:
        for sock in slow:
            sock.close()


def test_open_tabs_do_not_take_threads_and_each_hears_of_every_build(served: Running) -> None:
    threads_before = threading.active_count()
    tabs = []
    try:
        for _ in range(MAX_CONNECTIONS + 36):  # more tabs than connections are served at once
            sock = connect(served.port)
            sock.sendall(b"GET /__broadsheet/events HTTP/1.1\r\n" + HOST + b"\r\n")
            tabs.append(sock)
        for sock in tabs:
            assert b"event: hello" in read_until(sock, b"event: hello")
        streams = served.session.server.streams
        assert eventually(lambda: streams.count() == len(tabs))
        assert eventually(lambda: threading.active_count() <= threads_before), threading.active_count()
        status, _, _ = served.get("/world/one/")
        assert status == 200
        served.session.preview.events.publish()
        for sock in tabs:
            assert b"event: reload" in read_until(sock, b"event: reload")
    finally:
        for sock in tabs:
            sock.close()
    assert eventually(lambda: streams.count() == 0)  # closed tabs are noticed without waiting for a heartbeat


def read_until(sock: socket.socket, wanted: bytes) -> bytes:
    data = b""
    while wanted not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_keep_alive_still_serves_several_requests_on_one_connection(served: Running) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=WAIT)
    try:
        for _ in range(3):
            connection.request("GET", "/world/one/")
            response = connection.getresponse()
            assert response.status == 200
            response.read()
    finally:
        connection.close()


def test_names_too_long_are_not_found_by_resolve_file(tmp_path: Path) -> None:
    from broadsheet.preview.serve import resolve_file

    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert resolve_file(tmp_path, "x" * 256) is None
    assert resolve_file(tmp_path, "loop/index.html") is None


def test_a_full_house_makes_room_by_closing_the_longest_waiting_connection_or_refuses() -> None:
    from broadsheet.preview.connections import ConnectionSlots

    pairs = [socket.socketpair() for _ in range(4)]
    try:
        slots = ConnectionSlots(limit=2)
        first, second, third, fourth = (ours for ours, _ in pairs)
        assert slots.admit(first) and slots.admit(second)
        releaser = threading.Timer(0.1, slots.release, [first])  # its thread ends once its read is woken
        releaser.start()
        assert slots.admit(third, timeout=WAIT)
        assert pairs[0][1].recv(1) == b""  # the longest waiting connection was closed to make room
        assert slots.busy(second) and slots.busy(third)
        assert not slots.admit(fourth, timeout=0.2)  # every connection is busy answering: refused
        assert not slots.busy(first)
    finally:
        releaser.cancel()
        for ours, theirs in pairs:
            ours.close()
            theirs.close()
