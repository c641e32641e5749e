"""`make bench` (the CPU bound, issue [13] finding 7): another service's route p99 with one CPU hog
running, divided by its p99 without the hog, in the same run; target <= 2. And the same with the
bound off, so that what it gains shows.

Starts two `m3m serve` (embedded database, temporary storage each): `bound` with the default
runtime settings, `unbound` with `runtime.cpu_share = 0` and `runtime.cpu_nice = 0` (every worker
as before the bound). Each has two services: `measured` (a JSON route) and `hog` (a `setInterval`
busy loop that yields between loops, so its heartbeat goes on and it is never judged frozen).
wrk drives a moderate load on a measured route (4 connections, each waiting 10 ms between
requests: a latency figure, not a saturation one) in phases of a few seconds; a round has four
phases, in another order each round, and at most one hog runs at a time:
- `bound/none`, `unbound/none`: that server's hog stopped: the baselines;
- `bound/hog`: the hog started under the server's CPU share and measured once it is throttled
  (its credit spent: 10 s at a full core with the defaults; or after SETTLE seconds, when it cannot
  even reach its share on a machine busy with other work);
- `unbound/hog`: the other server's hog, as every hog was before, measured a second after its start.
With `--hogs N`, N hogs run at once in the hog phases (the target is for one; three on two cores
show what the bound gains when there are more hogs than cores).
Each round's ratios are a server's p99 with its hog over its p99 without; the medians and every
round's figures are printed (the machine may be shared: the spread is part of the result).
Nothing here is a test; figures go to docs/performance.md by hand, with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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
SETTLE = 60  # seconds a bounded hog may take to be throttled (10 s at a full core with the defaults)


def deploy(http: httpx.Client, slug: str, code: str) -> None:
    http.post("/api/projects", json={"name": slug, "slug": slug}).raise_for_status()
    http.put(f"/api/projects/{slug}/pipeline/branches/develop", json={"code": code}).raise_for_status()
    http.post(f"/api/projects/{slug}/pipeline/releases", json={"branch": "develop"}).raise_for_status()


class Side:
    """One server with its services: `measured`, and `hogs` hogs."""

    def __init__(self, name: str, env: dict, hogs: int) -> None:
        self.name = name
        self.workdir = Path(tempfile.mkdtemp(prefix=f"m3m-bench-cpu-{name}-"))
        self.bench = Bench(self.workdir, env)
        m3m("new-admin", EMAIL, PASSWORD, env=self.bench.env)
        self.bench.serve()
        self.http = self.bench.client()
        self.slugs = [f"hog-{n}" for n in range(hogs)]
        for slug, code in (("measured", MEASURED), *((slug, HOG) for slug in self.slugs)):
            deploy(self.http, slug, code)
        self.http.post("/api/projects/measured/runtime/start", json={"release": "1.0"}).raise_for_status()
        self.url = f"{self.bench.url}/bot-measured/hello/x"
        self.bounded = self.state(self.slugs[0])["cpu"]["share"] is not None
        self.hogs: list[int] = []

    def state(self, slug: str) -> dict:
        return self.http.get(f"/api/projects/{slug}/runtime").json()

    def start_hogs(self) -> None:
        """The hogs started; bounded ones run until each is throttled (its credit spent)."""
        self.hogs = [self.http.post(f"/api/projects/{slug}/runtime/start", json={"release": "1.0"}).json()["pid"] for slug in self.slugs]
        began = time.monotonic()
        self.throttled = not self.bounded
        while not self.throttled and time.monotonic() - began < SETTLE:
            time.sleep(0.1)
            self.throttled = all(self.state(slug)["cpu"]["throttled"] for slug in self.slugs)
        time.sleep(1)  # when never throttled, they cannot even pass their share here (a busy machine)

    def stop_hogs(self) -> None:
        for slug, pid in zip(self.slugs, self.hogs):
            state = self.state(slug)
            assert state["pid"] == pid and state["restarts"] == 0, f"a {self.name} hog was restarted: {state}"
            self.http.post(f"/api/projects/{slug}/runtime/stop").raise_for_status()

    def close(self) -> None:
        self.bench.stop()
        if os.environ.get("M3M_BENCH_KEEP"):
            print("kept", self.workdir, file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8, help="rounds of the four phases, each round in another order")
    parser.add_argument("--seconds", type=int, default=5, help="duration of each phase's wrk run")
    parser.add_argument("--hogs", type=int, default=1, help="hogs running at once (the target is for one)")
    args = parser.parse_args()
    script = Path(tempfile.mkdtemp(prefix="m3m-bench-cpu-")) / "paced.lua"
    script.write_text(PACED)
    sides = {}
    rounds = []
    try:
        sides["bound"] = Side("bound", {}, args.hogs)
        sides["unbound"] = Side("unbound", {"M3M_RUNTIME__CPU_SHARE": "0", "M3M_RUNTIME__CPU_NICE": "0"}, args.hogs)
        assert sides["bound"].bounded and not sides["unbound"].bounded
        for side in sides.values():
            wrk(side.url, 2, connections=4, script=str(script))  # warm
        phases = [(name, hog) for name in sides for hog in (False, True)]
        for number in range(args.rounds):
            figures = {}
            for name, hog in phases[number % 4:] + phases[:number % 4]:
                side = sides[name]
                if hog:
                    side.start_hogs()
                    before = cpu_seconds(side.hogs)
                run = wrk(side.url, args.seconds, connections=4, script=str(script))
                if run["errors"]:
                    raise SystemExit(f"wrk saw errors: {run}")
                if hog:
                    run["hog_cores"] = round((cpu_seconds(side.hogs) - before) / args.seconds, 2)  # all hogs together
                    run["throttled"] = side.throttled
                    side.stop_hogs()
                figures[f"{name}/{'hog' if hog else 'none'}"] = run
            rounds.append(figures)
            print(number, {case: (run["p99"], run.get("hog_cores")) for case, run in figures.items()}, file=sys.stderr)
    finally:
        for side in sides.values():
            side.close()
        shutil.rmtree(script.parent, ignore_errors=True)

    def ratios(name: str) -> list[float]:
        return [round(r[f"{name}/hog"]["p99"] / r[f"{name}/none"]["p99"], 2) for r in rounds]

    results = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load": f"wrk, 4 connections, 10 ms between requests per connection, {args.seconds} s per phase",
        "hogs": args.hogs,
        "p99_ratio_bound": {"median": statistics.median(ratios("bound")), "each": ratios("bound")},
        "p99_ratio_unbound": {"median": statistics.median(ratios("unbound")), "each": ratios("unbound")},
        "p99_ms": {case: [r[case]["p99"] for r in rounds] for case in rounds[0]},
        "rps": {case: [r[case]["rps"] for r in rounds] for case in rounds[0]},
        "hog_cores": {case: [r[case]["hog_cores"] for r in rounds] for case in rounds[0] if case.endswith("/hog")},
        "bound_hog_throttled": [r["bound/hog"]["throttled"] for r in rounds],
        "load_average": [round(value, 1) for value in os.getloadavg()],
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
