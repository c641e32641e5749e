"""The records table of a data store model: server-side paging, sort and filter kept in the URL,
the server's filter error with its place, the column chooser, bulk delete, live updates over
SSE, export and import with the server's report. Every outcome is checked through the REST API
too, so the test fails when the page only looks right."""

from __future__ import annotations

import csv
import json

from .test_projects import make_project
from .ui_support import look

TOTAL = 120


def api_of(project: dict) -> str:
    return f"/api/projects/{project['id']}/models"


def make_tasks(client, headers, project) -> list[dict]:
    """A `tasks` model (each cell type the table draws) and 120 records, made over REST."""
    people = client.post(api_of(project), headers=headers, json={
        "name": "People", "slug": "people", "fields": [{"key": "name", "type": "string"}],
    })
    assert people.status_code == 201, people.text
    ann = client.post(f"{api_of(project)}/people/records", headers=headers, json={"name": "Ann"}).json()
    model = client.post(api_of(project), headers=headers, json={
        "name": "Tasks", "slug": "tasks",
        "fields": [
            {"key": "title", "type": "string", "required": True},
            {"key": "count", "type": "number"},
            {"key": "done", "type": "bool"},
            {"key": "tags", "type": "select", "options": {"values": ["a", "b", "c"], "maxSelect": 3}},
            {"key": "due", "type": "date"},
            {"key": "owner", "type": "ref", "options": {"model": "people"}},
            {"key": "meta", "type": "json"},
        ],
        "table": {"sortable": ["title", "count"], "defaultSort": "-created", "pageSize": 50},
    })
    assert model.status_code == 201, model.text
    rows = [{
        "title": f"Task {index:03d}",
        "count": (index * 37) % TOTAL,  # 37 and 120 are coprime: every count 0..119 once
        "done": index % 2 == 0,
        "tags": ["a"] if index % 3 == 0 else ["b", "c"],
        "due": f"2026-01-{index % 28 + 1:02d}",
        "owner": ann["id"] if index % 4 == 0 else None,
        "meta": {"n": index},
    } for index in range(TOTAL)]
    created = []
    for start in range(0, TOTAL, 60):
        response = client.post(f"{api_of(project)}/tasks/records/batch", headers=headers,
                               json={"requests": [{"action": "create", "data": row} for row in rows[start:start + 60]]})
        assert response.status_code == 200, response.text
        created += response.json()["results"]
    return created


def visit(page, path: str) -> None:
    """Go to a page of the app as a link does (no new document): the records page keeps its event
    stream open, so after a full load of it the network never idles, which look() waits for."""
    page.evaluate("path => history.pushState({...history.state, __TSR_index: (history.state?.__TSR_index ?? 0) + 1}, '', path)", path)


def total_of(client, headers, project, filter: str = "") -> int:
    response = client.get(f"{api_of(project)}/tasks/records", params={"filter": filter, "perPage": 1}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["totalItems"]


def column(page, name: str) -> list[str]:
    return page.locator(f"[data-testid=record-row] td[data-column={name}]").evaluate_all("cells => cells.map(c => c.innerText.trim())")


def row_ids(page) -> list[str]:
    return page.get_by_test_id("record-row").evaluate_all("rows => rows.map(r => r.dataset.id)")


def wait_rows(page, count: int) -> None:
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=record-row]').length === {count}"
                           " && !document.querySelector('[data-testid=records-table]').closest('[aria-busy=true]')")


