"""The runtime panel (state, release, pid, uptime, restarts, memory, routes with full URLs;
start, restart, stop) and the logs (the current run's lines, live over SSE, level filter, search,
pause/resume, download). The seed crashed with `logs.filter is not a function`: the lines show."""

from __future__ import annotations

import threading

import httpx

from .test_projects import make_project
from .ui_support import look, open_page

CODE = """\
$service.start(async () => {
  $logger.debug('debug detail')
  $logger.info('service started')
  $logger.warn('a warning at start')
  $logger.error('an error at start')
})

$router.get('/hello/:name', async (ctx) => {
  $logger.info('hello ' + ctx.params.name)
  return { hello: ctx.params.name, page: ctx.query.page }
})

$router.post('/echo', async (ctx) => ({ got: ctx.body }))
"""


def test_start_watch_the_log_live_filter_and_stop(root_page, client, root_headers, server):
    page = root_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    project = make_project(client, root_headers, "Runtime")
    api = f"/api/projects/{project['id']}"
    client.put(f"{api}/pipeline/branches/develop", json={"code": CODE}, headers=root_headers)
    client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor", "comment": "", "tags": []}, headers=root_headers)
    uri = client.get("/api/ui/config").json()["uri"]
    try:
        open_page(page, f"/projects/{project['slug']}/runtime")
        page.get_by_text("No routes: the service is stopped").wait_for()
        look(page, "runtime-stopped")
        assert page.get_by_label("Release to start").inner_text() == "1.0"
        page.get_by_role("button", name="Start", exact=True).click()
        page.get_by_text("Release 1.0 is running").wait_for(timeout=60_000)
        state = client.get(f"{api}/runtime", headers=root_headers).json()
        assert state["state"] == "running"
        page.locator("dd", has_text=str(state["pid"])).wait_for()
        page.get_by_test_id("uptime").wait_for()
        url = f"{uri}/bot-{project['slug']}/hello/:name"
        page.get_by_test_id("route-url").filter(has_text=url).wait_for()
        page.get_by_role("button", name=f"Copy {url}").click()
        assert page.evaluate("navigator.clipboard.readText()") == url

        # The request tester calls a route with a method, path, query and body.
        page.get_by_label("Path").fill("/hello/ada")
        page.get_by_label("Query").fill("page=2")
        page.get_by_role("button", name="Send").click()
        page.get_by_test_id("tester-status").filter(has_text="200").wait_for()
        assert '"hello": "ada"' in page.get_by_test_id("tester-body").inner_text()
        assert '"page": "2"' in page.get_by_test_id("tester-body").inner_text()
        page.get_by_label("Method").click()
        page.get_by_role("option", name="POST").click()
        page.get_by_label("Path").fill("/echo")
        page.get_by_label("Query").fill("")
        page.get_by_label("Body").fill('{"n": 7}')
        page.get_by_role("button", name="Send").click()
        page.get_by_test_id("tester-body").filter(has_text='"n": 7').wait_for()
        look(page, "runtime")

        page.get_by_role("link", name="Logs").first.click()
        page.get_by_role("log", name="Log lines").wait_for()
        page.locator("[data-testid=log-line]", has_text="service started").wait_for()
        page.locator("[data-testid=log-line]", has_text="hello ada").wait_for()  # the tester's call
        # A request to the service logs a line that arrives live.
        assert httpx.get(f"{server.url}/bot-{project['slug']}/hello/lin").json() == {"hello": "lin"}
        page.locator("[data-testid=log-line]", has_text="hello lin").wait_for()
        look(page, "logs")

        page.get_by_role("combobox", name="Level").click()
        page.get_by_role("option", name="Error").click()
        page.locator("[data-testid=log-line]", has_text="an error at start").wait_for()
        levels = page.locator("[data-testid=log-line]").evaluate_all("rows => rows.map(r => r.dataset.level)")
        assert levels and set(levels) == {"error"}
        page.get_by_role("combobox", name="Level").click()
        page.get_by_role("option", name="All levels").click()
        page.get_by_role("searchbox", name="Search the log").fill("WARNING AT")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=log-line]').length === 1")
        assert "a warning at start" in page.get_by_test_id("log-line").inner_text()
        page.get_by_role("searchbox", name="Search the log").fill("")

        # Paused: new lines wait; resumed: they are shown.
        page.get_by_role("button", name="Pause").click()
        httpx.get(f"{server.url}/bot-{project['slug']}/hello/grace")
        page.wait_for_timeout(1500)
        assert page.locator("[data-testid=log-line]", has_text="hello grace").count() == 0
        page.get_by_role("button", name="Resume").click()
        page.locator("[data-testid=log-line]", has_text="hello grace").wait_for()

        with page.expect_download() as download:
            page.get_by_role("button", name="Download").click()
        text = open(download.value.path(), encoding="utf-8").read()
        assert "hello grace" in text and "[ERROR] an error at start" in text

        page.locator("a[href$='/runtime']").first.click()
        page.get_by_role("button", name="Restart", exact=True).click()
        page.get_by_text("The service restarted").wait_for(timeout=60_000)
        page.get_by_role("button", name="Stop", exact=True).click()
        page.get_by_text("The service is stopped", exact=True).wait_for(timeout=60_000)
        assert client.get(f"{api}/runtime", headers=root_headers).json()["state"] == "stopped"
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)


