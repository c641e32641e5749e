"""The code page: Monaco bundled from the package (nothing from outside the origin), the
project's `$` typings with checkJs (no marker on code using every `$` API, one on a misspelt
name), completion, save with the button and Ctrl+S, branches and the unsaved-changes guard."""

from __future__ import annotations

import json

from conftest import ROOT

from .test_projects import make_project
from .ui_support import look, open_page

EXAMPLES = sorted((ROOT / "examples").glob("*.js"))
# Every $ API the server has (tests/test_runtime_typings.py keeps the same list).
RUNTIME_APIS = (
    "$service", "$router", "$logger", "$env", "$goals", "$crypto", "$encoding", "$strings", "$delayed", "$schedule",
    "$storage", "$image", "$draw", "$http", "$smtp", "$database",
)


def wait_for_editor(page) -> None:
    page.wait_for_function("() => window.monaco && window.monaco.editor.getEditors().some(e => e.getModel())")


def model_value(page) -> str:
    return page.evaluate("() => window.monaco.editor.getEditors()[0].getModel().getValue()")


def set_code(page, code: str) -> None:
    page.evaluate("(code) => window.monaco.editor.getEditors()[0].getModel().setValue(code)", code)


def type_code(page, code: str) -> None:
    """Replace the editor's text through its input, as a paste or an IME would type it."""
    page.locator(".monaco-editor .view-lines").first.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)


def markers(page) -> list[dict]:
    return page.evaluate(
        "() => { const model = window.monaco.editor.getEditors()[0].getModel();"
        " return window.monaco.editor.getModelMarkers({resource: model.uri}).map(m => ({message: m.message, line: m.startLineNumber, severity: m.severity})); }"
    )


def wait_for_marker(page, text: str) -> None:
    page.wait_for_function(
        "(text) => { const model = window.monaco.editor.getEditors()[0].getModel();"
        " return window.monaco.editor.getModelMarkers({resource: model.uri}).some(m => m.message.includes(text)); }",
        arg=text,
        timeout=60_000,
    )


def wait_for_no_markers(page, what: str = "") -> None:
    try:
        page.wait_for_function(
            "() => { const model = window.monaco.editor.getEditors()[0].getModel();"
            " return window.monaco.editor.getModelMarkers({resource: model.uri}).length === 0; }",
            timeout=60_000,
        )
    except Exception:
        raise AssertionError(f"markers left in {what or 'the code'}: {markers(page)}") from None


def type_at_end(page, text: str) -> None:
    page.locator(".monaco-editor .view-lines").first.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def test_a_new_project_opens_the_template_and_ctrl_s_creates_develop(root_page, client, root_headers, server):
    page = root_page
    outside: list[str] = []
    page.on("request", lambda request: None if request.url.startswith((server.url, "blob:", "data:")) else outside.append(request.url))
    project = make_project(client, root_headers, "Code new")
    template = client.get(f"/api/projects/{project['id']}/pipeline/template", headers=root_headers).json()["code"]
    open_page(page, f"/projects/{project['slug']}/code")
    wait_for_editor(page)
    assert model_value(page) == template
    page.get_by_text("develop (created on the first save)").wait_for()
    wait_for_no_markers(page)  # the template itself type-checks
    look(page, "code-new")

    type_at_end(page, "\n$logger.info('saved from the editor')\n")
    page.get_by_test_id("unsaved").wait_for()
    page.keyboard.press("Control+s")
    page.get_by_text("Saved to develop").wait_for()
    page.get_by_role("combobox", name="Branch").wait_for()  # the branch exists now
    branch = client.get(f"/api/projects/{project['id']}/pipeline/branches/develop", headers=root_headers).json()
    assert branch["code"].startswith(template)
    assert "$logger.info('saved from the editor')" in branch["code"]
    assert page.get_by_test_id("unsaved").count() == 0

    # Monaco, its workers and its font came from this origin only, and workers did run.
    assert outside == []
    workers = page.evaluate("() => performance.getEntriesByType('resource').filter(e => /worker/.test(e.name)).map(e => e.name)")
    assert any("ts.worker" in name for name in workers) and all(name.startswith(server.url) for name in workers)


