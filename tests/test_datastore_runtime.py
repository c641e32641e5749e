"""`$database` in a real worker over real HTTP: every call, the REST validation with `.fields` on
the JS Error, bound params, a model created while the service runs, and the per-model typings
checked by tsc (docs/datastore.md "$database")."""

from __future__ import annotations

import pytest
from runtime_support import new_service, tsc

SERVICE = """
const run = async (fn) => {
  try { return { value: await fn() }; }
  catch (e) { return { error: e.message, name: e.name, code: e.code, status: e.status, fields: e.fields, isError: e instanceof Error }; }
};
$router.post('/call', async (ctx) => {
  const { model, op, args } = ctx.body;
  return run(() => $database[model][op](...args));
});
$router.get('/shape', () => ({
  sameObject: $database.notes === $database.notes,
  methods: Object.keys($database.notes).sort(),
  frozen: Object.isFrozen($database.notes),
  cannotSet: (() => { try { $database.notes = 1; } catch (e) { /* strict code throws */ } return typeof $database.notes.find === 'function'; })(),
}));
"""

NOTES = {"name": "Notes", "slug": "notes", "fields": [
    {"key": "title", "type": "string", "required": True, "options": {"max": 20}},
    {"key": "count", "type": "number", "nullable": False},
    {"key": "mood", "type": "select", "options": {"values": ["ok", "meh"]}},
    {"key": "tags", "type": "select", "options": {"values": ["a", "b"], "maxSelect": 2}},
    {"key": "meta", "type": "json"},
    {"key": "author", "type": "ref", "options": {"model": "people"}},
    {"key": "code", "type": "string", "options": {"unique": True}},
]}
PEOPLE = {"name": "People", "slug": "people", "fields": [{"key": "name", "type": "string", "label": "Full name"}]}


@pytest.fixture(scope="module")
def world(client, root_headers):
    service = new_service(client, root_headers)
    for model in (PEOPLE, NOTES):
        assert client.post(service.api("/models"), json=model, headers=root_headers).status_code == 201
    assert service.deploy(SERVICE)["state"] == "running"
    yield service
    service.stop()


def call(client, service, model, op, *args):
    response = client.post(service.bot("/call"), json={"model": model, "op": op, "args": list(args)})
    assert response.status_code == 200, response.text
    return response.json()


def test_every_call(client, world):
    ann = call(client, world, "people", "insert", {"name": "Ann"})["value"]
    made = call(client, world, "notes", "insert", {"title": "first", "author": ann["id"], "tags": ["a"]})["value"]
    assert made["count"] == 0 and made["revision"] == 1 and made["mood"] is None
    many = call(client, world, "notes", "insertMany", [{"title": "second", "count": 2}, {"title": "third", "count": 3, "mood": "ok"}])["value"]
    assert [n["title"] for n in many] == ["second", "third"]
    assert call(client, world, "notes", "get", made["id"])["value"]["title"] == "first"
    assert call(client, world, "notes", "get", "0" * 24)["value"] is None
    expanded = call(client, world, "notes", "get", made["id"], {"expand": "author"})["value"]
    assert expanded["expand"]["author"]["name"] == "Ann"
    assert [n["title"] for n in call(client, world, "notes", "find")["value"]] == ["first", "second", "third"]
    assert [n["title"] for n in call(client, world, "notes", "find", "count > {:n}", {"n": 1})["value"]] == ["second", "third"]
    assert [n["title"] for n in call(client, world, "notes", "find", "", {"sort": "-count", "perPage": 2})["value"]] == ["third", "second"]
    assert [n["title"] for n in call(client, world, "notes", "find", "title ~ {:q}", {"q": "ir"}, {"sort": "-title"})["value"]] == ["third", "first"]
    assert call(client, world, "notes", "find", "author.name = {:who}", {"who": "Ann"}, {"fields": "title"})["value"] == [{"title": "first"}]
    assert call(client, world, "notes", "findOne", "mood = {:m}", {"m": "ok"})["value"]["title"] == "third"
    assert call(client, world, "notes", "findOne", "mood = 'meh'")["value"] is None
    assert call(client, world, "notes", "count")["value"] == 3
    assert call(client, world, "notes", "count", "tags ?= {:t}", {"t": "a"})["value"] == 1
    changed = call(client, world, "notes", "update", made["id"], {"count": 5})["value"]
    assert changed["count"] == 5 and changed["title"] == "first" and changed["revision"] == 2
    stale = call(client, world, "notes", "update", made["id"], {"count": 6}, {"revision": 1})
    assert stale["status"] == 409 and stale["code"] == "stale_revision"
    assert call(client, world, "notes", "update", made["id"], {"count": 6}, {"revision": 2})["value"]["revision"] == 3
    assert call(client, world, "notes", "delete", made["id"]) == {}
    assert call(client, world, "notes", "get", made["id"])["value"] is None
    assert call(client, world, "notes", "delete", made["id"])["status"] == 404


