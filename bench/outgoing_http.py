"""`make bench` ($http): `$http.get` of a local JSON endpoint from a service route, against the
same requests made by httpx in a plain Python loop, in the same run and to the same endpoint.
(Not named http.py: run as a script, that would shadow the standard library's `http`.)

The endpoint is bench/plain_quart.py (`/hello/x`, JSON) in its own Hypercorn process. The service
route runs N gets and parses each answer (`r.json()`), one at a time (c=1) or C at once
(`Promise.all`); the baseline does the same with one `httpx.AsyncClient` and `asyncio.gather`,
and, for reference, a synchronous `httpx.Client`. Rounds are interleaved and the medians kept.
Nothing here is a test; figures go to docs/performance.md by hand, with the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import EMAIL, PASSWORD, ROOT, Bench, free_port, m3m  # noqa: E402

N = 2000
ROUNDS = 3
SERVICE = """
$router.get('/fetch', async (ctx) => {
  const n = Number(ctx.query.n), c = Number(ctx.query.c);
  const started = Date.now();
  let ok = 0;
  for (let i = 0; i < n; i += c) {
    const batch = [];
    for (let j = 0; j < c && i + j < n; j++) { batch.push($http.get(ctx.query.url)); }
    for (const answer of await Promise.all(batch)) { if (answer.json().hello === 'x') { ok++; } }
  }
  return { ok, ms: Date.now() - started };
});
"""


async def httpx_loop(url: str, n: int, c: int) -> float:
    async with httpx.AsyncClient() as client:
        await client.get(url)  # a connection made, as the service's is after its first round
        started = time.perf_counter()
        ok = 0
        for i in range(0, n, c):
            for answer in await asyncio.gather(*(client.get(url) for _ in range(min(c, n - i)))):
                ok += answer.json()["hello"] == "x"
        assert ok == n
        return time.perf_counter() - started


def httpx_sync_loop(url: str, n: int) -> float:
    with httpx.Client() as client:
        client.get(url)
        started = time.perf_counter()
        for _ in range(n):
            assert client.get(url).json()["hello"] == "x"
        return time.perf_counter() - started


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="m3m-bench-http-"))
    bench = Bench(workdir, {"M3M_HTTP__ALLOWED": '["127.0.0.0/8"]'})  # the endpoint is on loopback, denied by default
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    results: dict = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}", "n": N}
    port = free_port()
    endpoint = subprocess.Popen([sys.executable, str(ROOT / "bench" / "plain_quart.py"), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/hello/x"
    bench.serve()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("the JSON endpoint did not start") from None
                time.sleep(0.1)
        http = bench.client()
        http.post("/api/projects", json={"name": "fetcher", "slug": "fetcher"}).raise_for_status()
        http.put("/api/projects/fetcher/pipeline/branches/develop", json={"code": SERVICE}).raise_for_status()
        http.post("/api/projects/fetcher/pipeline/releases", json={"branch": "develop"}).raise_for_status()
        http.post("/api/projects/fetcher/runtime/start", json={"release": "1.0"}).raise_for_status()
        route = f"{bench.url}/bot-fetcher/fetch"
        http.get(route, params={"url": url, "n": 50, "c": 1}).raise_for_status()  # warm: the client made, a connection open
        for c in (1, 16):
            service_s, async_s, sync_s = [], [], []
            for _ in range(ROUNDS):
                answer = http.get(route, params={"url": url, "n": N, "c": c}).json()
                assert answer["ok"] == N, answer
                service_s.append(answer["ms"] / 1000)
                async_s.append(asyncio.run(httpx_loop(url, N, c)))
                if c == 1:
                    sync_s.append(httpx_sync_loop(url, N))
            service_rps, async_rps = N / statistics.median(service_s), N / statistics.median(async_s)
            results[f"c{c}"] = {
                "service_http_get_rps": round(service_rps),
                "python_httpx_async_rps": round(async_rps),
                "ratio": round(service_rps / async_rps, 3),
                "service_us_per_get": round(statistics.median(service_s) / N * 1e6),
                "python_us_per_get": round(statistics.median(async_s) / N * 1e6),
            }
            if sync_s:
                results[f"c{c}"]["python_httpx_sync_rps"] = round(N / statistics.median(sync_s))
    finally:
        bench.stop()
        endpoint.terminate()
        endpoint.wait(10)
        if os.environ.get("M3M_BENCH_KEEP"):
            print("kept", workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
