"""Releases: create with a bump (the resulting version shown) and tags, the running one lit,
run an older one (rollback), delete refused for the running one with the server's reason,
a read-only view and the diff editor between any two of branch/release."""

from __future__ import annotations

from .test_projects import make_project
from .ui_support import look, open_page

V1 = "$router.get('/v', () => ({ v: 1 }))\n"
V2 = "$router.get('/v', () => ({ v: 2 }))\n$logger.info('two')\n"


def release_action(page, version: str, action: str) -> None:
    page.get_by_role("button", name=f"Actions for release {version}").click()
    page.get_by_role("menuitem", name=action).click()


def lit(page) -> list[str]:
    return page.locator("tr:has([data-testid=running-light])").evaluate_all("rows => rows.map(r => r.dataset.testid)")


def test_release_run_roll_back_and_delete_refused_while_running(root_page, client, root_headers, server, browser_log):
    page = root_page
    project = make_project(client, root_headers, "Releases")
    api = f"/api/projects/{project['id']}"
    client.put(f"{api}/pipeline/branches/develop", json={"code": V1}, headers=root_headers)
    try:
        open_page(page, f"/projects/{project['slug']}/releases")
        page.get_by_role("heading", name="No release yet").wait_for()
        look(page, "releases-empty")

        page.get_by_role("button", name="New release").first.click()
        dialog = page.get_by_role("dialog", name="New release")
        assert dialog.get_by_test_id("bump-minor").inner_text() == "→ 1.0"
        dialog.get_by_label("Comment").fill("the first one")
        dialog.get_by_label("stable").check()
        dialog.get_by_role("button", name="Release 1.0").click()
        page.get_by_test_id("release-1.0").wait_for()

        client.put(f"{api}/pipeline/branches/develop", json={"code": V2}, headers=root_headers)
        page.get_by_role("button", name="New release").click()
        dialog = page.get_by_role("dialog", name="New release")
        assert dialog.get_by_test_id("bump-minor").inner_text() == "→ 1.1"
        assert dialog.get_by_test_id("bump-major").inner_text() == "→ 2.0"
        dialog.get_by_role("radio", name="Major").click()
        dialog.get_by_role("button", name="Release 2.0").wait_for()
        dialog.get_by_role("radio", name="Minor").click()
        dialog.get_by_label("night-build").check()
        dialog.get_by_label("develop").check()
        look(page, "releases-new")
        dialog.get_by_role("button", name="Release 1.1").click()
        row = page.get_by_test_id("release-1.1")
        row.wait_for()
        assert "night-build" in row.inner_text() and "develop" in row.inner_text()
        assert "the first one" in page.get_by_test_id("release-1.0").inner_text()
        assert "Root" in row.inner_text()

        release_action(page, "1.1", "Run this release")
        page.get_by_text("Release 1.1 is running").wait_for(timeout=60_000)
        page.wait_for_function("() => document.querySelector('[data-testid=\"release-1.1\"] [data-testid=running-light]')")
        assert lit(page) == ["release-1.1"]
        assert client.get(f"/bot-{project['slug']}/v").json() == {"v": 2}
        look(page, "releases")

        # Rollback: run the older one, the light moves.
        release_action(page, "1.0", "Run this release")
        page.get_by_text("Release 1.0 is running").wait_for(timeout=60_000)
        page.wait_for_function("() => document.querySelector('[data-testid=\"release-1.0\"] [data-testid=running-light]')")
        assert lit(page) == ["release-1.0"]
        assert client.get(f"/bot-{project['slug']}/v").json() == {"v": 1}

        # The running one cannot be deleted: the server says why.
        browser_log.expect(409, f"{api}/pipeline/releases/1.0")
        release_action(page, "1.0", "Delete")
        page.get_by_role("alertdialog", name="Delete release 1.0?").get_by_role("button", name="Delete").click()
        page.get_by_text("release 1.0 is running; stop the service first").wait_for()
        assert [r["version"] for r in client.get(f"{api}/pipeline", headers=root_headers).json()["releases"]] == ["1.1", "1.0"]
        release_action(page, "1.1", "Delete")
        page.get_by_role("alertdialog", name="Delete release 1.1?").get_by_role("button", name="Delete").click()
        page.get_by_test_id("release-1.1").wait_for(state="detached")
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)


def test_view_a_release_read_only_and_diff_two_sources(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Diffs")
    api = f"/api/projects/{project['id']}/pipeline"
    client.put(f"{api}/branches/develop", json={"code": V1}, headers=root_headers)
    client.post(f"{api}/releases", json={"branch": "develop", "bump": "minor", "comment": "c", "tags": ["stable"]}, headers=root_headers)
    client.put(f"{api}/branches/develop", json={"code": V2}, headers=root_headers)
    open_page(page, f"/projects/{project['slug']}/releases")
    page.get_by_role("link", name="1.0", exact=True).click()
    page.get_by_role("heading", name="Release 1.0").wait_for()
    page.wait_for_function("() => window.monaco && window.monaco.editor.getEditors().some(e => e.getModel() && e.getModel().getValue().includes('v: 1'))")
    assert page.evaluate("() => window.monaco.editor.getEditors()[0].getOption(window.monaco.editor.EditorOption.readOnly)")
    look(page, "release-view")

    page.get_by_role("link", name="Compare…").click()
    page.get_by_role("heading", name="Compare").wait_for()
    page.get_by_test_id("diff-editor").wait_for()
    # The diff editor has both sides: the release on the left, the branch on the right.
    page.wait_for_function(
        "() => { const models = window.monaco.editor.getModels().map(m => m.getValue());"
        " return models.some(v => v.includes('v: 1')) && models.some(v => v.includes('v: 2')); }"
    )
    page.wait_for_function("() => document.querySelectorAll('[data-testid=diff-editor] .line-insert, [data-testid=diff-editor] .char-insert').length > 0")
    assert "left=release" in page.url or page.get_by_label("Left").inner_text().startswith("Release 1.0")
    look(page, "releases-diff")
