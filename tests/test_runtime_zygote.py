"""The fork server (engine/zygote.py): workers are forked from it and adopted by the server; a
crash of it costs no running service and it comes back; with runtime.fork_server off, workers
are spawned as before. Real servers, real processes, read through /proc."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runtime_support import wait_until
from test_runtime_supervisor import Own, alive

HELLO = "$router.get('/hi', () => ({ hi: $service !== undefined }))"


def status_of(pid: int) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def children(server_pid: int) -> dict[int, tuple[str, bytes]]:
    """pid -> (comm, cmdline) of the server's live children."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = status_of(int(entry.name))
            if int(status["PPid"]) != server_pid or status["State"].startswith("Z"):
                continue
            found[int(entry.name)] = ((entry / "comm").read_text().strip(), (entry / "cmdline").read_bytes())
        except (OSError, KeyError, ValueError):
            continue
    return found


def zygote_of(server_pid: int) -> int | None:
    return next((pid for pid, (comm, _) in children(server_pid).items() if comm == "m3m-zygote"), None)


@pytest.fixture(scope="module")
def own(mongo_uri, tmp_path_factory):
    server = Own(mongo_uri, tmp_path_factory.mktemp("zygote"), "zygote")
    yield server
    server.close(mongo_uri)


def test_workers_are_forked_from_the_zygote_and_adopted_by_the_server(own):
    server_pid = own.server.process.pid
    zygote = wait_until(lambda: zygote_of(server_pid), 30, "the fork server")
    assert b"builtin_plugins.runtime.engine.zygote" in children(server_pid)[zygote][1]
    service = own.service()
    pid = service.deploy(HELLO)["pid"]
    assert own.client.get(service.bot("/hi")).json() == {"hi": True}
    comm, cmdline = children(server_pid)[pid]
    assert comm == f"m3m:{service.project['slug']}"[:15]
    assert b"engine.zygote" in cmdline and b"engine.worker" not in cmdline  # forked, not spawned
    assert int(status_of(pid)["PPid"]) == server_pid  # re-parented: the server waits for it
    # Its memory is shared with the zygote where they are the same pages: what it really adds
    # (PSS) is well below what it holds (RSS).
    smaps = Path(f"/proc/{pid}/smaps_rollup").read_text()
    rss = int(next(line.split()[1] for line in smaps.splitlines() if line.startswith("Rss:")))
    pss = int(next(line.split()[1] for line in smaps.splitlines() if line.startswith("Pss:")))
    assert pss < rss
    # PythonMonkey came without the builtins the sandbox drops (engine/monkey.py): its
    # XMLHttpRequest would have loaded aiohttp's C parser into the worker.
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert "libmozjs" in maps and "aiohttp" not in maps
    service.stop()
    assert not alive(pid)


def test_many_services_started_at_once_all_come_from_the_zygote(own):
    services = [own.service() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        states = list(pool.map(lambda s: s.deploy(HELLO), services))
    assert [state["state"] for state in states] == ["running"] * 4
    kids = children(own.server.process.pid)
    for state in states:
        assert b"engine.zygote" in kids[state["pid"]][1]
    for service in services:
        assert own.client.get(service.bot("/hi")).status_code == 200
        service.stop()


def test_a_crashed_zygote_costs_no_service_and_comes_back(own):
    server_pid = own.server.process.pid
    running = own.service()
    running_pid = running.deploy(HELLO)["pid"]
    zygote = wait_until(lambda: zygote_of(server_pid), 30, "the fork server")
    os.kill(zygote, signal.SIGKILL)
    wait_until(lambda: not alive(zygote), 10, "the fork server to die")
    # The running service never depended on it.
    assert alive(running_pid) and own.client.get(running.bot("/hi")).json() == {"hi": True}
    # A start meanwhile still works (spawned, or forked by the new fork server).
    meanwhile = own.service()
    assert meanwhile.deploy(HELLO)["state"] == "running"
    assert own.client.get(meanwhile.bot("/hi")).status_code == 200
    # A new fork server comes, and the workers started after it come from it.
    new_zygote = wait_until(lambda: (z := zygote_of(server_pid)) and z != zygote and z, 30, "a new fork server")
    # The spare made while it was down was spawned; once it is up the spare is replaced by a forked one.
    wait_until(lambda: any(comm == "m3m-spare" and b"engine.zygote" in cmdline
                           for comm, cmdline in children(server_pid).values()), 60, "a forked spare")
    later = own.service()
    later_pid = wait_until(lambda: later.deploy(HELLO)["pid"], 60, "a start")
    assert b"engine.zygote" in children(server_pid)[later_pid][1]
    assert alive(new_zygote)
    for service in (running, meanwhile, later):
        service.stop()
    running.wait_log("stopped")


def test_without_the_fork_server_workers_are_spawned(mongo_uri, tmp_path):
    spawned = Own(mongo_uri, tmp_path, "nozygote", M3M_RUNTIME__FORK_SERVER="false")
    try:
        service = spawned.service()
        pid = service.deploy(HELLO)["pid"]
        kids = children(spawned.server.process.pid)
        assert b"engine.worker" in kids[pid][1]
        assert zygote_of(spawned.server.process.pid) is None
        assert spawned.client.get(service.bot("/hi")).json() == {"hi": True}
        service.stop()
    finally:
        spawned.close(mongo_uri)
