"""Signing in and out, the first-run page, and sessions that end (expired or revoked tokens)."""

from __future__ import annotations

import re

import httpx
from pymongo import MongoClient

from auth_support import make_token
from conftest import ROOT_EMAIL, ROOT_PASSWORD, TEST_DB, Server, run_m3m, server_env
from kernel.embedded import free_port

from .ui_support import TOKEN_KEY, look, open_page, sign_in_with_form, sign_in_with_token


def test_sign_in_keeps_the_session_over_a_reload_and_signs_out(page):
    open_page(page, "/projects")
    page.wait_for_url(re.compile(r"/sign-in\?redirect="))  # no token: sign in first
    look(page, "sign-in")
    sign_in_with_form(page, ROOT_EMAIL, ROOT_PASSWORD)
    page.wait_for_url("**/projects")
    page.get_by_role("heading", name="Projects", level=1).wait_for()
    page.reload()
    page.get_by_role("heading", name="Projects", level=1).wait_for()  # still signed in
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')")
    page.get_by_role("button", name="Account menu", exact=False).click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    # The token goes once the signed-in pages are gone (so none of them asks again without it).
    page.wait_for_function(f"() => localStorage.getItem('{TOKEN_KEY}') === null")
    open_page(page, "/projects")
    page.wait_for_url(re.compile(r"/sign-in"))


def test_a_wrong_password_is_said_and_the_form_stays(page, browser_log):
    browser_log.expect(401, "/api/auth/login")
    open_page(page, "/sign-in")
    sign_in_with_form(page, ROOT_EMAIL, "not-the-password-1")
    page.get_by_role("alert").filter(has_text="Wrong email or password.").wait_for()
    assert page.get_by_label("Email").input_value() == ROOT_EMAIL
    assert "/sign-in" in page.url


def test_an_empty_form_shows_the_errors_on_the_fields(page):
    open_page(page, "/sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Enter an email address").wait_for()
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Password", exact=True).get_attribute("aria-invalid") == "true"


def test_a_blocked_user_is_told_plainly(page, browser_log, users, client, root_headers):
    user = users.make()
    assert client.post(f"/api/users/{user['id']}/block", headers=root_headers).status_code == 200
    browser_log.expect(403, "/api/auth/login")
    open_page(page, "/sign-in")
    sign_in_with_form(page, user["email"], user["password"])
    page.get_by_role("alert").filter(has_text="This account is blocked").wait_for()


def test_an_expired_token_goes_to_sign_in_and_back_to_the_page(page, browser_log, users):
    user = users.make(createProjects=True)
    browser_log.expect(401, "/api/")  # the user and the sidebar's projects, asked together
    expired = make_token(user["id"], lifetime=-60)
    sign_in_with_token(page, expired, "/goals")
    page.wait_for_url(re.compile(r"/sign-in\?redirect=%2Fgoals"))
    sign_in_with_form(page, user["email"], user["password"])
    page.wait_for_url("**/goals")
    page.get_by_role("heading", name="Goals", level=1).wait_for()


def test_a_token_revoked_mid_session_goes_to_sign_in_and_back(page, browser_log, users, client):
    user = users.make(createProjects=True)
    token = user["headers"]["Authorization"].removeprefix("Bearer ")
    sign_in_with_token(page, token, "/projects")
    page.get_by_role("heading", name="Projects", level=1).wait_for()
    # Elsewhere the password changes: the server revokes every older token of the user.
    response = client.post("/api/auth/me/password", headers=user["headers"],
                           json={"currentPassword": user["password"], "newPassword": "Changed-pass-2"})
    assert response.status_code == 200, response.text
    browser_log.expect(401, "/api/")
    page.get_by_role("link", name="Goals").first.click()  # the next request is refused
    page.wait_for_url(re.compile(r"/sign-in\?redirect=%2Fgoals"))
    page.get_by_text("You were signed out. Sign in again.").wait_for()
    sign_in_with_form(page, user["email"], "Changed-pass-2")
    page.wait_for_url("**/goals")


def test_first_run_page_shows_the_command_and_opens_sign_in_once_an_admin_exists(page, mongo_uri, tmp_path):
    """A server with no user at all (its own database) shows how to create the root admin."""
    database = TEST_DB + "_first_run"
    MongoClient(mongo_uri).drop_database(database)
    env = server_env(tmp_path / "storage", free_port(), mongo_uri, M3M_MONGODB__DATABASE=database)
    fresh = Server(env, tmp_path).wait_ready()
    try:
        page.base = fresh.url
        open_page(page, "/projects")
        page.wait_for_url("**/setup")
        page.get_by_role("heading", name="Welcome to m3m").wait_for()
        assert page.get_by_test_id("new-admin-command").inner_text() == "m3m new-admin EMAIL PASSWORD"
        look(page, "first-run")
        result = run_m3m("new-admin", "first@m3m.test", "First-pass-1", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        page.wait_for_url("**/sign-in", timeout=15_000)  # the page asks again every 3 s
        sign_in_with_form(page, "first@m3m.test", "First-pass-1")
        page.wait_for_url("**/projects")
        assert httpx.get(fresh.url + "/api/auth/setup").json() == {"hasUsers": True}
    finally:
        fresh.stop()
        MongoClient(mongo_uri).drop_database(database)
