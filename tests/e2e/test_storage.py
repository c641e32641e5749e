"""The project's storage page: uploads (button and drop, with progress), thumbnails, folders,
the text editor, rename/move/copy/delete, sort/search/paging, downloads and direct links."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from .test_projects import make_project
from .ui_support import assert_valid_lists, look, open_page


def png(width: int = 64, height: int = 40, color=(220, 40, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def put(client, headers, project, path: str, data: bytes | str) -> None:
    response = client.put(f"/api/projects/{project['id']}/storage/content", params={"path": path}, content=data, headers=headers)
    assert response.status_code in (200, 201), response.text


def listing(client, headers, project, path: str = "") -> list[str]:
    response = client.get(f"/api/projects/{project['id']}/storage", params={"path": path}, headers=headers)
    assert response.status_code == 200, response.text
    return [entry["name"] for entry in response.json()["entries"]]


def content(client, headers, project, path: str) -> bytes:
    response = client.get(f"/api/projects/{project['id']}/storage/content", params={"path": path}, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def entry_action(page, name: str, action: str) -> None:
    page.get_by_role("button", name=f"Actions for {name}").click()
    page.get_by_role("menuitem", name=action).click()


def drop_files(page, files: dict[str, str]) -> None:
    """Drag files from the desktop onto the page, as a person would (a DataTransfer with Files)."""
    transfer = page.evaluate_handle(
        "(files) => { const data = new DataTransfer();"
        " for (const [name, text] of Object.entries(files)) data.items.add(new File([text], name, {type: 'text/plain'}));"
        " return data; }",
        files,
    )
    zone = page.get_by_test_id("storage-drop")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    page.get_by_text("Drop files to upload them to").wait_for()
    zone.dispatch_event("drop", {"dataTransfer": transfer})


def test_upload_by_button_and_drop_with_thumbnails_folders_and_breadcrumbs(root_page, client, root_headers, tmp_path):
    page = root_page
    project = make_project(client, root_headers, "Files")
    open_page(page, f"/projects/{project['slug']}/storage")
    page.get_by_role("heading", name="This folder is empty").wait_for()
    look(page, "storage-empty")

    (tmp_path / "photo.png").write_bytes(png())
    (tmp_path / "readme.md").write_text("# Hello\n")
    page.get_by_test_id("upload-input").set_input_files([str(tmp_path / "photo.png"), str(tmp_path / "readme.md")])
    page.locator("[data-testid=upload][data-state=done]").nth(1).wait_for()
    assert page.get_by_role("progressbar", name="photo.png").get_attribute("aria-valuenow") == "100"
    thumb = page.get_by_test_id("entry-photo.png").get_by_test_id("thumb")
    thumb.wait_for()
    page.wait_for_function("el => el.complete && el.naturalWidth === 100", arg=thumb.element_handle())
    assert sorted(listing(client, root_headers, project)) == ["photo.png", "readme.md"]
    assert content(client, root_headers, project, "readme.md") == b"# Hello\n"

    # A new folder (the seed answered this with "Path required").
    page.get_by_role("button", name="New folder").click()
    dialog = page.get_by_role("dialog", name="New folder")
    dialog.get_by_label("Name").fill("docs")
    dialog.get_by_role("button", name="Create").click()
    page.get_by_test_id("entry-docs").wait_for()
    rows = page.locator("tbody tr").evaluate_all("rows => rows.map(row => row.dataset.testid)")
    assert rows == ["entry-docs", "entry-photo.png", "entry-readme.md"]  # folders first
    look(page, "storage")

    page.get_by_test_id("entry-docs").get_by_role("button", name="docs", exact=True).click()
    page.get_by_role("heading", name="This folder is empty").wait_for()
    assert "path=docs" in page.url
    drop_files(page, {"a.txt": "alpha", "b.txt": "beta"})
    page.get_by_test_id("entry-b.txt").wait_for()
    assert listing(client, root_headers, project, "docs") == ["a.txt", "b.txt"]
    assert content(client, root_headers, project, "docs/b.txt") == b"beta"
    assert_valid_lists(page)
    look(page, "storage-folder")

    page.get_by_role("navigation", name="Folder").get_by_role("link", name="Storage").click()
    page.get_by_test_id("entry-docs").wait_for()
    page.get_by_role("button", name="Grid view").click()
    page.locator("li[data-testid=entry-photo\\.png] [data-testid=thumb]").wait_for()
    look(page, "storage-grid")

    page.get_by_role("button", name="photo.png", exact=True).click()
    preview = page.get_by_role("dialog", name="photo.png")
    image = preview.get_by_test_id("preview-image")
    image.wait_for()
    page.wait_for_function("el => el.complete && el.naturalWidth === 64", arg=image.element_handle())
    look(page, "storage-preview")


def test_upload_can_be_cancelled_and_a_refusal_is_shown(root_page, client, root_headers, tmp_path, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Uploads")
    open_page(page, f"/projects/{project['slug']}/storage")
    # The server refuses a name with a control character: the upload says why, nothing is stored.
    browser_log.expect(422, f"/api/projects/{project['id']}/storage/files")
    page.get_by_test_id("upload-input").set_input_files([{"name": "bad\u0001name.txt", "mimeType": "text/plain", "buffer": b"x"}])
    failed = page.locator("[data-testid=upload][data-state=failed]")
    failed.wait_for()
    assert "control character" in failed.inner_text()
    # A large upload throttled by the network is cancelled mid-way.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 200_000})
    (tmp_path / "big.bin").write_bytes(b"\0" * 3_000_000)
    page.get_by_test_id("upload-input").set_input_files(str(tmp_path / "big.bin"))
    page.locator("[data-testid=upload][data-state=uploading]").wait_for()
    page.wait_for_function("() => Number(document.querySelector('[role=progressbar][aria-label=\"big.bin\"]').getAttribute('aria-valuenow')) > 0")
    look(page, "storage-uploading")
    page.get_by_role("button", name="Cancel the upload of big.bin").click()
    page.locator("[data-testid=upload][data-state=cancelled]").wait_for()
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert listing(client, root_headers, project) == []
    page.get_by_role("button", name="Clear finished").click()
    page.get_by_test_id("upload").first.wait_for(state="detached")


def test_text_files_are_created_and_edited_with_ctrl_s(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Texts")
    put(client, root_headers, project, "config.json", '{"a": 1}')
    open_page(page, f"/projects/{project['slug']}/storage")

    page.get_by_role("button", name="New text file").click()
    dialog = page.get_by_role("dialog", name="New text file")
    dialog.get_by_label("Name").fill("todo.md")
    dialog.get_by_role("button", name="Create").click()
    editor = page.get_by_role("dialog", name="todo.md")
    area = editor.get_by_label("Contents of todo.md")
    area.fill("- write the bot\n- ship it\n")
    editor.get_by_text("Unsaved").wait_for()
    look(page, "storage-editor")
    area.press("Control+s")
    editor.get_by_text("Unsaved").wait_for(state="hidden")
    assert content(client, root_headers, project, "todo.md") == b"- write the bot\n- ship it\n"
    page.keyboard.press("Escape")
    editor.wait_for(state="hidden")

    # An existing file opens with its text; leaving with unsaved changes asks first.
    page.get_by_role("button", name="config.json", exact=True).click()
    editor = page.get_by_role("dialog", name="config.json")
    area = editor.get_by_label("Contents of config.json")
    assert area.input_value() == '{"a": 1}'
    area.fill('{"a": 2}')
    page.keyboard.press("Escape")
    page.get_by_role("alertdialog", name="Discard the changes?").get_by_role("button", name="Cancel").click()
    assert area.input_value() == '{"a": 2}'  # still there
    editor.get_by_role("button", name="Save").click()
    editor.get_by_text("Unsaved").wait_for(state="hidden")
    assert content(client, root_headers, project, "config.json") == b'{"a": 2}'
    area.fill("changed, not kept")
    page.keyboard.press("Escape")
    page.get_by_role("alertdialog").get_by_role("button", name="Discard").click()
    editor.wait_for(state="hidden")
    assert content(client, root_headers, project, "config.json") == b'{"a": 2}'


def test_rename_move_copy_and_delete_with_confirmation(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Moves")
    put(client, root_headers, project, "report.txt", "r")
    put(client, root_headers, project, "other.txt", "o")
    put(client, root_headers, project, "archive/keep.txt", "k")
    open_page(page, f"/projects/{project['slug']}/storage")

    entry_action(page, "report.txt", "Rename")
    dialog = page.get_by_role("dialog", name="Rename report.txt")
    field = dialog.get_by_label("New name")
    # The name is selected without its extension.
    assert field.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)") == "report"
    browser_log.expect(409, f"/api/projects/{project['id']}/storage/move")
    field.fill("other.txt")
    dialog.get_by_role("button", name="Rename").click()
    dialog.get_by_text("other.txt exists").wait_for()  # the server's 409 on the field
    assert field.get_attribute("aria-invalid") == "true"
    field.fill("report-2026.txt")
    dialog.get_by_role("button", name="Rename").click()
    page.get_by_test_id("entry-report-2026.txt").wait_for()

    entry_action(page, "report-2026.txt", "Copy")
    dialog = page.get_by_role("dialog", name="Copy report-2026.txt")
    assert dialog.get_by_label("Path of the copy").input_value() == "report-2026 copy.txt"
    dialog.get_by_role("button", name="Copy").click()
    page.get_by_test_id("entry-report-2026 copy.txt").wait_for()

    entry_action(page, "report-2026.txt", "Move")
    dialog = page.get_by_role("dialog", name="Move report-2026.txt")
    dialog.get_by_label("Folder").fill("archive")
    dialog.get_by_role("button", name="Move").click()
    page.get_by_test_id("entry-report-2026.txt").wait_for(state="detached")
    assert listing(client, root_headers, project, "archive") == ["keep.txt", "report-2026.txt"]

    # Several at once: select, then delete with confirmation.
    page.get_by_role("checkbox", name="Select other.txt").click()
    page.get_by_role("checkbox", name="Select report-2026 copy.txt").click()
    page.get_by_test_id("selection-bar").get_by_text("2 selected").wait_for()
    page.get_by_test_id("selection-bar").get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("alertdialog", name="Delete 2 items?")
    look(page, "storage-delete")
    confirm.get_by_role("button", name="Delete").click()
    page.get_by_test_id("entry-other.txt").wait_for(state="detached")
    assert listing(client, root_headers, project) == ["archive"]

    entry_action(page, "archive", "Delete")
    confirm = page.get_by_role("alertdialog", name="Delete archive?")
    confirm.get_by_text("with everything in them").wait_for()
    confirm.get_by_role("button", name="Delete").click()
    page.get_by_role("heading", name="This folder is empty").wait_for()
    assert listing(client, root_headers, project) == []


def test_sort_search_and_paging_are_the_servers(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Many")
    for number in range(55):
        put(client, root_headers, project, f"file-{number:02d}.txt", "x" * number)
    client.post(f"/api/projects/{project['id']}/storage/dirs", json={"path": "zeta"}, headers=root_headers)
    open_page(page, f"/projects/{project['slug']}/storage")
    rows = page.locator("tbody tr")
    assert rows.count() == 50
    assert rows.first.get_attribute("data-testid") == "entry-zeta"  # folders first, whatever the order
    page.get_by_text("Page 1 of 2").wait_for()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Page 2 of 2").wait_for()
    page.get_by_test_id("entry-file-54.txt").wait_for()
    assert rows.count() == 6
    assert "page=2" in page.url

    page.get_by_role("combobox", name="Sort by").click()
    page.get_by_role("option", name="Size (largest first)").click()
    page.get_by_text("Page 1 of 2").wait_for()
    assert rows.nth(1).get_attribute("data-testid") == "entry-file-54.txt"
    assert page.get_by_role("columnheader", name="Size").get_attribute("aria-sort") == "descending"
    page.get_by_role("button", name="Name", exact=True).click()  # the column header sorts too
    page.get_by_role("columnheader", name="Name").and_(page.locator("[aria-sort=ascending]")).wait_for()
    assert rows.nth(1).get_attribute("data-testid") == "entry-file-00.txt"

    page.get_by_role("searchbox", name="Search in this folder").fill("FILE-4")
    page.get_by_test_id("entry-file-49.txt").wait_for()
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 10")
    page.get_by_role("searchbox", name="Search in this folder").fill("nothing-like-this")
    page.get_by_role("heading", name="Nothing here matches “nothing-like-this”").wait_for()
    look(page, "storage-no-match")


def test_download_and_a_direct_link_that_works_signed_out_until_the_key_is_rotated(root_page, client, root_headers, browser, server):
    page = root_page
    project = make_project(client, root_headers, "Links")
    put(client, root_headers, project, "data/price list.csv", "a,b\n1,2\n")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_page(page, f"/projects/{project['slug']}/storage?path=data")

    with page.expect_download() as download:
        entry_action(page, "price list.csv", "Download")
    assert download.value.suggested_filename == "price list.csv"
    assert open(download.value.path(), "rb").read() == b"a,b\n1,2\n"

    entry_action(page, "price list.csv", "Direct link…")
    dialog = page.get_by_role("dialog", name="Direct link to price list.csv")
    dialog.get_by_role("combobox", name="Expires in").click()
    page.get_by_role("option", name="1 day").click()
    dialog.get_by_role("button", name="Create link").click()
    url = dialog.get_by_role("textbox", name="Link").input_value()
    uri = client.get("/api/ui/config").json()["uri"]
    assert url.startswith(f"{uri}/files/")
    assert dialog.get_by_test_id("link-expires").inner_text().startswith("Works until")
    dialog.get_by_role("button", name="Copy the link").click()
    assert page.evaluate("navigator.clipboard.readText()") == url
    look(page, "storage-link")
    page.keyboard.press("Escape")

    # Signed out: a fresh browser context with no session opens the link.
    stranger = browser.new_context()
    try:
        response = stranger.request.get(url)
        assert response.status == 200 and response.body() == b"a,b\n1,2\n"
    finally:
        stranger.close()

    page.get_by_role("button", name="More storage actions").click()
    page.get_by_role("menuitem", name="Rotate the link key").click()
    page.get_by_role("alertdialog", name="Rotate the link key?").get_by_role("button", name="Rotate the link key").click()
    page.get_by_text("Link key rotated").wait_for()
    assert httpx.get(url).status_code == 404


def test_russian_labels(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Русский")
    put(client, root_headers, project, "заметки.txt", "привет")
    page.evaluate("localStorage.setItem('m3m.lang', 'ru')")
    open_page(page, f"/projects/{project['slug']}/storage")
    page.get_by_role("heading", name="Хранилище").wait_for()
    page.get_by_role("button", name="Новая папка").wait_for()
    page.get_by_test_id("entry-заметки.txt").wait_for()
    look(page, "storage-ru")
