"""Deploying a service in tests: a project, its code saved, released and started."""

from __future__ import annotations

import json
import secrets
import subprocess
import textwrap
import time
from pathlib import Path

import httpx
import pytest

TSC = Path(__file__).resolve().parent.parent / "tools" / "typecheck" / "node_modules" / ".bin" / "tsc"


class Deployed:
    """A running service: `bot(path)` is its URL; `api(path)` the project's REST URL."""

    def __init__(self, client: httpx.Client, headers: dict, project: dict) -> None:
        self.client = client
        self.headers = headers
        self.project = project

    def api(self, path: str = "") -> str:
        return f"/api/projects/{self.project['id']}{path}"

    def bot(self, path: str = "") -> str:
        return f"/bot-{self.project['slug']}{path}"

    def release(self, code: str, bump: str = "minor") -> str:
        saved = self.client.put(self.api("/pipeline/branches/develop"), json={"code": textwrap.dedent(code)}, headers=self.headers)
        assert saved.status_code in (200, 201), saved.text
        made = self.client.post(self.api("/pipeline/releases"), json={"branch": "develop", "bump": bump}, headers=self.headers)
        assert made.status_code == 201, made.text
        return made.json()["version"]

    def start(self, version: str) -> dict:
        response = self.client.post(self.api("/runtime/start"), json={"release": version}, headers=self.headers, timeout=120)
        assert response.status_code == 200, response.text
        return response.json()

    def deploy(self, code: str) -> dict:
        return self.start(self.release(code))

    def state(self) -> dict:
        return self.client.get(self.api("/runtime"), headers=self.headers).json()

    def stop(self) -> dict:
        return self.client.post(self.api("/runtime/stop"), headers=self.headers, timeout=60).json()

    def logs(self) -> list[str]:
        return self.client.get(self.api("/runtime/logs?limit=5000"), headers=self.headers).json()["lines"]

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "condition"):
        try:
            return wait_until(predicate, timeout, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; state {self.state()}; logs:\n" + "\n".join(self.logs())) from None

    def wait_log(self, text: str, timeout: float = 30.0) -> list[str]:
        return self.wait_for(lambda: [line for line in self.logs() if text in line], timeout, f"log line {text!r}")


def wait_until(predicate, timeout: float = 30.0, what: str = "condition"):
    """The predicate's first truthy value, polled until the deadline (no timing is asserted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def new_service(client: httpx.Client, headers: dict) -> Deployed:
    slug = f"svc-{secrets.token_hex(4)}"
    response = client.post("/api/projects", json={"name": slug, "slug": slug}, headers=headers)
    assert response.status_code == 201, response.text
    return Deployed(client, headers, response.json())


def tsc(folder: Path, typings: str, source: str, strict: bool = False) -> subprocess.CompletedProcess:
    """`tsc --noEmit --checkJs` of `source` against the server's typings, configured as the editor
    is: lib es2022 without the DOM (a service has no window, fetch or XHR)."""
    if not TSC.exists():
        pytest.fail("TypeScript is missing: `make test` installs it (npm ci in tools/typecheck)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m3m.d.ts").write_text(typings)
    (folder / "service.js").write_text(source)
    options = {"allowJs": True, "checkJs": True, "noEmit": True, "strict": strict, "target": "es2022", "lib": ["es2022"], "types": []}
    (folder / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "files": ["m3m.d.ts", "service.js"]}))
    return subprocess.run([str(TSC), "-p", str(folder)], capture_output=True, text=True, timeout=120)