def test_older_lines_page_in_when_scrolled_to_the_top(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Long log")
    api = f"/api/projects/{project['id']}"
    code = "$service.start(async () => { for (let i = 0; i < 2500; i++) $logger.info('line ' + i) })\n"
    client.put(f"{api}/pipeline/branches/develop", json={"code": code}, headers=root_headers)
    client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor", "comment": "", "tags": []}, headers=root_headers)
    try:
        assert client.post(f"{api}/runtime/start", json={"release": "1.0"}, headers=root_headers, timeout=60).json()["state"] == "running"
        total = client.get(f"{api}/runtime/logs", params={"limit": 1}, headers=root_headers).json()["total"]
        assert total > 2500
        page.goto(page.base + f"/projects/{project['slug']}/logs")  # the live stream never lets the network idle
        page.locator("[data-testid=log-line]", has_text="line 2499").wait_for()  # the end, followed
        assert page.get_by_test_id("log-count").inner_text() == "1,000 lines"
        log = page.get_by_role("log", name="Log lines")
        log.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        page.get_by_test_id("log-count").filter(has_text="2,000 lines").wait_for()
        # The view stayed on the lines it showed: the first line on screen is not the new first.
        top = log.evaluate("el => el.scrollTop")
        assert top >= 900 * 20
        log.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        page.get_by_test_id("log-count").filter(has_text=f"{total:,} lines").wait_for()
        assert page.get_by_role("button", name="Load older lines").count() == 0  # from the first line on
        log.evaluate("el => { el.scrollTop = 0; }")
        page.locator("[data-testid=log-line]", has_text="starting release 1.0").wait_for()
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)


def test_a_search_holds_while_older_lines_page_in(root_page, client, root_headers):
    # The lines are kept as the pages they came in and a search goes over each page once: a page
    # that comes in while a search is on is searched too, and clearing the search shows them all.
    page = root_page
    project = make_project(client, root_headers, "Searched log")
    api = f"/api/projects/{project['id']}"
    code = "$service.start(async () => { for (let i = 0; i < 2500; i++) $logger.info('line ' + i) })\n"
    client.put(f"{api}/pipeline/branches/develop", json={"code": code}, headers=root_headers)
    client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor", "comment": "", "tags": []}, headers=root_headers)
    try:
        assert client.post(f"{api}/runtime/start", json={"release": "1.0"}, headers=root_headers, timeout=60).json()["state"] == "running"
        total = client.get(f"{api}/runtime/logs", params={"limit": 1}, headers=root_headers).json()["total"]
        page.goto(page.base + f"/projects/{project['slug']}/logs")
        page.locator("[data-testid=log-line]", has_text="line 2499").wait_for()
        page.get_by_role("searchbox", name="Search the log").fill("line 24")  # 24, 240-249, 2400-2499
        count = page.get_by_test_id("log-count")
        count.filter(has_text="100 of 1,000 shown").wait_for()
        log = page.get_by_role("log", name="Log lines")
        for shown, paged in ((100, 2000), (111, 3000)):  # the second page has none, the third the rest
            log.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
            count.filter(has_text=f"{shown} of {min(paged, total):,} shown").wait_for()
        texts = page.locator("[data-testid=log-line]").all_inner_texts()
        assert texts and all("line 24" in text for text in texts)
        page.get_by_role("searchbox", name="Search the log").fill("")
        count.filter(has_text=f"{total:,} lines").wait_for()
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)