def test_page_sort_filter_columns_and_bulk_delete(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Records")
    records = make_tasks(client, root_headers, project)
    by_id = {record["id"]: record for record in records}
    visit(page, f"/projects/{project['slug']}/data/tasks")
    page.get_by_role("heading", name="Tasks").wait_for()
    wait_rows(page, 50)  # the model's pageSize
    page.get_by_text("120 records", exact=True).wait_for()
    assert page.get_by_test_id("records-page").inner_text() == "Page 1 of 3"
    # Cells by type: a ref by the referred record's name (expand), select values as badges, dates formatted.
    first = by_id[row_ids(page)[0]]
    assert column(page, "title")[0] == first["title"]
    owners = set(column(page, "owner"))
    assert "Ann" in owners and "—" in owners
    assert page.locator("td[data-column=tags] [data-slot=badge]").first.is_visible()
    look(page, "data-records")

    # Paging: the URL keeps the page; pages do not overlap; the last one has the rest.
    seen = set(row_ids(page))
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**page=2**")
    wait_rows(page, 50)
    assert not seen & set(row_ids(page))
    seen |= set(row_ids(page))
    page.get_by_role("button", name="Next").click()
    wait_rows(page, 20)
    assert page.get_by_test_id("records-page").inner_text() == "Page 3 of 3"
    assert len(seen | set(row_ids(page))) == TOTAL
    assert page.get_by_test_id("records-range").inner_text() == "101–120 of 120"

    # Sort by a sortable column, ascending then descending; back to page 1.
    page.get_by_role("button", name="Sort by count").click()
    page.wait_for_url("**sort=count**")
    wait_rows(page, 50)
    assert "page=" not in page.url
    assert column(page, "count") == [str(n) for n in range(50)]
    assert page.locator("th[data-column=count]").get_attribute("aria-sort") == "ascending"
    page.get_by_role("button", name="Sort by count").click()
    page.wait_for_url("**sort=-count**")
    page.wait_for_function("() => document.querySelector('td[data-column=count]')?.innerText === '119'")
    assert column(page, "count") == [str(n) for n in range(119, 69, -1)]
    # Columns the table config does not list as sortable have no sort button.
    assert page.locator("th[data-column=done] button").count() == 0

    # A valid filter: exactly the records the server would match.
    box = page.get_by_label("Filter", exact=True)
    box.fill("count < 10 && done = true")
    box.press("Enter")
    page.wait_for_url("**filter=**")
    expected = sorted((r for r in records if r["count"] < 10 and r["done"]), key=lambda r: -r["count"])
    wait_rows(page, len(expected))
    assert column(page, "title") == [r["title"] for r in expected]
    assert total_of(client, root_headers, project, "count < 10 && done = true") == len(expected)
    page.get_by_text(f"{len(expected)} records match the filter").wait_for()

    # An invalid one: the server's reason and its place, marked in the text; the rows stay.
    browser_log.expect(400, f"{api_of(project)}/tasks/records")
    box.fill("count > 3 && nope = 1")
    box.press("Enter")
    error = page.get_by_test_id("filter-error")
    error.wait_for()
    assert "'nope' is not a field of tasks" in error.inner_text()
    assert page.get_by_test_id("filter-error-position").inner_text() == "(at character 14)"
    assert page.get_by_test_id("filter-error-mark").inner_text() == "n"
    assert box.get_attribute("aria-invalid") == "true"
    assert len(row_ids(page)) == len(expected)  # the last good rows stay
    page.get_by_role("button", name="Filter syntax").click()
    page.get_by_role("button", name='tags ?= "a"').wait_for()
    look(page, "data-records-filter-error")
    page.get_by_role("button", name='tags ?= "a"').click()  # an example fills the box
    assert box.input_value() == 'tags ?= "a"'
    box.press("Enter")
    wait_rows(page, 40)
    assert not page.get_by_test_id("filter-error").is_visible()
    assert all(tags.startswith("a") for tags in column(page, "tags"))
    page.get_by_role("button", name="Clear the filter").click()
    wait_rows(page, 50)
    assert "filter=" not in page.url

    # Hide a column; the choice is kept for this model (a reload keeps it).
    page.get_by_role("button", name="Columns").click()
    page.get_by_role("menuitemcheckbox", name="meta").click()
    page.keyboard.press("Escape")
    page.locator("th[data-column=meta]").wait_for(state="detached")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('m3m.datastore.hidden.')).map(k => localStorage.getItem(k))") == ['["meta"]']
    visit(page, f"/projects/{project['slug']}")  # away and back: the page is made anew and reads the choice
    page.locator("th[data-column=title]").wait_for(state="detached")
    visit(page, f"/projects/{project['slug']}/data/tasks?sort=-count")
    wait_rows(page, 50)
    assert page.locator("th[data-column=meta]").count() == 0
    assert page.locator("th[data-column=title]").count() == 1

    # The page size chooser: 100 a page, in the URL.
    page.get_by_role("combobox", name="Per page").click()
    page.get_by_role("option", name="100", exact=True).click()
    page.wait_for_url("**perPage=100**")
    wait_rows(page, 100)
    assert page.get_by_test_id("records-page").inner_text() == "Page 1 of 2"

    # Select three rows and delete them in one batch, after confirming.
    doomed = row_ids(page)[:3]
    for rid in doomed:
        page.get_by_role("checkbox", name=f"Select record {rid}").click()
    page.get_by_test_id("selection-bar").get_by_text("3 records selected").wait_for()
    page.get_by_role("button", name="Delete 3 records").click()
    confirm = page.get_by_role("alertdialog", name="Delete 3 records?")
    look(page, "data-records-bulk-delete")
    confirm.get_by_role("button", name="Delete 3 records").click()
    page.get_by_text("3 records deleted").wait_for()
    page.get_by_text("117 records", exact=True).wait_for()
    assert not set(doomed) & set(row_ids(page))
    assert total_of(client, root_headers, project) == TOTAL - 3
    for rid in doomed:
        assert client.get(f"{api_of(project)}/tasks/records/{rid}", headers=root_headers).status_code == 404

    # A row opens the record in the sheet with the record form, its values filled in; Escape closes it.
    top = row_ids(page)[0]
    before = client.get(f"{api_of(project)}/tasks/records/{top}", headers=root_headers).json()
    row = page.locator(f"[data-testid=record-row][data-id='{top}']")
    row.locator("td[data-column=title]").click()
    sheet = page.get_by_role("dialog", name="Edit a record of Tasks")
    form = sheet.get_by_test_id("record-form")
    form.wait_for()
    assert top in sheet.inner_text()
    assert form.get_by_label("title").input_value() == before["title"]
    assert form.get_by_label("count", exact=True).input_value() == str(before["count"])
    look(page, "data-records-sheet")
    page.keyboard.press("Escape")
    sheet.wait_for(state="hidden")
    # An edit through the sheet: saved, the sheet closes, the row shows the new value, REST has it.
    row.locator("td[data-column=title]").click()
    form.get_by_label("title").fill("Renamed in the sheet")
    form.get_by_role("button", name="Save changes").click()
    page.get_by_text("Record saved").wait_for()
    sheet.wait_for(state="hidden")
    row.locator("td[data-column=title]", has_text="Renamed in the sheet").wait_for()
    after = client.get(f"{api_of(project)}/tasks/records/{top}", headers=root_headers).json()
    assert after["title"] == "Renamed in the sheet" and after["revision"] == before["revision"] + 1
    assert after["count"] == before["count"] and after["tags"] == before["tags"]  # only the changed field was sent
    # A create through "New record": it lands in the table (the highest count, on top in this order).
    page.get_by_role("button", name="New record", exact=True).click()
    sheet = page.get_by_role("dialog", name="New record in Tasks")
    form = sheet.get_by_test_id("record-form")
    form.get_by_label("title").fill("Made in the sheet")
    form.get_by_label("count", exact=True).fill("500")
    form.get_by_role("button", name="Create record").click()
    page.get_by_text("Record created").wait_for()
    sheet.wait_for(state="hidden")
    page.get_by_text(f"{TOTAL - 2} records", exact=True).wait_for()
    made = client.get(f"{api_of(project)}/tasks/records", params={"filter": 'title = "Made in the sheet"'}, headers=root_headers).json()["items"]
    assert len(made) == 1 and made[0]["count"] == 500
    page.wait_for_function(f"() => document.querySelector('[data-testid=record-row]')?.dataset.id === {made[0]['id']!r}")
    assert column(page, "title")[0] == "Made in the sheet" and column(page, "count")[0] == "500"
    assert page.get_by_test_id("fresh-records").count() == 0  # the page's own create is shown, not counted as new

    # Delete one record from its row's menu.
    rid = row_ids(page)[0]
    page.get_by_role("button", name=f"Actions for record {rid}").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.get_by_role("alertdialog", name="Delete this record?").get_by_role("button", name="Delete").click()
    page.get_by_text("1 record deleted").wait_for()
    assert client.get(f"{api_of(project)}/tasks/records/{rid}", headers=root_headers).status_code == 404
    page.locator(f"[data-testid=record-row][data-id='{rid}']").wait_for(state="detached")


