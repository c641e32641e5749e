"""Per-service metrics (docs/runtime/metrics.md) and the list of runs with their logs
(docs/runtime/logs.md "Past runs"), with real `m3m serve` processes, real workers and real HTTP.

The shared server shows counting and access; a server of its own (recycling every 5 requests,
2 past runs kept, a metrics token) shows recycles, crash restarts, the token and the bound on runs.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from builtin_plugins.runtime.metrics import BOUNDS, MINUTES, Metrics, quantile
from conftest import run_m3m, server_env
from kernel.embedded import free_port
from runtime_support import new_service, wait_until
from test_runtime_supervisor import Own

CODE = """
$router.get('/fast', () => ({ ok: true }))
$router.get('/slow', async () => { await new Promise((resolve) => setTimeout(resolve, 80)); return { slow: true } })
$router.get('/boom', () => { throw new Error('boom') })
$router.get('/teapot', () => $router.response(418, { short: 'and stout' }))
$router.get('/late', () => { setTimeout(() => { throw new Error('thrown later') }, 0); return 'ok' })
"""
TOKEN = "scrape-me-" + "t" * 20


def metrics_of(service) -> dict:
    response = service.client.get(service.api("/runtime/metrics"), headers=service.headers)
    assert response.status_code == 200, response.text
    return response.json()


def families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(family, project_id: str) -> dict:
    """{sample name or (name, le): value} of one project in a parsed family."""
    found = {}
    for sample in family.samples:
        if sample.labels.get("project_id") != project_id:
            continue
        key = (sample.name, sample.labels["le"]) if "le" in sample.labels else sample.name
        found[key] = sample.value
    return found


@pytest.fixture(scope="module")
def counted(client, root_headers):
    """A service that answered 40 fast, 10 slow (80 ms), 5 failing, 3 teapot and 2 requests whose
    timer throws after the answer."""
    service = new_service(client, root_headers)
    service.deploy(CODE)
    before = metrics_of(service)
    for path, times in (("/fast", 40), ("/slow", 10), ("/boom", 5), ("/teapot", 3), ("/late", 2)):
        for _ in range(times):
            client.get(service.bot(path))
    yield service, before
    service.stop()


def test_a_new_service_has_empty_metrics_for_the_last_hour(counted):
    _, before = counted
    assert before["window"] == 3600 and before["step"] == 60 and len(before["series"]) == MINUTES
    assert before["totals"] == {"requests": 0, "errors": 0, "recycles": 0, "restarts": 0, "crashes": 0, "jsErrors": 0}
    assert before["lastHour"]["p50"] is None and before["lastHour"]["p95"] is None
    stamps = [point["t"] for point in before["series"]]
    assert stamps == sorted(stamps) and len(set(stamps)) == MINUTES


def test_requests_errors_and_latency_are_counted(counted):
    service, _ = counted
    # the timers' errors reach the server with the worker's next batch of log lines (0.1 s)
    report = service.wait_for(lambda: (r := metrics_of(service))["totals"]["jsErrors"] == 2 and r, what="two JS errors")
    assert report["totals"]["requests"] == 60 and report["totals"]["errors"] == 5  # a 418 is no error
    hour = report["lastHour"]
    assert hour["requests"] == 60 and hour["errors"] == 5 and hour["jsErrors"] == 2
    # 10 of 60 took 80 ms or more, so p95 is a slow one; half of them are fast ones
    assert 70 <= hour["p95"] <= 1000, hour
    assert hour["p50"] < 70 and hour["p50"] < hour["p95"], hour
    # the requests are in the last minute or two of the series (the minute may have turned)
    recent = report["series"][-2:]
    assert sum(point["requests"] for point in recent) == 60 and sum(point["errors"] for point in recent) == 5
    assert all(point["requests"] == 0 and point["p50"] is None for point in report["series"][:-2])
    assert report["memory"] > 10 * 2**20
    assert report["series"][-1]["memory"] >= 10 * 2**20  # sampled into the minute being watched


def test_counts_go_up(counted, client):
    service, _ = counted
    first = metrics_of(service)["totals"]["requests"]
    for _ in range(7):
        assert client.get(service.bot("/fast")).status_code == 200
    assert metrics_of(service)["totals"]["requests"] == first + 7


def test_prometheus_text_parses_and_agrees(counted, client, root_headers):
    service, _ = counted
    project_id = service.project["id"]
    totals = metrics_of(service)["totals"]
    response = client.get("/api/metrics", headers=root_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    parsed = families(response.text)
    assert samples(parsed["m3m_service_requests"], project_id) == {"m3m_service_requests_total": totals["requests"]}
    assert samples(parsed["m3m_service_errors"], project_id) == {"m3m_service_errors_total": 5}
    assert samples(parsed["m3m_service_js_errors"], project_id) == {"m3m_service_js_errors_total": 2}
    histogram = samples(parsed["m3m_service_request_duration_seconds"], project_id)
    buckets = [histogram[("m3m_service_request_duration_seconds_bucket", le)] for le in [repr(b) for b in BOUNDS] + ["+Inf"]]
    assert buckets == sorted(buckets) and buckets[-1] == totals["requests"]
    assert histogram["m3m_service_request_duration_seconds_count"] == totals["requests"]
    assert histogram["m3m_service_request_duration_seconds_sum"] >= 10 * 0.08  # the ten slow ones
    assert samples(parsed["m3m_service_running"], project_id) == {"m3m_service_running": 1}
    assert samples(parsed["m3m_service_memory_bytes"], project_id)["m3m_service_memory_bytes"] > 10 * 2**20
    labels = next(s.labels for s in parsed["m3m_service_requests"].samples if s.labels["project_id"] == project_id)
    assert labels["project"] == service.project["slug"]


def test_who_reads_the_metrics(counted, client, users):
    service, _ = counted
    outsider = users.make(createProjects=True)
    api_key = client.post(service.api("/api-key"), headers=service.headers).json()["apiKey"]
    assert client.get(service.api("/runtime/metrics"), headers={"X-API-Key": api_key}).status_code == 200
    assert client.get(service.api("/runtime/metrics"), headers=outsider["headers"]).status_code == 404
    assert client.get(service.api("/runtime/metrics")).status_code == 401
    # the Prometheus text names every project: root only (or the token, on a server that has one)
    assert client.get("/api/metrics").status_code == 401
    refused = client.get("/api/metrics", headers=outsider["headers"])
    assert refused.status_code == 403 and "root" in refused.json()["error"]["message"]
    assert client.get("/api/metrics", headers={"X-API-Key": api_key}).status_code == 403
    assert client.get("/api/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401  # no token set here


def test_a_deleted_project_leaves_no_metrics(client, root_headers):
    service = new_service(client, root_headers)
    service.deploy(CODE)
    client.get(service.bot("/fast"))
    assert client.delete(service.api(), headers=root_headers).status_code in (200, 204)
    text = client.get("/api/metrics", headers=root_headers).text
    assert service.project["id"] not in text


# -- the store itself: bounded, and what its estimates are ------------------------------------------


def test_the_store_keeps_one_hour_and_drops_what_is_gone():
    clock = [1_000_000.0 * 60]
    running = {"p1": "one"}
    store = Metrics(lambda pid: 50 * 2**20 if pid in running else 0, lambda: dict(running), clock=lambda: clock[0])
    for minute in range(3 * MINUTES):  # three hours of one request a minute
        store.observe("p1", 200, 0.004)
        store.sample()
        clock[0] += 60
    service = store.services["p1"]
    assert len(service.minutes) == MINUTES  # a ring: never more slots than the window
    report = store.report("p1")
    assert report["totals"]["requests"] == 3 * MINUTES and report["lastHour"]["requests"] == MINUTES - 1
    assert all(point["memory"] == 50 * 2**20 for point in report["series"][:-1])
    running.clear()  # stopped: kept for an hour, then dropped
    store.sample()
    assert "p1" in store.services
    clock[0] += MINUTES * 60
    store.sample()
    assert "p1" not in store.services and "p1" not in store.slugs


def test_quantiles_fall_in_the_right_bucket():
    histogram = [0] * (len(BOUNDS) + 1)
    histogram[BOUNDS.index(0.005)] = 90  # 90 requests between 3 and 5 ms
    histogram[BOUNDS.index(0.2)] = 10  # 10 between 150 and 200 ms
    assert 3 <= quantile(histogram, 0.5) <= 5
    assert 150 <= quantile(histogram, 0.95) <= 200
    assert quantile([0] * len(histogram), 0.5) is None


def test_observing_is_cheap():
    """The route path's one call: measured against a dict update in the same run (a ratio, no
    absolute time). On a shared machine this is noisy, so the bound is loose."""
    store = Metrics(lambda pid: 0, lambda: {})
    baseline: dict[str, int] = {}
    n = 200_000
    began = time.perf_counter()
    for _ in range(n):
        baseline["p1"] = baseline.get("p1", 0) + 1
    plain = time.perf_counter() - began
    began = time.perf_counter()
    for _ in range(n):
        store.observe("p1", 200, 0.004)
    observed = time.perf_counter() - began
    per_call_us = observed / n * 1e6
    print(f"observe: {per_call_us:.2f} us a call; {observed / plain:.1f}x a dict increment")
    assert per_call_us < 20, per_call_us  # a /bot- request costs hundreds of microseconds


# -- a server of its own: recycles, crash restarts, the token, runs -------------------------------------


@pytest.fixture(scope="module")
def own(mongo_uri, tmp_path_factory):
    server = Own(
        mongo_uri, tmp_path_factory.mktemp("metrics"), "metrics",
        M3M_RUNTIME__RECYCLE_REQUESTS="5", M3M_RUNTIME__LOG_RUNS="2", M3M_RUNTIME__METRICS_TOKEN=TOKEN,
        M3M_RUNTIME__RESTART_BACKOFF="200ms",
    )
    yield server
    server.close(mongo_uri)


def test_recycles_and_crash_restarts_are_counted(own):
    service = own.service()
    first = service.deploy(CODE)
    for expected in (1, 2):  # five requests, then a hand-over (requests meanwhile go to the old worker)
        for _ in range(6):
            assert own.client.get(service.bot("/fast")).status_code == 200
        service.wait_for(lambda: metrics_of(service)["totals"]["recycles"] == expected, what=f"recycle {expected}")
    running = service.wait_for(lambda: (s := service.state())["state"] == "running" and s["pid"] != first["pid"] and s, what="a recycled worker")
    os.kill(running["pid"], signal.SIGKILL)
    service.wait_for(lambda: (s := service.state())["state"] == "running" and s["pid"] != running["pid"], what="the restart")
    report = metrics_of(service)
    assert report["totals"]["crashes"] == 1 and report["totals"]["restarts"] == 1
    assert report["lastHour"]["crashes"] == 1 and report["lastHour"]["recycles"] >= 2
    parsed = families(own.client.get("/api/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)
    assert samples(parsed["m3m_service_recycles"], service.project["id"])["m3m_service_recycles_total"] >= 2
    assert samples(parsed["m3m_service_crashes"], service.project["id"]) == {"m3m_service_crashes_total": 1}
    service.stop()


def test_the_metrics_token(own):
    assert own.client.get("/api/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert own.client.get("/api/metrics", headers=own.headers).status_code == 200  # root still may
    assert own.client.get("/api/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    assert own.client.get("/api/metrics").status_code == 401


def runs_of(service) -> list[dict]:
    response = service.client.get(service.api("/runtime/runs"), headers=service.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def run_lines(service, run_id: int) -> list[str]:
    response = service.client.get(service.api(f"/runtime/runs/{run_id}/logs?limit=5000"), headers=service.headers)
    assert response.status_code == 200, response.text
    return response.json()["lines"]


def test_past_runs_are_kept_with_their_logs_and_bounded(own):
    service = own.service()
    assert runs_of(service) == []
    one = service.release("$router.get('/v', () => { console.log('serving one'); return 1 })")
    two = service.release("$router.get('/v', () => { console.log('serving two'); return 2 })")
    service.start(one)
    own.client.get(service.bot("/v"))
    service.start(two)  # a new run: the first one is replaced
    own.client.get(service.bot("/v"))
    service.wait_log("serving two")
    runs = runs_of(service)
    assert [(r["id"], r["release"], r["current"], r["exit"]) for r in runs] == [(2, two, True, None), (1, one, False, "replaced")]
    assert runs[1]["startedAt"] <= runs[1]["endedAt"] <= runs[0]["startedAt"] and runs[0]["endedAt"] is None
    first = run_lines(service, 1)
    assert any("serving one" in line for line in first) and not any("serving two" in line for line in first)
    assert "[runtime] stopped" in first[-1]  # its last lines, written just before the new start, are there
    assert run_lines(service, 2) == service.logs()  # the current run is the log of .../runtime/logs
    download = own.client.get(service.api("/runtime/runs/1/logs/download"), headers=service.headers)
    assert download.status_code == 200 and download.text.splitlines() == first
    assert runs[1]["size"] == len(download.content)

    service.stop()
    stopped = runs_of(service)[0]
    assert stopped["exit"] == "stopped" and stopped["endedAt"] and stopped["current"]
    service.start(one)
    service.start(two)
    # log_runs = 2: the current run and two before it; the oldest are gone, their files too
    runs = runs_of(service)
    assert [r["id"] for r in runs] == [4, 3, 2]
    assert own.client.get(service.api("/runtime/runs/1/logs"), headers=service.headers).status_code == 404
    folder = own.root / "storage" / "logs" / "runs" / service.project["id"]
    assert sorted(path.name for path in folder.iterdir()) == ["2.log", "3.log", "index.json"]
    paged = own.client.get(service.api("/runtime/runs/2/logs?offset=1&limit=2"), headers=service.headers).json()
    assert paged["lines"] == run_lines(service, 2)[1:3] and paged["nextOffset"] == 3
    service.stop()


def test_a_crashed_run_says_why(own):
    service = own.service()
    service.deploy("$service.start(async () => { throw new Error('no upstream today') })")
    service.wait_for(lambda: "not restarting" in "\n".join(service.logs()), what="the crash limit")
    run = runs_of(service)[0]
    assert run["exit"] == "crashed" and "no upstream today" in run["reason"] and run["endedAt"]
    service.stop()


def test_bad_run_requests(own):
    service = own.service()
    service.deploy(CODE)
    for path in ("/runtime/runs/abc/logs", "/runtime/runs/99/logs", "/runtime/runs/-1/logs", "/runtime/runs/99/logs/download"):
        response = own.client.get(service.api(path), headers=service.headers)
        assert response.status_code == 404 and response.json()["error"]["message"].startswith("no run"), path
    bad = own.client.get(service.api("/runtime/runs/1/logs?limit=0"), headers=service.headers)
    assert bad.status_code == 422 and "limit" in bad.json()["error"]["fields"]
    assert own.client.get(service.api("/runtime/runs?perPage=0"), headers=service.headers).status_code == 422
    assert own.client.get(service.api("/runtime/runs")).status_code == 401
    service.stop()


def test_deleting_the_project_deletes_its_past_runs(own):
    service = own.service()
    version = service.release("$router.get('/v', () => 1)")
    service.start(version)
    service.start(version)
    folder = own.root / "storage" / "logs" / "runs" / service.project["id"]
    wait_until(lambda: (folder / "1.log").exists(), what="the first run's log among the past runs")
    assert own.client.delete(service.api(), headers=own.headers).status_code in (200, 204)
    wait_until(lambda: not folder.exists(), what="the past runs to go with the project")


@pytest.mark.parametrize("key, value", [("METRICS_TOKEN", "too-short"), ("LOG_RUNS", "-1"), ("LOG_RUNS", "1001")])
def test_bad_settings_stop_the_start(tmp_path, mongo_uri, key, value):
    env = server_env(tmp_path / "storage", free_port(), mongo_uri, **{f"M3M_RUNTIME__{key}": value})
    checked = run_m3m("settings", env=env, cwd=tmp_path)
    assert checked.returncode == 1 and f"runtime.{key.lower()}" in checked.stderr, checked.stderr