def test_sleep_when_idle_is_switched_on_the_service_sleeps_and_a_request_wakes_it(root_page, client, root_headers, server):
    page = root_page
    project = make_project(client, root_headers, "Sleepy")
    api = f"/api/projects/{project['id']}"
    client.put(f"{api}/pipeline/branches/develop", json={"code": CODE}, headers=root_headers)
    client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor", "comment": "", "tags": []}, headers=root_headers)
    assert client.post(f"{api}/runtime/start", json={"release": "1.0"}, headers=root_headers, timeout=60).json()["state"] == "running"
    try:
        open_page(page, f"/projects/{project['slug']}/runtime")
        switch = page.get_by_role("switch", name="Sleep when idle")
        assert switch.get_attribute("aria-checked") == "false"
        switch.click()
        page.get_by_text("The service sleeps when idle").wait_for()
        assert client.get(f"{api}/runtime", headers=root_headers).json()["sleep"]["enabled"] is True
        # Idle for the server's 3 s: the badge says so (the page polls the state).
        page.locator("[data-state=sleeping]").first.wait_for(timeout=30_000)
        look(page, "runtime-sleeping")
        # A request wakes it and is served; busy (a request a second), the page shows it running.
        answer = httpx.get(f"{server.url}/bot-{project['slug']}/hello/wake", timeout=60)
        assert answer.status_code == 200 and answer.json()["hello"] == "wake"
        busy = threading.Event()

        def keep_busy():
            while not busy.is_set():
                httpx.get(f"{server.url}/bot-{project['slug']}/hello/busy", timeout=60)
                busy.wait(1)

        worker = threading.Thread(target=keep_busy)
        worker.start()
        try:
            page.locator("[data-state=running]").first.wait_for(timeout=30_000)
        finally:
            busy.set()
            worker.join()
        page.reload()
        assert page.get_by_role("switch", name="Sleep when idle").get_attribute("aria-checked") == "true"
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)


def test_a_service_held_at_its_cpu_share_says_so_and_why(root_page, client, root_headers):
    """A busy loop in a timer, under a lowered CPU share (0.1 core, root's choice): once its credit
    is spent the runtime page shows that it is held at its share, and why (issue [13] finding 7)."""
    page = root_page
    project = make_project(client, root_headers, "Spinner")
    api = f"/api/projects/{project['id']}"
    spin = "setInterval(() => { const end = Date.now() + 20; while (Date.now() < end) {} }, 0)\n"
    client.put(f"{api}/pipeline/branches/develop", json={"code": spin}, headers=root_headers)
    client.post(f"{api}/pipeline/releases", json={"branch": "develop", "bump": "minor", "comment": "", "tags": []}, headers=root_headers)
    assert client.put(f"{api}/runtime/cpu", json={"share": 0.1}, headers=root_headers).status_code == 200
    assert client.post(f"{api}/runtime/start", json={"release": "1.0"}, headers=root_headers, timeout=60).json()["state"] == "running"
    try:
        open_page(page, f"/projects/{project['slug']}/runtime")
        held = page.get_by_test_id("cpu-throttled")
        held.wait_for(timeout=60_000)  # the page polls the state: its credit (1 CPU-second) spent first
        assert "Throttled: over its CPU share of 0.1 cores" in held.inner_text()
        look(page, "runtime-cpu-throttled")
    finally:
        client.post(f"{api}/runtime/stop", headers=root_headers, timeout=60)
