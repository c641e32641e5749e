"""The runtime panel's metrics (requests and errors, latency p50/p95, memory over the last hour,
refreshed), the Logs page's run picker (a past run's log, how it ended), and format on save in
the code editor (a setting of the browser)."""

from __future__ import annotations

import httpx

from runtime_support import wait_until

from .test_code import model_value, type_code, wait_for_editor
from .test_projects import make_project
from .ui_support import look, open_page

CODE = """\
$router.get('/hello/:name', async (ctx) => {
  $logger.info('hello ' + ctx.params.name)
  return { hello: ctx.params.name }
})
$router.get('/slow', async () => { await new Promise((resolve) => setTimeout(resolve, 50)); return 'slow' })
$router.get('/boom', () => { throw new Error('boom') })
$router.get('/late', () => { setTimeout(() => { throw new Error('thrown later') }, 0); return 'ok' })
"""


def deployed(client, headers, name: str, code: str = CODE) -> tuple[dict, str]:
    project = make_project(client, headers, name)
    api = f"/api/projects/{project['id']}"
    client.put(f"{api}/pipeline/branches/develop", json={"code": code}, headers=headers)
    client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor", "comment": "", "tags": []}, headers=headers)
    return project, api


def test_the_metrics_panel_draws_the_last_hour_and_refreshes(root_page, client, root_headers, server):
    page = root_page
    project, api = deployed(client, root_headers, "Metrics")
    bot = f"{server.url}/bot-{project['slug']}"
    try:
        # Never run: the panel says there is nothing yet, without an error.
        open_page(page, f"/projects/{project['slug']}/runtime")
        metrics = page.get_by_test_id("metrics")
        metrics.get_by_text("No request in the last hour.").first.wait_for()
        metrics.get_by_text("The service did not run in the last hour.").wait_for()
        assert metrics.get_by_test_id("metric-p95").inner_text() == "—"

        assert client.post(f"{api}/runtime/start", json={"release": "1.0"}, headers=root_headers, timeout=60).json()["state"] == "running"
        for index in range(20):
            httpx.get(f"{bot}/hello/n{index}")
        for _ in range(4):
            httpx.get(f"{bot}/slow")
        for _ in range(2):
            assert httpx.get(f"{bot}/boom").status_code == 500
        assert httpx.get(f"{bot}/late").status_code == 200
        # the timer's error line reaches the server with the worker's next batch of log lines
        wait_until(lambda: client.get(f"{api}/runtime/metrics", headers=root_headers).json()["totals"]["jsErrors"] == 1, what="the JS error")
        page.reload()
        metrics.get_by_test_id("metric-requests").filter(has_text="27").wait_for()
        assert metrics.get_by_test_id("metric-errors").inner_text() == "2"
        assert metrics.get_by_test_id("metric-js-errors").inner_text() == "1"
        p95 = metrics.get_by_test_id("metric-p95").inner_text()
        assert p95.endswith("ms") and float(p95.split()[0].replace(",", "")) >= 30, p95
        # Three charts, drawn: bars for the minute's requests, the two latency lines, the memory area.
        metrics.locator(".recharts-bar-rectangle").first.wait_for()
        assert metrics.locator(".recharts-line").count() == 2
        metrics.locator(".recharts-area-dot").first.wait_for()  # one sample a minute: a dot at least
        look(page, "runtime-metrics")

        # It refreshes on its own (every 15 s): more requests show up without a reload.
        for index in range(4):
            httpx.get(f"{bot}/hello/more{index}")
        metrics.get_by_test_id("metric-requests").filter(has_text="31").wait_for(timeout=40_000)
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)


def test_the_metrics_error_state_offers_a_retry(root_page, client, root_headers, browser_log):
    page = root_page
    project, _ = deployed(client, root_headers, "Metrics failing")
    # The server's error answer is said in the panel, with a retry; the rest of the page works.
    page.route("**/runtime/metrics", lambda route: route.fulfill(status=503, json={"error": {"code": "database_unavailable", "message": "the database does not answer"}}))
    browser_log.expect(503, "/runtime/metrics")
    open_page(page, f"/projects/{project['slug']}/runtime")
    metrics = page.get_by_test_id("metrics")
    metrics.get_by_text("the database does not answer").wait_for(timeout=30_000)
    page.unroute("**/runtime/metrics")
    metrics.get_by_role("button", name="Try again").click()
    metrics.get_by_test_id("metric-requests").wait_for()