def test_every_dollar_api_type_checks_and_a_misspelt_name_is_marked(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Code types")
    # The examples' data models, so that $database declares their collections.
    for models in sorted((ROOT / "examples").glob("*.models.json")):
        for model in json.loads(models.read_text()):
            made = client.post(f"/api/projects/{project['id']}/models", json=model, headers=root_headers)
            assert made.status_code == 201, made.text
    open_page(page, f"/projects/{project['slug']}/code")
    wait_for_editor(page)
    used = set()
    for example in EXAMPLES:
        code = example.read_text()
        used.update(name for name in RUNTIME_APIS if f"{name}." in code)
        # A misspelt `$` name first: the check runs, and can fail...
        set_code(page, code + "\n$schedul.every('1m', () => {})\n")
        wait_for_marker(page, "Cannot find name '$schedul'")
        # ...then the example as it is, typed in: every `$` API it uses is known, no marker at all.
        type_code(page, code)
        # Typed, so Monaco indents each new line on its own: the same code, other leading spaces.
        page.wait_for_function(
            "(code) => { const strip = (text) => text.split('\\n').map(line => line.trim()).join('\\n');"
            " return strip(window.monaco.editor.getEditors()[0].getModel().getValue()) === strip(code); }",
            arg=code,
        )
        wait_for_no_markers(page, example.name)
    assert used == set(RUNTIME_APIS)  # the examples together use every `$` API

    # Completion: `$sche` offers $schedule, picked from the list.
    set_code(page, "")
    type_at_end(page, "$sche")
    page.keyboard.press("Control+Space")
    suggestion = page.locator(".suggest-widget .monaco-list-row", has_text="$schedule").first
    suggestion.wait_for()
    suggestion.click()
    page.keyboard.type(".every('5m', () => $logger.info('tick'))")
    assert model_value(page).startswith("$schedule.every('5m', () => $logger.info('tick'))")
    wait_for_no_markers(page)
    look(page, "code-completion")


def test_branches_new_switch_guard_reset_and_delete(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Code branches")
    api = f"/api/projects/{project['id']}/pipeline"
    client.put(f"{api}/branches/develop", json={"code": "$logger.info('one')\n"}, headers=root_headers)
    client.post(f"{api}/releases", json={"branch": "develop", "bump": "minor", "comment": "first", "tags": []}, headers=root_headers)
    client.put(f"{api}/branches/develop", json={"code": "$logger.info('two')\n"}, headers=root_headers)
    open_page(page, f"/projects/{project['slug']}/code")
    wait_for_editor(page)
    assert model_value(page) == "$logger.info('two')\n"

    page.get_by_role("button", name="Branch actions").click()
    page.get_by_role("menuitem", name="New branch…").click()
    dialog = page.get_by_role("dialog", name="New branch")
    dialog.get_by_label("Name").fill("Feature X")
    dialog.get_by_role("button", name="Create branch").click()
    dialog.get_by_text("Lowercase letters, digits").wait_for()  # checked before a request
    dialog.get_by_label("Name").fill("feature-x")
    dialog.get_by_role("combobox", name="From").click()
    page.get_by_role("option", name="Release 1.0").click()
    look(page, "code-new-branch")
    dialog.get_by_role("button", name="Create branch").click()
    page.wait_for_url("**branch=feature-x**")
    page.wait_for_function("() => window.monaco.editor.getEditors()[0].getModel().getValue() === \"$logger.info('one')\\n\"")

    # Unsaved changes are marked and guarded when switching to another branch.
    type_at_end(page, "$logger.info('draft')")
    page.get_by_test_id("unsaved").wait_for()
    page.get_by_role("combobox", name="Branch").click()
    page.get_by_role("option", name="develop").click()
    guard = page.get_by_role("alertdialog", name="Leave without saving?")
    guard.wait_for()
    look(page, "code-unsaved-guard")
    guard.get_by_role("button", name="Cancel").click()
    assert "branch=feature-x" in page.url
    assert "draft" in model_value(page)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved to feature-x").wait_for()
    assert "draft" in client.get(f"{api}/branches/feature-x", headers=root_headers).json()["code"]

    # Reset to the release, with confirmation.
    page.get_by_role("button", name="Branch actions").click()
    page.get_by_role("menuitem", name="Reset to…").click()
    confirm = page.get_by_role("alertdialog", name="Reset feature-x?")
    assert "Release 1.0" in confirm.get_by_role("combobox", name="Reset to").inner_text()
    confirm.get_by_role("button", name="Reset").click()
    page.get_by_text("feature-x reset").wait_for()
    page.wait_for_function("() => window.monaco.editor.getEditors()[0]?.getModel()?.getValue() === \"$logger.info('one')\\n\"")
    assert page.get_by_test_id("unsaved").count() == 0

    page.get_by_role("button", name="Branch actions").click()
    page.get_by_role("menuitem", name="Delete branch").click()
    page.get_by_role("alertdialog", name="Delete branch feature-x?").get_by_role("button", name="Delete").click()
    page.get_by_text("Branch feature-x deleted").wait_for()
    page.wait_for_function("() => window.monaco.editor.getEditors()[0].getModel().getValue() === \"$logger.info('two')\\n\"")
    names = [b["name"] for b in client.get(api, headers=root_headers).json()["branches"]]
    assert names == ["develop"]
    look(page, "code")
