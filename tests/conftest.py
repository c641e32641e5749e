"""Real parts: a MongoDB wire server on localhost:27017 and `m3m serve` as a real process.

The database m3m_testing_database is dropped at the start of every test session. When nothing
listens on 27017, nx-27017 is started there for the session and stopped after it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from kernel.embedded import answers, free_port

ROOT = Path(__file__).resolve().parent.parent
MONGO_URI = os.environ.get("M3M_TEST_MONGODB_URI", "mongodb://localhost:27017")
# Parallel test sessions (several developers on one machine) can each name their own database.
TEST_DB = os.environ.get("M3M_TEST_DATABASE", "m3m_testing_database")
JWT_SECRET = "test-secret-" + "x" * 32
ROOT_EMAIL = "root@m3m.test"
ROOT_PASSWORD = "Root-pass-1"
M3M = [sys.executable, "-m", "kernel.cli"]

# Every process of the session (this one, the servers, the CLI runs, the workers) appends the
# hooks it calls here (kernel.plugins.TRACE_ENV); the last test checks every hookspec was called.
HOOK_TRACE = Path(tempfile.gettempdir()) / f"m3m-hook-trace-{os.getpid()}.txt"
HOOK_TRACE.unlink(missing_ok=True)
os.environ["M3M_HOOK_TRACE"] = str(HOOK_TRACE)
LAST_TEST = "test_every_hookspec_was_called_during_the_suite"


def pytest_collection_modifyitems(config, items):
    """The hook check runs last, and only counts when the whole suite was asked for."""
    items.sort(key=lambda item: item.name == LAST_TEST)
    option = config.option
    config.m3m_whole_suite = (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not option.keyword and not option.markexpr and not option.deselect and not getattr(option, "lf", False)
    )


def pytest_unconfigure(config):
    HOOK_TRACE.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    process = None
    if not answers(MONGO_URI, timeout=1):
        data = tmp_path_factory.mktemp("nx-27017")
        process = subprocess.Popen(
            [sys.executable, "-c", "from nx_27017.nx_27017 import main; main()",
             "--data-dir", str(data), "--port", "27017", "--host", "127.0.0.1",
             "--log-file", os.devnull, "--pid-file", str(data / "pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not answers(MONGO_URI):
            assert process.poll() is None, "nx-27017 exited while starting"
            assert time.monotonic() < deadline, "nx-27017 did not answer on 27017"
            time.sleep(0.1)
    client = MongoClient(MONGO_URI)
    client.drop_database(TEST_DB)
    client.close()
    yield MONGO_URI
    if process:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def mongo(mongo_uri):
    """A synchronous PyMongo handle on the test database, to look behind the API."""
    client = MongoClient(mongo_uri, tz_aware=True)
    yield client[TEST_DB]
    client.close()


def server_env(storage: Path, port: int, mongo_uri: str, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        M3M_MONGODB__URI=mongo_uri,
        M3M_MONGODB__DATABASE=TEST_DB,
        M3M_STORAGE__PATH=str(storage),
        M3M_SERVER__HOST="127.0.0.1",
        M3M_SERVER__PORT=str(port),
        M3M_JWT__SECRET=JWT_SECRET,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Server:
    """`m3m serve` in a child process, with its output kept in a file for assertions."""

    def __init__(self, env: dict, cwd: Path, command: list[str] = M3M) -> None:
        self.env = env
        self.url = f"http://127.0.0.1:{env['M3M_SERVER__PORT']}"
        self.log_path = cwd / f"serve-{env['M3M_SERVER__PORT']}.log"
        self.process = subprocess.Popen(
            [*command, "serve"], env=env, cwd=cwd, stdout=open(self.log_path, "w"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"m3m serve exited {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"m3m serve did not answer:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout)


def run_m3m(*args: str, env: dict, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*M3M, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def server(mongo_uri, tmp_path_factory):
    """The shared server for API tests; its first user (made with the CLI) is root."""
    workdir = tmp_path_factory.mktemp("server")
    # Sleep when idle after 3 s, for the services that opt in (the UI's test of it); others never sleep.
    # Services may reach loopback, where the tests' local HTTP and SMTP servers listen (denied by default).
    env = server_env(workdir / "storage", free_port(), mongo_uri, M3M_RUNTIME__SLEEP_AFTER="3s", M3M_HTTP__ALLOWED='["127.0.0.0/8"]')
    result = run_m3m("new-admin", ROOT_EMAIL, ROOT_PASSWORD, "--name", "Root", env=env, cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "created root" in result.stdout
    srv = Server(env, workdir).wait_ready()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def login(client: httpx.Client, email: str, password: str) -> dict:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture(scope="session")
def root_headers(client):
    return login(client, ROOT_EMAIL, ROOT_PASSWORD)


class Users:
    """Makes users with chosen permissions through the API, each with a fresh email."""

    def __init__(self, client: httpx.Client, root_headers: dict) -> None:
        self.client = client
        self.root_headers = root_headers

    def make(self, password: str = "User-pass-1", **permissions) -> dict:
        email = f"user-{secrets.token_hex(4)}@m3m.test"
        response = self.client.post(
            "/api/users",
            json={"email": email, "password": password, "name": "U", "permissions": permissions},
            headers=self.root_headers,
        )
        assert response.status_code == 201, response.text
        user = response.json()
        user["headers"] = login(self.client, email, password)
        user["password"] = password
        return user


@pytest.fixture(scope="session")
def users(client, root_headers):
    return Users(client, root_headers)


@pytest.fixture(scope="module")
def owner(users):
    """A user who may create projects, one per test module."""
    return users.make(createProjects=True)


def new_project(client: httpx.Client, headers: dict, prefix: str = "p") -> dict:
    """A new project with a random slug `{prefix}-xxxxxxxx`, made by the caller of `headers`."""
    slug = f"{prefix}-{secrets.token_hex(4)}"
    response = client.post("/api/projects", json={"name": slug, "slug": slug}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def workdir():
    path = Path(tempfile.mkdtemp(prefix="m3m-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
