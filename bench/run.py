"""`make bench`: the runtime measured against baselines taken in the same run, as ratios.

Starts its own `m3m serve` (embedded database, temporary storage), deploys a service and
compares, on this machine and in this run:
- wrk on the JS route /bot-{id}/hello/:name vs a plain Quart app with the same handler in its own
  Hypercorn process (bench/plain_quart.py): req/s, p99 and the CPU spent per request (server and
  worker vs the plain app's process); m3m's own /api/ping for reference
- with --body-kb N: a JSON body of about N KB posted and answered back, against the plain app's /echo
- fib(30) inside the service vs the same code under `node`
- release start -> first answered route
- RSS of an idle worker, and its growth per 100k requests (recycling off, to see the leak)
- 50 services started at boot (--boot50)
Nothing here is a test; figures go to docs/performance.md by hand, with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from kernel.embedded import free_port  # noqa: E402

SERVICE = """
$router.get('/hello/:name', async (ctx) => ({ hello: ctx.params.name }))
$router.post('/echo', async (ctx) => ctx.body)
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) }
$router.get('/fib/:n', (ctx) => { const t = Date.now(); const v = fib(Number(ctx.params.n)); return { v, ms: Date.now() - t } })
"""
FIB_NODE = "function fib(n){return n<2?n:fib(n-1)+fib(n-2)}; const t=Date.now(); fib(30); console.log(Date.now()-t)"
EMAIL, PASSWORD = "bench@m3m.local", "Bench-pass-1"


def m3m(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kernel.cli", *args], env=env, capture_output=True, text=True, check=True)


class Bench:
    def __init__(self, workdir: Path, extra_env: dict | None = None) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "M3M_STORAGE__PATH": str(workdir / "storage"),
            "M3M_SERVER__HOST": "127.0.0.1",
            "M3M_SERVER__PORT": str(self.port),
            "M3M_MONGODB__URI": "embedded",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def serve(self) -> None:
        log = open(self.workdir / f"serve-{self.port}.log", "a")
        self.process = subprocess.Popen([sys.executable, "-m", "kernel.cli", "serve"], env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/ping", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("the server did not start; see " + log.name)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)

    def client(self) -> httpx.Client:
        http = httpx.Client(base_url=self.url, timeout=120)
        token = http.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD}).json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        return http

    def deploy(self, http: httpx.Client, slug: str, start: bool = True) -> float | None:
        http.post("/api/projects", json={"name": slug, "slug": slug}).raise_for_status()
        http.put(f"/api/projects/{slug}/pipeline/branches/develop", json={"code": SERVICE}).raise_for_status()
        http.post(f"/api/projects/{slug}/pipeline/releases", json={"branch": "develop"}).raise_for_status()
        if not start:
            return None
        began = time.perf_counter()
        http.post(f"/api/projects/{slug}/runtime/start", json={"release": "1.0"}).raise_for_status()
        while httpx.get(f"{self.url}/bot-{slug}/hello/x").status_code != 200:
            time.sleep(0.005)
        return time.perf_counter() - began


def wrk(url: str, seconds: int, connections: int = 32, script: str | None = None) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *(["-s", script] if script else []), url],
        capture_output=True, text=True, check=True,
    ).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": "Non-2xx" in out or "Socket errors" in out,
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (/proc/PID/stat, clock ticks)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def wrk_cpu(url: str, seconds: int, pids: list[int], script: str | None = None) -> dict:
    """wrk, and the CPU the serving processes spent per request: unlike req/s, it moves less
    when other work shares the cores (that work's CPU is not counted)."""
    before = cpu_seconds(pids)
    run = wrk(url, seconds, script=script)
    run["cpu_us_per_request"] = round((cpu_seconds(pids) - before) / max(run["requests"], 1) * 1e6, 1)
    return run


def smaps(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def pss_kb(pid: int) -> int:
    return smaps(pid, "Pss")


def rss_kb(pid: int) -> int:
    return smaps(pid, "Rss")


def autostarted(http: httpx.Client, slugs: list[str], began_wall: float) -> tuple[dict, float, float]:
    """{slug: runtime state} once every service runs (asked every 0.5 s, each until it runs), and
    when the first and the last were up, as the server recorded it (`startedAt`), in seconds
    after `began_wall`: the poll's own pace and load do not count."""
    states: dict = {}
    while len(states) < len(slugs):
        for slug in slugs:
            if slug not in states and (state := http.get(f"/api/projects/{slug}/runtime").json())["state"] == "running":
                states[slug] = state
        time.sleep(0.5)
    up = sorted(datetime.fromisoformat(state["startedAt"].replace("Z", "+00:00")).timestamp() - began_wall for state in states.values())
    return states, up[0], up[-1]


def rss_of(http: httpx.Client, slug: str) -> int:
    return http.get(f"/api/projects/{slug}/runtime").json()["memory"]


def pid_of(http: httpx.Client, slug: str) -> int:
    return http.get(f"/api/projects/{slug}/runtime").json()["pid"]


def m3m_processes(server_pid: int) -> list[int]:
    """The server and every process it started (fork server, spare, workers)."""
    found = [server_pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(next(l for l in (entry / "status").read_text().splitlines() if l.startswith("PPid:")).split()[1])
            except (OSError, StopIteration, ValueError):
                continue
            if ppid == server_pid:
                found.append(int(entry.name))
    return found


def density(bench: Bench, http: httpx.Client, count: int) -> dict:
    """`count` services deployed, a tenth of them busy (a request every second) and the rest
    opted into sleep when idle and asleep: the memory of the whole m3m (server and its processes)."""
    busy = max(1, count // 10)
    slugs = [f"dense-{n:03d}" for n in range(count)]
    for slug in slugs:
        bench.deploy(http, slug)
    for slug in slugs[busy:]:
        http.put(f"/api/projects/{slug}/runtime/sleep", json={"enabled": True}).raise_for_status()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        for slug in slugs[:busy]:
            httpx.get(f"{bench.url}/bot-{slug}/hello/x").raise_for_status()
        states = [http.get(f"/api/projects/{slug}/runtime").json()["state"] for slug in slugs[busy:]]
        if all(state == "sleeping" for state in states):
            break
        time.sleep(1)
    time.sleep(2)
    pids = m3m_processes(bench.process.pid)
    result = {
        f"density_{count}_services_{busy}_busy_processes": len(pids),
        f"density_{count}_services_{busy}_busy_rss_mb": round(sum(rss_kb(pid) for pid in pids) / 1024, 1),
        f"density_{count}_services_{busy}_busy_pss_mb": round(sum(pss_kb(pid) for pid in pids) / 1024, 1),
    }
    for slug in slugs:
        http.post(f"/api/projects/{slug}/runtime/stop").raise_for_status()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--boot50", action="store_true", help="also time 50 services started at boot")
    parser.add_argument("--leak-requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="alternated wrk rounds of the JS route and the plain app")
    parser.add_argument("--body-kb", type=int, default=0, metavar="KB",
                        help="also POST a JSON body of about KB kilobytes that the route answers back, against the plain app's /echo")
    parser.add_argument("--density", type=int, default=0, metavar="N",
                        help="also deploy N services, 10%% of them busy and the rest asleep, and sum the machine's memory")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench needs wrk (Debian package wrk): apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="m3m-bench-"))
    # Recycling off, so that the worker's growth per request shows; memory cap out of the way.
    # Sleep when idle after 2 s, for the one service that opts in (the wake-up figure). No CPU
    # share: a worker saturated for minutes would be held at it, and this measures the engine's own
    # cost (the share is bench/cpu_hog.py's).
    bench = Bench(workdir, {"M3M_RUNTIME__RECYCLE_REQUESTS": "1000000000", "M3M_RUNTIME__RECYCLE_RSS": "8GB", "M3M_RUNTIME__MEMORY_LIMIT": "8GB",
                            "M3M_RUNTIME__SLEEP_AFTER": "2s", "M3M_RUNTIME__CPU_SHARE": "0"})
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    results: dict = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"}
    bench.serve()
    try:
        http = bench.client()
        # Right after the server started, the spare worker may still be importing the engine.
        results["start_to_first_response_cold_s"] = round(bench.deploy(http, "bench-cold"), 3)
        time.sleep(3)  # a server that has been up: the spare worker is ready
        results["start_to_first_response_s"] = round(bench.deploy(http, "bench"), 3)
        http.post("/api/projects/bench-cold/runtime/stop").raise_for_status()
        time.sleep(2)
        results["idle_worker_rss_mb"] = round(rss_of(http, "bench") / 2**20, 1)
        results["idle_worker_pss_mb"] = round(pss_kb(pid_of(http, "bench")) / 1024, 1)

        # The baseline: a plain Quart app with the same handler in its own Hypercorn process.
        plain_port = free_port()
        plain = subprocess.Popen([sys.executable, str(ROOT / "bench" / "plain_quart.py"), str(plain_port)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{plain_port}/hello/x", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            rounds = []
            m3m_pids = [bench.process.pid, pid_of(http, "bench")]  # the server and the service's worker
            for _ in range(args.rounds):  # alternated, so a slow moment of the machine hits both
                rounds.append((wrk_cpu(f"{bench.url}/bot-bench/hello/bench", args.seconds, m3m_pids),
                               wrk_cpu(f"http://127.0.0.1:{plain_port}/hello/bench", args.seconds, [plain.pid])))
            if args.body_kb:  # a JSON body posted and answered back: what the body's way costs
                script = workdir / "post.lua"
                body = json.dumps({"items": [{"n": n, "text": "x" * 40} for n in range(args.body_kb * 1024 // 60)]})
                script.write_text(f"wrk.method = 'POST'\nwrk.body = {json.dumps(body)}\nwrk.headers['Content-Type'] = 'application/json'\n")
                body_rounds = [(wrk_cpu(f"{bench.url}/bot-bench/echo", args.seconds, m3m_pids, str(script)),
                                wrk_cpu(f"http://127.0.0.1:{plain_port}/echo", args.seconds, [plain.pid], str(script)))
                               for _ in range(args.rounds)]
                results["body_bytes"] = len(body)
                results["body_rounds"] = [{"rps_ratio": round(a["rps"] / b["rps"], 3), "m3m_cpu_us": a["cpu_us_per_request"],
                                           "plain_cpu_us": b["cpu_us_per_request"], "errors": a["errors"] or b["errors"]} for a, b in body_rounds]
                results["body_cpu_us_per_request_ratio"] = round(statistics.median(a["cpu_us_per_request"] for a, _ in body_rounds)
                                                                 / statistics.median(b["cpu_us_per_request"] for _, b in body_rounds), 3)
        finally:
            plain.terminate()
            plain.wait(10)
        js = max((pair[0] for pair in rounds), key=lambda run: run["rps"])
        bare = max((pair[1] for pair in rounds), key=lambda run: run["rps"])
        results["js_route"] = js
        results["plain_quart_app"] = bare
        results["rps_ratio"] = round(js["rps"] / bare["rps"], 3)
        results["p99_ratio"] = round(js["p99"] / bare["p99"], 3)
        # Each round's own ratios too (the best rounds above may come from different moments).
        results["rounds"] = [{"rps_ratio": round(a["rps"] / b["rps"], 3), "p99_ratio": round(a["p99"] / b["p99"], 3),
                              "cpu_ratio": round(a["cpu_us_per_request"] / max(b["cpu_us_per_request"], 0.1), 3)} for a, b in rounds]
        results["cpu_us_per_request_ratio"] = round(statistics.median(a["cpu_us_per_request"] for a, _ in rounds)
                                                    / statistics.median(b["cpu_us_per_request"] for _, b in rounds), 3)
        results["api_ping"] = wrk(f"{bench.url}/api/ping", args.seconds)

        # A sleeping service's first request (the wake-up) against a request to a running one.
        bench.deploy(http, "bench-sleepy")
        http.put("/api/projects/bench-sleepy/runtime/sleep", json={"enabled": True}).raise_for_status()
        woken, awake = [], []
        for _ in range(5):
            while http.get("/api/projects/bench-sleepy/runtime").json()["state"] != "sleeping":
                time.sleep(0.1)
            time.sleep(1.5)  # its worker gone, the spare ready
            began = time.perf_counter()
            assert httpx.get(f"{bench.url}/bot-bench-sleepy/hello/x", timeout=30).status_code == 200
            woken.append(time.perf_counter() - began)
            began = time.perf_counter()
            httpx.get(f"{bench.url}/bot-bench/hello/x").raise_for_status()
            awake.append(time.perf_counter() - began)
        results["wake_up_first_request_ms"] = round(statistics.median(woken) * 1000, 1)
        results["running_request_ms"] = round(statistics.median(awake) * 1000, 2)
        results["wake_up_ratio"] = round(statistics.median(woken) / statistics.median(awake), 1)
        http.post("/api/projects/bench-sleepy/runtime/stop").raise_for_status()

        service_ms = [http.get(f"{bench.url}/bot-bench/fib/30").json()["ms"] for _ in range(5)]
        node_ms = [float(subprocess.run(["node", "-e", FIB_NODE], capture_output=True, text=True, check=True).stdout) for _ in range(5)]
        results["fib30_service_ms"] = statistics.median(service_ms)
        results["fib30_node_ms"] = statistics.median(node_ms)
        results["fib30_ratio"] = round(statistics.median(service_ms) / max(statistics.median(node_ms), 1), 3)

        before, pid = rss_of(http, "bench"), pid_of(http, "bench")
        served = 0
        while served < args.leak_requests:
            run = wrk(f"{bench.url}/bot-bench/hello/leak", 5)
            served += run["requests"]
            results["leak_errors"] = results.get("leak_errors", False) or run["errors"]
        time.sleep(1.5)  # the memory figure comes with the worker's heartbeat
        after = rss_of(http, "bench")
        results["leak_same_worker"] = pid_of(http, "bench") == pid
        results["rss_growth_mb_per_100k"] = round((after - before) / 2**20 * 100_000 / served, 2)
        results["rss_after_mb"] = round(after / 2**20, 1)
        results["leak_requests"] = served

        if args.density:
            results.update(density(bench, http, args.density))

        if args.boot50:
            for n in range(50):
                bench.deploy(http, f"boot-{n:02d}", start=False)
                http.post(f"/api/projects/boot-{n:02d}/runtime/start", json={"release": "1.0"}).raise_for_status()
            for label, fork_server in (("forked", "true"), ("spawned", "false")):
                bench.stop()
                bench.env["M3M_RUNTIME__FORK_SERVER"] = fork_server
                began = time.time()
                bench.serve()
                http = bench.client()
                states, first, last = autostarted(http, [f"boot-{n:02d}" for n in range(50)], began)
                results[f"boot50_{label}_s"] = round(last, 2)
                results[f"boot50_{label}_first_s"] = round(first, 2)
                pids = [state["pid"] for state in states.values()]
                time.sleep(2)
                results[f"idle_worker_{label}_pss_mb"] = round(statistics.median(pss_kb(pid) for pid in pids) / 1024, 1)
                results[f"idle_worker_{label}_rss_mb"] = round(statistics.median(rss_kb(pid) for pid in pids) / 1024, 1)
    finally:
        bench.stop()
        if not os.environ.get("M3M_BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print("kept", workdir, file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
