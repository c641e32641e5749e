"""A crash loses nothing (docs/operations.md "What a crash does"): the server killed with SIGKILL
under load, a service's worker killed in the middle of a request, the database stopped and
started again. Every write the client saw acknowledged is there exactly once afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from kernel.embedded import answers, free_port
from ops_support import Instance
from runtime_support import Deployed, new_service, wait_until

SERVICE = """
$router.post('/notes/:name', async (ctx) => {
  await $storage.write(`notes/${ctx.params.name}.txt`, String(ctx.body.text))
  await $goals.increment('hits')
  return $router.response(201, { ok: true })
})
$router.get('/notes/:name', async (ctx) => ({ text: await $storage.read(`notes/${ctx.params.name}.txt`) }))
$router.get('/slow', async () => { await new Promise(r => setTimeout(r, 20000)); return { late: true } })
$router.get('/up', async () => ({ up: true }))
"""


def children_of(server_pid: int) -> set[int]:
    """Live processes the server started (its fork server, its workers), found by the variable
    each of them carries; they must not outlive it."""
    found = set()
    needle = f"M3M_WORKER_PARENT={server_pid}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0") and "\nState:\tZ" not in (entry / "status").read_text():
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def leftovers(storage: Path) -> list[str]:
    """Temporary files of any kind left in the storage tree."""
    found = []
    for path in storage.rglob("*"):
        relative = path.relative_to(storage).as_posix()
        if relative.startswith("db/"):
            continue
        in_tmp = "/tmp/" in f"/{relative}" and path.is_file()
        if in_tmp or path.name.endswith((".partial", ".part", ".restoring")) or path.name.startswith(".backup-paused"):
            found.append(relative)
    return found


class Load:
    """Writes of every kind through the API from a few threads, each acknowledged one noted."""

    def __init__(self, instance: Instance, service: Deployed) -> None:
        self.url, self.headers, self.service = instance.server.url, instance.headers, service
        self.stop = threading.Event()
        self.acked: dict[str, list] = {"env": [], "files": [], "notes": [], "releases": [], "hits": [], "records": []}
        self.unknown = {"hits": 0, "releases": 0}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(kind,)) for kind in ("env", "files", "notes", "releases", "records")]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def _run(self, kind: str) -> None:
        api = f"{self.url}/api/projects/{self.service.project['id']}"
        with httpx.Client(timeout=10) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                name = f"{kind}{threading.get_ident() % 1000}x{n}"
                try:
                    if kind == "env":
                        r = client.put(f"{api}/env/K_{n}", json={"type": "string", "value": f"v{n}"}, headers=self.headers)
                        ok, value = r.status_code in (200, 201), (f"K_{n}", f"v{n}")
                    elif kind == "files":
                        data = os.urandom(64 * 1024)
                        r = client.post(f"{api}/storage/files", params={"path": "load"}, headers=self.headers,
                                        files=[("file", (f"{name}.bin", data))])
                        ok, value = r.status_code in (200, 201), (f"load/{name}.bin", data)
                    elif kind == "notes":
                        r = client.post(f"{self.url}/bot-{self.service.project['slug']}/notes/{name}", json={"text": name})
                        ok, value = r.status_code == 201, name
                    elif kind == "records":
                        r = client.post(f"{api}/models/items/records", json={"name": name}, headers=self.headers)
                        ok, value = r.status_code == 201, (r.json()["id"] if r.status_code == 201 else None, name)
                    else:
                        client.put(f"{api}/pipeline/branches/develop", json={"code": SERVICE + f"// {n}\n"}, headers=self.headers)
                        r = client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor",
                                                                         "comment": name}, headers=self.headers)
                        ok, value = r.status_code == 201, (r.json().get("version") if r.status_code == 201 else None, name)
                except httpx.HTTPError:
                    with self.lock:
                        if kind == "notes":
                            self.unknown["hits"] += 1
                        if kind == "releases":
                            self.unknown["releases"] += 1
                    time.sleep(0.05)  # the server is away: the client would retry later
                    continue
                with self.lock:
                    if ok:
                        self.acked[kind].append(value)
                        if kind == "notes":
                            self.acked["hits"].append(name)
                    elif kind in ("notes", "releases") and r.status_code >= 500:
                        self.unknown["hits" if kind == "notes" else "releases"] += 1


def check_acknowledged(instance: Instance, service: Deployed, load: Load) -> None:
    client, headers = instance.client, instance.headers
    api = f"/api/projects/{service.project['id']}"
    env = {item["key"]: item["value"] for item in client.get(f"{api}/env", headers=headers).json()}
    for key, value in load.acked["env"]:
        assert env.get(key) == value, key
    for path, data in load.acked["files"]:
        got = client.get(f"{api}/storage/content", params={"path": path}, headers=headers)
        assert got.status_code == 200 and got.content == data, path
    for name in load.acked["notes"]:
        got = client.get(f"/bot-{service.project['slug']}/notes/{name}")
        assert got.status_code == 200 and got.json() == {"text": name}, name
    for rid, name in load.acked["records"]:
        got = client.get(f"{api}/models/items/records/{rid}", headers=headers)
        assert got.status_code == 200 and got.json()["name"] == name, rid
    names = [item["name"] for item in client.get(f"{api}/models/items/records", params={"perPage": 500},
                                                 headers=headers).json()["items"]]
    assert len(names) == len(set(names))  # none twice
    releases = client.get(f"{api}/pipeline", headers=headers).json()["releases"]
    versions = [release["version"] for release in releases]
    assert len(versions) == len(set(versions))  # none twice
    comments = [release.get("comment") for release in releases]
    for version, comment in load.acked["releases"]:
        assert version in versions and comments.count(comment) == 1, (version, comment)
    assert len(releases) <= 1 + len(load.acked["releases"]) + load.unknown["releases"]
    stats = client.get("/api/goals/stats", params={"goals": f"{service.project['slug']}-hits"}, headers=headers).json()
    total = stats["items"][0]["total"]
    # Exactly once: every acknowledged increment counted; at most the unanswered ones on top.
    assert len(load.acked["hits"]) <= total <= len(load.acked["hits"]) + load.unknown["hits"], (total, load.acked["hits"], load.unknown)


@pytest.fixture
def instance(mongo_uri, tmp_path):
    own = Instance(mongo_uri, tmp_path, "crash", M3M_RUNTIME__RESTART_BACKOFF="200ms").start()
    yield own
    pid = own.server.process.pid
    own.close()
    wait_until(lambda: not children_of(pid), 15, "the server's processes to end")


def deploy(instance: Instance) -> Deployed:
    service = new_service(instance.client, instance.headers)
    made = instance.client.post(service.api("/goals"), json={"name": "Hits", "slug": "hits", "type": "counter"},
                                headers=instance.headers)
    assert made.status_code == 201, made.text
    items = instance.client.post(service.api("/models"), json={"name": "Items", "slug": "items",
                                                               "fields": [{"key": "name", "type": "string"}]},
                                 headers=instance.headers)
    assert items.status_code == 201, items.text
    service.deploy(SERVICE)
    assert instance.client.get(service.bot("/up")).status_code == 200
    return service


def test_sigkill_under_load_loses_no_acknowledged_write(instance):
    service = deploy(instance)
    with Load(instance, service) as load:
        wait_until(lambda: all(len(load.acked[k]) >= 3 for k in ("env", "files", "notes", "releases", "records")), 60, "load")
        old = instance.server.process.pid
        children = children_of(old)
        assert children  # the fork server and the service's worker
        instance.server.process.send_signal(signal.SIGKILL)
        instance.server.process.wait(10)
        time.sleep(0.5)  # the client keeps trying against a dead server meanwhile
    # No worker or fork server outlives the server (PR_SET_PDEATHSIG).
    wait_until(lambda: not children_of(old), 15, "the killed server's workers to end")
    instance.start()
    state = wait_until(lambda: (s := instance.client.get(service.api("/runtime"), headers=instance.headers).json())["state"] == "running" and s,
                       60, "the service to come back")
    assert state["state"] == "running"
    check_acknowledged(instance, service, load)
    assert leftovers(instance.storage) == []


def test_a_worker_killed_mid_request_answers_502_or_503_and_comes_back(instance):
    service = deploy(instance)
    pid = instance.client.get(service.api("/runtime"), headers=instance.headers).json()["pid"]
    result = {}

    def call():
        started = time.monotonic()
        result["response"] = httpx.get(instance.server.url + service.bot("/slow"), timeout=60)
        result["took"] = time.monotonic() - started

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(1)
    os.kill(pid, signal.SIGKILL)
    thread.join(60)
    assert not thread.is_alive()
    assert result["response"].status_code in (502, 503), result["response"].text
    assert result["response"].json()["error"]["code"]
    assert result["took"] < 15  # the 20 s route did not hold the client
    back = wait_until(lambda: instance.client.get(service.bot("/up")).status_code == 200, 60, "the restarted worker")
    assert back
    assert instance.client.get(service.api("/runtime"), headers=instance.headers).json()["pid"] != pid


@pytest.fixture
def own_database(tmp_path):
    """An nx-27017 of this test's own, to stop and start again."""
    port = free_port()
    data = tmp_path / "nx"
    data.mkdir()
    command = [sys.executable, "-c", "from nx_27017.nx_27017 import main; main()", "--data-dir", str(data),
               "--port", str(port), "--host", "127.0.0.1", "--log-file", os.devnull, "--pid-file", str(data / "pid")]
    uri = f"mongodb://127.0.0.1:{port}"

    class Db:
        def __init__(self):
            self.process = None
            self.uri = uri

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(lambda: answers(uri), 20, "nx-27017")

        def stop(self):
            self.process.terminate()
            self.process.wait(20)

    db = Db()
    db.start()
    yield db
    if db.process.poll() is None:
        db.stop()


