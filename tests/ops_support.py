"""Helpers of the operations tests (tests/test_ops_*.py): an m3m instance of its own (settings,
storage, database), started, stopped, killed and started again on the same data."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
from pymongo import MongoClient

from conftest import ROOT_EMAIL, ROOT_PASSWORD, TEST_DB, Server, login, run_m3m, server_env
from kernel.embedded import free_port


class Instance:
    """`m3m serve` on its own storage and database; `root=False` leaves it without users."""

    def __init__(self, mongo_uri: str, workdir: Path, name: str, *, root: bool = True, **env: str) -> None:
        self.mongo_uri = mongo_uri
        self.database = f"{TEST_DB}_{name}"
        self.drop()
        self.workdir = workdir
        self.storage = workdir / "storage"
        self.env = server_env(self.storage, free_port(), mongo_uri, M3M_MONGODB__DATABASE=self.database, **env)
        self.server: Server | None = None
        self.client: httpx.Client | None = None
        self.headers: dict = {}
        if root:
            made = self.m3m("new-admin", ROOT_EMAIL, ROOT_PASSWORD, "--name", "Root")
            assert made.returncode == 0, made.stderr

    def m3m(self, *args: str, timeout: float = 120):
        return run_m3m(*args, env=self.env, cwd=self.workdir, timeout=timeout)

    def start(self, sign_in: bool = True) -> "Instance":
        self.env = {**self.env, "M3M_SERVER__PORT": str(free_port())}
        self.server = Server(self.env, self.workdir).wait_ready(60)
        self.client = httpx.Client(base_url=self.server.url, timeout=60)
        if sign_in:
            self.headers = login(self.client, ROOT_EMAIL, ROOT_PASSWORD)
        return self

    def stop(self, signum: int = signal.SIGTERM) -> int | None:
        if self.client:
            self.client.close()
            self.client = None
        if self.server:
            code = self.server.stop(signum, timeout=60)
            return code
        return None

    def mongo(self) -> MongoClient:
        return MongoClient(self.mongo_uri, tz_aware=True)

    def drop(self) -> None:
        with MongoClient(self.mongo_uri) as mongo:
            mongo.drop_database(self.database)

    def close(self) -> None:
        self.stop()
        self.drop()
