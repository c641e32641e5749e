"""HTTP/1.1 at the socket, read as a proxy in front of m3m would: the headers exactly as sent
(repeats, order, case folded), and each body as its framing says."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


class Wire:
    """One keep-alive connection to the server, read byte by byte as a proxy would."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = f"{parts.hostname}:{parts.port}"
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        self.buffer = b""

    def get(self, path: str, method: str = "GET", headers: str = "") -> tuple[int, list[tuple[str, str]], bytes]:
        """One request (`headers`: extra header lines, each ending in CRLF) and its answer."""
        self.sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}\r\n".encode())
        return self.answer()

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        self.buffer += chunk

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._more()
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._more()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def answer(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """The next answer on the wire: status, headers as sent, body as its framing says."""
        status = int(self._line().split()[1])
        headers = []
        while line := self._line():
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip().lower(), value.strip()))
        names = [name for name, _ in headers]
        if status in (204, 304) or 100 <= status < 200:
            return status, headers, b""
        if "transfer-encoding" in names:
            body = b""
            while size := int(self._line(), 16):
                body += self._take(size)
                self._line()
            self._line()
            return status, headers, body
        return status, headers, self._take(int(dict(headers)["content-length"]))

    def close(self) -> None:
        self.sock.close()