def test_refusals_are_errors_with_fields(client, world):
    bad = call(client, world, "notes", "insert", {"title": "x" * 21, "count": 1.5, "mood": "sad", "nope": 1})
    assert bad["isError"] and bad["status"] == 422 and bad["message" if "message" in bad else "error"].startswith("$database.notes.insert: ")
    assert {key: value["code"] for key, value in bad["fields"].items()} == {
        "title": "validation_max_text_constraint", "count": "validation_only_int_constraint", "mood": "validation_invalid_value", "nope": "validation_unknown_field"}
    hostile = call(client, world, "notes", "insert", {"title": "x", "meta": {"$where": "sleep(1)"}})
    assert hostile["fields"]["meta"]["code"] == "validation_invalid_key"
    before = call(client, world, "notes", "count")["value"]
    half = call(client, world, "notes", "insertMany", [{"title": "fine"}, {"title": ""}])
    assert half["status"] == 422 and "1.title" in half["fields"]
    assert call(client, world, "notes", "count")["value"] == before  # nothing half-written
    # Checked one by one, both are fine; written, the second clashes: the first is taken out again.
    clash = call(client, world, "notes", "insertMany", [{"title": "u1", "code": "same"}, {"title": "u2", "code": "same"}])
    assert clash["status"] == 422 and clash["fields"]["code"]["code"] == "validation_not_unique"
    assert call(client, world, "notes", "count")["value"] == before
    bad_filter = call(client, world, "notes", "find", "nope = 1")
    assert bad_filter["status"] == 400 and "at character 1" in bad_filter["error"]
    assert call(client, world, "notes", "find", "title = {:q}", {"q": {"$gt": ""}})["status"] == 400
    assert call(client, world, "notes", "find", "title = {:missing}", {})["status"] == 400
    assert call(client, world, "ghost", "find")["status"] == 404
    assert call(client, world, "notes", "find", "", {"perPage": 0})["status"] == 422
    assert call(client, world, "notes", "find", 42)["name"] == "TypeError"


def test_the_object_is_frozen_and_stable(client, world):
    shape = client.get(world.bot("/shape")).json()
    assert shape == {"sameObject": True, "methods": ["attach", "count", "delete", "find", "findOne", "get", "insert", "insertMany", "update"], "frozen": True, "cannotSet": True}


def test_a_model_created_while_the_service_runs_is_usable(client, root_headers, world):
    assert call(client, world, "later", "count")["status"] == 404
    made = client.post(world.api("/models"), json={"name": "Later", "slug": "later", "fields": [{"key": "v", "type": "bool"}]}, headers=root_headers)
    assert made.status_code == 201
    assert call(client, world, "later", "insert", {"v": True})["value"]["v"] is True
    assert call(client, world, "later", "count", "v = true")["value"] == 1
    client.delete(world.api("/models/later"), headers=root_headers)


