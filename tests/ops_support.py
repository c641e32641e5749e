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
        self.server = Server(self.env, self.workdir)
        try:
            self.server.wait_ready(60)
            self.client = httpx.Client(base_url=self.server.url, timeout=60)
            if sign_in:
                self.headers = login(self.client, ROOT_EMAIL, ROOT_PASSWORD)
        except BaseException:  # a server that did not come up is not left running
            self.stop(signal.SIGKILL)
            raise
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


SERVICE = """
$router.post('/notes/:name', async (ctx) => {
  const entry = await $storage.write(`notes/${ctx.params.name}.txt`, String(ctx.body.text))
  await $goals.increment('hits')
  return $router.response(201, entry)
})
$router.get('/notes/:name', async (ctx) => ({ text: await $storage.read(`notes/${ctx.params.name}.txt`), greeting: $env.get('GREETING') }))
"""


def populate(instance: Instance, slug: str = "moved") -> dict:
    """A project with everything a project has: env, goals with counts, branches, releases, a
    running service that wrote files, uploaded files; a second admin with an avatar."""
    from auth_support import image_bytes
    from runtime_support import Deployed

    client, headers = instance.client, instance.headers
    made = client.post("/api/projects", json={"name": "Moved", "slug": slug, "color": None}, headers=headers)
    assert made.status_code == 201, made.text
    service = Deployed(client, headers, made.json())
    api = service.api
    for key, kind, value in (("GREETING", "string", "hello"), ("LIMITS", "json", {"a": [1, 2]}), ("RATE", "float", 1.5),
                             ("ON", "boolean", True)):
        assert client.put(api(f"/env/{key}"), json={"type": kind, "value": value}, headers=headers).status_code in (200, 201)
    goal = client.post(api("/goals"), json={"name": "Hits", "slug": "hits", "type": "daily_counter"}, headers=headers)
    assert goal.status_code == 201, goal.text
    first = service.release(SERVICE)
    assert client.post(api("/pipeline/branches"), json={"name": "feature", "from": {"release": first}},
                       headers=headers).status_code == 201
    assert client.put(api("/pipeline/branches/feature"), json={"code": SERVICE + "\n// feature\n"},
                      headers=headers).status_code == 200
    running = service.release(SERVICE + "\n// second\n")
    service.start(running)
    for name in ("a", "b"):
        wrote = client.post(service.bot(f"/notes/{name}"), json={"text": f"note {name}"})
        assert wrote.status_code == 201, wrote.text
    files = f"{api('/storage')}/files"
    uploaded = client.post(files, params={"path": "uploads/deep"}, headers=headers,
                           files=[("file", ("blob.bin", bytes(range(256)) * 40)), ("file", ("pic.png", image_bytes((40, 30))))])
    assert uploaded.status_code in (200, 201), uploaded.text
    # Models and records of the data store: a ref between two models, a record with a file.
    people = client.post(api("/models"), json={"name": "People", "slug": "people", "fields": [
        {"key": "name", "type": "string"}]}, headers=headers)
    assert people.status_code == 201, people.text
    notes = client.post(api("/models"), json={"name": "Notes", "slug": "notes", "fields": [
        {"key": "title", "type": "string"}, {"key": "author", "type": "ref", "options": {"model": "people"}},
        {"key": "scan", "type": "file"}]}, headers=headers)
    assert notes.status_code == 201, notes.text
    ada = client.post(api("/models/people/records"), json={"name": "Ada"}, headers=headers)
    assert ada.status_code == 201, ada.text
    note = client.post(api("/models/notes/records"), json={"title": "First", "author": ada.json()["id"]}, headers=headers)
    assert note.status_code == 201, note.text
    scan = client.post(api(f"/models/notes/records/{note.json()['id']}/files/scan"),
                       files=[("file", ("scan.png", image_bytes((24, 24))))], headers=headers)
    assert scan.status_code in (200, 201), scan.text
    admin = client.post("/api/users", json={"email": "second@m3m.test", "password": "Second-pass-1", "name": "Second",
                                            "permissions": {"createProjects": True, "projects": [service.project["id"]]}},
                        headers=headers)
    assert admin.status_code == 201, admin.text
    second = login(client, "second@m3m.test", "Second-pass-1")
    avatar = client.put("/api/auth/me/avatar", files={"file": ("me.png", image_bytes((64, 64)))}, headers=second)
    assert avatar.status_code == 200, avatar.text
    return {"service": service, "project": service.project, "release": running, "people": ada.json()}


BACKUP_EXCLUDE = ["db", "backups", "projects/*/tmp", "exports-tmp", ".backup-*", ".server-*"]


def documents(instance: Instance) -> dict[str, list[dict]]:
    """Every document of every collection, in _id order."""
    with instance.mongo() as mongo:
        db = mongo[instance.database]
        return {name: sorted(db[name].find({}), key=lambda doc: str(doc["_id"])) for name in sorted(db.list_collection_names())}


def files(storage: Path) -> dict[str, bytes]:
    """Every file of a storage tree outside what backups leave out, with its bytes."""
    from builtin_plugins.backup.archive import storage_files

    return {relative: path.read_bytes() for relative, path in storage_files(storage, BACKUP_EXCLUDE)}
