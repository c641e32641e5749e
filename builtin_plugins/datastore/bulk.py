"""Many records at once: the batch endpoint, export (JSON, CSV) and import, all through the same
validation as one record. Neither server gives m3m multi-document transactions (nx-27017 has
none, a standalone MongoDB neither), so "all or nothing" is: every operation is checked before
any is written, and should a write still fail (a unique value taken meanwhile, a concurrent
change) the ones already applied are undone before the refusal (docs/datastore.md)."""

from __future__ import annotations

import csv
import io
import json
import math

from kernel.errors import Refused

from . import fields as types
from .records import Records, collection, public

ACTIONS = ("create", "update", "delete")
# A spreadsheet takes a cell beginning with one of these as a formula (OWASP, "CSV Injection"): a
# text cell that does is written with a single quote before it, which the spreadsheet shows as
# text and hides. A text beginning with a quote gets one more, so that the import takes exactly
# one away and every exported text comes back as it was (docs/datastore.md "CSV and spreadsheets").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
ESCAPED_START = (*FORMULA_START, "'")


def row_problems(index: int, exc: Refused) -> dict:
    return {f"{index}.{key}": value for key, value in (exc.fields or {"record": {"code": exc.code, "message": exc.message}}).items()}


def refused_rows(problems: dict, what: str) -> Refused:
    key, value = next(iter(problems.items()))
    message = value["message"] if isinstance(value, dict) else value
    return Refused(422, f"{what}: {key}: {message} ({len(problems)} problems; nothing was written)", fields=problems)


async def batch(records: Records, model: dict, requests, limit: int) -> list:
    """[{action: create, data}, {action: update, id, data, revision?}, {action: delete, id}]."""
    if not isinstance(requests, list) or not requests:
        raise Refused(400, "requests: a non-empty list of {action, id?, data?}", fields={"requests": "a non-empty list"})
    if len(requests) > limit:
        raise Refused(413, f"a batch has at most {limit} requests (datastore.max_batch)")
    problems: dict = {}
    plan = []
    with types.one_write():
        await _plan(records, model, requests, plan, problems)
    if problems:
        raise refused_rows(problems, "batch")
    return await _apply(records, model, plan)


async def _plan(records: Records, model: dict, requests: list, plan: list, problems: dict) -> None:
    """Every request of a batch checked (into `plan`, or its problems)."""
    for index, item in enumerate(requests):
        if not isinstance(item, dict) or item.get("action") not in ACTIONS:
            problems[f"{index}.action"] = {"code": "validation_invalid_value", "message": f"action must be one of {', '.join(ACTIONS)}"}
            continue
        try:
            if item["action"] == "create":
                plan.append(("create", None, await records.validate(model, item.get("data"))))
                continue
            current = await records.get_doc(model, item.get("id"))
            if item["action"] == "update":
                revision = item.get("revision")
                if revision is not None and revision != current["revision"]:
                    raise Refused(409, f"the record is at revision {current['revision']}, not {revision}", code="stale_revision")
                plan.append(("update", current, await records.validate(model, item.get("data"), current)))
            else:
                plan.append(("delete", current, None))
        except Refused as exc:
            problems.update(row_problems(index, exc))


async def _apply(records: Records, model: dict, plan: list) -> list:
    """The checked plan of a batch written; a write failing undoes the ones before it."""
    done, results = [], []
    try:
        for action, current, changes in plan:
            if action == "create":
                record = await records.create(model, changes, checked=True)
                done.append(("create", record["id"], None))
                results.append(record)
            elif action == "update":
                record = await records.update(model, current["_id"], changes, current["revision"], checked=True)
                done.append(("update", current["_id"], current))
                results.append(record)
            else:
                await records.delete(model, current["_id"])
                done.append(("delete", current["_id"], current))
                results.append(None)
    except Refused as exc:
        await undo(records, model, done)
        raise Refused(exc.status, f"batch request {len(done)}: {exc.message} (the {len(done)} before it were undone)", code=exc.code, fields=exc.fields) from None
    return results