def test_the_database_stopped_and_started_again(own_database, tmp_path):
    instance = Instance(own_database.uri, tmp_path, "dbdown", M3M_MONGODB__TIMEOUT="2s").start()
    try:
        service = deploy(instance)
        api = service.api()
        with Load(instance, service) as load:
            wait_until(lambda: len(load.acked["env"]) >= 3 and len(load.acked["notes"]) >= 3, 60, "load")
            own_database.stop()
            away = instance.client.get(f"{api}/env", headers=instance.headers, timeout=30)
            assert away.status_code == 503 and away.json()["error"]["code"] == "database_unavailable", away.text
            assert away.headers["Retry-After"]
            assert instance.client.get("/api/health").status_code == 503
            own_database.start()
            # It recovers by itself: no restart of m3m.
            wait_until(lambda: instance.client.get(f"{api}/env", headers=instance.headers).status_code == 200, 60,
                       "the API to answer again")
            wait_until(lambda: len(load.acked["env"]) >= 6, 60, "writes to be acknowledged again")
        assert instance.server.process.poll() is None
        assert instance.client.get(service.bot("/up")).status_code == 200
        check_acknowledged(instance, service, load)
    finally:
        instance.close()


def test_audit_entries_queued_while_the_database_is_away_are_stored_once_it_is_back(own_database, tmp_path):
    """Entries are stored after their answer, in batches (docs/operations.md "Audit log"): one
    whose write fails stays queued and is stored, once, when the database answers again."""
    instance = Instance(own_database.uri, tmp_path, "audit_away", M3M_MONGODB__TIMEOUT="2s", M3M_AUDIT__WRITE_DELAY="1h").start()
    try:
        assert instance.client.patch("/api/auth/me", json={"name": "Before the stop"}, headers=instance.headers).status_code == 200
        own_database.stop()
        away = instance.client.get("/api/audit", headers=instance.headers, timeout=30)  # a read stores the queue first: it fails
        assert away.status_code == 503 and away.json()["error"]["code"] == "database_unavailable", away.text
        own_database.start()
        wait_until(lambda: instance.client.get("/api/audit", headers=instance.headers).status_code == 200, 60, "the API to answer again")
        page = instance.client.get("/api/audit", params={"perPage": 100}, headers=instance.headers).json()
        assert [item["after"]["name"] for item in page["items"] if item["path"] == "/api/auth/me"] == ["Before the stop"]
    finally:
        instance.close()
