"""The embedded database: `m3m serve` with mongodb.uri = "embedded" runs nx-27017 as its child,
other commands reuse it or start their own, and nothing is left behind on exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from conftest import M3M, free_port, run_m3m, server_env
from kernel_support import (
    make_installed_plugin,
    nx_processes,
    one_line_error,
    process_gone,
    run_concurrently,
    with_pythonpath,
)


def embedded_env(workdir: Path, **extra: str) -> dict:
    return server_env(workdir / "storage", free_port(), "embedded", M3M_MONGODB__DATABASE="m3m", **extra)


class EmbeddedServe:
    """`m3m serve` in its own session (process group), as a terminal would run it."""

    def __init__(self, env: dict, cwd: Path) -> None:
        self.env = env
        self.url = f"http://127.0.0.1:{env['M3M_SERVER__PORT']}"
        self.log = cwd / "serve.log"
        self.data_dir = Path(env["M3M_STORAGE__PATH"]) / "db"
        self.process = subprocess.Popen(
            [*M3M, "serve"], env=env, cwd=cwd, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 40) -> "EmbeddedServe":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"m3m serve exited {self.process.returncode}:\n{self.output()}"
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"m3m serve did not answer:\n{self.output()}")

    def state(self) -> dict:
        return json.loads((self.data_dir / "embedded.json").read_text())

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def serve_embedded(workdir):
    started = []

    def start(**extra: str) -> EmbeddedServe:
        server = EmbeddedServe(embedded_env(workdir, **extra), workdir)
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:  # only if a test failed half-way
        server.kill()


def check_embedded_running(server: EmbeddedServe) -> int:
    """The recorded nx-27017 is serve's child on a loopback port, with its data in {storage}/db."""
    state = server.state()
    pid, port = state["pid"], state["port"]
    assert nx_processes(server.data_dir) == [pid]
    status = Path(f"/proc/{pid}/status").read_text()
    assert f"PPid:\t{server.process.pid}\n" in status  # a child of m3m serve
    assert f"embedded database (nx-27017) at mongodb://127.0.0.1:{port}, data in {server.data_dir}" in server.output()
    client = MongoClient(f"mongodb://127.0.0.1:{port}", serverSelectionTimeoutMS=5000)
    try:
        assert client.admin.command("ping")["ok"] == 1
        assert "users" in client["m3m"].list_collection_names()  # auth's startup made its index here
    finally:
        client.close()
    assert any(path.suffix == ".db" for path in server.data_dir.iterdir())
    health = httpx.get(server.url + "/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    return pid


def check_stopped(server: EmbeddedServe, pid: int) -> None:
    assert process_gone(pid), f"nx-27017 (pid {pid}) is still running"
    assert nx_processes(server.data_dir) == []
    assert not (server.data_dir / "embedded.json").exists()
    assert "embedded database stopped" in server.output()
    assert "Traceback" not in server.output()


def test_sigterm_stops_the_server_and_its_database(serve_embedded, workdir):
    server = serve_embedded()
    pid = check_embedded_running(server)

    # new-admin beside the running server reuses its database (no second nx-27017)
    result = run_m3m("new-admin", "emb@m3m.test", "Emb3dded-pass", env=server.env, cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "created root emb@m3m.test" in result.stdout
    assert nx_processes(server.data_dir) == [pid] and server.state()["pid"] == pid
    login = httpx.post(server.url + "/api/auth/login", json={"email": "emb@m3m.test", "password": "Emb3dded-pass"})
    assert login.status_code == 200, login.text
    me = httpx.get(server.url + "/api/auth/me", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert me.json()["email"] == "emb@m3m.test"

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == 0, server.output()
    check_stopped(server, pid)


def test_ctrl_c_stops_the_server_and_its_database_after_shutdown_hooks(serve_embedded, workdir):
    """Ctrl-C reaches the terminal's whole process group. The database must outlive the server's
    shutdown hooks (the installed probe plugin writes to it from m3m_shutdown)."""
    mark = workdir / "shutdown-mark"
    plugin_dir = make_installed_plugin(workdir / "site")
    pythonpath = with_pythonpath({"PYTHONPATH": os.environ.get("PYTHONPATH", "")}, plugin_dir)["PYTHONPATH"]
    server = serve_embedded(KERNEL_PROBE_MARK=str(mark), M3M_MONGODB__TIMEOUT="3s", PYTHONPATH=pythonpath)
    pid = check_embedded_running(server)

    os.killpg(server.process.pid, signal.SIGINT)
    assert server.process.wait(30) == 0, server.output()
    check_stopped(server, pid)
    assert mark.read_text() == "db ok"


def test_new_admin_without_a_server_starts_and_stops_its_own_database(workdir):
    env = embedded_env(workdir)
    data_dir = workdir / "storage" / "db"
    first = run_m3m("new-admin", "solo@m3m.test", "S0lo-pass!", env=env, cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert "created root solo@m3m.test" in first.stdout
    assert nx_processes(data_dir) == []  # the one started for the command is gone
    assert not (data_dir / "embedded.json").exists()
    assert any(path.suffix == ".db" for path in data_dir.iterdir())
    # the data stayed in {storage}/db: the next one is an admin, and the same email is taken
    again = run_m3m("new-admin", "duo@m3m.test", "Du0-pass!", env=env, cwd=workdir)
    assert again.returncode == 0, again.stderr
    assert "created admin duo@m3m.test" in again.stdout
    one_line_error(run_m3m("new-admin", "solo@m3m.test", "S0lo-pass!", env=env, cwd=workdir), "email is taken")
    assert nx_processes(data_dir) == []


def test_unreachable_database_is_one_line_naming_the_uri(workdir):
    uri = f"mongodb://127.0.0.1:{free_port()}"  # nothing listens there
    env = server_env(workdir / "storage", free_port(), uri, M3M_MONGODB__TIMEOUT="1s")
    results = run_concurrently({
        "serve": ([*M3M, "serve"], env, workdir),
        "new-admin": ([*M3M, "new-admin", "x@m3m.test", "S3cure-pass"], env, workdir),
    })
    for result in results.values():
        one_line_error(result, uri, "does not answer")
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{env['M3M_SERVER__PORT']}/api/health", timeout=1)
