"""One request's database work is bounded by what it asks, not by how long a slug is made.

The attacker is any signed-in admin, with no project at all: `GET /api/goals/stats?goals=` names
goals by their public slug, `{project-slug}-{key}`, and the server tried every split of the slug
at each dash, one project look-up each. A slug of 3,000 dashes was 3,000 database queries (about
3 s of the database), and a request may name 50 slugs: one request, minutes of the database's
time, everyone else waiting. A goal's key is at most 63 characters, so only the splits whose
last part may be a key are tried now: at most 32, however long the slug.

The database work is counted where it happens: m3m reaches its database through a relay that
counts the messages it sends (the wire protocol's framing), so nothing here measures time."""

from __future__ import annotations

import socket
import struct
import threading
from urllib.parse import urlsplit

import pytest

from conftest import login
from ops_support import Instance
from kernel.embedded import free_port


class CountingRelay:
    """A TCP relay to the database that counts the wire messages its clients send."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.sent = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._messages, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _messages(self, source: socket.socket, sink: socket.socket) -> None:
        buffer = b""
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                buffer += data
                while len(buffer) >= 4 and len(buffer) >= struct.unpack("<i", buffer[:4])[0]:
                    buffer = buffer[struct.unpack("<i", buffer[:4])[0]:]
                    with self.lock:
                        self.sent += 1
        except OSError:
            pass
        finally:
            sink.close()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(scope="module")
def counted(mongo_uri, tmp_path_factory):
    address = urlsplit(mongo_uri)
    relay = CountingRelay((address.hostname, address.port or 27017))
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("slugs"), "slugs",
                        M3M_MONGODB__URI=f"mongodb://127.0.0.1:{relay.port}/?directConnection=true").start()
    yield instance, relay
    instance.stop()
    relay.close()


def test_a_slug_of_thousands_of_dashes_costs_a_few_queries(counted):
    instance, relay = counted
    made = instance.client.post("/api/users", headers=instance.headers,
                                json={"email": "nobody-special@m3m.test", "password": "User-pass-1", "permissions": {}})
    assert made.status_code == 201, made.text
    headers = login(instance.client, "nobody-special@m3m.test", "User-pass-1")
    slug = "-".join(["a"] * 3000)
    before = relay.sent
    answer = instance.client.get("/api/goals/stats", params={"goals": slug}, headers=headers, timeout=300)
    queries = relay.sent - before
    assert answer.status_code == 422, answer.text[:300]
    assert answer.json()["error"]["fields"] == {"goals": f"no goal {slug!r}"}
    assert queries < 100, f"{queries} database messages for one slug"


def test_a_project_goal_is_still_found_by_its_slug(counted):
    """What the bound leaves alone: a project whose slug has dashes, a key with dashes."""
    instance, _ = counted
    project = instance.client.post("/api/projects", json={"name": "Shop", "slug": "my-shop-2"}, headers=instance.headers).json()
    goal = instance.client.post(f"/api/projects/{project['id']}/goals", headers=instance.headers,
                                json={"name": "Paid orders", "slug": "paid-orders", "type": "counter"})
    assert goal.status_code == 201, goal.text
    answer = instance.client.get("/api/goals/stats", params={"goals": "my-shop-2-paid-orders"}, headers=instance.headers)
    assert answer.status_code == 200, answer.text
    assert [item["slug"] for item in answer.json()["items"]] == ["my-shop-2-paid-orders"]