def test_live_updates_export_and_import_with_a_report(root_page, client, root_headers, browser_log, tmp_path):
    page = root_page
    project = make_project(client, root_headers, "Live")
    make_tasks(client, root_headers, project)
    records = f"{api_of(project)}/tasks/records"
    visit(page, f"/projects/{project['slug']}/data/tasks?sort=-created")
    wait_rows(page, 50)

    # Created over REST while the page is open: on top (newest first), without a reload.
    made = client.post(records, headers=root_headers, json={"title": "Live one", "count": 500})
    assert made.status_code == 201, made.text
    live = made.json()
    page.wait_for_function(f"() => document.querySelector('[data-testid=record-row]')?.dataset.id === {live['id']!r}")
    assert column(page, "title")[0] == "Live one"
    page.get_by_text("121 records", exact=True).wait_for()
    # Updated: in place. Deleted: gone.
    assert client.patch(f"{records}/{live['id']}", headers=root_headers, json={"title": "Live two"}).status_code == 200
    page.locator(f"[data-testid=record-row][data-id='{live['id']}'] td[data-column=title]", has_text="Live two").wait_for()
    assert client.delete(f"{records}/{live['id']}", headers=root_headers).status_code == 204
    page.locator(f"[data-testid=record-row][data-id='{live['id']}']").wait_for(state="detached")
    # In another order the new record is not on this page: a note offers the refresh.
    page.get_by_role("button", name="Sort by count").click()
    wait_rows(page, 50)
    assert client.post(records, headers=root_headers, json={"title": "Unseen", "count": 0}).status_code == 201
    note = page.get_by_test_id("fresh-records")
    note.wait_for()
    assert note.inner_text() == "1 new record — refresh"
    note.click()
    page.wait_for_function("() => [...document.querySelectorAll('td[data-column=title]')].some(c => c.innerText === 'Unseen')")
    note.wait_for(state="detached")

    # Export: the file the browser downloads is every record.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export").click()
        page.get_by_role("menuitem", name="JSON (an array of records)").click()
    download = download_info.value
    assert download.suggested_filename == "tasks.json"
    exported = json.loads(open(download.path(), encoding="utf-8").read())
    assert len(exported) == TOTAL + 1 and {"Unseen", "Task 000"} <= {r["title"] for r in exported}
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export").click()
        page.get_by_role("menuitem", name="CSV (a header row)").click()
    assert download_info.value.suggested_filename == "tasks.csv"
    with open(download_info.value.path(), encoding="utf-8", newline="") as exported_csv:  # every cell quoted: csv reads it
        assert next(csv.reader(exported_csv))[:5] == ["id", "created", "updated", "title", "count"]

    # Import a CSV with one bad row: the report names it, nothing is written.
    bad = tmp_path / "bad.csv"
    bad.write_text("title,count,done\nImported 1,5,true\nImported 2,many,false\nImported 3,7,false\n", encoding="utf-8")
    browser_log.expect(422, f"{records}/import")
    page.get_by_role("button", name="Import").click()
    dialog = page.get_by_role("dialog", name="Import records into Tasks")
    dialog.get_by_test_id("import-input").set_input_files(str(bad))
    dialog.get_by_role("button", name="Import").click()
    report = dialog.get_by_test_id("import-report")
    report.wait_for()
    problems = dialog.get_by_test_id("import-problem").all_inner_texts()
    assert len(problems) == 1 and problems[0].startswith("Row 2") and "count" in problems[0]
    look(page, "data-records-import-report")
    assert total_of(client, root_headers, project) == TOTAL + 1
    assert total_of(client, root_headers, project, 'title ~ "Imported"') == 0
    # The good file goes in whole.
    good = tmp_path / "good.csv"
    good.write_text("title,count,done\nImported 1,5,true\nImported 3,7,false\n", encoding="utf-8")
    dialog.get_by_test_id("import-input").set_input_files(str(good))
    dialog.get_by_role("button", name="Import").click()
    dialog.get_by_test_id("import-done").get_by_text("2 records imported.").wait_for()
    assert total_of(client, root_headers, project, 'title ~ "Imported"') == 2
    dialog.get_by_role("button", name="Close").first.click()
    page.get_by_text(f"{TOTAL + 3} records", exact=True).wait_for()


