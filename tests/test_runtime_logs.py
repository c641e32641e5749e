"""Run logs (docs/runtime/logs.md): format and levels, runtime events, one log per run, paging,
download, the live stream, flood safety (size cap, bounded buffers) and who may read them.

Real `m3m serve` processes, real workers, real HTTP. A second server with a 20 KB cap shows the
truncation; the bounded buffers of the store are also checked directly, where a flood faster
than the disk can be made without a slow disk."""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conftest import ROOT_EMAIL, ROOT_PASSWORD, Server, login, run_m3m, server_env
from kernel.embedded import free_port
from builtin_plugins.runtime.engine.logs import RESET, LogStore, Subscription
from runtime_support import new_service

ENTRY = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[(DEBUG|INFO|WARN|ERROR)\] ")


def message(line: str) -> str:
    return ENTRY.sub("", line)


def assert_well_formed(lines: list[str]) -> None:
    """Every line is an entry or an indented continuation of the entry above it."""
    assert lines and ENTRY.match(lines[0]), lines[:1]
    for line in lines:
        assert ENTRY.match(line) or line.startswith("    "), line


def whole_log(service) -> list[str]:
    """Every line (Deployed.logs reads one page of 5000)."""
    return service.client.get(service.api("/runtime/logs/download"), headers=service.headers).text.splitlines()


def wait_whole_log(service, text: str) -> list[str]:
    return service.wait_for(lambda: [line for line in whole_log(service) if text in line], what=f"log line {text!r}")


@pytest.fixture
def service(client, root_headers):
    deployed = new_service(client, root_headers)
    yield deployed
    deployed.stop()


# -- format ---------------------------------------------------------------------------------------


def test_levels_values_and_multiline_messages(client, service):
    service.deploy(
        r"""
        $router.get('/log', () => {
          console.log('from console.log'); console.info('from console.info'); console.dir('from console.dir')
          console.warn('from console.warn'); console.error('from console.error'); console.debug('from console.debug')
          $logger.debug('d'); $logger.info('i'); $logger.warn('w'); $logger.error('e')
          $logger.info({ a: 1, b: [true, null], s: 'x' })
          $logger.info('several', 'args', 3, NaN, 10n, undefined, null)
          $logger.error(new TypeError('bad thing'))
          $logger.info('nested', { err: new RangeError('inner') })
          $logger.warn('first line\nsecond line\r\nthird line')
          console.trace('traced')
          console.assert(1 === 2, 'one is not two'); console.assert(true, 'never logged')
          console.log('the end')
          return { ok: true }
        })
        """
    )
    assert client.get(service.bot("/log")).json() == {"ok": True}
    service.wait_log("the end")
    lines = service.logs()
    assert_well_formed(lines)
    entries = {message(line): ENTRY.match(line).group(1) for line in lines if ENTRY.match(line)}
    for text, level in [
        ("from console.log", "INFO"), ("from console.info", "INFO"), ("from console.dir", "INFO"),
        ("from console.warn", "WARN"), ("from console.error", "ERROR"), ("from console.debug", "DEBUG"),
        ("d", "DEBUG"), ("i", "INFO"), ("w", "WARN"), ("e", "ERROR"),
        ('{"a":1,"b":[true,null],"s":"x"}', "INFO"),
        ("several args 3 NaN 10 undefined null", "INFO"),
        ("TypeError: bad thing", "ERROR"),
        ("first line", "WARN"), ("Trace: traced", "DEBUG"),
        ("Assertion failed: one is not two", "ERROR"),
    ]:
        assert entries.get(text) == level, (text, lines)
    assert not any("never logged" in line for line in lines)
    # An Error: name and message, then its stack on indented lines (SpiderMonkey: fn@file:line:col).
    at = next(i for i, line in enumerate(lines) if line.endswith("TypeError: bad thing"))
    assert lines[at + 1].startswith("    ") and "release-1.0.js" in lines[at + 1]
    nested = next(message(line) for line in lines if message(line).startswith("nested "))
    assert '"name":"RangeError","message":"inner"' in nested
    at = next(i for i, line in enumerate(lines) if line.endswith("first line"))
    assert lines[at + 1 : at + 3] == ["    second line", "    third line"]
    at = next(i for i, line in enumerate(lines) if line.endswith("Trace: traced"))
    assert lines[at + 1].startswith("    ") and "release-1.0.js" in lines[at + 1]


# -- runtime events and runs ----------------------------------------------------------------------


