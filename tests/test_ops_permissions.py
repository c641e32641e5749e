"""The permission matrix (docs/operations.md "Who reaches what"): every operation of the OpenAPI
document is called as each kind of caller, and the outcome of every cell is written below, in
one table, by hand (not derived from the responses); any difference fails.

Callers, in the order of the table's columns:
  a  anonymous                    b  a blocked admin (with a token from before the block)
  o  an admin without access      m  a member of the project (no other permission)
  g  a manager (manageUsers, createProjects; not a member)      r  root
  k  the project's API key        x  another project's API key

Outcomes: `.` the route's own answer (2xx, or a 4xx about the request itself: 400, 409, 415, 422);
`1` 401, `3` 403, `4` 404 (a project the caller may not reach does not exist for them).
Every request carries a valid body, so a refusal is about the caller, never the input.
Operations that change or remove something run against a fresh project (a "world") per cell.
"""

from __future__ import annotations

import secrets

import httpx
import pytest

from auth_support import image_bytes
from conftest import login
from ops_support import Instance

CALLERS = "abomgrkx"

# path (OpenAPI form) and method -> the expected outcome for a b o m g r k x.
EXPECTED = {
    # the kernel's own, public or for anyone signed in (a key included)
    ("GET", "/api/health"): "........",
    ("GET", "/api/ping"): "........",
    ("GET", "/api/docs"): "........",
    ("GET", "/api/ui/config"): "........",
    ("GET", "/api/plugins"): "11......",
    ("GET", "/api/metrics"): "11333.33",  # root only (or runtime.metrics_token, tests/test_runtime_metrics.py)
    # sign-in and the signed-in user: users only
    ("POST", "/api/auth/login"): "........",
    ("GET", "/api/auth/setup"): "........",
    ("GET", "/api/auth/me"): "11....33",
    ("PATCH", "/api/auth/me"): "11....33",
    ("POST", "/api/auth/me/password"): "11....33",
    ("PUT", "/api/auth/me/avatar"): "11....33",
    ("DELETE", "/api/auth/me/avatar"): "11....33",
    ("GET", "/api/users/{uid}/avatar"): "........",
    # user management: manageUsers
    ("GET", "/api/users"): "1133..33",
    ("POST", "/api/users"): "1133..33",
    ("GET", "/api/users/{uid}"): "1133..33",
    ("PATCH", "/api/users/{uid}"): "1133..33",
    ("DELETE", "/api/users/{uid}"): "1133..33",
    ("POST", "/api/users/{uid}/block"): "1133..33",
    ("POST", "/api/users/{uid}/unblock"): "1133..33",
    ("GET", "/api/audit"): "1133..33",
    # projects: members reach them; a key its own, never its settings
    ("GET", "/api/projects"): "11......",
    ("POST", "/api/projects"): "1133..33",
    ("GET", "/api/projects/{pid}"): "114.4..4",
    ("PATCH", "/api/projects/{pid}"): "114.4.34",
    ("DELETE", "/api/projects/{pid}"): "11434.34",  # a member without createProjects may not delete it
    ("GET", "/api/projects/{pid}/members"): "114.4..4",
    ("PUT", "/api/projects/{pid}/members"): "114.4.34",
    ("POST", "/api/projects/{pid}/api-key"): "114.4.34",
    ("GET", "/api/colors"): "........",  # the palette: public
    ("GET", "/api/projects/{pid}/audit"): "114.4.34",
    ("GET", "/api/projects/{pid}/export"): "114.4.34",
    ("POST", "/api/projects/import"): "1133..33",
    # the project's data and runtime: members, root and the project's key
    ("GET", "/api/projects/{pid}/env"): "114.4..4",
    ("PUT", "/api/projects/{pid}/env/{key}"): "114.4..4",
    ("DELETE", "/api/projects/{pid}/env/{key}"): "114.4..4",
    ("GET", "/api/projects/{pid}/goals"): "114.4..4",
    ("POST", "/api/projects/{pid}/goals"): "114.4..4",
    ("GET", "/api/projects/{pid}/goals/{gid}"): "114.4..4",
    ("PATCH", "/api/projects/{pid}/goals/{gid}"): "114.4..4",
    ("DELETE", "/api/projects/{pid}/goals/{gid}"): "114.4..4",
    ("POST", "/api/projects/{pid}/goals/{goal}/increment"): "114.4..4",
    ("GET", "/api/projects/{pid}/pipeline"): "114.4..4",
    ("GET", "/api/projects/{pid}/pipeline/template"): "114.4..4",
    ("GET", "/api/projects/{pid}/pipeline/branches/{name}"): "114.4..4",
    ("PUT", "/api/projects/{pid}/pipeline/branches/{name}"): "114.4..4",
    ("DELETE", "/api/projects/{pid}/pipeline/branches/{name}"): "114.4..4",
    ("POST", "/api/projects/{pid}/pipeline/branches"): "114.4..4",
    ("POST", "/api/projects/{pid}/pipeline/branches/{name}/reset"): "114.4..4",
    ("POST", "/api/projects/{pid}/pipeline/releases"): "114.4..4",
    ("GET", "/api/projects/{pid}/pipeline/releases/{version}"): "114.4..4",
    ("DELETE", "/api/projects/{pid}/pipeline/releases/{version}"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime"): "114.4..4",
    ("POST", "/api/projects/{pid}/runtime/start"): "114.4..4",
    ("POST", "/api/projects/{pid}/runtime/stop"): "114.4..4",
    ("POST", "/api/projects/{pid}/runtime/restart"): "114.4..4",
    ("PUT", "/api/projects/{pid}/runtime/sleep"): "114.4..4",
    ("PUT", "/api/projects/{pid}/runtime/cpu"): "114.4.34",  # a setting: never the key (raising it: root's, test_cpu_hog.py)
    ("POST", "/api/projects/{pid}/runtime/call"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime/logs"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime/logs/download"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime/metrics"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime/runs"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime/runs/{run}/logs"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime/runs/{run}/logs/download"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime/logs/stream"): "114.4..4",
    ("GET", "/api/projects/{pid}/runtime/typings"): "114.4..4",
    ("GET", "/api/projects/{pid}/storage"): "114.4..4",
    ("DELETE", "/api/projects/{pid}/storage"): "114.4..4",
    ("GET", "/api/projects/{pid}/storage/stat"): "114.4..4",
    ("GET", "/api/projects/{pid}/storage/usage"): "114.4..4",
    ("POST", "/api/projects/{pid}/storage/dirs"): "114.4..4",
    ("POST", "/api/projects/{pid}/storage/move"): "114.4..4",
    ("POST", "/api/projects/{pid}/storage/copy"): "114.4..4",
    ("GET", "/api/projects/{pid}/storage/content"): "114.4..4",
    ("PUT", "/api/projects/{pid}/storage/content"): "114.4..4",
    ("GET", "/api/projects/{pid}/storage/thumb"): "114.4..4",
    ("POST", "/api/projects/{pid}/storage/files"): "114.4..4",
    ("POST", "/api/projects/{pid}/storage/link"): "114.4..4",
    ("POST", "/api/projects/{pid}/storage/link-key"): "114.4.34",
    # the data store: a project's data, like env and storage
    ("GET", "/api/projects/{pid}/models"): "114.4..4",
    ("POST", "/api/projects/{pid}/models"): "114.4..4",
    ("GET", "/api/projects/{pid}/models/{ref}"): "114.4..4",
    ("PATCH", "/api/projects/{pid}/models/{ref}"): "114.4..4",
    ("DELETE", "/api/projects/{pid}/models/{ref}"): "114.4..4",
    ("GET", "/api/projects/{pid}/models/{ref}/records"): "114.4..4",
    ("POST", "/api/projects/{pid}/models/{ref}/records"): "114.4..4",
    ("GET", "/api/projects/{pid}/models/{ref}/records/{rid}"): "114.4..4",
    ("PATCH", "/api/projects/{pid}/models/{ref}/records/{rid}"): "114.4..4",
    ("DELETE", "/api/projects/{pid}/models/{ref}/records/{rid}"): "114.4..4",
    ("POST", "/api/projects/{pid}/models/{ref}/records/batch"): "114.4..4",
    ("GET", "/api/projects/{pid}/models/{ref}/records/events"): "114.4..4",
    ("GET", "/api/projects/{pid}/models/{ref}/records/export"): "114.4..4",
    ("POST", "/api/projects/{pid}/models/{ref}/records/import"): "114.4..4",
    ("POST", "/api/projects/{pid}/models/{ref}/records/{rid}/files/{key}"): "114.4..4",
    ("GET", "/api/projects/{pid}/models/{ref}/records/{rid}/files/{key}/{name}"): "114.4..4",
    # global goals: any user reads, root changes
    ("GET", "/api/goals"): "11....33",
    ("POST", "/api/goals"): "11333.33",
    ("GET", "/api/goals/{gid}"): "11....33",
    ("PATCH", "/api/goals/{gid}"): "11333.33",
    ("DELETE", "/api/goals/{gid}"): "11333.33",
    ("GET", "/api/goals/stats"): "11....33",
    # backups: root only
    ("POST", "/api/backups"): "11333.33",
    ("GET", "/api/backups"): "11333.33",
    ("GET", "/api/backups/{name}"): "11333.33",
    ("DELETE", "/api/backups/{name}"): "11333.33",
    # the services' own routes: public; the service decides who may call it (docs/runtime)
    ("GET", "/bot-{pid}/{path}"): "........",
    ("POST", "/bot-{pid}/{path}"): "........",
    ("PUT", "/bot-{pid}/{path}"): "........",
    ("PATCH", "/bot-{pid}/{path}"): "........",
    ("DELETE", "/bot-{pid}/{path}"): "........",
}
CODE = """$router.all('/up', async () => ({ up: true }))\n"""


class World:
    """A project with one of everything, its member, its API key, and another project's key."""

    def __init__(self, m: "Matrix") -> None:
        c, root = m.client, m.root
        slug = f"w-{secrets.token_hex(4)}"
        self.pid = c.post("/api/projects", json={"name": slug, "slug": slug}, headers=root).json()["id"]
        api = f"/api/projects/{self.pid}"
        members = c.get(f"{api}/members", headers=root).json()["members"]
        assert c.put(f"{api}/members", json={"members": members + [m.users["m"]["id"]]}, headers=root).status_code == 200
        assert c.put(f"{api}/env/K", json={"type": "string", "value": "v"}, headers=root).status_code in (200, 201)
        self.gid = c.post(f"{api}/goals", json={"name": "G", "slug": "g", "type": "counter"}, headers=root).json()["id"]
        assert c.put(f"{api}/pipeline/branches/develop", json={"code": CODE}, headers=root).status_code in (200, 201)
        self.version = c.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor"}, headers=root).json()["version"]
        assert c.post(f"{api}/storage/dirs", json={"path": "dir"}, headers=root).status_code in (200, 201)
        assert c.put(f"{api}/storage/content", params={"path": "f.png"}, content=image_bytes((20, 20)), headers=root).status_code in (200, 201)
        made = c.post(f"{api}/models", json={"name": "People", "slug": "people", "fields": [{"key": "name", "type": "string"}]},
                      headers=root)
        assert made.status_code == 201, made.text
        assert c.post(f"{api}/models", json={"name": "Notes", "slug": "notes", "fields": [{"key": "scan", "type": "file"}]},
                      headers=root).status_code == 201
        self.person = c.post(f"{api}/models/people/records", json={"name": "Ada"}, headers=root).json()["id"]
        self.note = c.post(f"{api}/models/notes/records", json={}, headers=root).json()["id"]
        scanned = c.post(f"{api}/models/notes/records/{self.note}/files/scan", files=[("file", ("s.png", image_bytes((8, 8))))],
                         headers=root)
        assert scanned.status_code in (200, 201), scanned.text
        self.scan = scanned.json()["scan"]
        self.key = c.post(f"{api}/api-key", headers=root).json()["apiKey"]


class Matrix:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.client: httpx.Client = instance.client
        self.root = instance.headers
        self.users = {}
        for caller, permissions in (("b", {}), ("o", {}), ("m", {}), ("g", {"manageUsers": True, "createProjects": True})):
            self.users[caller] = self.new_user(permissions)
        self.shared = World(self)
        self.other = World(self)
        for caller in "bom g".replace(" ", ""):
            self.users[caller]["headers"] = login(self.client, self.users[caller]["email"], "User-pass-1")
        # b is a member too, then blocked: its token from before must not reach anything.
        api = f"/api/projects/{self.shared.pid}/members"
        members = self.client.get(api, headers=self.root).json()["members"]
        self.client.put(api, json={"members": members + [self.users["b"]["id"]]}, headers=self.root)
        assert self.client.post(f"/api/users/{self.users['b']['id']}/block", headers=self.root).status_code == 200
        self.global_goal = self.client.post("/api/goals", json={"name": "GG", "slug": f"gg-{secrets.token_hex(3)}",
                                                                "type": "counter"}, headers=self.root).json()["id"]
        self.client.put("/api/auth/me/avatar", files={"file": ("a.png", image_bytes((32, 32)))}, headers=self.root)
        self.root_id = self.client.get("/api/auth/me", headers=self.root).json()["id"]
        started = self.client.post(f"/api/projects/{self.shared.pid}/runtime/start", json={"release": self.shared.version},
                                   headers=self.root, timeout=120)
        assert started.status_code == 200, started.text  # the shared world's service answers its /bot- route

    def new_user(self, permissions=None) -> dict:
        email = f"p-{secrets.token_hex(4)}@m3m.test"
        made = self.client.post("/api/users", json={"email": email, "password": "User-pass-1", "name": "P",
                                                    "permissions": permissions or {}}, headers=self.root)
        assert made.status_code == 201, made.text
        return made.json()

    def headers(self, caller: str, world: World) -> dict:
        if caller == "a":
            return {}
        if caller == "r":
            return self.root
        if caller == "k":
            return {"X-API-Key": world.key}
        if caller == "x":
            return {"X-API-Key": self.other.key}
        return self.users[caller]["headers"]


DESTRUCTIVE = {"DELETE", "PATCH", "PUT", "POST"}


def request_for(m: Matrix, method: str, path: str, world: World) -> dict:
    """A valid request for the operation: its path filled in, a body and query that fit."""
    # Someone else than any caller (yourself is always yours to see).
    uid = m.new_user()["id"] if "{uid}" in path and method != "GET" else m.users["b"]["id"]
    if path == "/api/users/{uid}/avatar":
        uid = m.root_id
        m.client.put("/api/auth/me/avatar", files={"file": ("a.png", image_bytes((32, 32)))}, headers=m.root)
    name = "develop"
    if method == "DELETE" and path.endswith("/branches/{name}"):
        name = "develop"
    backup = None
    if "{name}" in path and path.startswith("/api/backups"):
        backup = m.client.post("/api/backups", headers=m.root).json()["name"]
    files = "/files/" in path
    if files:
        path_filled = path.replace("{ref}", "notes").replace("{rid}", world.note).replace("{key}", "scan").replace("{name}", world.scan)
    else:
        path_filled = path.replace("{ref}", "people").replace("{rid}", world.person)
    filled = (path_filled.replace("{pid}", world.pid).replace("{uid}", uid).replace("{key}", "K")
              .replace("{gid}", m.global_goal if path.startswith("/api/goals") else world.gid)
              .replace("{goal}", "g").replace("{version}", world.version)
              .replace("{name}", backup or name).replace("{path}", "up").replace("{run}", "1"))
    bodies = {
        ("POST", "/api/auth/login"): {"json": {"email": m.users["o"]["email"], "password": "User-pass-1"}},
        ("PATCH", "/api/auth/me"): {"json": {"name": "Me"}},
        ("POST", "/api/auth/me/password"): {"json": {"currentPassword": "wrong", "newPassword": "New-pass-12"}},
        ("PUT", "/api/auth/me/avatar"): {"files": {"file": ("a.png", image_bytes((16, 16)))}},
        ("POST", "/api/users"): {"json": {"email": f"n-{secrets.token_hex(4)}@m3m.test", "password": "User-pass-1"}},
        ("PATCH", "/api/users/{uid}"): {"json": {"name": "Changed"}},
        ("POST", "/api/projects"): {"json": {"name": "N", "slug": f"n-{secrets.token_hex(4)}"}},
        ("PATCH", "/api/projects/{pid}"): {"json": {"name": "Renamed"}},
        ("PUT", "/api/projects/{pid}/members"): {"json": {"members": m.client.get(
            f"/api/projects/{world.pid}/members", headers=m.root).json()["members"]}},
        ("PUT", "/api/projects/{pid}/env/{key}"): {"json": {"type": "string", "value": "w"}},
        ("POST", "/api/projects/{pid}/goals"): {"json": {"name": "H", "slug": f"h{secrets.token_hex(3)}", "type": "counter"}},
        ("PATCH", "/api/projects/{pid}/goals/{gid}"): {"json": {"name": "G2"}},
        ("POST", "/api/projects/{pid}/goals/{goal}/increment"): {"json": {"value": 1}},
        ("PUT", "/api/projects/{pid}/pipeline/branches/{name}"): {"json": {"code": CODE}},
        ("POST", "/api/projects/{pid}/pipeline/branches"): {"json": {"name": f"b{secrets.token_hex(3)}", "from": {"branch": "develop"}}},
        ("POST", "/api/projects/{pid}/pipeline/branches/{name}/reset"): {"json": {"release": world.version}},
        ("POST", "/api/projects/{pid}/pipeline/releases"): {"json": {"branch": "develop", "bump": "minor"}},
        ("POST", "/api/projects/{pid}/runtime/start"): {"json": {"release": world.version}},
        ("PUT", "/api/projects/{pid}/runtime/sleep"): {"json": {"enabled": None}},
        ("PUT", "/api/projects/{pid}/runtime/cpu"): {"json": {"share": None}},
        ("POST", "/api/projects/{pid}/runtime/call"): {"json": {"method": "GET", "path": "/"}},
        ("POST", "/api/projects/{pid}/storage/dirs"): {"json": {"path": f"d{secrets.token_hex(3)}"}},
        ("POST", "/api/projects/{pid}/storage/move"): {"json": {"from": "f.png", "to": "moved.png"}},
        ("POST", "/api/projects/{pid}/storage/copy"): {"json": {"from": "f.png", "to": f"c{secrets.token_hex(3)}.png"}},
        ("PUT", "/api/projects/{pid}/storage/content"): {"content": b"text", "params": {"path": "t.txt"}},
        ("POST", "/api/projects/{pid}/storage/files"): {"files": {"file": ("u.txt", b"up")}, "params": {"path": "dir"}},
        ("POST", "/api/projects/{pid}/storage/link"): {"json": {"path": "f.png"}},
        ("POST", "/api/projects/{pid}/models"): {"json": {"name": "X", "slug": f"x{secrets.token_hex(3)}",
                                                          "fields": [{"key": "a", "type": "string"}]}},
        ("PATCH", "/api/projects/{pid}/models/{ref}"): {"json": {"name": "People 2"}},
        ("POST", "/api/projects/{pid}/models/{ref}/records"): {"json": {"name": "Bob"}},
        ("PATCH", "/api/projects/{pid}/models/{ref}/records/{rid}"): {"json": {"name": "Bo"}},
        ("POST", "/api/projects/{pid}/models/{ref}/records/batch"): {"json": {"requests": [{"action": "create", "data": {"name": "C"}}]}},
        ("POST", "/api/projects/{pid}/models/{ref}/records/import"): {"params": {"format": "json"}, "content": b'[{"name": "I"}]'},
        ("POST", "/api/projects/{pid}/models/{ref}/records/{rid}/files/{key}"): {"files": [("file", ("t.png", image_bytes((8, 8))))]},
        ("POST", "/api/goals"): {"json": {"name": "N", "slug": f"n{secrets.token_hex(3)}", "type": "counter"}},
        ("PATCH", "/api/goals/{gid}"): {"json": {"name": "GG2"}},
    }
    params = {
        "/api/projects/{pid}/storage": {"path": "dir" if method == "DELETE" else ""},
        "/api/projects/{pid}/storage/stat": {"path": "f.png"},
        "/api/projects/{pid}/storage/content": {"path": "f.png"},
        "/api/projects/{pid}/storage/thumb": {"path": "f.png", "size": "10x10"},
        "/api/goals/stats": {"goals": "gg"},
        "/api/projects/{pid}/models/{ref}/records/export": {"format": "json"},
    }
    spec = dict(bodies.get((method, path), {}))
    if path in params and "params" not in spec:
        spec["params"] = params[path]
    if (method, path) == ("POST", "/api/projects/import"):
        spec["content"] = m.client.get(f"/api/projects/{m.shared.pid}/export", headers=m.root).content
    return {"method": method, "url": filled, **spec}


def outcome(response: httpx.Response) -> str:
    status = response.status_code
    if status in (401, 403, 404):
        return str(status)[-1] if status != 401 else "1"
    assert status < 500, f"{response.request.method} {response.request.url}: {status} {response.text[:300]}"
    return "."


@pytest.fixture(scope="module")
def matrix(mongo_uri, tmp_path_factory):
    instance = Instance(mongo_uri, tmp_path_factory.mktemp("matrix"), "matrix",
                        M3M_AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS="100000").start()
    try:
        matrix = Matrix(instance)
    except BaseException:  # no server left running by a failed set-up
        instance.close()
        raise
    yield matrix
    instance.close()


def test_the_table_covers_every_operation_of_the_openapi_document(matrix):
    spec = matrix.client.get("/api/openapi.json").json()
    documented = {(method.upper(), path) for path, operations in spec["paths"].items()
                  for method in operations if method in ("get", "post", "put", "patch", "delete")}
    assert documented - set(EXPECTED) == set(), "operations the table does not say"
    assert set(EXPECTED) - documented == set(), "the table names operations that do not exist"
    assert all(len(row) == len(CALLERS) and set(row) <= set(".134") for row in EXPECTED.values())


def test_every_cell(matrix):
    differences = []
    for (method, path), row in EXPECTED.items():
        for caller, expected in zip(CALLERS, row):
            # A refused change changes nothing (if it did, the cell fails anyway): the shared world.
            fresh = method in DESTRUCTIVE and path.startswith("/api/projects/{pid}") and expected == "."
            world = World(matrix) if fresh else matrix.shared
            request = request_for(matrix, method, path, world)
            headers = {**request.pop("headers", {}), **matrix.headers(caller, world)}
            if path.endswith(("/logs/stream", "/records/events")):
                with matrix.client.stream(request.pop("method"), request.pop("url"), headers=headers, timeout=10, **request) as response:
                    got = outcome(response)
            else:
                got = outcome(matrix.client.request(request.pop("method"), request.pop("url"), headers=headers, **request))
            if got != expected:
                differences.append(f"{method} {path} as {caller}: expected {expected}, got {got}")
    assert differences == [], "\n".join(differences)