async def undo(records: Records, model: dict, done: list) -> None:
    target = collection(records.db, model)
    for action, rid, before in reversed(done):
        if action == "create":
            await target.delete_one({"_id": rid})
        elif action == "update":
            await target.replace_one({"_id": rid}, before)
        else:
            await target.insert_one(before)  # a cascade of its delete is not brought back (documented)


async def export(records: Records, model: dict, fmt: str):
    """All the model's records: a JSON array (the exact values), or CSV (lists and documents as
    JSON in their cell, every cell quoted, text that a spreadsheet would run escaped)."""
    docs = [public(doc) async for doc in collection(records.db, model).find({}).sort([("created", 1), ("_id", 1)])]
    if fmt == "json":
        return json.dumps(docs, ensure_ascii=False), "application/json"
    columns = ["id", "created", "updated", *(field["key"] for field in model["fields"])]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # a separator in a cell never starts a new one
    writer.writerow(columns)
    for doc in docs:
        writer.writerow([cell(doc.get(key)) for key in columns])
    return out.getvalue(), "text/csv; charset=utf-8"


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and math.isfinite(value):
        return str(value)  # a number (-5, -1.5e-07) is no formula: a spreadsheet reads it as the number
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return "'" + text if text.startswith(ESCAPED_START) else text


def unescaped(text: str) -> str:
    """A CSV cell as `cell` escaped it: one leading quote before a formula character or another
    quote is taken away; any other text is kept as it is."""
    return text[1:] if text[:1] == "'" and text[1:2] and text[1:2] in ESCAPED_START else text


def rows_of(text: str, fmt: str, model: dict, limit: int) -> list:
    """The rows of an import as JSON objects; CSV cells are read by the field's type (empty is
    null; numbers, true/false and JSON where the field takes them; system columns are ignored),
    after the export's escape is taken away (`'=x` is `=x`, `''x` is `'x`)."""
    if fmt == "json":
        try:
            rows = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise Refused(400, f"the body is not valid JSON: {exc}", code="malformed_json") from None
        if not isinstance(rows, list):
            raise Refused(400, "a JSON import is an array of records", code="malformed_json")
        rows = [{key: value for key, value in row.items() if key not in types.SYSTEM} if isinstance(row, dict) else row for row in rows]
    else:
        by_key = {field["key"]: field for field in model["fields"]}
        try:
            reader = list(csv.DictReader(io.StringIO(text)))
        except csv.Error as exc:
            raise Refused(400, f"the CSV is malformed: {exc}", code="malformed_csv") from None
        rows = [{key: from_cell(by_key.get(key), unescaped(value) if isinstance(value, str) else value)
                 for key, value in row.items() if key not in types.SYSTEM and key is not None} for row in reader]
    if len(rows) > limit:
        raise Refused(413, f"an import has at most {limit} rows (datastore.max_import)")
    return rows


def from_cell(field: dict | None, value):
    if field is None or value is None:
        return value
    if value == "":
        return [] if types.multi(field) else None
    kind = field["type"]
    try:
        if kind in ("number", "float"):
            return float(value) if any(c in value for c in ".eE") or kind == "float" else int(value)
        if kind == "bool":
            return {"true": True, "false": False}.get(value.strip().lower(), value)
        if kind in ("document", "json") or types.multi(field):
            return json.loads(value)
    except ValueError:
        return value  # refused by the field's check, with its code
    return value


async def import_rows(records: Records, model: dict, rows: list, what: str = "import") -> list[dict]:
    """Create a record per row, all or nothing (the import and `$database.insertMany`)."""
    problems: dict = {}
    checked = []
    with types.one_write():
        for index, row in enumerate(rows):
            try:
                checked.append(await records.validate(model, row))
            except Refused as exc:
                problems.update(row_problems(index, exc))
    if problems:
        raise refused_rows(problems, what)
    done, created = [], []
    try:
        for changes in checked:
            created.append(await records.create(model, changes, checked=True))
            done.append(("create", created[-1]["id"], None))
    except Refused as exc:
        await undo(records, model, done)
        raise Refused(exc.status, f"row {len(done)}: {exc.message} (the rows before it were taken out again)", code=exc.code, fields=exc.fields) from None
    return created
