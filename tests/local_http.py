"""A local HTTP server the $http tests (and examples) send their traffic to: real sockets on a
loopback address, in a thread of the test process. It records what arrived and which client
connections it accepted, so a test can check that a refused call never connected."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the tests see whether the client reuses connections

    def log_message(self, *args) -> None:
        pass

    def answer(self, status: int, body: bytes, kind: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server: LocalHttp = self.server.owner
        server.requests.append({"method": self.command, "path": url.path, "port": self.client_address[1]})
        if url.path in server.served:  # what a test gave LocalHttp.serve
            body, headers = server.served[url.path]
            self.answer(200, body, **headers)
        elif url.path == "/json":
            self.answer(200, json.dumps({"hello": "world", "n": 1, "list": [1, 2.5]}).encode())
        elif url.path == "/echo":
            echoed = {"method": self.command, "path": url.path, "query": query, "headers": {k.lower(): v for k, v in self.headers.items()},
                      "body": base64.b64encode(body).decode(), "text": body.decode("utf-8", "replace")}
            self.answer(200, json.dumps(echoed).encode())
        elif url.path == "/bytes":
            self.answer(200, bytes(range(256)), "application/octet-stream")
        elif url.path == "/latin1":
            self.answer(200, "café".encode("latin-1"), "text/plain; charset=iso-8859-1")
        elif url.path.startswith("/status/"):
            self.answer(int(url.path.rsplit("/", 1)[1]), b'{"sorry": true}', X_Answer="yes")
        elif url.path == "/redirect":
            self.answer(302, b"", Location=query["to"][0])
        elif url.path == "/slow":
            time.sleep(float(query.get("seconds", ["5"])[0]))
            self.answer(200, b'{"late": true}')
        elif url.path == "/sized":  # a body of `size` bytes with its Content-Length
            self.answer(200, b"x" * int(query["size"][0]), "application/octet-stream")
        elif url.path == "/endless":  # chunked, never ends: only a client that stops reading ends it
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"y" * 65536
            try:
                while not server.stopping:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    server.endless_sent += len(chunk)
            except OSError:
                pass
            self.close_connection = True
        else:
            self.answer(404, b'{"missing": true}')

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any


class Counting(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (a timeout, a cut-off body) is what several tests make happen

    def verify_request(self, request, client_address) -> bool:
        self.owner.connections += 1  # every accepted TCP connection, before a byte is read
        return True


class LocalHttp:
    def __init__(self, host: str = "127.0.0.1", tls=None) -> None:
        """`tls`: an ssl.SSLContext to serve https with."""
        self.requests: list[dict] = []
        self.connections = 0
        self.endless_sent = 0
        self.served: dict[str, tuple[bytes, dict]] = {}
        self.stopping = False
        self.httpd = Counting((host, 0), Handler)
        self.httpd.owner = self
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, body: bytes, **headers: str) -> str:
        """Answer GET `path` with `body` and these headers (`Content_Type`, `Content_Encoding`:
        underscores become dashes) from now on; the URL of it."""
        self.served[path] = (body, {"kind": headers.pop("Content_Type", "application/octet-stream"), **headers})
        return self.url + path

    def __enter__(self) -> "LocalHttp":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping = True
        self.httpd.shutdown()
        self.httpd.server_close()
