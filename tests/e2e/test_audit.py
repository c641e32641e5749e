"""The audit log: the whole log for root (filters by project, action and actor, server paging,
an entry opened to its before/after), and one project's log for a member of it, who has no
link to the whole log."""

from __future__ import annotations

from conftest import login, new_project

from .ui_support import look, open_page, sign_in_with_token


def rows(page):
    return page.get_by_test_id("audit-row")


def actions(page) -> list[str]:
    return [row.get_attribute("data-action") for row in rows(page).all()]


def choose(page, combobox: str, option: str) -> None:
    page.get_by_role("combobox", name=combobox).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_load_state("networkidle")


def test_root_filters_pages_and_opens_entries(root_page, client, root_headers, users):
    page = root_page
    project = new_project(client, root_headers, "audit")
    api = f"/api/projects/{project['id']}"
    member = users.make()
    assert client.put(f"{api}/members", json={"members": project["members"] + [member["id"]]}, headers=root_headers).status_code == 200
    assert client.patch(api, json={"name": "Audit trail"}, headers=root_headers).status_code == 200
    assert client.put(f"{api}/env/GREETING", json={"type": "string", "value": "hello"}, headers=root_headers).status_code == 200
    assert client.put(f"{api}/env/GREETING", json={"type": "string", "value": "hi"}, headers=member["headers"]).status_code == 200
    for index in range(20):  # more than one page of 20 entries
        assert client.put(f"{api}/env/K{index}", json={"type": "integer", "value": index}, headers=root_headers).status_code == 200

    open_page(page, "/projects")  # afresh: the project list the page was signed in with is older
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Audit log").click()
    page.get_by_role("heading", name="Audit log").wait_for()
    rows(page).first.wait_for()
    choose(page, "Project", "Audit trail")
    page.get_by_text("24 entries").wait_for()  # members, the rename, two env writes, 20 more
    assert page.get_by_text("Page 1 of 2").is_visible()
    assert rows(page).count() == 20
    assert actions(page)[0] == "env.put_env"  # newest first
    look(page, "audit")

    page.get_by_role("button", name="Next").click()
    page.get_by_text("Page 2 of 2").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=audit-row]').length === 4")  # the new page drawn
    assert set(actions(page)) == {"projects.set_members", "projects.update_project", "env.put_env"}
    assert rows(page).count() == 4

    # Only the project's own changes, then only one person's.
    page.get_by_role("searchbox", name="Action").fill("projects.")
    page.get_by_text("2 entries").wait_for()
    assert sorted(actions(page)) == ["projects.set_members", "projects.update_project"]
    rename = rows(page).and_(page.locator('[data-action="projects.update_project"]'))
    rename.get_by_role("button", name="Show the details of projects.update_project").click()
    details = page.get_by_test_id("audit-details")
    details.get_by_role("heading", name="Before").wait_for()
    assert '"name": "Audit trail"' in details.get_by_label("After").inner_text()
    assert f'"name": "{project["name"]}"' in details.get_by_label("Before").inner_text()
    look(page, "audit-details")

    page.get_by_role("searchbox", name="Action").fill("")
    choose(page, "Who", member["email"])
    page.get_by_text("1 entry").wait_for()
    assert actions(page) == ["env.put_env"]
    row = rows(page).first
    assert member["email"] in row.inner_text() and "GREETING" in row.inner_text()


def test_a_member_sees_the_log_of_their_project_only(page, client, root_headers, users):
    member = users.make()
    project = new_project(client, root_headers, "audit-m")
    api = f"/api/projects/{project['id']}"
    assert client.put(f"{api}/members", json={"members": project["members"] + [member["id"]]}, headers=root_headers).status_code == 200
    assert client.put(f"{api}/env/TOKEN_URL", json={"type": "string", "value": "https://example.org"},
                      headers=member["headers"]).status_code == 200
    other = new_project(client, root_headers, "audit-o")  # not theirs: never in their log
    assert client.put(f"/api/projects/{other['id']}/env/X", json={"type": "string", "value": "x"}, headers=root_headers).status_code == 200

    token = login(client, member["email"], member["password"])["Authorization"].removeprefix("Bearer ")
    sign_in_with_token(page, token, f"/projects/{project['slug']}")
    main = page.get_by_role("navigation", name="Main navigation")
    main.get_by_role("link", name="Audit log").first.click()  # the project's section
    page.get_by_text("2 entries").wait_for()
    assert page.url.endswith(f"/projects/{project['slug']}/audit")
    assert sorted(actions(page)) == ["env.put_env", "projects.set_members"]
    assert page.get_by_role("combobox", name="Project").count() == 0  # one project: no project filter
    look(page, "project-audit")

    # The whole log is not theirs: no link to it, and the page says so.
    assert main.locator('a[href="/audit"]').count() == 0
    open_page(page, "/audit")
    page.get_by_text("The audit log is for admins who manage admins").wait_for()
