"""The record form of the data store, used where people use it: in the records page's sheet ("New
record", then the saved record opened from the table) with a control for every field type (TipTap
HTML and Markdown, pickers, select widgets, a ref searched on the server, JSON in Monaco), the server's 422
on its field, files uploaded into the saved record, downloaded and removed, an edit sent with the
revision (a stale one asks to reload) and a unique clash; a new record's files chosen before its
first save and sent with its create, one request (a refused one, or a required file missing,
makes nothing and leaves the message on its field; toasts keep off the sheet's buttons); and the form config in the schema
editor's Form tab (drag to reorder, hide, widgets) with its live preview, saved with the editor's
Save. Every outcome is checked through the REST API too."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from .test_data_models import keyboard_move, saved
from .test_data_records import visit
from .test_projects import make_project
from .test_storage import png
from .ui_support import look, open_page

FIELDS = [
    {"key": "title", "type": "string", "required": True, "label": "Title", "description": "A short title", "options": {"max": 20, "unique": True}},
    {"key": "body", "type": "text", "label": "Body"},
    {"key": "notes", "type": "text", "label": "Notes"},
    {"key": "summary", "type": "text", "label": "Summary"},
    {"key": "views", "type": "number", "label": "Views"},
    {"key": "rating", "type": "float", "label": "Rating", "options": {"min": 0, "max": 5}},
    {"key": "published", "type": "bool", "label": "Published"},
    {"key": "featured", "type": "bool", "label": "Featured"},
    {"key": "contact", "type": "email", "label": "Contact"},
    {"key": "site", "type": "url", "label": "Site"},
    {"key": "day", "type": "date", "label": "Day"},
    {"key": "at", "type": "datetime", "label": "At"},
    {"key": "status", "type": "select", "label": "Status", "options": {"values": ["draft", "live", "archived"]}},
    {"key": "tags", "type": "select", "label": "Tags", "options": {"values": ["news", "tech", "fun"], "maxSelect": 3}},
    {"key": "color", "type": "select", "label": "Colour", "options": {"values": ["red", "green"]}},
    {"key": "author", "type": "ref", "label": "Author", "options": {"model": "authors"}},
    {"key": "reviewers", "type": "ref", "label": "Reviewers", "options": {"model": "authors", "maxSelect": 3}},
    {"key": "meta", "type": "document", "label": "Meta"},
    {"key": "extra", "type": "json", "label": "Extra"},
    {"key": "attachment", "type": "file", "label": "Attachment"},
]
WIDGETS = {"body": "tiptap", "notes": "markdown", "rating": "slider", "featured": "checkbox", "tags": "checkboxes", "color": "radio", "reviewers": "search"}


def make_models(client, headers, pid: str) -> dict:
    authors = client.post(
        f"/api/projects/{pid}/models",
        json={"name": "Authors", "slug": "authors", "fields": [{"key": "name", "type": "string"}, {"key": "age", "type": "number"}]},
        headers=headers,
    )
    assert authors.status_code == 201, authors.text
    ids = {}
    for name in ("Ann Author", "Bob Builder", "Carla Cruz", "Dan Doe"):
        answer = client.post(f"/api/projects/{pid}/models/authors/records", json={"name": name}, headers=headers)
        assert answer.status_code == 201, answer.text
        ids[name] = answer.json()["id"]
    posts = client.post(
        f"/api/projects/{pid}/models",
        json={"name": "Posts", "slug": "posts", "fields": FIELDS, "form": {"widgets": WIDGETS}},
        headers=headers,
    )
    assert posts.status_code == 201, posts.text
    return ids


def records(client, headers, pid: str) -> list[dict]:
    answer = client.get(f"/api/projects/{pid}/models/posts/records", params={"sort": "created"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def field(page, key: str):
    return page.get_by_test_id("record-form").locator(f'[data-field="{key}"]')


def type_json(page, key: str, text: str) -> None:
    """Replace the text of a document/json field's Monaco editor with a paste into its input (Monaco's
    own paste: nothing auto-closed, as when a user pastes)."""
    editor = f'[data-testid="record-form"] [data-field="{key}"] [data-testid="json-editor"]'
    page.locator(editor).locator(".view-lines").click()
    # The editor's input takes the focus a moment after the click (on a busy machine, after the
    # test's next step): the keys and the paste go to that input once it has it, not elsewhere.
    page.wait_for_function("editor => document.querySelector(editor).contains(document.activeElement)", arg=editor)
    page.keyboard.press("Control+a")
    page.locator(editor).evaluate(
        "(host, text) => { const data = new DataTransfer(); data.setData('text/plain', text);"
        " host.querySelector('textarea').dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})); }",
        text,
    )
    assert json_text(page, key) == text


def json_text(page, key: str) -> str:
    """The text of the Monaco editor of a document/json field (its model, via window.monaco)."""
    return field(page, key).get_by_test_id("json-editor").evaluate(
        "host => window.monaco.editor.getEditors().find(e => host.contains(e.getDomNode())).getValue()"
    )


def test_every_field_type_is_filled_saved_edited_and_gets_a_file(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Data form")
    pid = project["id"]
    authors = make_models(client, root_headers, pid)
    visit(page, f"/projects/{project['slug']}/data/posts")
    page.get_by_role("heading", name="No records yet").wait_for()
    page.get_by_role("button", name="New record", exact=True).first.click()
    sheet = page.get_by_role("dialog", name="New record in Posts")
    form = sheet.get_by_test_id("record-form")
    form.wait_for()
    # Labels, descriptions and the required mark come from the model.
    assert field(page, "title").get_by_text("A short title").is_visible()
    assert form.get_by_label("Title").get_attribute("aria-required") == "true"
    assert "Chosen files are uploaded when the record is created." in field(page, "attachment").inner_text()
    assert field(page, "attachment").get_by_role("button", name="Upload…").is_enabled()

    # Required is checked here, without a request.
    form.get_by_role("button", name="Create record").click()
    field(page, "title").get_by_text("Required", exact=True).wait_for()
    assert records(client, root_headers, pid) == []

    form.get_by_label("Title").fill("A title far longer than twenty")
    # TipTap (HTML): text, bold, a bulleted list.
    body = field(page, "body").get_by_role("textbox")
    body.click()
    page.keyboard.type("Intro ")
    field(page, "body").get_by_role("button", name="Bold").click()
    page.keyboard.type("strong")
    field(page, "body").get_by_role("button", name="Bold").click()
    page.keyboard.press("Enter")
    field(page, "body").get_by_role("button", name="Bulleted list").click()
    page.keyboard.type("one")
    page.keyboard.press("Enter")
    page.keyboard.type("two")
    assert field(page, "body").get_by_role("button", name="Bulleted list").get_attribute("aria-pressed") == "true"
    page.keyboard.press("Shift+Home")  # "two" becomes a link
    field(page, "body").get_by_role("button", name="Link").click()
    page.get_by_label("Link address").fill("https://example.org/two")
    look(page, "data-form-link")
    page.keyboard.press("Enter")
    field(page, "body").get_by_role("link", name="two").wait_for()
    # TipTap (Markdown).
    field(page, "notes").get_by_role("textbox").click()
    page.keyboard.type("Plain ")
    field(page, "notes").get_by_role("button", name="Italic").click()
    page.keyboard.type("md")
    form.get_by_label("Summary").fill("Line 1\nLine 2")
    form.get_by_label("Views").fill("42")
    form.get_by_label("Rating").fill("2.5")
    assert field(page, "rating").get_by_test_id("slider-value-rating").inner_text() == "2.5"
    form.get_by_role("switch", name="Published").click()
    form.get_by_role("checkbox", name="Featured").click()
    form.get_by_label("Contact").fill("ann@example.org")
    form.get_by_label("Site").fill("https://example.org/a")
    form.get_by_label("Day").fill("2025-03-04")
    form.get_by_label("At", exact=True).fill("2025-03-04T10:30")
    form.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="live").click()
    field(page, "tags").get_by_label("news").check()
    field(page, "tags").get_by_label("fun").check()
    field(page, "color").get_by_label("green").check()
    # A ref: searched on the server by the referenced model's first string field.
    form.get_by_role("combobox", name="Author").click()
    search = page.get_by_role("dialog").get_by_placeholder("Search…")
    search.fill("bui")
    expect(page.get_by_role("option")).to_have_count(1)  # only the records matching `name ~ "bui"`
    look(page, "data-form-ref")
    page.get_by_role("option", name="Bob Builder").click()
    assert form.get_by_role("combobox", name="Author").inner_text().strip() == "Bob Builder"
    form.get_by_role("combobox", name="Reviewers").click()
    page.get_by_role("dialog").get_by_placeholder("Search…").fill("a")
    page.get_by_role("option", name="Carla Cruz").wait_for()
    page.get_by_role("option", name="Ann Author").click()
    page.get_by_role("option", name="Carla Cruz").click()
    page.keyboard.press("Escape")
    assert field(page, "reviewers").get_by_role("button", name="Remove Carla Cruz").is_visible()
    meta = form.get_by_label("Meta")
    type_json(page, "meta", '{"size": {"w": 3}')
    field(page, "meta").get_by_text("Not valid JSON").wait_for()  # checked while typing
    form.get_by_role("button", name="Create record").click()  # refused here, no request
    expect(meta).to_have_attribute("aria-invalid", "true")
    type_json(page, "meta", '{"size": {"w": 3}}')
    type_json(page, "extra", "[1, 2]")

    # The server's 422 lands on the field (the title's max length).
    browser_log.expect(422, f"/api/projects/{pid}/models/posts/records")
    form.get_by_role("button", name="Create record").click()
    field(page, "title").get_by_text("must be at most 20 characters").wait_for()
    title = form.get_by_label("Title")
    assert title.get_attribute("aria-invalid") == "true"
    assert title.evaluate("el => el === document.activeElement")
    look(page, "data-form-422")
    title.fill("Hello")
    assert title.get_attribute("aria-invalid") == "false"  # the refusal went with the edit
    form.get_by_role("button", name="Create record").click()
    page.get_by_text("Record created").wait_for()
    sheet.wait_for(state="hidden")  # a create closes the sheet; the record is in the table

    [stored] = records(client, root_headers, pid)
    assert stored["title"] == "Hello"
    assert re.fullmatch(r'<p>Intro <strong>strong</strong></p><ul><li><p>one</p></li><li><p><a [^>]*href="https://example.org/two"[^>]*>two</a></p></li></ul>', stored["body"]), stored["body"]
    assert stored["notes"] == "Plain *md*"
    assert stored["summary"] == "Line 1\nLine 2"
    assert stored["views"] == 42 and stored["rating"] == 2.5
    assert stored["published"] is True and stored["featured"] is True
    assert stored["contact"] == "ann@example.org" and stored["site"] == "https://example.org/a"
    assert stored["day"] == "2025-03-04" and stored["at"] == "2025-03-04T10:30:00.000Z"
    assert stored["status"] == "live" and stored["tags"] == ["news", "fun"] and stored["color"] == "green"
    assert stored["author"] == authors["Bob Builder"]
    assert stored["reviewers"] == [authors["Ann Author"], authors["Carla Cruz"]]
    assert stored["meta"] == {"size": {"w": 3}} and stored["extra"] == [1, 2]
    assert stored["attachment"] is None and stored["revision"] == 1

    # The saved record's edit form, opened from its row: the values as stored, the ref by its label; files now possible.
    row = page.locator(f"[data-testid=record-row][data-id='{stored['id']}']")
    row.locator("td[data-column=title]", has_text="Hello").click()
    sheet = page.get_by_role("dialog", name="Edit a record of Posts")
    form = sheet.get_by_test_id("record-form")
    form.get_by_role("button", name="Save changes").wait_for()
    assert stored["id"] in sheet.inner_text()
    assert form.get_by_label("Title").input_value() == "Hello"
    assert form.get_by_label("Views").input_value() == "42"
    assert field(page, "body").get_by_role("link", name="two").is_visible()
    assert form.get_by_role("combobox", name="Author").inner_text().strip() == "Bob Builder"
    assert field(page, "reviewers").get_by_role("button", name="Remove Ann Author").is_visible()
    assert form.get_by_label("At", exact=True).input_value() == "2025-03-04T10:30"
    page.get_by_test_id("file-input-attachment").set_input_files(files=[{"name": "notes v1.txt", "mimeType": "text/plain", "buffer": b"hello file"}])
    field(page, "attachment").get_by_test_id("record-file").filter(has_text=re.compile(r"notes_v1_\w+\.txt")).wait_for()
    [stored] = records(client, root_headers, pid)
    assert re.fullmatch(r"notes_v1_\w+\.txt", stored["attachment"]) and stored["revision"] == 2
    download = client.get(f"/api/projects/{pid}/models/posts/records/{stored['id']}/files/attachment/{stored['attachment']}", headers=root_headers)
    assert download.content == b"hello file"
    with page.expect_download() as fetched:  # through the bearer token, as a blob: URL
        field(page, "attachment").get_by_role("button", name=re.compile(r"Download notes_v1_")).click()
    assert fetched.value.suggested_filename == stored["attachment"]
    assert Path(fetched.value.path()).read_bytes() == b"hello file"
    look(page, "data-form-edit")

    # An edit sends only the changed fields, with the revision the form holds (2, after the upload).
    form.get_by_label("Views").fill("43")
    form.get_by_role("button", name="Save changes").click()
    page.get_by_text("Record saved").wait_for()
    sheet.wait_for(state="hidden")  # a save closes the sheet; the row shows the new value
    row.locator("td[data-column=views]", has_text="43").wait_for()
    [stored] = records(client, root_headers, pid)
    assert stored["views"] == 43 and stored["revision"] == 3 and stored["body"].startswith("<p>Intro")

    # Someone else saves meanwhile (the sheet open on revision 3): the form says so and reloads on demand.
    row.locator("td[data-column=title]").click()
    form.get_by_role("button", name="Save changes").wait_for()
    assert form.get_by_label("Views").input_value() == "43"
    changed = client.patch(f"/api/projects/{pid}/models/posts/records/{stored['id']}", json={"summary": "From elsewhere"}, headers=root_headers)
    assert changed.status_code == 200
    browser_log.expect(409, f"/api/projects/{pid}/models/posts/records/{stored['id']}")
    form.get_by_label("Views").fill("44")
    form.get_by_role("button", name="Save changes").click()
    alert = form.get_by_role("alert").filter(has_text="This record was changed meanwhile")
    alert.wait_for()
    alert.get_by_role("button", name="Reload").click()
    alert.wait_for(state="hidden")
    assert form.get_by_label("Summary").input_value() == "From elsewhere"
    assert form.get_by_label("Views").input_value() == "43"
    assert records(client, root_headers, pid)[0]["views"] == 43
    assert records(client, root_headers, pid)[0]["summary"] == "From elsewhere"

    # The file is removed from the edit form (a PATCH keeping no names).
    field(page, "attachment").get_by_role("button", name=re.compile(r"Remove notes_v1_")).click()
    field(page, "attachment").get_by_text("No files yet").wait_for()
    assert records(client, root_headers, pid)[0]["attachment"] is None

    [stored] = records(client, root_headers, pid)
    assert stored["revision"] == 5  # the upload, the edit, the PATCH from elsewhere, the removal
    look(page, "data-form-reloaded")

    # A unique clash on a new record: the server's 422 on the field; the sheet stays open.
    form.get_by_role("button", name="Cancel").click()
    sheet.wait_for(state="hidden")
    assert page.get_by_test_id("fresh-records").count() == 0  # the page's own create is in the table, not "new"
    page.get_by_role("button", name="New record", exact=True).click()
    sheet = page.get_by_role("dialog", name="New record in Posts")
    form = sheet.get_by_test_id("record-form")
    form.get_by_label("Title").fill("Hello")
    form.get_by_role("button", name="Create record").click()
    field(page, "title").get_by_text("must be unique: another record has this value").wait_for()
    assert form.get_by_label("Title").get_attribute("aria-invalid") == "true"
    assert sheet.is_visible()
    assert len(records(client, root_headers, pid)) == 1


def docs_records(client, headers, pid: str) -> list[dict]:
    answer = client.get(f"/api/projects/{pid}/models/docs/records", params={"sort": "created"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def overlaps(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def assert_toasts_clear_of(page, buttons) -> None:
    """Each shown toast keeps off each of these buttons (they are on screen)."""
    toasts = page.locator("[data-sonner-toast]")
    assert toasts.count() > 0
    for toast in toasts.all():
        box = toast.bounding_box()
        for button in buttons:
            target = button.bounding_box()
            assert target and target["y"] + target["height"] <= 800, target  # on screen
            assert not (box and overlaps(box, target)), (box, target)


def test_a_new_record_takes_files_chosen_before_its_first_save(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Data files")
    pid = project["id"]
    fields = [
        {"key": "title", "type": "string", "label": "Title"},
        {"key": "cover", "type": "file", "label": "Cover", "required": True, "options": {"mimeTypes": ["image/png"]}},
        {"key": "papers", "type": "file", "label": "Papers", "options": {"maxSelect": 3, "maxSize": 20}},
        # Enough text areas that the sheet scrolls and its buttons end up at its bottom edge.
        *({"key": f"note{n}", "type": "text", "label": f"Note {n}"} for n in range(1, 7)),
    ]
    made = client.post(f"/api/projects/{pid}/models", json={"name": "Docs", "slug": "docs", "fields": fields}, headers=root_headers)
    assert made.status_code == 201, made.text
    cover = png(8, 8)
    visit(page, f"/projects/{project['slug']}/data/docs")
    page.get_by_role("heading", name="No records yet").wait_for()

    # Files are chosen in the new record's form: listed as to upload, one taken back; nothing is sent yet.
    page.get_by_role("button", name="New record", exact=True).first.click()
    sheet = page.get_by_role("dialog", name="New record in Docs")
    form = sheet.get_by_test_id("record-form")
    form.get_by_label("Title").fill("First")
    page.get_by_test_id("file-input-cover").set_input_files(files=[{"name": "cover.png", "mimeType": "image/png", "buffer": cover}])
    page.get_by_test_id("file-input-papers").set_input_files(
        files=[{"name": "a.txt", "mimeType": "text/plain", "buffer": b"alpha"}, {"name": "b.txt", "mimeType": "text/plain", "buffer": b"beta"}]
    )
    assert field(page, "papers").get_by_test_id("pending-file").count() == 2
    assert field(page, "cover").get_by_test_id("pending-file").inner_text().startswith("cover.png")
    assert "on save" in field(page, "cover").inner_text()
    assert field(page, "cover").get_by_role("button", name="Replace…").is_enabled()
    field(page, "papers").get_by_role("button", name="Do not upload b.txt").click()
    expect(field(page, "papers").get_by_test_id("pending-file")).to_have_count(1)
    assert docs_records(client, root_headers, pid) == []
    look(page, "data-form-new-files")

    # One Save: the create with its files, one request; the sheet closes and the row shows the files.
    form.get_by_role("button", name="Create record").click()
    page.get_by_text("Record created", exact=True).wait_for()
    sheet.wait_for(state="hidden")
    [first] = docs_records(client, root_headers, pid)
    assert first["title"] == "First"
    assert re.fullmatch(r"cover_\w+\.png", first["cover"]), first
    assert len(first["papers"]) == 1 and re.fullmatch(r"a_\w+\.txt", first["papers"][0]), first
    assert first["revision"] == 1  # one write: the record came with its files
    files = f"/api/projects/{pid}/models/docs/records/{first['id']}/files"
    assert client.get(f"{files}/cover/{first['cover']}", headers=root_headers).content == cover
    assert client.get(f"{files}/papers/{first['papers'][0]}", headers=root_headers).content == b"alpha"
    row = page.locator(f"[data-testid=record-row][data-id='{first['id']}']")
    row.locator("td[data-column=papers]", has_text=first["papers"][0]).wait_for()

    # The next new record, while that toast still shows: it keeps off the sheet at the right edge
    # and so off its buttons, the Create at its bottom edge among them.
    page.get_by_role("button", name="New record", exact=True).first.click()
    sheet = page.get_by_role("dialog", name="New record in Docs")
    form = sheet.get_by_test_id("record-form")
    create = form.get_by_role("button", name="Create record")
    create.evaluate("el => el.scrollIntoView({block: 'end'})")
    assert create.bounding_box()["y"] > 700  # at the bottom, where toasts used to be
    assert_toasts_clear_of(page, [sheet, create, form.get_by_role("button", name="Cancel", exact=True), sheet.get_by_role("button", name="Close", exact=True)])

    # The cover is required: a create without one is refused on its field, and nothing is made.
    browser_log.expect(422, f"/api/projects/{pid}/models/docs/records")
    form.get_by_label("Title").fill("Second")
    create.click()
    field(page, "cover").get_by_text("cannot be blank").wait_for()
    # A refused file (a text file where only PNGs go): again nothing is made; the sheet stays on the
    # new record with the server's message on the field and the chosen files kept.
    page.get_by_test_id("file-input-cover").set_input_files(files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"}])
    assert field(page, "cover").get_by_text("cannot be blank").count() == 0  # a new choice clears it
    page.get_by_test_id("file-input-papers").set_input_files(files=[{"name": "c.txt", "mimeType": "text/plain", "buffer": b"gamma"}])
    create.click()
    field(page, "cover").get_by_text("notes.txt is text/plain, not one of image/png").wait_for()
    assert sheet.is_visible() and sheet.get_by_text("New record in Docs").is_visible()
    assert field(page, "papers").get_by_test_id("pending-file").inner_text().startswith("c.txt")
    assert field(page, "cover").get_by_role("button", name="Replace…").get_attribute("aria-invalid") == "true"
    assert len(docs_records(client, root_headers, pid)) == 1
    field(page, "cover").evaluate("el => el.scrollIntoView({block: 'center'})")
    look(page, "data-form-refused-file")
    # Another cover, and the same Save makes the record with both fields' files.
    page.get_by_test_id("file-input-cover").set_input_files(files=[{"name": "cover.png", "mimeType": "image/png", "buffer": cover}])
    assert field(page, "cover").get_by_text("notes.txt is text/plain").count() == 0
    create.click()
    sheet.wait_for(state="hidden")  # (the first toast may still show: its text is no sign of this create)
    second = docs_records(client, root_headers, pid)[1]
    assert second["title"] == "Second" and re.fullmatch(r"cover_\w+\.png", second["cover"]), second
    assert len(second["papers"]) == 1 and re.fullmatch(r"c_\w+\.txt", second["papers"][0]), second
    assert second["revision"] == 1

    # A saved record's files go in at once, checked by the server (too large: its message).
    page.locator(f"[data-testid=record-row][data-id='{second['id']}'] td[data-column=title]").click()
    sheet = page.get_by_role("dialog", name="Edit a record of Docs")
    form = sheet.get_by_test_id("record-form")
    browser_log.expect(422, "/files/papers")
    page.get_by_test_id("file-input-papers").set_input_files(files=[{"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * 50}])
    field(page, "papers").get_by_text("big.txt is larger than 20 bytes").wait_for()
    field(page, "papers").scroll_into_view_if_needed()
    look(page, "data-form-refused-upload")
    page.get_by_test_id("file-input-papers").set_input_files(files=[{"name": "d.txt", "mimeType": "text/plain", "buffer": b"delta"}])
    expect(field(page, "papers").get_by_test_id("record-file")).to_have_count(2)
    assert field(page, "papers").get_by_text("big.txt is larger").count() == 0
    form.get_by_label("Title").fill("Second, with more papers")
    form.get_by_role("button", name="Save changes").click()
    page.get_by_text("Record saved", exact=True).wait_for()
    sheet.wait_for(state="hidden")
    [_, second] = docs_records(client, root_headers, pid)
    assert second["title"] == "Second, with more papers" and len(second["papers"]) == 2


def preview_order(page) -> list[str]:
    return page.get_by_test_id("form-preview").locator("[data-field]").evaluate_all("els => els.map(el => el.dataset.field)")


def drag(page, source, target) -> None:
    """A pointer drag, in steps (dnd-kit starts a drag after the pointer moved 4 px)."""
    start = source.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2 + 10, steps=3)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2 - 4, steps=12)
    page.mouse.up()


def test_the_form_config_reorders_hides_and_picks_widgets_with_a_live_preview(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Data form config")
    pid = project["id"]
    make_models(client, root_headers, pid)
    open_page(page, f"/projects/{project['slug']}/data/posts/schema")
    page.get_by_role("tab", name="Form").click()
    page.get_by_test_id("form-preview").wait_for()
    assert page.get_by_role("button", name="Save", exact=True).is_disabled()  # nothing changed yet
    keys = [f["key"] for f in FIELDS]
    assert preview_order(page) == keys
    preview = page.get_by_test_id("form-preview")
    preview.locator('[data-field="body"] [data-testid="rich-text"]').wait_for()  # TipTap's chunk loads with the tab
    assert preview.locator('[data-field="body"] [data-testid="rich-text"]').count() == 1
    look(page, "data-form-config")

    # Drag views above title with the pointer.
    drag(page, page.get_by_role("button", name="Move Views"), page.get_by_role("button", name="Move Title"))
    page.wait_for_function("() => document.querySelector('[data-testid=form-preview] [data-field]').dataset.field === 'views'")
    assert preview_order(page)[:3] == ["views", "title", "body"]
    # And site up one with the keyboard (space, arrow up, space).
    keyboard_move(page, page.get_by_role("button", name="Move Site"), "Space", ["ArrowUp"])
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=form-preview] [data-field]')].map(e => e.dataset.field).indexOf('site') === 8")
    assert preview_order(page)[7:10] == ["featured", "site", "contact"]

    # Hide summary; body becomes a plain textarea, views a slider.
    page.get_by_role("switch", name="Show Summary in the form").click()
    assert "summary" not in preview_order(page)
    page.get_by_role("combobox", name="Widget of Body").click()
    page.get_by_role("option", name="Text area").click()
    preview.locator('[data-field="body"] textarea').wait_for()
    assert preview.locator('[data-field="body"] [data-testid="rich-text"]').count() == 0
    page.get_by_role("combobox", name="Widget of Views").click()
    page.get_by_role("option", name="Slider").click()
    assert preview.get_by_role("slider", name="Views").is_visible()
    # The preview's controls work, but nothing is sent.
    preview.get_by_label("Title").fill("Only a preview")
    preview.get_by_role("button", name="Create record").click()
    preview.get_by_text("The form passes its checks. Nothing is saved in a preview.").wait_for()
    assert records(client, root_headers, pid) == []
    look(page, "data-form-config-changed")

    page.get_by_test_id("unsaved").wait_for()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Posts saved", exact=True).wait_for()
    saved(page)
    model = client.get(f"/api/projects/{pid}/models/posts", headers=root_headers).json()
    order = ["views", "title", "body", "notes", "summary", "rating", "published", "featured", "site", "contact", *keys[10:]]
    assert model["form"]["order"] == order
    assert model["form"]["hidden"] == ["summary"]
    # A widget that is its type's default is not stored (body's textarea).
    assert model["form"]["widgets"] == {**{k: v for k, v in WIDGETS.items() if k != "body"}, "views": "slider"}

    # The records page's form follows the saved config: its order, summary left out, the widgets.
    visit(page, f"/projects/{project['slug']}/data/posts")
    page.get_by_role("button", name="New record", exact=True).first.click()
    form = page.get_by_role("dialog", name="New record in Posts").get_by_test_id("record-form")
    form.wait_for()
    assert form.locator("[data-field]").evaluate_all("els => els.map(el => el.dataset.field)") == [key for key in order if key != "summary"]
    assert form.locator('[data-field="body"] textarea').count() == 1
    assert form.get_by_role("slider", name="Views").is_visible()


def test_json_fields_are_edited_in_monaco_checked_and_saved_as_values(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Data form JSON")
    pid = project["id"]
    made = client.post(
        f"/api/projects/{pid}/models",
        json={"name": "Things", "slug": "things", "fields": [
            {"key": "name", "type": "string", "label": "Name"},
            {"key": "meta", "type": "document", "label": "Meta", "description": "Any JSON object", "required": True},
            {"key": "extra", "type": "json", "label": "Extra"},
        ], "form": {"widgets": {"meta": "json", "extra": "json"}}},
        headers=root_headers,
    )
    assert made.status_code == 201, made.text
    things = f"/api/projects/{pid}/models/things/records"
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.method) if request.method in ("POST", "PATCH") and "/models/things/records" in request.url else None)
    visit(page, f"/projects/{project['slug']}/data/things")
    page.get_by_role("heading", name="No records yet").wait_for()
    # The records page itself does not load Monaco: the form's JSON field does, when it is shown.
    assert page.evaluate("() => window.monaco === undefined && !performance.getEntriesByType('resource').some(e => /monaco/.test(e.name))")
    page.get_by_role("button", name="New record", exact=True).first.click()
    form = page.get_by_role("dialog", name="New record in Things").get_by_test_id("record-form")
    meta = form.get_by_label("Meta")
    expect(meta).to_be_attached()
    page.wait_for_function("() => window.monaco && window.monaco.editor.getEditors().length === 2")
    # The JSON language (its worker from this origin), the field's label, hint and required state on Monaco's input.
    assert field(page, "meta").get_by_test_id("json-editor").evaluate(
        "host => window.monaco.editor.getEditors().find(e => host.contains(e.getDomNode())).getModel().getLanguageId()"
    ) == "json"
    assert meta.evaluate("el => el.tagName") == "TEXTAREA" and meta.get_attribute("aria-required") == "true"
    hint = field(page, "meta").get_by_text("Any JSON object")
    assert hint.get_attribute("id") in meta.get_attribute("aria-describedby").split()
    field(page, "meta").locator("label").first.click()  # the label focuses the editor
    assert meta.evaluate("el => el === document.activeElement")

    # Invalid JSON: said while typing (and the JSON worker marks it).
    form.get_by_label("Name").fill("First")
    type_json(page, "extra", "[1, 2,")
    field(page, "extra").get_by_test_id("json-status").filter(has_text="Not valid JSON").wait_for()
    page.wait_for_function("() => window.monaco.editor.getModelMarkers({}).some(m => m.resource.path.endsWith('.json'))")
    # Create: the invalid field's error and a required blank one's, the first of them focused; nothing is sent.
    form.get_by_role("button", name="Create record").click()
    field(page, "meta").get_by_text("Required", exact=True).wait_for()
    expect(meta).to_be_focused()
    error = field(page, "extra").get_by_role("alert")
    expect(error).to_contain_text("Not valid JSON")
    extra = form.get_by_label("Extra")
    expect(extra).to_have_attribute("aria-invalid", "true")
    assert error.get_attribute("id") in extra.get_attribute("aria-describedby").split()
    assert field(page, "extra").get_by_test_id("json-status").inner_text() == ""  # the error under the field says it
    assert sent == [] and client.get(things, headers=root_headers).json()["items"] == []
    look(page, "data-form-json-invalid")

    # Typed key by key (Monaco closes brackets and quotes, and types over them): an object.
    page.keyboard.type('{"size": {"w": 3}, "tags": ["a", "b"]}')
    assert json_text(page, "meta") == '{"size": {"w": 3}, "tags": ["a", "b"]}'
    field(page, "meta").get_by_test_id("json-status").filter(has_text="Valid JSON").wait_for()
    expect(field(page, "meta").get_by_text("Required", exact=True)).to_be_hidden()
    # Tab leaves the editor (no tab character typed): the field's Format button, then the next field.
    page.keyboard.press("Tab")
    expect(field(page, "meta").get_by_role("button", name="Format")).to_be_focused()
    assert json_text(page, "meta") == '{"size": {"w": 3}, "tags": ["a", "b"]}'
    page.keyboard.press("Tab")
    expect(extra).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(meta).to_be_focused()
    # Format (the JSON service's formatter): two-space indents, lines; the editor grows with them.
    before = field(page, "meta").get_by_test_id("json-editor").bounding_box()["height"]
    field(page, "meta").get_by_role("button", name="Format").click()
    page.wait_for_function("() => window.monaco.editor.getEditors().some(e => e.getValue().startsWith('{\\n  \"size\"'))")
    expect(meta).to_be_focused()
    page.wait_for_function(f"() => document.querySelector('[data-field=meta] [data-testid=json-editor]').getBoundingClientRect().height > {before}")
    assert json_text(page, "meta") == '{\n  "size": {\n    "w": 3\n  },\n  "tags": [\n    "a",\n    "b"\n  ]\n}'
    assert sent == []

    # Fixed: saved as JSON values, not as strings.
    type_json(page, "extra", '[1, 2, {"deep": null}]')
    field(page, "extra").get_by_test_id("json-status").filter(has_text="Valid JSON").wait_for()
    expect(error).to_be_hidden()
    look(page, "data-form-json-valid")
    form.get_by_role("button", name="Create record").click()
    page.get_by_text("Record created").wait_for()
    assert sent == ["POST"]
    [stored] = client.get(things, headers=root_headers).json()["items"]
    assert stored["meta"] == {"size": {"w": 3}, "tags": ["a", "b"]}
    assert stored["extra"] == [1, 2, {"deep": None}]

    # The edit form shows what is stored, indented; an edit sends the new value (a PATCH of that field).
    page.locator(f"[data-testid=record-row][data-id='{stored['id']}'] td[data-column=name]").click()
    form = page.get_by_role("dialog", name="Edit a record of Things").get_by_test_id("record-form")
    form.get_by_role("button", name="Save changes").wait_for()
    page.wait_for_function("() => window.monaco.editor.getEditors().length === 2")
    assert json_text(page, "meta") == '{\n  "size": {\n    "w": 3\n  },\n  "tags": [\n    "a",\n    "b"\n  ]\n}'
    type_json(page, "meta", '{"size": {"w": 4}}')
    form.get_by_role("button", name="Save changes").click()
    page.get_by_text("Record saved").wait_for()
    assert sent == ["POST", "PATCH"]
    [stored] = client.get(things, headers=root_headers).json()["items"]
    assert stored["meta"] == {"size": {"w": 4}} and stored["extra"] == [1, 2, {"deep": None}]