def test_typings_declare_each_model(client, root_headers, world, tmp_path):
    typings = client.get(world.api("/runtime/typings"), headers=root_headers).text
    assert "declare const $database: M3mDatabase" in typings
    assert "interface NotesRecord extends M3mRecordBase" in typings and "readonly notes: M3mDatabaseModel<NotesRecord>;" in typings
    assert 'mood: "ok" | "meh" | null;' in typings and 'tags: ("a" | "b")[];' in typings and "count: number;" in typings
    assert "title: string | null;" in typings and "/** Full name */" in typings
    good = """
    // @ts-check
    const main = async () => {
      const note = await $database.notes.insert({ title: 'x', mood: 'ok', tags: ['a'] });
      /** @type {string} */ const id = note.id;
      /** @type {number} */ const revision = note.revision;
      /** @type {'ok' | 'meh' | null} */ const mood = note.mood;
      const found = await $database.notes.find('count > {:n}', { n: 1 }, { sort: '-created' });
      /** @type {number} */ const total = await $database.people.count();
      const one = await $database.notes.get(id);
      if (one) { /** @type {string | null} */ const title = one.title; }
      await $database.notes.update(id, { count: 2 }, { revision });
      return [found.length, total];
    };
    main();
    """
    result = tsc(tmp_path / "good", typings, good, strict=True)
    assert result.returncode == 0, result.stdout + result.stderr
    for source, error in (
        ("$database.notes.insert({ mood: 'sad' })", "not assignable"),
        ("$database.ghosts.find()", "Property 'ghosts' does not exist"),
        ("$database.notes.insert({ nope: 1 })", "nope"),
        ("$database.notes.update('x', { id: 'y' })", "id"),
    ):
        result = tsc(tmp_path / "bad", typings, "// @ts-check\n" + source + "\n", strict=True)
        assert result.returncode != 0 and error in result.stdout, (source, result.stdout)


def storage_file(client, root_headers, world, path, data: bytes):
    """A file in the project storage, as a service's $storage would have written it."""
    folder, _, name = path.rpartition("/")
    client.post(world.api("/storage/dirs"), json={"path": folder}, headers=root_headers)
    sent = client.post(world.api("/storage/files"), params={"path": folder}, files=[("file", (name, data))], headers=root_headers)
    assert sent.status_code in (200, 201), sent.text


def stored(client, root_headers, world, path):
    return client.get(world.api("/storage/content"), params={"path": path}, headers=root_headers)


