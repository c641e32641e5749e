"""The data store over real HTTP: models (validation, slugs, refs, deletes), records (every field
type and its options, validation codes, the every-field rule, revisions and concurrent PATCHes,
lists with sort, pages, skipTotal, expand and fields) and who reaches them (docs/datastore.md)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import new_project


@pytest.fixture
def project(client, owner):
    return new_project(client, owner["headers"], "ds")


class Store:
    """The data store API of one project, as one caller."""

    def __init__(self, client: httpx.Client, project: dict, headers: dict) -> None:
        self.client, self.headers = client, headers
        self.base = f"/api/projects/{project['id']}/models"

    def model(self, slug, fields, **extra):
        return self.client.post(self.base, json={"name": slug.title(), "slug": slug, "fields": fields, **extra}, headers=self.headers)

    def patch_model(self, ref, **changes):
        return self.client.patch(f"{self.base}/{ref}", json=changes, headers=self.headers)

    def create(self, slug, record):
        return self.client.post(f"{self.base}/{slug}/records", json=record, headers=self.headers)

    def made(self, slug, record) -> dict:
        response = self.create(slug, record)
        assert response.status_code == 201, response.text
        return response.json()

    def list(self, slug, **params):
        return self.client.get(f"{self.base}/{slug}/records", params=params, headers=self.headers)

    def items(self, slug, **params) -> list[dict]:
        response = self.list(slug, **params)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def get(self, slug, rid, **params):
        return self.client.get(f"{self.base}/{slug}/records/{rid}", params=params, headers=self.headers)

    def patch(self, slug, rid, changes, headers=None):
        return self.client.patch(f"{self.base}/{slug}/records/{rid}", json=changes, headers={**self.headers, **(headers or {})})

    def delete(self, slug, rid):
        return self.client.delete(f"{self.base}/{slug}/records/{rid}", headers=self.headers)


@pytest.fixture
def store(client, project, owner):
    return Store(client, project, owner["headers"])


def field(key, type_, **extra):
    return {"key": key, "type": type_, **extra}


# -- models ----------------------------------------------------------------------------------


def test_model_crud_and_slug_rules(store, client, owner, project):
    response = store.model("posts", [field("title", "string", required=True)], table={"columns": ["title", "created"], "sortable": ["title"]})
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["slug"] == "posts" and model["fields"][0]["key"] == "title" and model["fields"][0]["nullable"] is True
    assert store.model("posts", []).status_code == 409
    for slug in ("1posts", "my-posts", "class", "a b", "x" * 65, "__proto__"):
        response = store.model(slug, [])
        assert response.status_code == 422, (slug, response.text)
        assert "slug" in response.json()["error"]["fields"]
    listed = client.get(store.base, headers=owner["headers"]).json()
    assert [m["slug"] for m in listed] == ["posts"]
    assert client.get(f"{store.base}/{model['id']}", headers=owner["headers"]).json()["slug"] == "posts"
    renamed = store.patch_model("posts", name="Articles", slug="articles")
    assert renamed.status_code == 200 and renamed.json()["slug"] == "articles"
    assert client.get(f"{store.base}/posts", headers=owner["headers"]).status_code == 404
    # The same slug in another project is fine.
    other = Store(client, new_project(client, owner["headers"], "ds"), owner["headers"])
    assert other.model("articles", []).status_code == 201


@pytest.mark.parametrize(
    "fields, extra, where",
    [
        ([field("id", "string")], {}, "fields.0.key"),
        ([field("1x", "string")], {}, "fields.0.key"),
        ([field("a.b", "string")], {}, "fields.0.key"),
        ([field("$where", "string")], {}, "fields.0.key"),
        ([field("a", "nope")], {}, "fields.0.type"),
        ([field("a", "string"), field("a", "text")], {}, "fields.1.key"),
        ([field("a", "string", options={"max": 3}, default="toolong")], {}, "fields.0.default"),
        ([field("a", "number", default=1.5)], {}, "fields.0.default"),
        ([field("a", "number", options={"min": 5}, default=1)], {}, "fields.0.default"),
        ([field("a", "select", options={"values": ["x"]}, default="y")], {}, "fields.0.default"),
        ([field("a", "email", default="not-an-email")], {}, "fields.0.default"),
        ([field("a", "datetime", default="yesterday")], {}, "fields.0.default"),
        ([field("a", "string", options={"size": 3})], {}, "fields.0"),
        ([field("a", "string", options={"pattern": "("})], {}, "fields.0"),
        ([field("a", "string", options={"min": 5, "max": 2})], {}, "fields.0"),
        ([field("a", "select", options={})], {}, "fields.0"),
        ([field("a", "ref", options={"model": "ghost"})], {}, "fields.0.options.model"),
        ([field("a", "string")], {"table": {"columns": ["b"]}}, "table.columns.0"),
        ([field("a", "document")], {"table": {"sortable": ["a"]}}, "table.sortable.0"),
        ([field("a", "string")], {"table": {"defaultSort": "-zzz"}}, "table.defaultSort"),
        ([field("a", "string")], {"form": {"order": ["a", "b"]}}, "form.order.1"),
        ([field("a", "string")], {"form": {"widgets": {"b": "input"}}}, "form.widgets.b"),
        ([field("a", "text")], {"form": {"widgets": {"a": "input"}}}, "form.widgets.a"),
        ([field("a", "string")], {"table": {"pageSize": 0}}, "table.pageSize"),
    ],
)
def test_model_validation_names_the_field(store, fields, extra, where):
    response = store.model("things", fields, **extra)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert any(key == where or key.startswith(where + ".") for key in error["fields"]), error


def test_valid_configs_and_widgets(store):
    response = store.model("notes", [
        field("body", "text"), field("title", "string", options={"min": 1, "max": 80, "pattern": "^[A-Z].*"}, default="Untitled"),
        field("when", "datetime", default="2025-01-01T00:00:00Z"), field("kind", "select", options={"values": ["a", "b"], "maxSelect": 2}, default=["a"]),
    ], table={"columns": ["title", "when", "id"], "filterable": ["kind"], "sortable": ["title", "when"], "defaultSort": "-when,title", "pageSize": 50},
       form={"order": ["title", "body"], "hidden": ["kind"], "widgets": {"body": "tiptap", "title": "input", "when": "picker"}})
    assert response.status_code == 201, response.text
    assert response.json()["form"]["widgets"]["body"] == "tiptap"


def test_deleting_a_model_deletes_its_records_and_a_ref_blocks_it(store, mongo):
    assert store.model("authors", [field("name", "string")]).status_code == 201
    response = store.model("books", [field("title", "string"), field("author", "ref", options={"model": "authors"})])
    assert response.status_code == 201, response.text
    books = response.json()
    author = store.made("authors", {"name": "Ann"})
    store.made("books", {"title": "T", "author": author["id"]})
    refused = store.client.delete(f"{store.base}/authors", headers=store.headers)
    assert refused.status_code == 409 and "books.author" in refused.json()["error"]["message"]
    assert mongo[f"records_{books['id']}"].count_documents({}) == 1
    assert store.client.delete(f"{store.base}/books", headers=store.headers).status_code == 204
    assert mongo[f"records_{books['id']}"].count_documents({}) == 0
    assert store.client.delete(f"{store.base}/authors", headers=store.headers).status_code == 204
    assert store.client.get(f"{store.base}/authors", headers=store.headers).status_code == 404


# -- records: field types --------------------------------------------------------------------

TYPES_MODEL = [
    field("s", "string", options={"min": 2, "max": 5}),
    field("p", "string", options={"pattern": "^[a-z]+$"}),
    field("t", "text", options={"max": 10}),
    field("n", "number", options={"min": -5, "max": 100}),
    field("f", "float", options={"max": 1.5}),
    field("b", "bool"),
    field("doc", "document", options={"maxSize": 64}),
    field("j", "json"),
    field("d", "date"),
    field("dt", "datetime"),
    field("e", "email"),
    field("u", "url"),
    field("one", "select", options={"values": ["x", "y", "z"]}),
    field("many", "select", options={"values": ["x", "y", "z"], "maxSelect": 2}),
]


@pytest.fixture
def typed(store):
    response = store.model("typed", TYPES_MODEL)
    assert response.status_code == 201, response.text
    return store


@pytest.mark.parametrize(
    "key, sent, stored",
    [
        ("s", "ab", "ab"), ("s", "ééééé", "ééééé"),  # five characters, ten bytes: within max 5
        ("s", "", ""), ("p", "abc", "abc"), ("t", "line\nline", "line\nline"),
        ("n", 42, 42), ("n", 42.0, 42), ("n", -5, -5), ("f", 1.5, 1.5), ("f", 1, 1.0), ("b", False, False),
        ("doc", {"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}), ("j", [1, "x"], [1, "x"]), ("j", "text", "text"),
        ("d", "2025-02-28", "2025-02-28"), ("d", "2025-02-28T23:00:00-05:00", "2025-03-01"),
        ("dt", "2025-01-01T12:00:00Z", "2025-01-01T12:00:00.000Z"), ("dt", "2025-01-01 12:00:00", "2025-01-01T12:00:00.000Z"),
        ("dt", "2025-01-01T12:00:00+02:00", "2025-01-01T10:00:00.000Z"), ("dt", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
        ("dt", "2025-01-01T12:00:00.123456Z", "2025-01-01T12:00:00.123Z"),
        ("e", "a.b+c@example.org", "a.b+c@example.org"), ("u", "https://example.org/x?y=1", "https://example.org/x?y=1"),
        ("one", "y", "y"), ("one", "", None), ("many", ["x", "y"], ["x", "y"]), ("many", ["x", "x"], ["x"]), ("many", [], []),
    ],
)
def test_valid_values(typed, mongo, key, sent, stored):
    record = typed.made("typed", {key: sent})
    assert record[key] == stored
    again = typed.get("typed", record["id"]).json()
    assert again[key] == stored and type(again[key]) is type(stored)


@pytest.mark.parametrize(
    "key, sent, code",
    [
        ("s", "a", "validation_min_text_constraint"), ("s", "abcdef", "validation_max_text_constraint"), ("s", "a\nb", "validation_invalid_format"),
        ("s", 5, "validation_invalid_type"), ("s", {"$gt": ""}, "validation_invalid_type"), ("s", ["ab"], "validation_invalid_type"),
        ("p", "ABC", "validation_invalid_format"), ("t", "x" * 11, "validation_max_text_constraint"),
        ("n", 1.5, "validation_only_int_constraint"), ("n", 101, "validation_max_number_constraint"), ("n", -6, "validation_min_number_constraint"),
        ("n", "5", "validation_invalid_type"), ("n", True, "validation_invalid_type"), ("n", 2**60, "validation_max_number_constraint"),
        ("f", 1.6, "validation_max_number_constraint"), ("b", 1, "validation_invalid_type"), ("b", "true", "validation_invalid_type"),
        ("doc", {"$where": "1"}, "validation_invalid_key"), ("doc", {"a": {"$gt": ""}}, "validation_invalid_key"), ("doc", {"a.b": 1}, "validation_invalid_key"),
        ("doc", {"x": "y" * 100}, "validation_json_size_limit"), ("j", [{"$ne": None}], "validation_invalid_key"),
        ("d", "2025-02-30", "validation_invalid_date"), ("d", "tomorrow", "validation_invalid_date"), ("d", 20250101, "validation_invalid_date"),
        ("dt", "2025-13-01T00:00:00Z", "validation_invalid_date"), ("dt", "10000-01-01T00:00:00Z", "validation_invalid_date"),
        ("dt", "0001-01-01T00:00:00+01:00", "validation_invalid_date"),
        ("e", "no-at.example.org", "validation_invalid_email"), ("e", "a@b", "validation_invalid_email"),
        ("u", "javascript:alert(1)", "validation_invalid_url"), ("u", "example.org", "validation_invalid_url"),
        ("one", "w", "validation_invalid_value"), ("one", ["x"], "validation_invalid_type"),
        ("many", ["x", "y", "z"], "validation_too_many_values"), ("many", ["x", 1], "validation_invalid_type"),
        ("nope", 1, "validation_unknown_field"), ("created", "2025-01-01T00:00:00Z", "validation_system_field"),
    ],
)
def test_invalid_values(typed, key, sent, code):
    response = typed.create("typed", {key: sent})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][key]["code"] == code


def test_nan_and_infinity_are_refused(typed):
    for text in ('{"f": NaN}', '{"f": Infinity}', '{"n": -Infinity}', '{"doc": {"x": NaN}}'):
        response = typed.client.post(f"{typed.base}/typed/records", content=text, headers={**typed.headers, "Content-Type": "application/json"})
        assert response.status_code == 422, (text, response.text)


def test_every_failing_field_is_named_at_once(typed):
    response = typed.create("typed", {"s": "a", "n": "x", "e": "bad", "one": "w", "extra": 1})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"s", "n", "e", "one", "extra"}
    assert all(set(value) == {"code", "message"} for value in fields.values())


def test_every_record_stores_every_field(typed, mongo, project):
    record = typed.made("typed", {"s": "ab"})
    model = typed.client.get(f"{typed.base}/typed", headers=typed.headers).json()
    doc = mongo[f"records_{model['id']}"].find_one({"_id": record["id"]})
    assert set(doc) == {"_id", "created", "updated", "revision", *(f["key"] for f in TYPES_MODEL)}
    assert doc["t"] is None and doc["many"] == [] and doc["one"] is None


def test_required_nullable_and_defaults(store):
    response = store.model("rules", [
        field("title", "string", required=True),
        field("count", "number", nullable=False),
        field("note", "text", nullable=False),
        field("level", "number", default=3),
        field("flag", "bool", required=True),
        field("when", "datetime", nullable=False),
        field("tags", "select", options={"values": ["a", "b"], "maxSelect": 3}, required=True),
    ])
    assert response.status_code == 201, response.text
    missing = store.create("rules", {})
    fields = missing.json()["error"]["fields"]
    assert fields["title"]["code"] == "validation_required" and fields["tags"]["code"] == "validation_required"
    assert fields["when"]["code"] == "validation_not_nullable" and fields["flag"]["code"] == "validation_required"
    assert "count" not in fields and "note" not in fields  # non-nullable with a zero value: it starts at zero
    assert store.create("rules", {"title": "", "flag": False, "tags": ["a"], "when": "2025-01-01T00:00:00Z"}).json()["error"]["fields"]["title"]["code"] == "validation_required"
    record = store.made("rules", {"title": "x", "flag": False, "tags": ["a"], "when": "2025-01-01T00:00:00Z", "note": None})
    assert (record["count"], record["note"], record["level"], record["flag"]) == (0, "", 3, False)
    # A patch checks the fields it sends; required ones cannot be blanked.
    assert store.patch("rules", record["id"], {"title": None}).json()["error"]["fields"]["title"]["code"] == "validation_required"
    assert store.patch("rules", record["id"], {"when": None}).json()["error"]["fields"]["when"]["code"] == "validation_not_nullable"
    assert store.patch("rules", record["id"], {"level": None}).json()["level"] is None


# -- records: revisions and concurrency -------------------------------------------------------


def test_patch_keeps_other_fields_and_stale_revisions_are_refused(store):
    assert store.model("items", [field("a", "string"), field("b", "number")]).status_code == 201
    record = store.made("items", {"a": "x", "b": 1})
    assert record["revision"] == 1
    got = store.get("items", record["id"])
    assert got.headers["ETag"] == '"1"'
    changed = store.patch("items", record["id"], {"b": 2}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["a"] == "x" and changed.json()["revision"] == 2
    stale = store.patch("items", record["id"], {"b": 3}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_revision"
    assert store.patch("items", record["id"], {"b": 3, "revision": 1}).status_code == 409
    assert store.patch("items", record["id"], {"b": 3, "revision": 2}).status_code == 200
    assert store.patch("items", record["id"], {"b": 4}, headers={"If-Match": "nope"}).status_code == 400
    assert store.patch("items", "0" * 24, {"b": 4}).status_code == 404
    assert store.get("items", "../x").status_code == 404


def test_twenty_concurrent_patches_of_different_fields_all_survive(store):
    keys = [f"f{i}" for i in range(20)]
    assert store.model("wide", [field(key, "number") for key in keys]).status_code == 201
    record = store.made("wide", {})
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda i: store.patch("wide", record["id"], {keys[i]: i + 1}).status_code, range(20)))
    assert answers == [200] * 20
    final = store.get("wide", record["id"]).json()
    assert [final[key] for key in keys] == list(range(1, 21)) and final["revision"] == 21


def test_delete_record_and_refs_follow(store):
    assert store.model("people", [field("name", "string")]).status_code == 201
    assert store.model("teams", [field("lead", "ref", options={"model": "people"}), field("crew", "ref", options={"model": "people", "maxSelect": 5}),
                                 field("boss", "ref", options={"model": "people", "cascadeDelete": True})]).status_code == 201
    ann, bob = store.made("people", {"name": "Ann"}), store.made("people", {"name": "Bob"})
    team = store.made("teams", {"lead": ann["id"], "crew": [ann["id"], bob["id"]]})
    bossed = store.made("teams", {"boss": bob["id"]})
    missing = store.create("teams", {"lead": "0" * 24})
    assert missing.json()["error"]["fields"]["lead"]["code"] == "validation_missing_rel_records"
    assert store.delete("people", ann["id"]).status_code == 204
    after = store.get("teams", team["id"]).json()
    assert after["lead"] is None and after["crew"] == [bob["id"]]
    assert store.delete("people", bob["id"]).status_code == 204
    assert store.get("teams", bossed["id"]).status_code == 404  # cascadeDelete
    assert store.get("people", ann["id"]).status_code == 404 and store.delete("people", ann["id"]).status_code == 404


# -- lists -----------------------------------------------------------------------------------


def test_sort_pages_skip_total_and_fields(store):
    assert store.model("nums", [field("n", "number"), field("name", "string"), field("meta", "document")], table={"pageSize": 4}).status_code == 201
    for i in range(10):
        store.made("nums", {"n": i % 3, "name": f"r{i:02d}", "meta": {"i": i}})
    page = store.list("nums", sort="-n,name", perPage=4, page=2).json()
    assert (page["page"], page["perPage"], page["totalItems"], page["totalPages"]) == (2, 4, 10, 3)
    everything = store.items("nums", sort="-n,name", perPage=10)
    assert [r["name"] for r in everything][:4] == ["r02", "r05", "r08", "r01"]
    assert [r["name"] for r in page["items"]] == [r["name"] for r in everything[4:8]]
    assert len(store.items("nums")) == 4  # the model's pageSize
    skipped = store.list("nums", skipTotal="true").json()
    assert skipped["totalItems"] == -1 and skipped["totalPages"] == -1 and len(skipped["items"]) == 4
    slim = store.items("nums", fields="id,name,meta.i", sort="name", perPage=1)
    assert set(slim[0]) == {"id", "name", "meta"} and slim[0]["meta"] == {"i": 0}
    for params, where in (({"sort": "nope"}, "sort"), ({"sort": "meta"}, "sort"), ({"fields": "nope"}, "fields"),
                          ({"perPage": "0"}, "perPage"), ({"page": "x"}, "page"), ({"perPage": "100000"}, "perPage")):
        response = store.list("nums", **params)
        assert response.status_code == 400 and where in response.json()["error"]["fields"], (params, response.text)


def test_expand_depth_one_to_three(store):
    assert store.model("orgs", [field("name", "string")]).status_code == 201
    assert store.model("users", [field("name", "string"), field("org", "ref", options={"model": "orgs"})]).status_code == 201
    assert store.model("tags", [field("label", "string"), field("owner", "ref", options={"model": "users"})]).status_code == 201
    assert store.model("posts", [field("title", "string"), field("author", "ref", options={"model": "users"}),
                                 field("tags", "ref", options={"model": "tags", "maxSelect": 5})]).status_code == 201
    org = store.made("orgs", {"name": "Acme"})
    ann = store.made("users", {"name": "Ann", "org": org["id"]})
    tag1, tag2 = store.made("tags", {"label": "a", "owner": ann["id"]}), store.made("tags", {"label": "b"})
    post = store.made("posts", {"title": "P", "author": ann["id"], "tags": [tag2["id"], tag1["id"]]})
    one = store.get("posts", post["id"], expand="author").json()
    assert one["expand"]["author"]["name"] == "Ann" and "expand" not in one["expand"]["author"]
    three = store.get("posts", post["id"], expand="tags.owner.org,author.org").json()
    assert [t["label"] for t in three["expand"]["tags"]] == ["b", "a"]
    assert three["expand"]["tags"][1]["expand"]["owner"]["expand"]["org"]["name"] == "Acme"
    assert three["expand"]["author"]["expand"]["org"]["name"] == "Acme"
    slim = store.items("posts", expand="author", fields="title,expand.author.name")
    assert slim == [{"title": "P", "expand": {"author": {"name": "Ann"}}}]
    for expand in ("title", "nope", "tags.owner.org.name"):
        assert store.get("posts", post["id"], expand=expand).status_code == 400


# -- who reaches the records -----------------------------------------------------------------


def test_permissions(client, users, owner, root_headers, project, store):
    assert store.model("secrets", [field("v", "string")]).status_code == 201
    record = store.made("secrets", {"v": "x"})
    base = store.base
    member = users.make()
    stranger = users.make()
    response = client.put(f"/api/projects/{project['id']}/members", json={"members": [owner["id"], member["id"]]}, headers=owner["headers"])
    assert response.status_code == 200, response.text
    key_headers = {"X-API-Key": client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).json()["apiKey"]}
    other = new_project(client, owner["headers"], "ds")
    other_key = client.post(f"/api/projects/{other['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    for headers, status in ((root_headers, 200), (member["headers"], 200), (key_headers, 200), (stranger["headers"], 404), ({"X-API-Key": other_key}, 404), ({}, 401)):
        assert client.get(f"{base}/secrets/records", headers=headers).status_code == status, headers
        assert client.get(f"{base}/secrets/records/{record['id']}", headers=headers).status_code == status
        assert client.post(f"{base}/secrets/records", json={"v": "y"}, headers=headers).status_code == (201 if status == 200 else status)


# -- schema changes with records present -------------------------------------------------------


def test_schema_changes_move_the_records_along(store, mongo):
    made = store.model("evolve", [field("title", "string"), field("count", "string"), field("old", "text")])
    assert made.status_code == 201
    collection = mongo[f"records_{made.json()['id']}"]
    first = store.made("evolve", {"title": "a", "count": "12", "old": "x"})
    second = store.made("evolve", {"title": "b", "count": "7"})
    # Add a field with a default, remove one, rename one, change string -> number: all convert.
    response = store.patch_model("evolve", fields=[
        field("name", "string"), field("count", "number"), field("flag", "bool", default=True), field("note", "text"),
    ], renames={"title": "name"})
    assert response.status_code == 200, response.text
    docs = {doc["_id"]: doc for doc in collection.find()}
    assert {k: docs[first["id"]][k] for k in ("name", "count", "flag", "note")} == {"name": "a", "count": 12, "flag": True, "note": None}
    assert "title" not in docs[first["id"]] and "old" not in docs[first["id"]]
    assert docs[second["id"]]["count"] == 7 and docs[second["id"]]["revision"] == 2
    # Renaming again with the old key gone is refused (nothing to move).
    again = store.patch_model("evolve", fields=[field("name", "string"), field("count", "number"), field("flag", "bool"), field("note", "text")], renames={"title": "name"})
    assert again.status_code == 422 and "renames.title" in again.json()["error"]["fields"]
    # A type change that does not convert every value: 409 with the count and a sample, nothing written.
    store.made("evolve", {"name": "not a number"})
    refused = store.patch_model("evolve", fields=[field("name", "number"), field("count", "number"), field("flag", "bool"), field("note", "text")])
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "conversion_failed" and error["message"].startswith("3 records") and "e.g. record" in error["message"]
    assert collection.count_documents({"name": {"$type": "string"}}) == 3
    # number -> string converts everything; a required field with blanks does not.
    assert store.patch_model("evolve", fields=[field("name", "string"), field("count", "string"), field("flag", "bool"), field("note", "text")]).status_code == 200
    assert {doc["count"] for doc in collection.find()} == {"12", "7", None}
    required = store.patch_model("evolve", fields=[field("name", "string"), field("count", "string", required=True), field("flag", "bool"), field("note", "text")])
    assert required.status_code == 409 and required.json()["error"]["message"].startswith("1 records")


def test_an_interrupted_rename_is_finished_by_running_it_again(store, mongo):
    made = store.model("halfway", [field("a", "string")])
    collection = mongo[f"records_{made.json()['id']}"]
    one, two = store.made("halfway", {"a": "x"}), store.made("halfway", {"a": "y"})
    # As if an earlier run had moved the first record and then stopped.
    doc = collection.find_one({"_id": one["id"]})
    collection.replace_one({"_id": one["id"]}, {**{k: v for k, v in doc.items() if k != "a"}, "b": "x"})
    response = store.patch_model("halfway", fields=[field("b", "string")], renames={"a": "b"})
    assert response.status_code == 200, response.text
    assert sorted(doc["b"] for doc in collection.find()) == ["x", "y"] and all("a" not in doc for doc in collection.find())


def test_unique_option_is_a_unique_index(store, mongo):
    made = store.model("handles", [field("handle", "string", options={"unique": True}), field("n", "number")])
    assert made.status_code == 201
    store.made("handles", {"handle": "ann"})
    dup = store.create("handles", {"handle": "ann"})
    assert dup.status_code == 422 and dup.json()["error"]["fields"]["handle"]["code"] == "validation_not_unique"
    # Blanks repeat: they are stored as null.
    blanks = [store.made("handles", {"handle": ""}), store.made("handles", {}), store.made("handles", {"handle": None})]
    assert [b["handle"] for b in blanks] == [None, None, None]
    other = store.made("handles", {"handle": "bob"})
    assert store.patch("handles", other["id"], {"handle": "ann"}).json()["error"]["fields"]["handle"]["code"] == "validation_not_unique"
    # Making a field unique while records repeat a value is refused.
    store.made("handles", {"handle": "cy", "n": 1})
    store.made("handles", {"handle": "dee", "n": 1})
    response = store.patch_model("handles", fields=[field("handle", "string", options={"unique": True}), field("n", "number", options={"unique": True})])
    assert response.status_code == 409 and "n cannot be unique" in response.json()["error"]["message"]
    # Unique off: the index goes, repeats are fine.
    assert store.patch_model("handles", fields=[field("handle", "string"), field("n", "number")]).status_code == 200
    assert store.create("handles", {"handle": "ann"}).status_code == 201


# -- batch, events, export and import ----------------------------------------------------------


def test_batch_is_all_or_nothing(store, mongo):
    made = store.model("batched", [field("name", "string", required=True, options={"unique": True}), field("n", "number")])
    assert made.status_code == 201
    collection = mongo[f"records_{made.json()['id']}"]
    keep = store.made("batched", {"name": "keep", "n": 1})
    gone = store.made("batched", {"name": "gone"})
    url = f"{store.base}/batched/records/batch"
    response = store.client.post(url, json={"requests": [
        {"action": "create", "data": {"name": "new", "n": 5}},
        {"action": "update", "id": keep["id"], "data": {"n": 2}, "revision": 1},
        {"action": "delete", "id": gone["id"]},
    ]}, headers=store.headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["name"] == "new" and results[1]["n"] == 2 and results[2] is None
    assert sorted(doc["name"] for doc in collection.find()) == ["keep", "new"]
    # Every request is checked first: one bad one and nothing is written.
    refused = store.client.post(url, json={"requests": [
        {"action": "create", "data": {"name": "fine"}}, {"action": "create", "data": {"n": "x"}},
        {"action": "update", "id": "0" * 24, "data": {}}, {"action": "drop"}, {"action": "update", "id": keep["id"], "data": {"n": 3}, "revision": 1},
    ]}, headers=store.headers)
    assert refused.status_code == 422, refused.text
    assert {"1.name", "1.n", "2.record", "3.action", "4.record"} <= set(refused.json()["error"]["fields"])
    assert collection.count_documents({}) == 2
    # A write failing after the checks (two creates of one unique value) undoes the ones before it.
    clash = store.client.post(url, json={"requests": [
        {"action": "update", "id": keep["id"], "data": {"n": 9}}, {"action": "create", "data": {"name": "twin"}}, {"action": "create", "data": {"name": "twin"}},
    ]}, headers=store.headers)
    assert clash.status_code == 422 and "undone" in clash.json()["error"]["message"]
    assert sorted(doc["name"] for doc in collection.find()) == ["keep", "new"] and collection.find_one({"_id": keep["id"]})["n"] == 2
    assert store.client.post(url, json={"requests": [{"action": "create", "data": {}}] * 101}, headers=store.headers).status_code == 413
    assert store.client.post(url, json={"requests": []}, headers=store.headers).status_code == 400


def test_events_stream_the_changes(store, server):
    import json
    import threading

    assert store.model("live", [field("v", "string")]).status_code == 201
    received, ready = [], threading.Event()

    def listen():
        with httpx.Client(base_url=server.url, timeout=20) as http:
            with http.stream("GET", f"{store.base}/live/records/events", headers=store.headers) as stream:
                assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
                event = None
                for line in stream.iter_lines():
                    if line.startswith(": connected"):
                        ready.set()
                    elif line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        received.append((event, json.loads(line[6:])))
                        if len(received) == 3:
                            return

    thread = threading.Thread(target=listen)
    thread.start()
    assert ready.wait(20)
    record = store.made("live", {"v": "a"})
    store.patch("live", record["id"], {"v": "b"})
    store.delete("live", record["id"])
    thread.join(20)
    assert [(event, data["action"]) for event, data in received] == [("create", "create"), ("update", "update"), ("delete", "delete")]
    assert received[1][1]["record"]["v"] == "b" and received[2][1]["record"]["id"] == record["id"]


def test_export_and_import(store):
    made = store.model("rows", [field("title", "string", required=True), field("n", "number"), field("ok", "bool"),
                                field("tags", "select", options={"values": ["a", "b"], "maxSelect": 2}), field("meta", "json")])
    assert made.status_code == 201
    store.made("rows", {"title": "one, \"quoted\"", "n": 1, "ok": True, "tags": ["a", "b"], "meta": {"x": [1]}})
    store.made("rows", {"title": "two"})
    as_json = store.client.get(f"{store.base}/rows/records/export", params={"format": "json"}, headers=store.headers)
    assert as_json.status_code == 200 and 'filename="rows.json"' in as_json.headers["content-disposition"]
    assert [r["title"] for r in as_json.json()] == ["one, \"quoted\"", "two"]
    as_csv = store.client.get(f"{store.base}/rows/records/export", params={"format": "csv"}, headers=store.headers)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0] == '"id","created","updated","title","n","ok","tags","meta"'
    # Both come back in through the import, with the same values.
    url = f"{store.base}/rows/records/import"
    again = store.client.post(url, params={"format": "csv"}, content=as_csv.text.encode(), headers=store.headers)
    assert again.status_code == 201, again.text
    assert again.json() == {"created": 2}
    assert store.client.post(url, content=as_json.content, headers={**store.headers, "Content-Type": "application/json"}).json() == {"created": 2}
    titles = [(r["title"], r["n"], r["ok"], r["tags"], r["meta"]) for r in store.items("rows", sort="created", perPage=10)]
    assert titles == [("one, \"quoted\"", 1, True, ["a", "b"], {"x": [1]}), ("two", None, None, [], None)] * 3
    # A refused row: a report of every refused row, and nothing written.
    bad = store.client.post(url, params={"format": "csv"}, content=b"title,n,ok\nfine,1,true\n,x,maybe\nok,2.5,false\n", headers=store.headers)
    assert bad.status_code == 422, bad.text
    assert set(bad.json()["error"]["fields"]) == {"1.title", "1.n", "1.ok", "2.n"}
    assert len(store.items("rows", perPage=100)) == 6
    assert store.client.post(url, content=b"{}", headers=store.headers).status_code == 400
    assert store.client.post(url, params={"format": "xml"}, content=b"", headers=store.headers).status_code == 400


def test_deleting_the_project_deletes_its_models_and_records(client, owner, mongo):
    doomed = new_project(client, owner["headers"], "ds")
    store = Store(client, doomed, owner["headers"])
    model = store.model("gone", [field("v", "string")]).json()
    store.made("gone", {"v": "x"})
    assert mongo[f"records_{model['id']}"].count_documents({}) == 1
    assert client.delete(f"/api/projects/{doomed['id']}", headers=owner["headers"]).status_code == 204
    assert mongo[f"records_{model['id']}"].count_documents({}) == 0
    assert mongo["datastore_models"].count_documents({"projectRef": doomed["id"]}) == 0


# -- file fields ---------------------------------------------------------------------------------


def test_file_fields_live_in_the_project_storage(store, client, project):
    made = store.model("docs", [field("title", "string"),
                                field("doc", "file", options={"maxSize": 100, "mimeTypes": ["text/plain", "image/*"]}),
                                field("pics", "file", options={"maxSelect": 2})])
    assert made.status_code == 201, made.text
    record = store.made("docs", {"title": "t"})
    assert record["doc"] is None and record["pics"] == []
    url = f"{store.base}/docs/records/{record['id']}/files"

    def upload(key, *files):
        return client.post(f"{url}/{key}", files=[("file", (name, data)) for name, data in files], headers=store.headers)

    first = upload("doc", ("notes v1.txt", b"hello"))
    assert first.status_code == 200, first.text
    name = first.json()["doc"]
    assert name.startswith("notes_v1_") and name.endswith(".txt")
    got = client.get(f"{url}/doc/{name}", headers=store.headers)
    assert got.content == b"hello" and got.headers["content-disposition"].startswith("attachment")
    listing = client.get(f"/api/projects/{project['id']}/storage", params={"path": f"datastore/{made.json()['id']}/{record['id']}"}, headers=store.headers)
    assert [entry["name"] for entry in listing.json()["entries"]] == [name]
    # A second upload to a single-file field replaces the file (the old one is gone).
    second = upload("doc", ("b.txt", b"second")).json()["doc"]
    assert client.get(f"{url}/doc/{name}", headers=store.headers).status_code == 404
    assert client.get(f"{url}/doc/{second}", headers=store.headers).content == b"second"
    too_big = upload("doc", ("c.txt", b"x" * 101))
    assert too_big.status_code == 422 and too_big.json()["error"]["fields"]["doc"]["code"] == "validation_file_size_limit"
    wrong = upload("doc", ("page.html", b"<script>"))
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"]["doc"]["code"] == "validation_invalid_mime_type"
    assert upload("doc").status_code == 422
    assert upload("title", ("a.txt", b"x")).status_code == 404
    # A multi-file field adds up to maxSelect; a write keeps or drops files, never names new ones.
    pics = upload("pics", ("a.png", b"\x89PNG\r\n\x1a\n"), ("../../etc/passwd", b"p")).json()["pics"]
    assert len(pics) == 2 and pics[1].startswith("passwd_")
    assert upload("pics", ("c.png", b"c")).json()["error"]["fields"]["pics"]["code"] == "validation_too_many_values"
    assert client.get(f"{url}/pics/{pics[0]}", headers=store.headers).headers["content-disposition"].startswith("inline")
    assert store.patch("docs", record["id"], {"pics": ["other.png"]}).json()["error"]["fields"]["pics"]["code"] == "validation_unknown_file"
    assert store.create("docs", {"doc": "x.txt"}).json()["error"]["fields"]["doc"]["code"] == "validation_unknown_file"
    kept = store.patch("docs", record["id"], {"pics": [pics[1]]})
    assert kept.status_code == 200 and kept.json()["pics"] == [pics[1]]
    assert client.get(f"{url}/pics/{pics[0]}", headers=store.headers).status_code == 404
    assert [r["id"] for r in store.items("docs", filter="pics ?~ 'passwd' && doc ~ '.txt'")] == [record["id"]]
    # Deleting the record deletes its files.
    assert store.delete("docs", record["id"]).status_code == 204
    gone = client.get(f"/api/projects/{project['id']}/storage", params={"path": f"datastore/{made.json()['id']}"}, headers=store.headers)
    assert gone.status_code == 200 and gone.json()["entries"] == []
    # A file field keeps files: no type change to or from it while records hold files.
    again = store.made("docs", {})
    upload_again = client.post(f"{store.base}/docs/records/{again['id']}/files/doc", files=[("file", ("z.txt", b"z"))], headers=store.headers)
    assert upload_again.status_code == 200
    changed = store.patch_model("docs", fields=[field("title", "string"), field("doc", "string"), field("pics", "file", options={"maxSelect": 2})])
    assert changed.status_code == 409
    assert client.delete(f"{store.base}/docs", headers=store.headers).status_code == 204
    assert client.get(f"/api/projects/{project['id']}/storage", params={"path": "datastore"}, headers=store.headers).json()["entries"] == []


def test_a_record_is_created_with_its_files_in_one_multipart_request(store, client, project):
    made = store.model("cards", [field("title", "string", options={"unique": True}, required=True),
                                 field("cover", "file", required=True, options={"maxSize": 100, "mimeTypes": ["image/*"]}),
                                 field("extras", "file", options={"maxSelect": 2})])
    assert made.status_code == 201, made.text
    url = f"{store.base}/cards/records"

    def create(fields, *parts, raw=None):
        data = {"@jsonPayload": raw if raw is not None else json.dumps(fields)}
        return client.post(url, data=data, files=[(key, (name, body)) for key, name, body in parts] or None, headers=store.headers)

    def stored(record=None):
        path = f"datastore/{made.json()['id']}" + (f"/{record['id']}" if record else "")
        answer = client.get(f"/api/projects/{project['id']}/storage", params={"path": path}, headers=store.headers)
        return [] if answer.status_code == 404 else [entry["name"] for entry in answer.json()["entries"]]

    # The required file field is filled by the same request, so the create passes.
    record = create({"title": "one"}, ("cover", "front.png", b"\x89PNG"), ("extras", "a.txt", b"a"), ("extras", "b.txt", b"b"))
    assert record.status_code == 201, record.text
    record = record.json()
    assert record["cover"].startswith("front_") and len(record["extras"]) == 2
    assert sorted(stored(record)) == sorted([record["cover"], *record["extras"]])
    got = client.get(f"{url}/{record['id']}/files/cover/{record['cover']}", headers=store.headers)
    assert got.content == b"\x89PNG"
    # Every failing field at once, and nothing written: neither a record nor a file.
    bad = create({"title": ""}, ("cover", "page.html", b"<p>"), ("extras", "1", b"1"), ("extras", "2", b"2"), ("extras", "3", b"3"), ("nope", "n.txt", b"n"))
    assert bad.status_code == 422, bad.text
    assert {key: value["code"] for key, value in bad.json()["error"]["fields"].items()} == {
        "title": "validation_required", "cover": "validation_invalid_mime_type",
        "extras": "validation_too_many_values", "nope": "validation_unknown_field"}
    missing = create({"title": "two"})
    assert missing.status_code == 422 and missing.json()["error"]["fields"]["cover"]["code"] == "validation_required"
    too_big = create({"title": "two"}, ("cover", "big.png", b"x" * 101))
    assert too_big.json()["error"]["fields"]["cover"]["code"] == "validation_file_size_limit"
    # Refused by the database (a unique value taken) after the files were written: they go again.
    taken = create({"title": "one"}, ("cover", "again.png", b"\x89PNG"))
    assert taken.status_code == 422 and taken.json()["error"]["fields"]["title"]["code"] == "validation_not_unique"
    assert stored() == [record["id"]]
    # The fields travel as JSON only; bad JSON and stray form values are 400 naming the part.
    assert create(None, raw="{not json").json()["error"]["fields"] == {"@jsonPayload": "not valid JSON"}
    stray = client.post(url, data={"title": "x"}, files=[("cover", ("c.png", b"c"))], headers=store.headers)
    assert stray.status_code == 400 and "title" in stray.json()["error"]["fields"]
    # A body that parses as no part at all (its boundary missing) is refused, not an empty record.
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=x"):
        empty = client.post(url, content=b"--y\r\nnot a part", headers={**store.headers, "Content-Type": content_type})
        assert empty.status_code == 400 and "@jsonPayload" in empty.json()["error"]["fields"], empty.text
    assert [r["title"] for r in store.items("cards")] == ["one"]