def test_the_run_picker_shows_a_past_runs_log(root_page, client, root_headers, server):
    page = root_page
    project, api = deployed(client, root_headers, "Runs")
    bot = f"{server.url}/bot-{project['slug']}"
    try:
        assert client.post(f"{api}/runtime/start", json={"release": "1.0"}, headers=root_headers, timeout=60).json()["state"] == "running"
        httpx.get(f"{bot}/hello/first-run")
        assert client.post(f"{api}/runtime/start", json={"release": "1.0"}, headers=root_headers, timeout=60).json()["state"] == "running"
        httpx.get(f"{bot}/hello/second-run")
        page.goto(page.base + f"/projects/{project['slug']}/logs")  # the live stream never lets the network idle
        page.locator("[data-testid=log-line]", has_text="hello second-run").wait_for()
        assert page.locator("[data-testid=log-line]", has_text="hello first-run").count() == 0
        picker = page.get_by_role("combobox", name="Run")
        assert picker.inner_text().strip() == "Run 2 · 1.0 · current"
        picker.click()
        page.get_by_role("option", name="Run 1 · 1.0").click()
        page.locator("[data-testid=log-line]", has_text="hello first-run").wait_for()
        assert page.locator("[data-testid=log-line]", has_text="hello second-run").count() == 0
        summary = page.get_by_test_id("run-summary")
        summary.get_by_text("Replaced by a new start").wait_for()
        assert page.get_by_test_id("live").count() == 0  # a past run is not live
        look(page, "logs-past-run")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download").click()
        assert download.value.suggested_filename == f"{project['slug']}-run-1.log"
        assert "hello first-run" in open(download.value.path(), encoding="utf-8").read()

        summary.get_by_role("button", name="Current run").click()
        page.locator("[data-testid=log-line]", has_text="hello second-run").wait_for()
        page.get_by_test_id("live").wait_for()
        httpx.get(f"{bot}/hello/live-again")  # the current run is live again
        page.locator("[data-testid=log-line]", has_text="hello live-again").wait_for()
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)


def test_format_on_save_is_a_setting_of_the_browser(root_page, client, root_headers):
    page = root_page
    project, api = deployed(client, root_headers, "Formatting", code="const a=1\n")
    open_page(page, f"/projects/{project['slug']}/code")
    wait_for_editor(page)
    switch = page.get_by_role("switch", name="Format on save")
    assert switch.get_attribute("aria-checked") == "false"  # off until turned on
    type_code(page, "const  greeting={hello:'world',n:[1,2,3]}\n$router.get('/x',()=>greeting)\n")
    page.get_by_test_id("unsaved").wait_for()
    page.keyboard.press("Control+s")
    page.get_by_text("Saved to develop").first.wait_for()
    saved = client.get(f"{api}/pipeline/branches/develop", headers=root_headers).json()["code"]
    assert "const  greeting={hello" in saved  # as typed

    switch.click()
    assert switch.get_attribute("aria-checked") == "true"
    type_code(page, "const  greeting={hello:'you',n:[1,2,3]}\n$router.get('/x',()=>greeting)\n")
    page.get_by_test_id("unsaved").wait_for()
    page.keyboard.press("Control+s")  # from the editor
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=unsaved]')", timeout=30_000,
    )
    saved = client.get(f"{api}/pipeline/branches/develop", headers=root_headers).json()["code"]
    assert saved.startswith("const greeting = { hello: 'you', n: [1, 2, 3] }"), saved
    assert "$router.get('/x', () => greeting)" in saved
    assert model_value(page) == saved  # the editor shows what was saved

    type_code(page, "let   b=2\n")
    page.get_by_test_id("unsaved").wait_for()
    page.get_by_role("button", name="Save", exact=True).click()  # the button formats too
    page.wait_for_function("() => !document.querySelector('[data-testid=unsaved]')", timeout=30_000)
    assert client.get(f"{api}/pipeline/branches/develop", headers=root_headers).json()["code"].startswith("let b = 2")
    look(page, "code-format-on-save")

    page.reload()  # kept in this browser
    wait_for_editor(page)
    assert page.get_by_role("switch", name="Format on save").get_attribute("aria-checked") == "true"
    page.get_by_role("switch", name="Format on save").click()
    assert page.evaluate("localStorage.getItem('m3m.formatOnSave')") == "off"