def test_runtime_events_of_a_run(client, service):
    service.deploy("$service.start(() => { $logger.info('started by the service') })")
    service.stop()
    events = [message(line) for line in service.logs() if "[runtime]" in line]
    assert events[0] == "[runtime] starting release 1.0"
    for expected in ("[runtime] booting", "[runtime] started (pid", "[runtime] stopping", "[runtime] stopped"):
        assert any(event.startswith(expected) for event in events), (expected, events)
    order = [m for m in map(message, service.logs()) if m.startswith(("[runtime] booting", "started by", "[runtime] started", "[runtime] stopped"))]
    assert [m.split(" (")[0] for m in order] == ["[runtime] booting", "started by the service", "[runtime] started", "[runtime] stopped"]


def test_a_crash_is_logged_with_the_stack_and_crash_restarts_keep_the_log(client, service):
    version = service.release(
        """
        function failToStart() { throw new Error('cannot start today') }
        $service.start(() => failToStart())
        """
    )
    client.post(service.api("/runtime/start"), json={"release": version}, headers=service.headers, timeout=60)
    service.wait_log("restart 1 of")
    # The second boot (after the backoff) writes into the same log: the first crash stays.
    service.wait_for(lambda: len([line for line in service.logs() if "crashed:" in line]) >= 2, what="a second crash")
    lines = service.logs()
    assert_well_formed(lines)
    crash = next(i for i, line in enumerate(lines) if "crashed:" in line)
    assert "[ERROR] [runtime] crashed: $service.start failed: Error: cannot start today" in lines[crash]
    assert "failToStart@" in "\n".join(lines[crash + 1 : crash + 4])
    assert sum(1 for line in lines if "[runtime] starting release" in line) == 1
    assert service.state()["state"] in ("crashed", "starting")


def test_a_new_release_starts_a_new_log_a_restart_goes_on(client, service):
    service.deploy("$router.get('/mark/:word', (ctx) => { $logger.info('mark ' + ctx.params.word); return {} })")
    client.get(service.bot("/mark/first-half"))
    service.wait_log("mark first-half")

    # restart = stop + start of the same release, one run: the log shows both halves
    restarted = client.post(service.api("/runtime/restart"), headers=service.headers, timeout=60)
    assert restarted.status_code == 200, restarted.text
    client.get(service.bot("/mark/second-half"))
    service.wait_log("mark second-half")
    events = [message(line) for line in service.logs()]
    assert events.index("mark first-half") < events.index("[runtime] restarting") < events.index("mark second-half")

    # a start (of a new release, or the same one again) begins a new log
    service.deploy("$router.get('/x', () => ({}))")
    lines = service.logs()
    assert message(lines[0]) == "[runtime] starting release 1.1"
    assert not any("half" in line for line in lines)
    service.start("1.1")
    assert message(service.logs()[0]) == "[runtime] starting release 1.1"
    assert not any("[runtime] stopped" in line for line in service.logs())


def test_a_stopped_service_keeps_its_log(client, service):
    service.deploy("$service.shutdown(() => { $logger.info('bye') })")
    service.stop()
    assert any(line.endswith("[INFO] bye") for line in service.logs())
    assert any("[runtime] stopped" in line for line in service.logs())


# -- paging and download --------------------------------------------------------------------------


