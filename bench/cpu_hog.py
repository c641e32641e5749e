"""`make bench` (the CPU bound, issue [13] finding 7): another service's route p99 with one CPU hog
running, divided by its p99 without the hog, in the same run; target <= 2.

Starts its own `m3m serve` (embedded database, temporary storage, the default runtime settings)
with two services: `measured` (a JSON route) and `hog` (a `setInterval` busy loop that yields
between loops, so its heartbeat goes on and it is never judged frozen). wrk drives a moderate load
on the measured route (4 connections, each waiting 10 ms between requests: a latency figure, not
a saturation one) in phases of a few seconds, in rounds, each round in another order:
- `none`: the hog stopped (SIGSTOP from this script: the same worker, using no CPU): the baseline;
- `bound`: the hog under the server's CPU share (its project's share null: runtime.cpu_share),
  measured once it is throttled (or after a few seconds, when it cannot even reach its share on
  a machine busy with other work);
- `unbound`: the same hog with its project's share set to 0 (no bound: every worker before the
  bound, or runtime.cpu_share = 0).
Each round's ratios are its p99 with the hog over its p99 without; the medians and every round's
figures are printed (the machine may be shared: the spread is part of the result). Nothing here
is a test; figures go to docs/performance.md by hand, with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import EMAIL, PASSWORD, Bench, cpu_seconds, m3m, wrk  # noqa: E402

MEASURED = "$router.get('/hello/:name', async (ctx) => ({ hello: ctx.params.name }))\n"
HOG = "setInterval(() => { const end = Date.now() + 20; while (Date.now() < end) {} }, 0)\n"
PACED = "function delay() return 10 end\n"  # wrk: each connection waits 10 ms between requests
SETTLE = 5  # seconds a bound hog may take to be throttled before its phase is measured anyway


def deploy(http: httpx.Client, slug: str, code: str) -> None:
    http.post("/api/projects", json={"name": slug, "slug": slug}).raise_for_status()
    http.put(f"/api/projects/{slug}/pipeline/branches/develop", json={"code": code}).raise_for_status()
    http.post(f"/api/projects/{slug}/pipeline/releases", json={"branch": "develop"}).raise_for_status()


def hog_phase(http: httpx.Client, pid: int, case: str) -> None:
    """Put the hog in the phase's condition (see the module docstring)."""
    if case == "none":
        http.put("/api/projects/hog/runtime/cpu", json={"share": 0}).raise_for_status()
        os.kill(pid, signal.SIGSTOP)
        return
    os.kill(pid, signal.SIGCONT)
    http.put("/api/projects/hog/runtime/cpu", json={"share": 0 if case == "unbound" else None}).raise_for_status()
    began = time.monotonic()
    while case == "bound" and not http.get("/api/projects/hog/runtime").json()["cpu"]["throttled"] and time.monotonic() - began < SETTLE:
        time.sleep(0.1)
    time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8, help="rounds of the three phases, each round in another order")
    parser.add_argument("--seconds", type=int, default=5, help="duration of each phase's wrk run")
    parser.add_argument("--one-core", action="store_true",
                        help="m3m (server and workers) on core 0 only, wrk on the others: a machine whose other cores are busy")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="m3m-bench-cpu-"))
    script = workdir / "paced.lua"
    script.write_text(PACED)
    bench = Bench(workdir)
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    cores = os.sched_getaffinity(0)
    if args.one_core:
        os.sched_setaffinity(0, {min(cores)})  # the server inherits it, and its workers from it
    bench.serve()
    os.sched_setaffinity(0, cores - {min(cores)} if args.one_core else cores)  # wrk
    rounds = []
    try:
        http = bench.client()
        deploy(http, "measured", MEASURED)
        deploy(http, "hog", HOG)
        for slug in ("measured", "hog"):
            http.post(f"/api/projects/{slug}/runtime/start", json={"release": "1.0"}).raise_for_status()
        hog = http.get("/api/projects/hog/runtime").json()["pid"]
        url = f"{bench.url}/bot-measured/hello/x"
        wrk(url, 2, connections=4, script=str(script))  # warm
        cases = ["none", "bound", "unbound"]
        for number in range(args.rounds):
            figures = {}
            for case in cases[number % 3:] + cases[:number % 3]:
                hog_phase(http, hog, case)
                before = cpu_seconds([hog])
                run = wrk(url, args.seconds, connections=4, script=str(script))
                if run["errors"]:
                    raise SystemExit(f"wrk saw errors: {run}")
                run["hog_cores"] = round((cpu_seconds([hog]) - before) / args.seconds, 2)
                figures[case] = run
            assert http.get("/api/projects/hog/runtime").json()["pid"] == hog, "the hog was restarted"
            rounds.append(figures)
            print(number, {case: (run["p99"], run["hog_cores"]) for case, run in figures.items()}, file=sys.stderr)
        os.kill(hog, signal.SIGCONT)
    finally:
        bench.stop()
        if os.environ.get("M3M_BENCH_KEEP"):
            print("kept", workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    def ratios(case: str) -> list[float]:
        return [round(r[case]["p99"] / r["none"]["p99"], 2) for r in rounds]

    results = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load": f"wrk, 4 connections, 10 ms between requests per connection, {args.seconds} s per phase",
        "m3m_cores": 1 if args.one_core else len(cores),
        "p99_ratio_bound": {"median": statistics.median(ratios("bound")), "each": ratios("bound")},
        "p99_ratio_unbound": {"median": statistics.median(ratios("unbound")), "each": ratios("unbound")},
        "p99_ms": {case: [r[case]["p99"] for r in rounds] for case in ("none", "bound", "unbound")},
        "hog_cores": {case: [r[case]["hog_cores"] for r in rounds] for case in ("none", "bound", "unbound")},
        "load_average": [round(value, 1) for value in os.getloadavg()],
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
