"""A live stream ends when its caller loses the project (kernel.tenancy.while_reachable).

The attacker is a former insider: an admin who opened a project's live record events or its
service's log stream, and who is then blocked, taken out of the project's members, or whose
API key is rotated. Before, the check was made once, when the stream opened: the stream went on
delivering every record written and every log line for as long as the client kept it open
(days), while each new request of the same caller was refused. Now the caller is asked again
before the stream sends more (within a second of the change, the caches' TTL), and it ends."""

from __future__ import annotations

import threading

import httpx
import pytest

from conftest import new_project
from runtime_support import Deployed, wait_until


class Listener:
    """A server-sent event stream read in a thread: its lines, and whether the server ended it."""

    def __init__(self, url: str, headers: dict) -> None:
        self.lines: list[str] = []
        self.opened = threading.Event()
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self.thread.start()
        assert self.opened.wait(30), "the stream did not open"

    def _read(self, url: str, headers: dict) -> None:
        try:
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(30, read=None)) as response:
                assert response.status_code == 200, response.read()
                for line in response.iter_lines():
                    self.lines.append(line)
                    self.opened.set()
        finally:
            self.opened.set()
            self.ended.set()

    def heard(self, text: str) -> bool:
        return any(text in line for line in self.lines)


@pytest.fixture
def notes(client, users):
    """A project with a model `notes`, made by an owner, and a second member."""
    owner, member = users.make(createProjects=True), users.make()
    project = new_project(client, owner["headers"], "live")
    members = client.put(f"/api/projects/{project['id']}/members", json={"members": [owner["id"], member["id"]]},
                         headers=owner["headers"])
    assert members.status_code == 200, members.text
    made = client.post(f"/api/projects/{project['id']}/models", headers=owner["headers"],
                       json={"name": "Notes", "slug": "notes", "fields": [{"key": "text", "type": "string"}]})
    assert made.status_code == 201, made.text
    return project, owner, member


def write(client, project: dict, headers: dict, text: str) -> None:
    answer = client.post(f"/api/projects/{project['id']}/models/notes/records", json={"text": text}, headers=headers)
    assert answer.status_code == 201, answer.text


def writes_until_ended(client, project: dict, headers: dict, listener: Listener) -> int:
    """Writes a record each poll until the stream ends (each write is an event the server checks
    its caller before sending); how many were written after the change."""
    written = []

    def one_more():
        if listener.ended.is_set():
            return True
        write(client, project, headers, f"after-{len(written)}")
        written.append(1)
        return False

    wait_until(one_more, 30, "the stream to end")
    return len(written)


def test_a_blocked_admins_record_stream_ends(server, client, root_headers, notes):
    project, owner, member = notes
    listener = Listener(f"{server.url}/api/projects/{project['id']}/models/notes/records/events", member["headers"])
    write(client, project, owner["headers"], "before the block")
    wait_until(lambda: listener.heard("before the block"), 30, "the event before the block")
    blocked = client.post(f"/api/users/{member['id']}/block", headers=root_headers)
    assert blocked.status_code == 200, blocked.text
    writes_until_ended(client, project, owner["headers"], listener)
    write(client, project, owner["headers"], "long after the block")
    assert not listener.heard("long after the block")


def test_a_rotated_api_keys_record_stream_ends(server, client, notes):
    project, owner, _ = notes
    key = client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    listener = Listener(f"{server.url}/api/projects/{project['id']}/models/notes/records/events", {"X-API-Key": key})
    write(client, project, owner["headers"], "before the rotation")
    wait_until(lambda: listener.heard("before the rotation"), 30, "the event before the rotation")
    assert client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).status_code == 200
    writes_until_ended(client, project, owner["headers"], listener)


def test_a_member_taken_out_stops_hearing_the_service_log(server, client, notes):
    project, owner, member = notes
    service = Deployed(client, owner["headers"], project)
    service.deploy("""
        $router.get('/tick', (ctx) => { $logger.info('tick ' + ctx.query.n); return { ok: true }; });
    """)
    listener = Listener(f"{server.url}/api/projects/{project['id']}/runtime/logs/stream", member["headers"])
    ticks = iter(range(1_000_000))

    def tick() -> str:
        n = next(ticks)
        assert client.get(service.bot(f"/tick?n={n}")).status_code == 200
        return f"tick {n}"

    first = tick()
    wait_until(lambda: listener.heard(first), 30, "the log line before the change")
    out = client.put(f"/api/projects/{project['id']}/members", json={"members": [owner["id"]]}, headers=owner["headers"])
    assert out.status_code == 200, out.text
    wait_until(lambda: listener.ended.is_set() or not tick(), 30, "the log stream to end")
    last = tick()
    assert not listener.heard(last)
    service.stop()
