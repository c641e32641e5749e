"""Sleep when idle (docs/runtime/sleep.md): a routes-only service that opted in is stopped after
runtime.sleep_after without a request and woken by the next one, which is served; requests that
come during the sleep-down or the wake-up are served too; what holds work (a schedule, a timer,
a delayed task) keeps it awake; a sleeping service stays asleep across a server restart.
Real servers, real workers, real HTTP."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from runtime_support import wait_until
from test_runtime_supervisor import Own, alive, worker_pids

IDLE = "2s"
ROUTES = "$router.get('/hi', (ctx) => ({ hi: ctx.query.n || true }))"


@pytest.fixture(scope="module")
def own(mongo_uri, tmp_path_factory):
    server = Own(mongo_uri, tmp_path_factory.mktemp("sleep"), "sleep", M3M_RUNTIME__SLEEP_AFTER=IDLE)
    yield server
    server.close(mongo_uri)


def sleepy(own: Own, code: str = ROUTES):
    service = own.service()
    pid = service.deploy(code)["pid"]
    answer = own.client.put(service.api("/runtime/sleep"), json={"enabled": True}, headers=own.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["sleep"]["enabled"] is True and answer.json()["sleep"]["after"] == 2
    return service, pid


def asleep(service, timeout: float = 30.0) -> dict:
    return service.wait_for(lambda: (s := service.state())["state"] == "sleeping" and s, timeout, "the service to fall asleep")


def test_an_idle_service_sleeps_and_its_next_request_wakes_it_and_is_served(own):
    service, pid = sleepy(own)
    state = asleep(service)
    assert state["pid"] is None and state["memory"] == 0
    wait_until(lambda: not alive(pid), 10, "the worker to end")
    assert pid not in worker_pids(own.server.process.pid)
    woken = own.client.get(service.bot("/hi?n=7"))
    assert woken.status_code == 200 and woken.json() == {"hi": "7"}
    state = service.state()
    assert state["state"] == "running" and state["pid"] not in (None, pid)
    lines = service.logs()
    assert any("sleeping after" in line for line in lines)
    assert any(re.search(r"woken up in \d+ ms", line) for line in lines)
    # Busy, it stays awake: requests more often than the idle time keep the same worker.
    awake_pid = state["pid"]
    for _ in range(6):
        assert own.client.get(service.bot("/hi")).status_code == 200
        time.sleep(0.5)
    assert service.state()["pid"] == awake_pid
    service.stop()


def test_requests_during_the_sleep_down_and_the_wake_up_are_all_served(own):
    # A shutdown handler that takes a second: requests during it wait for the next worker.
    service, _ = sleepy(own, ROUTES + "\n$service.shutdown(() => new Promise((r) => setTimeout(r, 1000)))")
    asleep(service)  # seen at the start of the sleep-down: the old worker is still shutting down
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: own.client.get(service.bot(f"/hi?n={n}")), range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert sorted(a.json()["hi"] for a in answers) == sorted(str(n) for n in range(8))
    # One wake-up served them all.
    assert sum("waking up" in line for line in service.logs()) == 1
    # And again from a full sleep (its worker gone), many at once.
    pid = service.state()["pid"]
    asleep(service)
    wait_until(lambda: not alive(pid), 10, "the worker to end")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: own.client.get(service.bot(f"/hi?n={n}")), range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert sum("waking up" in line for line in service.logs()) == 2
    service.stop()


@pytest.mark.parametrize(
    "code, reason",
    [
        ("$schedule.every('1h', () => {})", "scheduled jobs"),
        ("setTimeout(() => {}, 3600 * 1000)", "1 timers pending"),
        ("setInterval(() => {}, 3600 * 1000)", "1 timers pending"),
        ("$delayed.run(() => new Promise(() => {}))", "delayed tasks"),
    ],
)
def test_what_holds_work_keeps_the_service_awake(own, code, reason):
    service, pid = sleepy(own, ROUTES + "\n" + code)
    # The first heartbeats after the boot say why it stays awake.
    service.wait_for(lambda: reason in (service.state()["sleep"]["awake"] or ""), 10, f"the heartbeat's reason {reason!r}")
    # Well past the idle time it still runs, on the same worker.
    time.sleep(4)
    state = service.state()
    assert state["state"] == "running" and state["pid"] == pid, state
    service.stop()


def test_a_timer_that_fired_or_was_cleared_no_longer_keeps_it_awake(own):
    service, _ = sleepy(
        own,
        ROUTES + "\nsetTimeout(() => {}, 500)\nconst t = setInterval(() => {}, 100000)\nclearInterval(t)",
    )
    asleep(service, 15)
    service.stop()


def test_without_opting_in_a_service_never_sleeps(own):
    service = own.service()
    pid = service.deploy(ROUTES)["pid"]
    assert service.state()["sleep"]["enabled"] is False
    time.sleep(4)
    assert service.state()["state"] == "running" and service.state()["pid"] == pid
    # Opting out wakes a sleeping service.
    assert own.client.put(service.api("/runtime/sleep"), json={"enabled": True}, headers=own.headers).status_code == 200
    asleep(service)
    off = own.client.put(service.api("/runtime/sleep"), json={"enabled": False}, headers=own.headers)
    assert off.status_code == 200 and off.json()["sleep"]["enabled"] is False
    service.wait_for(lambda: service.state()["state"] == "running", 30, "the wake-up")
    service.stop()


def test_bad_input_to_the_sleep_switch_is_a_422_naming_the_field(own):
    service = own.service()
    for body in ({"enabled": "yes"}, {}, {"enabled": 1}):
        answer = own.client.put(service.api("/runtime/sleep"), json=body, headers=own.headers)
        assert answer.status_code in (400, 422), answer.text
        assert "enabled" in answer.text


def test_a_sleeping_service_stays_asleep_across_a_restart_and_wakes_on_request(own):
    service, _ = sleepy(own)
    asleep(service)
    own.halt()
    own.boot()
    service.client = own.client
    service.headers = own.headers
    state = service.wait_for(lambda: (s := service.state())["state"] == "sleeping" and s, 30, "autostart asleep")
    assert state["pid"] is None and not worker_pids(own.server.process.pid)
    answer = own.client.get(service.bot("/hi?n=x"))
    assert answer.status_code == 200 and answer.json() == {"hi": "x"}
    service.stop()
