"""Admins: the table with search and paging, create, edit, block/unblock, delete with a
confirmation, and the root admin protected from everyone but root."""

from __future__ import annotations

import secrets

from conftest import ROOT_EMAIL

from .ui_support import look, open_page, sign_in_with_token


def row(page, email: str):
    return page.get_by_test_id("admin-row").and_(page.locator(f'[data-email="{email}"]'))


def test_create_edit_block_unblock_and_delete_an_admin(root_page, client, root_headers, browser_log):
    page = root_page
    open_page(page, "/admins")
    row(page, ROOT_EMAIL).locator("[data-slot=badge]").filter(has_text="Root").wait_for()
    look(page, "admins")
    email = f"new-{secrets.token_hex(3)}@m3m.test"

    page.get_by_role("button", name="New admin").click()
    dialog = page.get_by_role("dialog", name="New admin")
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_label("Name").fill("Grace")
    dialog.get_by_label("Password").fill("short")
    dialog.get_by_role("button", name="Create admin").click()
    dialog.get_by_text("At least 8 characters, with a letter and a digit or symbol").wait_for()  # checked before sending
    dialog.get_by_label("Password").fill("Grace-pass-1")
    dialog.get_by_role("switch", name="Create projects").click()
    look(page, "admin-dialog")
    dialog.get_by_role("button", name="Create admin").click()
    dialog.wait_for(state="hidden")
    created = row(page, email)
    created.get_by_text("Create projects").wait_for()
    user = next(u for u in client.get("/api/users", params={"perPage": 500}, headers=root_headers).json()["items"] if u["email"] == email)
    assert user["permissions"]["createProjects"] and not user["permissions"]["manageUsers"]

    # The server's refusal (a taken email) appears on the field.
    browser_log.expect(409, "/api/users")
    browser_log.expect(422, "/api/users")
    page.get_by_role("button", name="New admin").click()
    dialog = page.get_by_role("dialog", name="New admin")
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_label("Password").fill("Other-pass-1")
    dialog.get_by_role("button", name="Create admin").click()
    dialog.locator("[data-field-error]").first.wait_for()
    assert dialog.get_by_label("Email").get_attribute("aria-invalid") == "true"
    page.keyboard.press("Escape")

    # Edit: rename and grant user management.
    created.get_by_role("button", name=f"Actions for {email}").click()
    page.get_by_role("menuitem", name="Edit").click()
    dialog = page.get_by_role("dialog", name=f"Edit {email}")
    dialog.get_by_label("Name").fill("Grace Hopper")
    dialog.get_by_role("switch", name="Manage admins").click()
    dialog.get_by_role("button", name="Save").click()
    dialog.wait_for(state="hidden")
    created.get_by_text("Grace Hopper").wait_for()
    created.get_by_text("Manage admins").wait_for()

    # Block, then unblock.
    created.get_by_role("button", name=f"Actions for {email}").click()
    page.get_by_role("menuitem", name="Block").click()
    created.get_by_text("Blocked", exact=True).wait_for()
    assert client.post("/api/auth/login", json={"email": email, "password": "Grace-pass-1"}).status_code == 403
    created.get_by_role("button", name=f"Actions for {email}").click()
    page.get_by_role("menuitem", name="Unblock").click()
    created.get_by_text("Active", exact=True).wait_for()
    assert client.post("/api/auth/login", json={"email": email, "password": "Grace-pass-1"}).status_code == 200

    # Delete, confirmed.
    created.get_by_role("button", name=f"Actions for {email}").click()
    page.get_by_role("menuitem", name="Delete").click()
    confirm = page.get_by_role("alertdialog", name=f"Delete {email}?")
    confirm.get_by_role("button", name="Delete").click()
    created.wait_for(state="detached")
    assert client.post("/api/auth/login", json={"email": email, "password": "Grace-pass-1"}).status_code == 401


def test_search_and_paging(root_page, users):
    page = root_page
    made = [users.make() for _ in range(11)]  # with the admins of other tests: more than one page of 10
    open_page(page, "/admins")
    page.get_by_text("Page 1 of").wait_for()
    assert page.get_by_test_id("admin-row").count() == 10
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Page 2 of").wait_for()
    assert page.get_by_test_id("admin-row").count() >= 1
    page.get_by_role("searchbox", name="Search by name or email").fill(made[3]["email"])
    page.get_by_text("Page 1 of 1").wait_for()
    assert page.get_by_test_id("admin-row").count() == 1
    row(page, made[3]["email"]).wait_for()
    page.get_by_role("searchbox", name="Search by name or email").fill("nobody-matches-this")
    page.get_by_text("No admin matches.").wait_for()


def test_the_root_admin_is_protected_for_other_managers(page, users):
    manager = users.make(manageUsers=True)
    sign_in_with_token(page, manager["headers"]["Authorization"].removeprefix("Bearer "), "/admins")
    root_row = row(page, ROOT_EMAIL)
    root_row.get_by_label("The root admin: only root may change it").wait_for()
    assert root_row.get_by_role("button").count() == 0  # no actions on root
    page.get_by_role("searchbox", name="Search by name or email").fill(manager["email"])
    own = row(page, manager["email"])
    own.get_by_role("button", name=f"Actions for {manager['email']}").click()
    assert page.get_by_role("menuitem", name="Block").is_disabled()  # never yourself
    assert page.get_by_role("menuitem", name="Delete").is_disabled()


def test_admins_page_needs_the_permission(page, users):
    plain = users.make()
    sign_in_with_token(page, plain["headers"]["Authorization"].removeprefix("Bearer "), "/admins")
    page.get_by_text("Managing admins needs the “Manage admins” permission").wait_for()
    assert page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Admins").count() == 0
