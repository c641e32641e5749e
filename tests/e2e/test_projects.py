"""Projects: the grid, the create dialog (slug suggestion, live check, colour), the overview and
the settings (general, members, API key, danger zone)."""

from __future__ import annotations

import re
import secrets

from .ui_support import assert_valid_lists, look, open_page, sign_in_with_token


def make_project(client, headers, name="P", color=None) -> dict:
    slug = f"p-{secrets.token_hex(3)}"
    response = client.post("/api/projects", json={"name": name, "slug": slug, "color": color}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_a_project_with_a_suggested_slug_and_a_colour(root_page, client, root_headers):
    page = root_page
    make_project(client, root_headers, "Existing one", "amber")
    open_page(page, "/projects")
    look(page, "projects")
    suffix = secrets.token_hex(2)
    page.get_by_role("button", name="New project").click()
    dialog = page.get_by_role("dialog", name="New project")
    dialog.get_by_label("Name").fill(f"Billing Bot {suffix}")
    slug = dialog.get_by_label("Slug")
    assert slug.input_value() == f"billing-bot-{suffix}"  # suggested from the name
    dialog.get_by_test_id("slug-available").wait_for()
    dialog.get_by_role("radio", name="Teal").click()
    assert dialog.get_by_role("radio", name="Teal").get_attribute("aria-checked") == "true"
    look(page, "project-create-dialog")
    dialog.get_by_role("button", name="Create project").click()
    page.wait_for_url(f"**/projects/billing-bot-{suffix}")
    page.get_by_role("heading", name=f"Billing Bot {suffix}", level=1).wait_for()
    assert page.get_by_test_id("service-base-url").inner_text() == f"{page.base}/bot-billing-bot-{suffix}"
    look(page, "project-overview")
    assert_valid_lists(page)
    project = client.get(f"/api/projects/billing-bot-{suffix}", headers=root_headers).json()
    assert project["color"] == "teal"
    # The grid shows it with its slug and state.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Projects").click()
    card = page.get_by_test_id("project-card").filter(has_text=f"Billing Bot {suffix}")
    card.get_by_text(f"billing-bot-{suffix}").wait_for()
    card.get_by_text("Stopped").wait_for()


def test_a_taken_slug_is_said_while_typing_and_a_bad_one_is_explained(root_page, client, root_headers):
    page = root_page
    taken = make_project(client, root_headers, "Taken")
    open_page(page, "/projects")
    page.get_by_role("button", name="New project").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Anything")
    dialog.get_by_label("Slug").fill(taken["slug"])
    dialog.get_by_text("This slug is taken by another project").wait_for()
    dialog.get_by_label("Slug").fill("Bad Slug!")
    dialog.get_by_text("1–63 lowercase letters, digits and dashes").wait_for()
    assert dialog.get_by_label("Slug").get_attribute("aria-invalid") == "true"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")


def test_the_servers_409_lands_on_the_slug_field(page, browser_log, users, client, root_headers):
    """A slug taken by a project this user cannot see: only the server knows, and says so on the field."""
    hidden = make_project(client, root_headers, "Someone else's")
    user = users.make(createProjects=True)
    sign_in_with_token(page, user["headers"]["Authorization"].removeprefix("Bearer "), "/projects")
    page.get_by_role("button", name="New project").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Mine")
    dialog.get_by_label("Slug").fill(hidden["slug"])
    browser_log.expect(409, "/api/projects")
    dialog.get_by_role("button", name="Create project").click()
    dialog.get_by_text("is taken by another project").wait_for()
    assert dialog.get_by_label("Slug").get_attribute("aria-invalid") == "true"


def test_settings_rename_members_api_key_and_delete(root_page, client, root_headers, users, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Settings target", "red")
    member = users.make()
    open_page(page, f"/projects/{project['slug']}/settings")
    look(page, "project-settings")
    assert_valid_lists(page)

    # General: rename and recolour.
    page.get_by_label("Name").fill("Renamed target")
    page.get_by_role("radio", name="Blue").click()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved", exact=True).wait_for()
    page.get_by_role("navigation", name="Breadcrumb").get_by_text("Renamed target").wait_for()
    saved = client.get(f"/api/projects/{project['id']}", headers=root_headers).json()
    assert (saved["name"], saved["color"]) == ("Renamed target", "blue")

    # Members: add an admin, then remove them.
    page.get_by_role("combobox", name="Choose an admin to add").click()
    page.get_by_role("option", name=re.compile(re.escape(member["email"]))).click()
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_test_id("member").filter(has_text=member["email"]).wait_for()
    assert member["id"] in client.get(f"/api/projects/{project['id']}/members", headers=root_headers).json()["members"]
    page.get_by_role("button", name=f"Remove {member['email']}").click()
    page.get_by_test_id("member").filter(has_text=member["email"]).wait_for(state="detached")
    assert member["id"] not in client.get(f"/api/projects/{project['id']}/members", headers=root_headers).json()["members"]
    creator = page.get_by_test_id("member").filter(has_text="Creator")  # the server keeps the creator
    assert creator.get_by_role("button").is_disabled()

    # API key: generate, reveal, then regenerate (confirmed): the old key stops working.
    page.get_by_role("button", name="Generate a key").click()
    key_text = page.get_by_test_id("api-key")
    key_text.wait_for()
    assert set(key_text.inner_text()) == {"•"}  # masked until revealed
    page.get_by_role("button", name="Reveal the key").click()
    first_key = key_text.inner_text()
    assert len(first_key) >= 20 and "•" not in first_key
    assert client.get(f"/api/projects/{project['id']}", headers={"X-API-Key": first_key}).status_code == 200
    page.get_by_role("button", name="Regenerate").click()
    confirm = page.get_by_role("alertdialog", name="Regenerate the API key?")
    look(page, "project-api-key-confirm")
    confirm.get_by_role("button", name="Regenerate").click()
    confirm.wait_for(state="hidden")
    page.get_by_role("button", name="Reveal the key").click()
    page.wait_for_function("(old) => { const el = document.querySelector('[data-testid=api-key]'); return el && el.textContent !== old && !el.textContent.includes('•'); }", arg=first_key)
    second_key = key_text.inner_text()
    assert client.get(f"/api/projects/{project['id']}", headers={"X-API-Key": first_key}).status_code == 401
    assert client.get(f"/api/projects/{project['id']}", headers={"X-API-Key": second_key}).status_code == 200

    # Danger zone: the slug has to be typed.
    page.get_by_role("button", name="Delete project").click()
    confirm = page.get_by_role("alertdialog")
    delete = confirm.get_by_role("button", name="Delete project")
    assert delete.is_disabled()
    confirm.get_by_label(f"Type {project['slug']} to confirm").fill(project["slug"])
    delete.click()
    page.wait_for_url("**/projects")
    page.get_by_text("Project Renamed target deleted").wait_for()
    assert client.get(f"/api/projects/{project['id']}", headers=root_headers).status_code == 404


def test_an_unknown_project_is_a_404_inside_the_shell(root_page, browser_log):
    browser_log.expect(404, "/api/projects/no-such-project")
    open_page(root_page, "/projects/no-such-project/settings")
    root_page.get_by_role("heading", name="Project not found").wait_for()
    root_page.get_by_role("link", name="Back to projects").click()
    root_page.wait_for_url("**/projects")
