"""Goals: project and global goals (create, edit, delete), statistics with the period picker, a
chart per goal that moves after increments, and several goals compared."""

from __future__ import annotations

from .test_projects import make_project
from .ui_support import look, open_page, sign_in_with_token


def create_goal(page, name: str, key: str, type_label: str, color: str | None = None, projects=()) -> None:
    page.get_by_role("button", name="New goal").first.click()
    dialog = page.get_by_role("dialog", name="New goal")
    dialog.get_by_label("Name", exact=True).fill(name)  # exact: a project in the list may be called "Renames"
    dialog.get_by_label("Key", exact=True).fill(key)
    dialog.get_by_role("combobox", name="Type").click()
    page.get_by_role("option", name=type_label, exact=True).click()
    if color:
        dialog.get_by_role("radio", name=color).click()
    for project in projects:
        dialog.get_by_role("checkbox", name=project).check()
    dialog.get_by_role("button", name="Create goal").click()
    dialog.wait_for(state="hidden")


def bars(card) -> int:
    """Bars recharts drew with a height (a day counted 0 draws none)."""
    return card.locator(".recharts-bar-rectangle path").count()


def test_project_goals_and_a_chart_that_moves_after_increments(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Goal shop")
    open_page(page, f"/projects/{project['slug']}/goals")
    page.get_by_role("heading", name="No goals yet").wait_for()
    create_goal(page, "Orders", "orders", "Daily counter", "Green")
    create_goal(page, "Signups", "signups", "Counter", "Violet")
    page.get_by_test_id("goal-row-orders").get_by_text(f"{project['slug']}-orders").wait_for()

    orders = page.get_by_test_id("stats-orders")
    signups = page.get_by_test_id("stats-signups")
    assert orders.get_by_test_id("goal-total").inner_text() == "0"
    assert signups.get_by_test_id("goal-total").inner_text() == "0"
    orders.locator(".recharts-cartesian-grid").wait_for()
    assert bars(orders) == 0

    for goal, value in (("orders", 3), ("orders", 4), ("signups", 5)):
        response = client.post(f"/api/projects/{project['id']}/goals/{goal}/increment", json={"value": value}, headers=root_headers)
        assert response.status_code == 200, response.text
    page.get_by_role("button", name="Refresh").click()
    orders.get_by_test_id("goal-total").filter(has_text="7").wait_for()
    signups.get_by_test_id("goal-total").filter(has_text="5").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stats-orders] .recharts-bar-rectangle path').length === 1")
    look(page, "project-goals")

    # The period: today still holds today's 7; a custom range shows its two dates.
    page.get_by_role("radio", name="Today").click()
    orders.get_by_test_id("goal-total").filter(has_text="7").wait_for()
    page.get_by_role("radio", name="Custom").click()
    page.get_by_label("From", exact=True).wait_for()
    page.get_by_label("To", exact=True).wait_for()
    page.get_by_role("radio", name="Line").click()
    orders.locator(".recharts-line").wait_for()

    # The overview sums the last 7 days.
    open_page(page, f"/projects/{project['slug']}")
    page.get_by_test_id("goal-total-orders").filter(has_text="7").wait_for()


def test_daily_goals_are_compared_on_one_chart(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Compare")
    for key in ("visits", "clicks"):
        client.post(f"/api/projects/{project['id']}/goals", json={"name": key.title(), "slug": key, "type": "daily_counter"}, headers=root_headers)
        client.post(f"/api/projects/{project['id']}/goals/{key}/increment", json={"value": 2}, headers=root_headers)
    open_page(page, f"/projects/{project['slug']}/goals")
    page.get_by_test_id("stats-visits").get_by_role("checkbox", name="Compare").check()
    page.get_by_test_id("stats-clicks").get_by_role("checkbox", name="Compare").check()
    compared = page.locator("section").get_by_role("heading", name="Compared")
    compared.wait_for()
    legend = page.locator(".recharts-legend-wrapper")
    legend.get_by_text("Visits").wait_for()
    legend.get_by_text("Clicks").wait_for()
    assert page.locator(".recharts-legend-wrapper").count() == 1
    look(page, "goals-compared")


def test_global_goals_with_allowed_projects_edit_and_delete(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Allowed one")
    open_page(page, "/goals")
    create_goal(page, "Payments", "payments-e2e", "Daily counter", "Amber", projects=["Allowed one"])
    row = page.get_by_test_id("goal-row-payments-e2e")
    row.get_by_text("Allowed one").wait_for()
    goal = next(g for g in client.get("/api/goals", headers=root_headers).json()["items"] if g["key"] == "payments-e2e")
    assert goal["allowedProjects"] == [project["id"]]
    look(page, "global-goals")

    # The allowed project can count on it; the chart follows.
    response = client.post(f"/api/projects/{project['id']}/goals/payments-e2e/increment", json={"value": 9}, headers=root_headers)
    assert response.status_code == 200, response.text
    page.get_by_role("button", name="Refresh").click()
    page.get_by_test_id("stats-payments-e2e").get_by_test_id("goal-total").filter(has_text="9").wait_for()

    row.get_by_role("button", name="Edit Payments").click()
    dialog = page.get_by_role("dialog", name="Edit goal")
    dialog.get_by_label("Name", exact=True).fill("Paid orders")
    dialog.get_by_role("button", name="Save").click()
    dialog.wait_for(state="hidden")
    row.get_by_text("Paid orders").wait_for()

    row.get_by_role("button", name="Delete Paid orders").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    row.wait_for(state="detached")
    assert all(g["key"] != "payments-e2e" for g in client.get("/api/goals", headers=root_headers).json()["items"])


def test_only_root_edits_global_goals(page, users, client, root_headers):
    client.post("/api/goals", json={"name": "Seen by all", "slug": "seen-by-all", "type": "counter"}, headers=root_headers)
    user = users.make(createProjects=True)
    sign_in_with_token(page, user["headers"]["Authorization"].removeprefix("Bearer "), "/goals")
    page.get_by_test_id("goal-row-seen-by-all").wait_for()
    assert page.get_by_role("button", name="New goal").count() == 0
    assert page.get_by_role("button", name="Edit Seen by all").count() == 0
