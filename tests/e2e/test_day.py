"""A person's day ([10]), in one flow through the UI against the real server: create a project,
write a service in Monaco with `$router`, `$database` and `$schedule` (a completion picked from
the list, no error marker), save, release 1.0, run it, call its route from the request tester,
watch its log lines arrive live, change the code, release 1.1 with tags, run it, roll back to
1.0 and see the running light move; then the data: the records the service wrote are in the
table and one it writes while the page is open appears live. The REST API is only read, to check."""

from __future__ import annotations

import secrets

import httpx

from .test_code import model_value, set_code, wait_for_editor, wait_for_no_markers
from .test_data_records import column
from .test_releases import lit, release_action
from .ui_support import look, open_page

SERVICE = """$router.get('/note/:title', async (ctx) => {
  const note = await HERE.insert({ title: ctx.params.title })
  $logger.info('note ' + ctx.params.title)
  return { id: note.id, v: VERSION }
})
$schedule.every('1h', () => $logger.info('hourly'))
"""


def save(page, branch: str = "develop", button: bool = False) -> None:
    if button:
        page.get_by_role("button", name="Save").click()
    else:
        page.keyboard.press("Control+s")  # in the editor, which has the focus
    page.get_by_text(f"Saved to {branch}").first.wait_for()


def new_release(page, version: str, tags: tuple[str, ...] = ()) -> None:
    page.get_by_role("button", name="New release").first.click()
    dialog = page.get_by_role("dialog", name="New release")
    for tag in tags:
        dialog.get_by_label(tag).check()
    dialog.get_by_label("Comment").fill(f"release {version}")
    dialog.get_by_role("button", name=f"Release {version}").click()
    page.get_by_test_id(f"release-{version}").wait_for()


def run_release(page, version: str) -> None:
    release_action(page, version, "Run this release")
    page.get_by_text(f"Release {version} is running").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => document.querySelector('[data-testid=\"release-{version}\"] [data-testid=running-light]')")