def test_file_fields_from_a_service(client, root_headers, world):
    fields = [{"key": "f", "type": "file", "options": {"maxSize": 10, "mimeTypes": ["text/plain"]}}, {"key": "n", "type": "number"},
              {"key": "many", "type": "file", "options": {"maxSelect": 2}}]
    made = client.post(world.api("/models"), json={"name": "Att", "slug": "att", "fields": fields}, headers=root_headers)
    assert made.status_code == 201, made.text
    record = call(client, world, "att", "insert", {"n": 1})["value"]
    assert call(client, world, "att", "insert", {"f": "x.txt"})["fields"]["f"]["code"] == "validation_unknown_file"
    uploaded = client.post(world.api(f"/models/att/records/{record['id']}/files/f"), files=[("file", ("a.txt", b"a"))], headers=root_headers)
    assert uploaded.status_code == 200, uploaded.text
    name = uploaded.json()["f"]
    assert call(client, world, "att", "get", record["id"])["value"]["f"] == name
    assert call(client, world, "att", "update", record["id"], {"n": 2})["value"]["f"] == name  # other fields change freely
    folder = f"datastore/{made.json()['id']}/{record['id']}"
    # attach: a file the service wrote with $storage goes in, checked as an upload, copied.
    storage_file(client, root_headers, world, "out/report v2.txt", b"report")
    storage_file(client, root_headers, world, "out/big.txt", b"x" * 11)
    storage_file(client, root_headers, world, "out/pic.png", b"png")
    attached = call(client, world, "att", "attach", record["id"], "f", "out/report v2.txt")["value"]
    assert attached["f"].startswith("report_v2_") and attached["f"].endswith(".txt") and attached["revision"] == 4
    assert stored(client, root_headers, world, f"{folder}/{name}").status_code == 404  # the old one is replaced
    assert client.get(world.api(f"/models/att/records/{record['id']}/files/f/{attached['f']}"), headers=root_headers).content == b"report"
    assert stored(client, root_headers, world, "out/report v2.txt").content == b"report"  # a copy: the service's file stays
    codes = {path: call(client, world, "att", "attach", record["id"], "f", path).get("fields", {}).get("f", {}).get("code")
             for path in ("out/big.txt", "out/pic.png", "out")}
    assert codes == {"out/big.txt": "validation_file_size_limit", "out/pic.png": "validation_invalid_mime_type", "out": "validation_invalid_type"}
    assert call(client, world, "att", "attach", record["id"], "f", "out/none.txt")["status"] == 404
    assert call(client, world, "att", "attach", record["id"], "f", "../../etc/passwd")["status"] in (400, 404, 422)
    assert call(client, world, "att", "attach", record["id"], "n", "out/pic.png")["status"] == 404
    assert "the path of a file in the project storage" in call(client, world, "att", "attach", record["id"], "f", 5)["error"]
    for _ in range(2):
        assert "value" in call(client, world, "att", "attach", record["id"], "many", "out/pic.png")
    assert call(client, world, "att", "attach", record["id"], "many", "out/pic.png")["fields"]["many"]["code"] == "validation_too_many_values"
    two = call(client, world, "att", "get", record["id"])["value"]["many"]
    assert len(two) == 2 and len(set(two)) == 2
    # Dropping a name deletes its file; deleting the record deletes its folder.
    kept = call(client, world, "att", "update", record["id"], {"many": two[1:]})["value"]
    assert kept["many"] == two[1:] and stored(client, root_headers, world, f"{folder}/{two[0]}").status_code == 404
    assert call(client, world, "att", "delete", record["id"]) == {}
    assert stored(client, root_headers, world, f"{folder}/{attached['f']}").status_code == 404
    assert "f: string | null;" in client.get(world.api("/runtime/typings"), headers=root_headers).text


def test_a_service_s_writes_reach_the_live_events(client, root_headers, world):
    """$database writes in the worker are told to the server (ctx.tell -> m3m_service_notice) and
    reach GET .../records/events as the REST API's do, in order, with the record."""
    import json
    import threading

    import httpx

    received, ready = [], threading.Event()

    def listen():
        with httpx.Client(base_url=str(client.base_url), timeout=30) as http:
            with http.stream("GET", world.api("/models/people/records/events"), headers=root_headers) as stream:
                assert stream.status_code == 200
                event = None
                for line in stream.iter_lines():
                    if line.startswith(": connected"):
                        ready.set()
                    elif line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        received.append((event, json.loads(line[6:])))
                        if len(received) == 5:
                            return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert ready.wait(20)
    bea = call(client, world, "people", "insert", {"name": "Bea"})["value"]
    pair = call(client, world, "people", "insertMany", [{"name": "Cy"}, {"name": "Di"}])["value"]
    call(client, world, "people", "update", bea["id"], {"name": "Bea 2"})
    assert call(client, world, "people", "delete", pair[0]["id"]) == {}
    thread.join(30)
    assert [(event, data["action"], data["record"]["name"]) for event, data in received] == [
        ("create", "create", "Bea"), ("create", "create", "Cy"), ("create", "create", "Di"),
        ("update", "update", "Bea 2"), ("delete", "delete", "Cy")]
    assert received[3][1]["record"]["revision"] == 2 and received[0][1]["record"]["id"] == bea["id"]
