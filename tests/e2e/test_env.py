"""Environment variables: each type with its editor, the server's 422 on the value field, edits
and deletes."""

from __future__ import annotations

from .test_projects import make_project
from .ui_support import look, open_page


def add_variable(page, key: str, type_label: str) -> None:
    page.get_by_role("button", name="Add variable").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Key").fill(key)
    dialog.get_by_role("combobox", name="Type").click()
    page.get_by_role("option", name=type_label, exact=True).click()


def save(page) -> None:
    page.get_by_role("dialog").get_by_role("button", name="Save").click()


def test_every_type_has_its_editor_and_is_stored_typed(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Env types")
    open_page(page, f"/projects/{project['slug']}/env")
    page.get_by_role("heading", name="No variables yet").wait_for()
    look(page, "env-empty")

    add_variable(page, "API_URL", "String")
    page.get_by_role("dialog").get_by_label("Value").fill("https://example.org/hook")
    save(page)
    page.get_by_test_id("env-row-API_URL").wait_for()

    add_variable(page, "GREETING", "Text")
    page.get_by_role("dialog").get_by_label("Value").fill("Hello,\nworld")
    save(page)
    page.get_by_test_id("env-row-GREETING").wait_for()

    add_variable(page, "LIMITS", "JSON")
    value = page.get_by_role("dialog").get_by_label("Value")
    value.fill('{"max": 3, ')
    page.get_by_role("dialog").get_by_text("Not valid JSON").wait_for()  # checked while typing
    save(page)  # refused here, no request
    assert value.get_attribute("aria-invalid") == "true"
    value.fill('{"max": 3, "names": ["a", "b"]}')
    page.get_by_role("dialog").get_by_text("Valid JSON", exact=True).wait_for()
    assert value.get_attribute("aria-invalid") == "false"  # the refusal went with the edit
    look(page, "env-json-editor")
    save(page)
    page.get_by_test_id("env-row-LIMITS").wait_for()

    add_variable(page, "RETRIES", "Integer")
    page.get_by_role("dialog").get_by_label("Value").fill("42")
    save(page)
    page.get_by_test_id("env-row-RETRIES").wait_for()

    add_variable(page, "RATIO", "Float")
    page.get_by_role("dialog").get_by_label("Value").fill("0.75")
    save(page)
    page.get_by_test_id("env-row-RATIO").wait_for()

    add_variable(page, "ENABLED", "Boolean")
    page.get_by_role("dialog").get_by_role("switch", name="Value").click()
    save(page)
    page.get_by_test_id("env-row-ENABLED").wait_for()

    stored = {v["key"]: (v["type"], v["value"]) for v in client.get(f"/api/projects/{project['id']}/env", headers=root_headers).json()}
    assert stored == {
        "API_URL": ("string", "https://example.org/hook"),
        "GREETING": ("text", "Hello,\nworld"),
        "LIMITS": ("json", {"max": 3, "names": ["a", "b"]}),
        "RETRIES": ("integer", 42),
        "RATIO": ("float", 0.75),
        "ENABLED": ("boolean", True),
    }
    look(page, "env")


def test_the_servers_422_is_shown_on_the_value_field(root_page, client, root_headers, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Env errors")
    open_page(page, f"/projects/{project['slug']}/env")
    browser_log.expect(422, f"/api/projects/{project['id']}/env/")
    add_variable(page, "PORT", "Integer")
    value = page.get_by_role("dialog").get_by_label("Value")
    value.fill("12.5")
    save(page)
    page.get_by_role("dialog").get_by_text("an integer is required (e.g. 42)").wait_for()
    assert value.get_attribute("aria-invalid") == "true"
    assert value.evaluate("el => el === document.activeElement")  # focus moves to the field at fault
    look(page, "env-422")
    value.fill("8080")
    save(page)
    page.get_by_test_id("env-row-PORT").wait_for()
    add_variable(page, "SCALE", "Float")
    page.get_by_role("dialog").get_by_label("Value").fill("abc")
    save(page)
    page.get_by_role("dialog").get_by_text("a number is required (e.g. 1.5)").wait_for()
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="hidden")
    keys = [v["key"] for v in client.get(f"/api/projects/{project['id']}/env", headers=root_headers).json()]
    assert keys == ["PORT"]  # refused values were not stored


def test_edit_changes_the_value_and_type_and_delete_asks_first(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Env edit")
    client.put(f"/api/projects/{project['id']}/env/MODE", json={"type": "string", "value": "dev"}, headers=root_headers)
    open_page(page, f"/projects/{project['slug']}/env")
    page.get_by_role("button", name="Edit MODE").click()
    dialog = page.get_by_role("dialog", name="Edit MODE")
    assert dialog.get_by_label("Key").is_disabled()
    assert dialog.get_by_label("Value").input_value() == "dev"
    dialog.get_by_role("combobox", name="Type").click()
    page.get_by_role("option", name="JSON", exact=True).click()
    dialog.get_by_label("Value").fill('["dev", "prod"]')
    save(page)
    page.get_by_test_id("env-row-MODE").get_by_test_id("env-value").filter(has_text='["dev","prod"]').wait_for()
    page.get_by_role("button", name="Delete MODE").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    page.get_by_role("heading", name="No variables yet").wait_for()
    assert client.get(f"/api/projects/{project['id']}/env", headers=root_headers).json() == []