def test_empty_model_and_an_unknown_one(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Empty")
    response = client.post(api_of(project), headers=root_headers, json={"name": "Notes", "slug": "notes", "fields": [{"key": "body", "type": "text"}]})
    assert response.status_code == 201, response.text
    visit(page, f"/projects/{project['slug']}/data/notes")
    page.get_by_role("heading", name="No records yet").wait_for()
    page.get_by_text("0 records", exact=True).wait_for()
    look(page, "data-records-empty")
    # A filter that matches nothing says so and offers to clear it.
    box = page.get_by_label("Filter", exact=True)
    box.fill('body ~ "x"')
    box.press("Enter")
    page.get_by_role("heading", name="No record matches the filter").wait_for()
    # A deep link with an order the server refuses: the reason, and a way back (not a skeleton forever).
    browser_log.expect(400, f"{api_of(project)}/notes/records")
    visit(page, f"/projects/{project['slug']}/data/notes?sort=nope")
    assert "The sort was refused: 'nope' is not a field of notes" in page.get_by_test_id("filter-error").inner_text()
    page.get_by_role("heading", name="No records to show").wait_for()
    page.get_by_role("button", name="Default order").click()
    page.get_by_role("heading", name="No records yet").wait_for()
    assert "sort=" not in page.url
    # A model that does not exist: the error state with a retry, not a blank page.
    browser_log.expect(404, f"{api_of(project)}/nope")
    visit(page, f"/projects/{project['slug']}/data/nope")
    page.get_by_role("alert").get_by_role("button", name="Try again").wait_for()
