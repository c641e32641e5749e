"""The request head is bounded in size and in time (kernel/http_server.py BoundedHead). The
attacker is anonymous: it needs no account, only a TCP connection to m3m's port.

Before, uvicorn with httptools kept a request head of any size for as long as the client took:
one unfinished header of 300 MB grew the server by 450 MB, and a connection that sends nothing,
or a header line now and then, stayed open for good, so one client could take every file
descriptor of the server. Now a head over server.max_head is a 431, a head not there within
server.head_timeout a 408, and an idle connection that never began a request is closed."""

from __future__ import annotations

import select
import socket
import time

import pytest

from ops_support import Instance

MAX_HEAD = 16 * 1024
GUARD = 30.0  # seconds before a test gives up on an answer that never comes (the failure before the fix)


@pytest.fixture(scope="module")
def bounded(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("head"), "head", root=False,
                        M3M_SERVER__MAX_HEAD=str(MAX_HEAD), M3M_SERVER__HEAD_TIMEOUT="1s").start(sign_in=False)
    yield instance
    instance.stop()


def connect(instance: Instance) -> socket.socket:
    port = int(instance.env["M3M_SERVER__PORT"])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(GUARD)
    return sock


def answer_of(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection (b"" if it closes without a word)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def read_until(sock: socket.socket, end: bytes) -> bytes:
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed after {data[:200]!r}"
        data += chunk
    return data


def rss_mb(instance: Instance) -> int:
    status = open(f"/proc/{instance.server.process.pid}/status").read()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def test_a_head_over_the_limit_is_a_431(bounded):
    with connect(bounded) as sock:
        sock.sendall(b"GET /api/ping HTTP/1.1\r\nHost: m3m\r\nX-Padding: " + b"a" * (MAX_HEAD + 1) + b"\r\n\r\n")
        answer = answer_of(sock)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b'"code": "request_head_too_large"' in answer and b"server.max_head" in answer


def test_many_headers_over_the_limit_are_a_431(bounded):
    headers = b"".join(b"X-H%d: v\r\n" % index for index in range(MAX_HEAD // 8))
    with connect(bounded) as sock:
        sock.sendall(b"GET /api/ping HTTP/1.1\r\nHost: m3m\r\n" + headers + b"\r\n")
        assert answer_of(sock).startswith(b"HTTP/1.1 431 ")


def test_an_endless_header_is_cut_off_before_the_server_holds_it(bounded):
    """64 MB of one header that never ends: the server stops reading after the limit (the
    connection is closed under the sender) and its memory does not grow by what was sent."""
    before = rss_mb(bounded)
    chunk = b"a" * (1024 * 1024)
    sent = 0
    with connect(bounded) as sock:
        try:
            sock.sendall(b"GET /api/ping HTTP/1.1\r\nHost: m3m\r\nX-Big: ")
            for _ in range(64):
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = answer_of(sock)
    assert sent < 64 * len(chunk), "the server read the whole 64 MB header"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 ")
    assert rss_mb(bounded) - before < 32, (before, rss_mb(bounded))


def test_a_head_that_stops_coming_is_a_408(bounded):
    with connect(bounded) as sock:
        sock.sendall(b"GET /api/ping HTTP/1.1\r\nHost: m3m\r\n")
        answer = answer_of(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"server.head_timeout" in answer


def test_a_head_sent_a_line_at_a_time_is_cut_off(bounded):
    """Slowloris: a header line every 100 ms keeps the head unfinished; the server ends it."""
    deadline = time.monotonic() + GUARD
    answer = None
    with connect(bounded) as sock:
        sock.sendall(b"GET /api/ping HTTP/1.1\r\nHost: m3m\r\n")
        while time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0.1)
            if readable:
                answer = answer_of(sock)
                break
            try:
                sock.sendall(b"X-Drip: 1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                answer = b""
                break
    assert answer is not None, "the server kept the dripping head open"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_never_begins_a_request_is_closed(bounded):
    with connect(bounded) as sock:
        assert answer_of(sock) == b""


def test_a_fair_head_and_a_slow_body_are_served(bounded):
    """What the bounds leave alone: a head of 10 KB, two requests on one connection, and a body
    that comes after head_timeout (the head was whole in time): a second, idle connection closed
    by the server is the clock that says head_timeout has passed."""
    with connect(bounded) as sock:
        head = b"GET /api/ping HTTP/1.1\r\nHost: m3m\r\nX-Padding: " + b"a" * 10_000 + b"\r\n\r\n"
        for _ in range(2):
            sock.sendall(head)
            assert read_until(sock, b'{"pong":true}\n').startswith(b"HTTP/1.1 200 ")
    body = b'{"email": "nobody@m3m.test", "password": "x"}'
    with connect(bounded) as sock, connect(bounded) as clock:
        sock.sendall(b"POST /api/auth/login HTTP/1.1\r\nHost: m3m\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        assert answer_of(clock) == b""  # head_timeout has passed
        sock.sendall(body)
        answer = read_until(sock, b"}}\n")
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