def test_paging_is_by_line(client, service):
    service.deploy(
        r"""
        $router.get('/many/:n', (ctx) => {
          for (let i = 0; i < Number(ctx.params.n); i++) { $logger.info('line ' + i) }
          $logger.warn('two\nlines')
          return {}
        })
        """
    )
    client.get(service.bot("/many/450"))
    service.wait_log("    lines")
    url = service.api("/runtime/logs")
    whole = client.get(url, params={"limit": 5000}, headers=service.headers).json()
    total = whole["total"]
    assert total == len(whole["lines"]) and whole["nextOffset"] == total
    pages, offset = [], 0
    while True:
        page = client.get(url, params={"offset": offset, "limit": 100}, headers=service.headers).json()
        assert page["total"] == total and len(page["lines"]) <= 100
        assert page["nextOffset"] == offset + len(page["lines"])
        if not page["lines"]:
            break
        pages += page["lines"]
        offset = page["nextOffset"]
    assert pages == whole["lines"]
    assert [message(line) for line in pages if "line " in line][:3] == ["line 0", "line 1", "line 2"]
    assert pages[-2:] == [pages[-2], "    lines"] and pages[-2].endswith("[WARN] two")
    # the default page is 200 lines; past the end is an empty page
    assert len(client.get(url, headers=service.headers).json()["lines"]) == 200
    past = client.get(url, params={"offset": total + 10}, headers=service.headers).json()
    assert past == {"lines": [], "nextOffset": total + 10, "total": total}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"offset": "-1"}, "offset"), ({"offset": "abc"}, "offset"), ({"offset": ""}, "offset"),
        ({"offset": "1.5"}, "offset"), ({"limit": "0"}, "limit"), ({"limit": "5001"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_offset_or_limit_is_422_naming_the_field(client, root_headers, params, field):
    project = new_service(client, root_headers)
    response = client.get(project.api("/runtime/logs"), params=params, headers=root_headers)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]


def test_download_is_the_whole_log_as_a_text_attachment(client, service):
    service.deploy(r"$router.get('/many', () => { for (let i = 0; i < 3000; i++) { $logger.info('row ' + i) }; return {} })")
    client.get(service.bot("/many"))
    service.wait_log("row 2999")
    response = client.get(service.api("/runtime/logs/download"), headers=service.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    slug = service.project["slug"]
    assert response.headers["content-disposition"] == f"attachment; filename=\"{slug}.log\"; filename*=UTF-8''{slug}.log"
    assert response.text.endswith("\n")
    assert response.text.splitlines() == service.logs()
    assert len(response.text.splitlines()) > 3000


def test_a_log_that_never_ran_is_empty(client, root_headers):
    project = new_service(client, root_headers)
    page = client.get(project.api("/runtime/logs"), headers=root_headers).json()
    assert page == {"lines": [], "nextOffset": 0, "total": 0}
    download = client.get(project.api("/runtime/logs/download"), headers=root_headers)
    assert download.status_code == 200 and download.text == ""


# -- the live stream ------------------------------------------------------------------------------


def read_events(response: httpx.Response, until, limit: int = 100000) -> list[tuple[str, str]]:
    """(kind, text) pairs: ("comment", ...), ("data", line) or ("event", name), until `until(pairs)`."""
    pairs: list[tuple[str, str]] = []
    for raw in response.iter_lines():
        if raw.startswith(":"):
            pairs.append(("comment", raw[1:].strip()))
        elif raw.startswith("data: "):
            pairs.append(("data", raw[6:]))
        elif raw.startswith("event: "):
            pairs.append(("event", raw[7:]))
        if until(pairs) or len(pairs) > limit:
            break
    return pairs


def listening_now(client, service) -> int:
    with client.stream("GET", service.api("/runtime/logs/stream"), headers=service.headers) as response:
        assert response.status_code == 200
        first = read_events(response, lambda pairs: pairs)[0]
    return int(re.fullmatch(r"connected \((\d+) listening\)", first[1]).group(1))


def test_stream_sends_each_new_line_and_ends_cleanly(client, server, service):
    output_before = len(server.output())
    service.deploy(
        r"""
        let n = 0
        $service.start(() => { setInterval(() => { n += 1; $logger.info('tick ' + n); if (n % 5 === 0) { $logger.warn('multi\nline ' + n) } }, 20) })
        """
    )
    with client.stream("GET", service.api("/runtime/logs/stream"), headers=service.headers, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        pairs = read_events(response, lambda pairs: sum(1 for kind, text in pairs if "tick" in text) >= 12)
    data = [text for kind, text in pairs if kind == "data"]
    assert pairs[0][0] == "comment" and pairs[0][1].startswith("connected")
    # one event per line: entries, and each continuation line on its own
    assert all(ENTRY.match(line) or line.startswith("    ") for line in data)
    ticks = [int(message(line).split()[1]) for line in data if message(line).startswith("tick ")]
    assert ticks == list(range(ticks[0], ticks[0] + len(ticks)))
    assert any(line.startswith("    line ") for line in data)

    # the client is gone: its subscription goes too (the next client sees only itself)
    service.wait_for(lambda: listening_now(client, service) == 1, what="the closed stream's subscription to go")
    # two clients at once both get lines
    with client.stream("GET", service.api("/runtime/logs/stream"), headers=service.headers) as one, \
         client.stream("GET", service.api("/runtime/logs/stream"), headers=service.headers) as two:
        for response in (one, two):
            assert any("tick" in text for _, text in read_events(response, lambda pairs: any("tick" in t for _, t in pairs)))
    service.wait_for(lambda: listening_now(client, service) == 1, what="both subscriptions to go")
    assert "Traceback" not in server.output()[output_before:]


def test_stream_tells_when_a_new_run_clears_the_log(client, service):
    service.deploy("$router.get('/x', () => ({}))")
    version = service.release("$service.start(() => { $logger.info('new run here') })")
    found: list = []

    def listen():
        with client.stream("GET", service.api("/runtime/logs/stream"), headers=service.headers, timeout=60) as response:
            found.extend(read_events(response, lambda pairs: any("new run here" in text for _, text in pairs)))

    listener = threading.Thread(target=listen)
    listener.start()
    service.wait_for(lambda: listening_now(client, service) == 2, what="the listener to subscribe")
    service.start(version)
    listener.join(60)
    kinds = [(kind, text) for kind, text in found if kind != "comment"]
    reset = kinds.index(("event", "reset"))
    assert "[runtime] starting release 1.1" in kinds[reset + 2][1]  # after the reset's empty data
    assert any("new run here" in text for _, text in kinds[reset:])


# -- never blocking, flood safety -----------------------------------------------------------------


def test_a_route_that_logs_a_lot_does_not_hold_up_other_routes(client, service):
    service.deploy(
        r"""
        $router.get('/flood', () => { for (let i = 0; i < 20000; i++) { console.log('flood line ' + i + ' ' + 'x'.repeat(40)) }; return { flooded: true } })
        $router.get('/ping', () => ({ pong: true }))
        """
    )
    with ThreadPoolExecutor(8) as pool:
        floods = [pool.submit(client.get, service.bot("/flood"), timeout=60) for _ in range(4)]
        pings = [pool.submit(client.get, service.bot("/ping")) for _ in range(40)]
        assert all(f.result().json() == {"flooded": True} for f in floods)
        assert all(p.result().json() == {"pong": True} for p in pings)
    assert len(wait_whole_log(service, "flood line 19999")) >= 1


def test_a_worker_holds_a_bounded_amount_of_unsent_lines(client, service):
    """JS that logs in a loop without yielding: the worker keeps 2 MB of it and counts the rest."""
    service.deploy(r"$router.get('/burst', () => { for (let i = 0; i < 50000; i++) { $logger.info('burst ' + i + ' ' + 'b'.repeat(100)) }; return {} })")
    assert client.get(service.bot("/burst"), timeout=60).status_code == 200
    note = wait_whole_log(service, "lines dropped: the service logged faster than they could be sent")[0]
    lines = whole_log(service)
    kept = sum(1 for line in lines if "] burst " in line)
    dropped = int(message(note).split()[1])
    assert 10000 < kept < 25000 and kept + dropped == 50000
    assert message(lines[-1]) == message(note) and "[WARN]" in note


@pytest.fixture(scope="module")
def capped(mongo_uri, tmp_path_factory):
    """A second server whose runs may log 20 KB; it recycles workers every 25 requests and gives
    $service.shutdown one second, so recycling and the shutdown kill show in the log too."""
    workdir = tmp_path_factory.mktemp("capped")
    env = server_env(
        workdir / "storage", free_port(), mongo_uri,
        M3M_RUNTIME__LOG_MAX_SIZE="20KB", M3M_RUNTIME__RECYCLE_REQUESTS="25", M3M_RUNTIME__SHUTDOWN_DEADLINE="1s",
    )
    run_m3m("new-admin", ROOT_EMAIL, ROOT_PASSWORD, "--name", "Root", env=env, cwd=workdir)
    srv = Server(env, workdir).wait_ready()
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        yield srv, http, login(http, ROOT_EMAIL, ROOT_PASSWORD), workdir / "storage" / "logs"
    srv.stop()


def test_a_flood_stops_at_the_cap_with_a_note_and_events_still_show(capped):
    server, http, headers, log_dir = capped
    service = new_service(http, headers)
    service.deploy(
        r"""
        $router.get('/flood', () => { for (let i = 0; i < 2000; i++) { console.log('flood ' + i + ' ' + 'y'.repeat(80)) }; return { ok: true } })
        $router.get('/ping', () => ({ pong: true }))
        $service.shutdown(() => new Promise(() => {}))
        """
    )
    assert http.get(service.bot("/flood")).json() == {"ok": True}
    service.wait_log("log truncated")
    assert http.get(service.bot("/flood")).json() == {"ok": True}  # still answers past the cap
    assert http.get(service.bot("/ping")).json() == {"pong": True}
    service.stop()  # events past the cap are still written: stopping, killed, stopped
    lines = service.logs()
    note = next(i for i, line in enumerate(lines) if "log truncated" in line)
    assert "[WARN] [runtime] log truncated" in lines[note]
    after = [message(line) for line in lines[note + 1 :]]
    assert after and all(text.startswith("[runtime] ") for text in after), after
    assert any(text.startswith("[runtime] killed (pid") and "did not stop within 1s" in text for text in after)
    assert any(text.startswith("[runtime] stopped") for text in after)
    size = (log_dir / f"{service.project['id']}.log").stat().st_size
    assert 20 * 1024 - 200 < size < 20 * 1024 + 1024, size

    # the next run starts empty, with the whole cap again
    service.deploy("$service.start(() => { $logger.info('fresh') })")
    service.wait_log("fresh")
    assert not any("truncated" in line or "flood" in line for line in service.logs())
    service.stop()


def test_recycling_keeps_the_run_log(capped):
    server, http, headers, _ = capped
    service = new_service(http, headers)
    service.deploy("$router.get('/n/:i', (ctx) => { $logger.info('request ' + ctx.params.i); return {} })")
    for i in range(60):
        assert http.get(service.bot(f"/n/{i}")).status_code == 200
    service.wait_log("[runtime] recycled: pid")  # the hand-over ends a little after the requests
    for i in range(60, 90):
        assert http.get(service.bot(f"/n/{i}")).status_code == 200
    service.wait_log("request 89")
    lines = service.logs()
    requests = [message(line) for line in lines if message(line).startswith("request ")]
    assert sorted(requests, key=lambda m: int(m.split()[1])) == [f"request {i}" for i in range(90)]
    service.stop()


def test_the_pending_buffer_is_bounded_and_the_drop_is_noted(tmp_path):
    """Lines written faster than the disk takes them (no flush in between): the store holds at
    most max_pending_bytes and notes how many lines it dropped."""

    async def scenario():
        store = LogStore(tmp_path, max_run_bytes=10 * 2**20, max_pending_bytes=10_000)
        for i in range(1000):
            store.write("p", "INFO", f"line {i} " + "z" * 80)
            assert store.pending_bytes <= 10_000
        await store.flush()
        assert store.pending_bytes == 0
        page = await store.read("p", 0, 5000)
        assert 50 < page["total"] < 200
        assert "lines dropped" in page["lines"][-1] and "[WARN]" in page["lines"][-1]
        dropped = int(message(page["lines"][-1]).split()[1])
        assert dropped + page["total"] - 1 == 1000
        store.write("p", "INFO", "after the drop")  # room again once flushed
        await store.close()
        assert (await store.read("p", 0, 5000))["lines"][-1].endswith("after the drop")

    asyncio.run(scenario())


def test_a_slow_stream_client_skips_lines_and_is_told(tmp_path):
    async def scenario():
        subscription = Subscription(limit=10)
        for i in range(100):
            subscription.push(f"line {i}")
        items = await subscription.next(1)
        assert "90 lines skipped" in items[0] and items[1:] == [f"line {i}" for i in range(10)]
        subscription.push("old")
        subscription.push(RESET)
        assert await subscription.next(1) == [RESET]

    asyncio.run(scenario())


# -- who may read ---------------------------------------------------------------------------------


LOG_PATHS = ("/runtime/logs", "/runtime/logs/download", "/runtime/logs/stream")


def status_of(client, url: str, headers: dict) -> int:
    with client.stream("GET", url, headers=headers, timeout=30) as response:
        return response.status_code


def test_logs_need_project_access(client, root_headers, users):
    owner = users.make(createProjects=True)
    made = client.post("/api/projects", json={"name": "logs-owner", "slug": f"logs-{secrets.token_hex(4)}"}, headers=owner["headers"])
    assert made.status_code == 201, made.text
    project = made.json()
    outsider = users.make()
    api_key = client.post(f"/api/projects/{project['id']}/api-key", headers=owner["headers"]).json()["apiKey"]
    other = new_service(client, root_headers)
    other_key = client.post(other.api("/api-key"), headers=root_headers).json()["apiKey"]
    for path in LOG_PATHS:
        url = f"/api/projects/{project['id']}{path}"
        assert status_of(client, url, {}) == 401
        assert status_of(client, url, outsider["headers"]) == 404
        assert status_of(client, url, {"X-API-Key": other_key}) == 404
        assert status_of(client, url, owner["headers"]) == 200
        assert status_of(client, url, {"X-API-Key": api_key}) == 200
        assert status_of(client, url, root_headers) == 200
