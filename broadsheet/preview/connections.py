"""The preview server's bounds: how many connections it serves at once, and how large a request's head may be."""

from __future__ import annotations

import http.client
import io
import socket
import threading
import time

MAX_REQUEST_LINE = 4 * 1024  # bytes: a longer request line (a path over about 4 KB) is answered 414
MAX_HEADER_BYTES = 64 * 1024  # a request's header lines together; more is answered 431 (more than 100 lines too)
MAX_CONNECTIONS = 64  # connections served at once, a thread each; live-reload streams are not among them
IDLE_SECONDS = 20.0  # a connection that sends nothing for this long is closed
_DRAIN_BYTES = 1024 * 1024  # what is read and dropped after refusing a request, at most
_DRAIN_SECONDS = 1.0


class HeaderBudget:
    """A request's stream as http.client reads the header lines from it: more than `limit` bytes in all are refused
    (http.server answers 431) before more is read."""

    def __init__(self, stream: io.BufferedIOBase, limit: int = MAX_HEADER_BYTES):
        self._stream = stream
        self._left = limit

    def readline(self, size: int = -1) -> bytes:
        """One line, of at most `size` bytes; LineTooLong once the lines read exceed the budget."""
        wanted = self._left + 1 if size < 0 else min(size, self._left + 1)
        line = self._stream.readline(wanted)
        self._left -= len(line)
        if self._left < 0:
            raise http.client.LineTooLong("header lines")
        return line


def drain(connection: socket.socket) -> None:
    """After an answer that refuses a request: end the sending side, then read and drop what the client still
    sends (up to a bound), so that closing does not reset the connection before the client read the answer."""
    try:
        connection.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + _DRAIN_SECONDS
        left = _DRAIN_BYTES
        while left > 0 and (remaining := deadline - time.monotonic()) > 0:
            connection.settimeout(remaining)
            chunk = connection.recv(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)
    except OSError:
        pass


class ConnectionSlots:
    """At most `limit` connections served at once.

    A connection is either waiting for a request (new, idle between requests, or sending its request slowly) or
    busy answering one. When every slot is taken, a new connection takes the place of the one that has waited
    longest, which is closed: a flood of slow or idle connections cannot keep a real request out. When every
    connection is busy, a new one is refused.
    """

    def __init__(self, limit: int = MAX_CONNECTIONS):
        self.limit = limit
        self._changed = threading.Condition()
        self._waiting: dict[socket.socket, None] = {}  # in the order they began to wait, the longest first
        self._busy: set[socket.socket] = set()
        self._closing: set[socket.socket] = set()  # made to wait no longer, until their threads let go of them

    def _taken(self) -> int:
        return len(self._waiting) + len(self._busy) + len(self._closing)

    def admit(self, connection: socket.socket, timeout: float = 1.0) -> bool:
        """Take a slot for a new connection, closing the longest-waiting one if need be; False if none frees."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._taken() >= self.limit:
                if self._waiting and not self._closing:
                    oldest = next(iter(self._waiting))
                    del self._waiting[oldest]
                    self._closing.add(oldest)
                    _end(oldest)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            self._waiting[connection] = None
            return True

    def waiting(self, connection: socket.socket) -> None:
        """The connection waits for its next request."""
        with self._changed:
            if connection in self._busy:
                self._busy.discard(connection)
                self._waiting[connection] = None

    def busy(self, connection: socket.socket) -> bool:
        """The connection has sent a whole request head; False if it was closed to make room meanwhile."""
        with self._changed:
            if connection not in self._waiting:
                return False
            del self._waiting[connection]
            self._busy.add(connection)
            return True

    def release(self, connection: socket.socket) -> None:
        """The connection's thread is done with it."""
        with self._changed:
            self._waiting.pop(connection, None)
            self._busy.discard(connection)
            self._closing.discard(connection)
            self._changed.notify_all()

    def count(self) -> int:
        """How many slots are taken."""
        with self._changed:
            return self._taken()


def _end(connection: socket.socket) -> None:
    """Wake the thread reading from the connection: its read ends as if the client had closed it."""
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
