"""Profile: the name, an avatar uploaded, cropped to a square and shown, and a password change
that ends the session (the server revokes every older token)."""

from __future__ import annotations

from auth_support import image_bytes

from .ui_support import look, sign_in_with_form, sign_in_with_token


def test_name_avatar_and_password(page, users, client, browser_log, tmp_path):
    user = users.make()
    sign_in_with_token(page, user["headers"]["Authorization"].removeprefix("Bearer "), "/profile")
    page.get_by_role("heading", name="Profile", level=1).wait_for()
    look(page, "profile")

    # Name
    page.get_by_label("Name", exact=True).fill("Lin Profile")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Account menu").get_by_text("Lin Profile").wait_for()
    assert client.get("/api/auth/me", headers=user["headers"]).json()["name"] == "Lin Profile"

    # Avatar: a wide image, cropped to a square in the browser.
    picture = tmp_path / "wide.png"
    picture.write_bytes(image_bytes((600, 300)))
    page.get_by_test_id("avatar-input").set_input_files(str(picture))
    crop = page.get_by_role("dialog", name="Crop the avatar")
    crop.get_by_test_id("avatar-crop").wait_for()
    crop.get_by_role("slider", name="Zoom").press("ArrowRight")
    look(page, "profile-avatar-crop")
    crop.get_by_role("button", name="Use this avatar").click()
    crop.wait_for(state="hidden")
    avatar = page.get_by_role("button", name="Account menu").locator("img")
    avatar.wait_for()
    assert avatar.evaluate("img => img.complete && img.naturalWidth") == 256  # stored as 256x256
    assert avatar.evaluate("img => img.naturalHeight") == 256
    assert client.get("/api/auth/me", headers=user["headers"]).json()["avatar"].startswith(f"/api/users/{user['id']}/avatar")
    page.get_by_role("button", name="Remove").click()
    avatar.wait_for(state="detached")

    # Password: a wrong current one is said on its field ...
    browser_log.expect(422, "/api/auth/me/password")
    page.get_by_label("Current password").fill("not-it-1")
    page.get_by_label("New password", exact=True).fill("Brand-new-pass-3")
    page.get_by_label("Repeat the new password").fill("Brand-new-pass-3")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("is wrong").wait_for()
    assert page.get_by_label("Current password").get_attribute("aria-invalid") == "true"
    # ... the right one ends the session: sign in again with the new password, back to the profile.
    page.get_by_label("Current password").fill(user["password"])
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url("**/sign-in?redirect=%2Fprofile")
    page.get_by_text("Password changed. Sign in with the new password.").wait_for()
    assert client.get("/api/auth/me", headers=user["headers"]).status_code == 401  # the old token is revoked
    sign_in_with_form(page, user["email"], "Brand-new-pass-3")
    page.wait_for_url("**/profile")


def test_mismatched_new_passwords_are_caught_before_sending(page, users):
    user = users.make()
    sign_in_with_token(page, user["headers"]["Authorization"].removeprefix("Bearer "), "/profile")
    page.get_by_label("Current password").fill(user["password"])
    page.get_by_label("New password", exact=True).fill("Brand-new-pass-3")
    page.get_by_label("Repeat the new password").fill("Brand-new-pass-4")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("The passwords do not match").wait_for()