def test_a_day_write_release_run_watch_change_roll_back_and_see_the_data(root_page, client, root_headers, server):
    page = root_page
    suffix = secrets.token_hex(2)
    slug = f"day-{suffix}"

    # A project, made in the UI.
    open_page(page, "/projects")
    page.get_by_role("button", name="New project").first.click()
    dialog = page.get_by_role("dialog", name="New project")
    dialog.get_by_label("Name").fill(f"Day {suffix}")
    dialog.get_by_test_id("slug-available").wait_for()
    dialog.get_by_role("button", name="Create project").click()
    page.wait_for_url(f"**/projects/{slug}")
    project = client.get(f"/api/projects/{slug}", headers=root_headers).json()
    api = f"/api/projects/{project['id']}"
    try:
        # Its data model (the typings then declare $database.notes).
        made = client.post(f"{api}/models", json={"name": "Notes", "slug": "notes", "fields": [
            {"key": "title", "type": "string", "required": True}, {"key": "body", "type": "text"},
        ], "table": {"columns": ["title", "body", "created"], "sortable": ["title"], "defaultSort": "-created"},
            "form": {"widgets": {"body": "tiptap"}}}, headers=root_headers)
        assert made.status_code == 201, made.text

        # The service, typed in Monaco with completions picked from the list.
        page.get_by_role("link", name="Code", exact=True).first.click()
        wait_for_editor(page)
        # The route is pasted in; where its record is written, `$database.notes` is typed with two
        # completions from the list (Monaco closes brackets as one types, so the rest is pasted).
        set_code(page, SERVICE.replace("VERSION", "1"))
        page.evaluate(
            "() => { const editor = window.monaco.editor.getEditors()[0];"
            " const [match] = editor.getModel().findMatches('HERE', false, false, true, null, false);"
            " editor.executeEdits('test', [{ range: match.range, text: '' }]); editor.setPosition(match.range.getStartPosition()); editor.focus(); }"
        )
        page.keyboard.type("$data")
        page.keyboard.press("Control+Space")
        suggestion = page.locator(".suggest-widget .monaco-list-row", has_text="$database").first
        suggestion.wait_for()
        suggestion.click()
        page.keyboard.type(".no")
        page.keyboard.press("Control+Space")
        suggestion = page.locator(".suggest-widget .monaco-list-row", has_text="notes").first
        suggestion.wait_for()
        suggestion.click()
        page.wait_for_timeout(500)
        assert "await $database.notes.insert({ title" in model_value(page), model_value(page)
        wait_for_no_markers(page, "the service")
        look(page, "day-code")
        save(page)
        assert "$schedule.every('1h'" in client.get(f"{api}/pipeline/branches/develop", headers=root_headers).json()["code"]

        # Release 1.0 and run it.
        page.get_by_role("link", name="Releases", exact=True).first.click()
        new_release(page, "1.0", ("stable",))
        run_release(page, "1.0")

        # The request tester calls the route; the log shows it live.
        page.get_by_role("link", name="Runtime", exact=True).first.click()
        page.get_by_label("Path").fill("/note/morning")
        page.get_by_role("button", name="Send").click()
        page.get_by_test_id("tester-status").filter(has_text="200").wait_for(timeout=30_000)
        assert '"v": 1' in page.get_by_test_id("tester-body").inner_text()
        page.get_by_role("link", name="Logs", exact=True).first.click()
        page.locator("[data-testid=log-line]", has_text="note morning").wait_for()
        assert httpx.get(f"{server.url}/bot-{slug}/note/noon").json()["v"] == 1
        page.locator("[data-testid=log-line]", has_text="note noon").wait_for()
        look(page, "day-logs")

        # Change the code, release 1.1 with tags, run it; then roll back to 1.0.
        page.get_by_role("link", name="Code", exact=True).first.click()
        wait_for_editor(page)
        code = model_value(page)
        page.evaluate("(code) => window.monaco.editor.getEditors()[0].getModel().setValue(code)", code.replace("v: 1", "v: 2"))
        page.get_by_test_id("unsaved").wait_for()
        wait_for_no_markers(page, "version 2")
        save(page, button=True)
        page.get_by_role("link", name="Releases", exact=True).first.click()
        new_release(page, "1.1", ("night-build", "develop"))
        row = page.get_by_test_id("release-1.1")
        assert "night-build" in row.inner_text() and "develop" in row.inner_text()
        run_release(page, "1.1")
        assert lit(page) == ["release-1.1"]
        assert httpx.get(f"{server.url}/bot-{slug}/note/evening").json()["v"] == 2
        run_release(page, "1.0")
        assert lit(page) == ["release-1.0"]
        assert httpx.get(f"{server.url}/bot-{slug}/note/night").json()["v"] == 1
        look(page, "day-releases")

        titles = sorted(item["title"] for item in client.get(f"{api}/models/notes/records", headers=root_headers).json()["items"])
        assert titles == ["evening", "morning", "night", "noon"]

        # The data: what the service wrote is in the table, newest first.
        page.get_by_role("link", name="Data", exact=True).first.click()
        page.get_by_role("link", name="Notes", exact=True).first.click()
        page.get_by_role("heading", name="Notes").wait_for()
        page.wait_for_function("() => document.querySelectorAll('[data-testid=record-row]').length === 4")
        assert column(page, "title") == ["night", "evening", "noon", "morning"]
        # A record written by the service while the page is open appears by itself.
        assert httpx.get(f"{server.url}/bot-{slug}/note/live").json()["v"] == 1
        page.locator("[data-testid=record-row] td[data-column=title]", has_text="live").wait_for()
        assert column(page, "title")[0] == "live"
        # One made through the form, with rich text.
        page.get_by_role("button", name="New record").click()
        sheet = page.get_by_role("dialog", name="New record in Notes")
        sheet.get_by_label("Title").fill("by hand")
        sheet.locator('[data-field="body"]').get_by_role("textbox").click()
        page.keyboard.type("written ")
        page.keyboard.press("Control+b")  # bold, as a writer does it
        page.keyboard.type("in the form")
        assert sheet.locator('[data-field="body"]').get_by_role("button", name="Bold").get_attribute("aria-pressed") == "true"
        look(page, "day-record-form")
        sheet.get_by_role("button", name="Create record").click()
        page.locator("[data-testid=record-row] td[data-column=title]", has_text="by hand").wait_for()
        stored = client.get(f"{api}/models/notes/records", params={"filter": 'title = "by hand"'}, headers=root_headers).json()["items"]
        assert stored[0]["body"] == "<p>written <strong>in the form</strong></p>"
        row = page.locator("[data-testid=record-row]", has=page.locator("td[data-column=title]", has_text="by hand"))
        assert row.locator("td[data-column=body]").inner_text().strip() == "written in the form"  # its words, not its tags
        # Filter and sort in the table.
        box = page.get_by_role("textbox", name="Filter", exact=True)
        box.fill('title ~ "n"')
        box.press("Enter")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=record-row]').length === 5")
        assert sorted(column(page, "title")) == ["by hand", "evening", "morning", "night", "noon"]
        look(page, "day-records")
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)
