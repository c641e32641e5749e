"""The data store's models page and schema editor: a model with every field type made through the
UI, drag (pointer and keyboard) to reorder, a key renamed on a model with records (the values
move), the server's 422 on a bad default and its 409 on a refused type change, the table config,
the unsaved guard, and deleting models (a ref from another model refuses it)."""

from __future__ import annotations

import re

from .test_projects import make_project
from .ui_support import look, open_page


def make_model(client, headers, project, name: str, slug: str, fields=(), **extra) -> dict:
    response = client.post(f"/api/projects/{project['id']}/models", json={"name": name, "slug": slug, "fields": list(fields), **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def get_model(client, headers, project, slug: str) -> dict:
    response = client.get(f"/api/projects/{project['id']}/models/{slug}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def records(client, headers, project, slug: str) -> list[dict]:
    response = client.get(f"/api/projects/{project['id']}/models/{slug}/records", params={"sort": "created"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def card(page, key: str):
    return page.locator(f'[data-testid="field-card"][data-key="{key}"]')


def add_field(page, type_label: str, key: str):
    """Add a field of a type by the "Add field" menu and give it its key; answers its card (open)."""
    page.get_by_role("button", name="Add field").last.click()
    page.get_by_role("menuitem", name=type_label, exact=True).click()
    new = page.get_by_test_id("field-card").last
    new.get_by_label("Key", exact=True).fill(key)
    return card(page, key)


def pick(page, combobox, option: str | re.Pattern) -> None:
    combobox.click()
    page.get_by_role("option", name=option, exact=isinstance(option, str)).click()


def save(page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()


def saved(page) -> None:
    page.get_by_test_id("unsaved").wait_for(state="detached")


def drag(page, handle, target, below: bool = True) -> None:
    """A pointer drag of a handle onto a target, in small steps (dnd-kit starts after 4 px)."""
    start = handle.bounding_box()
    end = target.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 8, steps=4)
    page.mouse.move(x, end["y"] + end["height"] * (0.8 if below else 0.2), steps=20)
    page.mouse.up()


def keyboard_move(page, handle, pick_key: str, arrows: list[str]) -> None:
    """Pick up with Space or Enter, move with the arrows, drop with the same key (each step waits for the
    announcement dnd-kit makes in its live region, so no key arrives before the move it follows)."""
    handle.focus()
    live = page.locator("[role=status][aria-live=assertive]").first
    page.keyboard.press(pick_key)
    page.wait_for_function("(el) => el.getAttribute('aria-pressed') === 'true'", arg=handle.element_handle())
    page.wait_for_function("(el) => el.textContent !== ''", arg=live.element_handle())
    for arrow in arrows:
        before = live.inner_text()
        page.keyboard.press(arrow)
        page.wait_for_function("([el, before]) => el.textContent !== before", arg=[live.element_handle(), before])
    page.keyboard.press(pick_key)
    page.wait_for_function("(el) => el.textContent.includes('dropped')", arg=live.element_handle())


def keys_shown(page) -> list[str]:
    return page.get_by_test_id("field-card").evaluate_all("cards => cards.map(c => c.dataset.key)")


def test_models_page_new_model_dialog_and_delete(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Models")
    open_page(page, f"/projects/{project['slug']}/data")
    page.get_by_role("heading", name="No models yet").wait_for()
    look(page, "data-models-empty")

    page.get_by_role("button", name="New model").click()
    dialog = page.get_by_role("dialog", name="New model")
    dialog.get_by_label("Name").fill("Blog posts")
    assert dialog.get_by_label("Slug").input_value() == "blog_posts"  # suggested from the name
    dialog.get_by_label("Slug").fill("9posts")
    dialog.get_by_text("A letter, then letters, digits and _ (at most 64)").wait_for()  # zod, no request
    dialog.get_by_label("Slug").fill("class")  # the pattern fits; the server knows reserved words
    browser_log.expect(422, f"/api/projects/{project['id']}/models")
    dialog.get_by_role("button", name="Create").click()
    dialog.get_by_text("must be a JavaScript identifier").wait_for()
    assert dialog.get_by_label("Slug").get_attribute("aria-invalid") == "true"
    look(page, "data-models-new-422")
    dialog.get_by_label("Slug").fill("posts")
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/data/posts/schema$"))
    page.get_by_role("heading", name="No fields yet").wait_for()

    # A ref from posts to authors: authors cannot go while it points there.
    authors = make_model(client, root_headers, project, "Authors", "authors", [{"key": "name", "type": "string"}])
    client.patch(f"/api/projects/{project['id']}/models/posts", json={"fields": [{"key": "author", "type": "ref", "options": {"model": "authors"}}]}, headers=root_headers).raise_for_status()
    open_page(page, f"/projects/{project['slug']}/data")
    page.get_by_test_id("model-row-posts").wait_for()
    assert page.get_by_test_id("model-row-authors").get_by_test_id("field-count").inner_text() == "1"
    look(page, "data-models")

    page.get_by_role("button", name="Delete Authors").click()
    confirm = page.get_by_role("alertdialog")
    delete = confirm.get_by_role("button", name="Delete")
    assert delete.is_disabled()  # the slug is typed first
    confirm.get_by_label("Type authors to confirm").fill("authors")
    browser_log.expect(409, f"/api/projects/{project['id']}/models/{authors['id']}")
    delete.click()
    confirm.get_by_test_id("delete-refused").filter(has_text="posts.author refers to authors").wait_for()
    look(page, "data-models-delete-409")
    confirm.get_by_role("button", name="Cancel").click()
    assert client.get(f"/api/projects/{project['id']}/models/authors", headers=root_headers).status_code == 200

    page.get_by_role("button", name="Delete Blog posts").click()
    confirm = page.get_by_role("alertdialog")
    confirm.get_by_label("Type posts to confirm").fill("posts")
    confirm.get_by_role("button", name="Delete").click()
    page.get_by_test_id("model-row-posts").wait_for(state="detached")
    assert [m["slug"] for m in client.get(f"/api/projects/{project['id']}/models", headers=root_headers).json()] == ["authors"]
    # The links of a row: its records and its schema.
    page.get_by_role("link", name="Schema of Authors").click()
    page.wait_for_url(re.compile(r"/data/authors/schema$"))
    page.locator("#main").get_by_role("link", name="Records").click()  # not a project named "Records" in the sidebar
    page.wait_for_url(re.compile(r"/data/authors$"))


def test_a_model_with_every_field_type_and_reorder_by_drag(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Every type")
    make_model(client, root_headers, project, "Authors", "authors", [{"key": "name", "type": "string"}])
    make_model(client, root_headers, project, "Posts", "posts")
    open_page(page, f"/projects/{project['slug']}/data/posts/schema")
    page.get_by_role("heading", name="No fields yet").wait_for()

    title = add_field(page, "String", "title")
    title.get_by_label("Label", exact=True).fill("Title")
    title.get_by_label("Required", exact=True).click()
    title.get_by_label("Min length").fill("2")
    title.get_by_label("Max length").fill("80")
    title.get_by_label("Pattern").fill("[A-Z].*")
    title.get_by_label("Unique").click()
    title.get_by_label("Default", exact=True).fill("Untitled")

    body = add_field(page, "Text", "body")
    body.get_by_label("Max length").fill("5000")
    body.get_by_label("Default", exact=True).fill("Hello")

    views = add_field(page, "Number", "views")
    views.get_by_label("Minimum").fill("0")
    views.get_by_label("Maximum").fill("1000000")
    views.get_by_label("Default", exact=True).fill("5")

    score = add_field(page, "Float", "score")
    score.get_by_label("Minimum").fill("0")
    score.get_by_label("Maximum").fill("1")
    score.get_by_label("Unique").click()
    score.get_by_label("Default", exact=True).fill("0.5")

    published = add_field(page, "Bool", "published")
    published.get_by_label("Nullable", exact=True).click()
    published.get_by_role("switch", name="Default").click()
    assert published.get_by_test_id("bool-default").inner_text() == "true"

    contact = add_field(page, "Email", "contact")
    contact.get_by_label("Max length").fill("120")
    contact.get_by_label("Default", exact=True).fill("team@example.org")

    site = add_field(page, "URL", "site")
    site.get_by_label("Default", exact=True).fill("https://example.org")

    day = add_field(page, "Date", "day")
    day.get_by_label("Default", exact=True).fill("2025-01-31")

    at = add_field(page, "Date and time", "at")
    at.get_by_label("Default", exact=True).fill("2025-01-31T10:30")

    status = add_field(page, "Select", "status")
    for value in ("draft", "live", "gone"):
        status.get_by_label("Values").fill(value)
        status.get_by_label("Values").press("Enter")
    status.get_by_role("button", name="Remove the value gone").click()
    pick(page, status.get_by_role("combobox", name="Default"), "draft")

    tags = add_field(page, "Select", "tags")
    for value in ("news", "tech"):
        tags.get_by_label("Values").fill(value)
        tags.get_by_role("button", name="Add", exact=True).click()
    tags.get_by_label("Max selected").fill("2")
    tags.get_by_role("group", name="Default").get_by_text("tech").click()

    author = add_field(page, "Reference", "author")
    pick(page, author.get_by_role("combobox", name="Model"), re.compile("^Authors"))
    author.get_by_label("Cascade delete").click()
    author.get_by_text("Reference fields take no default.").wait_for()

    cover = add_field(page, "File", "cover")
    cover.get_by_label("Max file size").fill("1000000")
    cover.get_by_label("MIME types").fill("image/*, application/pdf")
    cover.get_by_label("Max files").fill("2")

    meta = add_field(page, "Document", "meta")
    meta.get_by_label("Max size").fill("4096")
    meta.get_by_label("Default", exact=True).fill('{"a": 1, ')

    extra = add_field(page, "JSON", "extra")
    extra.get_by_label("Default", exact=True).fill("[1, 2]")

    save(page)  # refused here: meta's default is not JSON (no request)
    meta.get_by_text("Not valid JSON").wait_for()
    meta.get_by_label("Default", exact=True).fill('{"a": 1}')
    page.get_by_test_id("unsaved").wait_for()
    look(page, "data-model-fields")
    save(page)
    saved(page)

    model = get_model(client, root_headers, project, "posts")
    fields = {field["key"]: field for field in model["fields"]}
    assert [field["key"] for field in model["fields"]] == [
        "title", "body", "views", "score", "published", "contact", "site", "day", "at", "status", "tags", "author", "cover", "meta", "extra",
    ]
    assert {key: field["type"] for key, field in fields.items()} == {
        "title": "string", "body": "text", "views": "number", "score": "float", "published": "bool", "contact": "email",
        "site": "url", "day": "date", "at": "datetime", "status": "select", "tags": "select", "author": "ref", "cover": "file",
        "meta": "document", "extra": "json",
    }
    assert fields["title"]["label"] == "Title" and fields["title"]["required"] is True
    assert fields["title"]["options"] == {"min": 2, "max": 80, "pattern": "[A-Z].*", "unique": True}
    assert fields["body"]["options"] == {"max": 5000}
    assert fields["views"]["options"] == {"min": 0, "max": 1000000, "unique": False}
    assert fields["score"]["options"] == {"min": 0, "max": 1, "unique": True}
    assert fields["published"]["nullable"] is False
    assert fields["status"]["options"] == {"values": ["draft", "live"], "maxSelect": 1}
    assert fields["tags"]["options"] == {"values": ["news", "tech"], "maxSelect": 2}
    assert fields["author"]["options"] == {"model": "authors", "maxSelect": 1, "cascadeDelete": True}
    assert fields["cover"]["options"] == {"maxSize": 1000000, "mimeTypes": ["image/*", "application/pdf"], "maxSelect": 2}
    assert fields["meta"]["options"] == {"maxSize": 4096}
    assert {key: field["default"] for key, field in fields.items()} == {
        "title": "Untitled", "body": "Hello", "views": 5, "score": 0.5, "published": True, "contact": "team@example.org",
        "site": "https://example.org", "day": "2025-01-31", "at": "2025-01-31T10:30:00.000Z", "status": "draft", "tags": ["tech"],
        "author": None, "cover": None, "meta": {"a": 1}, "extra": [1, 2],
    }
    # A new field is a column of the table too.
    assert model["table"]["columns"][-2:] == ["meta", "extra"]

    # Reorder: a pointer drag of title below views, then the keyboard (Space, ArrowUp, Space) moves extra up one.
    open_page(page, f"/projects/{project['slug']}/data/posts/schema")
    drag(page, page.get_by_role("button", name="Move the field title", exact=True), card(page, "views"))
    page.wait_for_function("() => document.querySelector('[data-testid=field-card]').dataset.key === 'body'")
    assert keys_shown(page)[:3] == ["body", "views", "title"]
    handle = page.get_by_role("button", name="Move the field extra", exact=True)
    keyboard_move(page, handle, "Space", ["ArrowUp"])
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=field-card]')].at(-1).dataset.key === 'meta'")
    page.get_by_test_id("unsaved").wait_for()
    save(page)
    saved(page)
    order = [field["key"] for field in get_model(client, root_headers, project, "posts")["fields"]]
    assert order[:3] == ["body", "views", "title"] and order[-2:] == ["extra", "meta"]


def test_rename_on_a_model_with_records_and_the_servers_refusals_on_the_field(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Renames")
    model = make_model(client, root_headers, project, "Notes", "notes", [{"key": "title", "type": "string"}, {"key": "code", "type": "string"}])
    base = f"/api/projects/{project['id']}/models/notes/records"
    for title, code in (("first", "12"), ("second", "abc"), ("third", "7")):
        assert client.post(base, json={"title": title, "code": code}, headers=root_headers).status_code == 201
    bad = records(client, root_headers, project, "notes")[1]["id"]
    open_page(page, f"/projects/{project['slug']}/data/notes/schema")

    # Rename title -> headline: a warning says the values move, and they do.
    card(page, "title").get_by_label("Key", exact=True).fill("headline")
    card(page, "headline").get_by_test_id("rename-warning").filter(has_text="values of every record move from title to headline").wait_for()
    page.get_by_test_id("unsaved").wait_for()
    look(page, "data-model-rename")
    save(page)
    saved(page)
    assert [field["key"] for field in get_model(client, root_headers, project, "notes")["fields"]] == ["headline", "code"]
    stored = records(client, root_headers, project, "notes")
    assert [record["headline"] for record in stored] == ["first", "second", "third"]
    assert all("title" not in record for record in stored)
    assert card(page, "headline").get_by_test_id("rename-warning").count() == 0  # saved: no longer a rename

    # code -> number: "abc" does not convert; the 409 (count and a sample id) is shown on the field.
    code = card(page, "code")
    code.get_by_role("button", name="Open the field code").click()
    pick(page, code.get_by_role("combobox", name="Type"), "Number")
    code.get_by_text("every value is converted").wait_for()
    browser_log.expect(409, f"/api/projects/{project['id']}/models/{model['id']}")
    save(page)
    code.get_by_text(f"1 records hold a code value that does not fit it as a number field (e.g. record {bad})").wait_for()
    assert code.get_by_role("combobox", name="Type").get_attribute("aria-invalid") == "true"
    look(page, "data-model-409")
    assert get_model(client, root_headers, project, "notes")["fields"][1]["type"] == "string"  # nothing written
    pick(page, code.get_by_role("combobox", name="Type"), "String")
    page.get_by_test_id("unsaved").wait_for(state="detached")  # back to the saved type: nothing to save

    # A default that does not fit its field: the server's 422 `fields.2.default` under that default.
    count = add_field(page, "Number", "count")
    count.get_by_label("Minimum").fill("10")
    count.get_by_label("Default", exact=True).fill("5")
    browser_log.expect(422, f"/api/projects/{project['id']}/models/{model['id']}")
    save(page)
    count.get_by_text(re.compile(r"^the default .*\(validation_min_number_constraint\)$")).wait_for()
    assert count.get_by_label("Default", exact=True).get_attribute("aria-invalid") == "true"
    page.get_by_role("tab", name=re.compile("^Fields.*1 error$")).wait_for()
    look(page, "data-model-422")
    count.get_by_label("Default", exact=True).fill("12")
    assert count.get_by_label("Default", exact=True).get_attribute("aria-invalid") == "false"  # the refusal went with the edit
    save(page)
    saved(page)
    assert [record["count"] for record in records(client, root_headers, project, "notes")] == [12, 12, 12]


def test_table_config_is_saved_and_previewed(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Tables")
    make_model(
        client, root_headers, project, "Tasks", "tasks",
        [{"key": "title", "type": "string"}, {"key": "points", "type": "number"}, {"key": "meta", "type": "document"}, {"key": "done", "type": "bool"}],
        table={"columns": ["id", "title"], "filterable": [], "sortable": [], "defaultSort": "", "pageSize": 30},
    )
    open_page(page, f"/projects/{project['slug']}/data/tasks/schema")
    page.get_by_role("tab", name="Table").click()
    page.get_by_role("checkbox", name="Show id as a column").click()  # off
    page.get_by_role("checkbox", name="Show points as a column").click()
    page.get_by_role("checkbox", name="Show created as a column").click()
    page.get_by_role("checkbox", name="Filter by title").click()
    page.get_by_role("checkbox", name="Filter by done").click()
    page.get_by_role("checkbox", name="Sort by points").click()
    page.get_by_role("checkbox", name="Sort by created").click()
    assert page.get_by_role("checkbox", name="Sort by meta").is_disabled()  # a document does not sort
    pick(page, page.get_by_role("combobox", name="Default sort field"), "points")
    pick(page, page.get_by_role("combobox", name="Direction"), "Descending")
    page.get_by_label("Page size").fill("50")
    # Column order by keyboard: created (last) moves to the front.
    chip = page.get_by_role("button", name="Move the column created")
    keyboard_move(page, chip, "Enter", ["ArrowLeft", "ArrowLeft"])
    preview = page.get_by_test_id("table-preview")
    page.wait_for_function("() => document.querySelector('[data-testid=table-preview] th')?.textContent === 'created'")
    assert preview.locator("th").all_inner_texts() == ["created", "title", "points"]
    preview.get_by_text("50 records a page").wait_for()
    preview.locator("th", has_text="points").get_by_label("Descending").wait_for()
    look(page, "data-model-table")
    save(page)
    saved(page)
    table = get_model(client, root_headers, project, "tasks")["table"]
    assert table == {"columns": ["created", "title", "points"], "filterable": ["title", "done"], "sortable": ["points", "created"], "defaultSort": "-points", "pageSize": 50}

    # The Form tab holds the form editor of the draft (form-config-editor.tsx, the form part's).
    page.get_by_role("tab", name="Form").click()
    page.get_by_role("tabpanel", name="Form").wait_for(state="attached")


def test_leaving_with_unsaved_changes_asks_first(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Guard")
    make_model(client, root_headers, project, "Items", "items", [{"key": "name", "type": "string"}])
    open_page(page, f"/projects/{project['slug']}/data/items/schema")
    page.get_by_label("Name", exact=True).fill("Things")
    page.get_by_test_id("unsaved").wait_for()
    page.locator("#main").get_by_role("link", name="Records").click()  # not a project named "Records" in the sidebar
    guard = page.get_by_role("alertdialog", name="Leave without saving?")
    guard.get_by_role("button", name="Cancel").click()
    assert page.url.endswith("/data/items/schema")
    page.keyboard.press("Control+s")
    saved(page)
    assert get_model(client, root_headers, project, "items")["name"] == "Things"
    page.locator("#main").get_by_role("link", name="Records").click()  # not a project named "Records" in the sidebar
    page.wait_for_url(re.compile(r"/data/items$"))


def test_a_model_that_is_not_there_is_an_error_with_a_retry(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Missing")
    browser_log.expect(404, f"/api/projects/{project['id']}/models/nope")
    open_page(page, f"/projects/{project['slug']}/data/nope/schema")
    alert = page.get_by_role("alert").filter(has_text="This could not be loaded")
    alert.get_by_text("model not found").wait_for()
    alert.get_by_role("button", name="Try again").wait_for()
