"""A local HTTPS server that speaks HTTP/2 (Hypercorn in its own process, ALPN h2 and http/1.1)
with a self-signed certificate for 127.0.0.3 made by openssl; its answer says which HTTP version
the request came over."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from kernel.embedded import free_port

APP = '''
import json


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    body = json.dumps({"httpVersion": scope["http_version"], "path": scope["path"]}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
'''


def self_signed(folder: Path, host: str = "127.0.0.3") -> tuple[Path, Path]:
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}"], check=True, capture_output=True)
    return key, cert


class LocalHttps:
    def __init__(self, folder: Path, key: Path, cert: Path, host: str = "127.0.0.3") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "h2_app.py").write_text(APP)
        self.port = free_port()
        self.host = host
        self.url = f"https://{host}:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hypercorn", "--certfile", str(cert), "--keyfile", str(key), "--bind", f"{host}:{self.port}", "h2_app:app"],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> "LocalHttps":
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return self
            except OSError:
                assert self.process.poll() is None and time.monotonic() < deadline, "hypercorn did not start"
                time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(3)
        except subprocess.TimeoutExpired:  # it waits for the client's kept-alive connection to end
            self.process.kill()
            self.process.wait(10)
