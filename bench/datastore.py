"""`make bench` (data store): records over REST and `$database` against PyMongo on the same
embedded database, in the same run (docs/performance.md "Data store").

- REST list (perPage 50, a filter on an indexed field, a sort) req/s (wrk) against the same
  find + count with PyMongo (threads on the same machine), ops/s;
- REST insert req/s (wrk, a Lua script posting one record) against PyMongo insert_one ops/s,
  with the project's API key, then with a user's token (recorded in the audit log);
- one list of 50 records with `expand` of one ref against 50 separate GETs of the referred records;
- a service route answering `$database.items.find(...)` (the same query) against the REST list.

`python bench/datastore.py [--records N]` (100,000 by default; seeded with PyMongo insert_many in
chunks of SEED_CHUNK). M3M_BENCH_SECONDS (8), M3M_BENCH_LIST_SECONDS (1 s per 1,000 records, 20 at least) and
M3M_BENCH_CONNECTIONS (4) set the runs. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from bson import ObjectId
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from run import EMAIL, PASSWORD, Bench, m3m  # noqa: E402

from kernel.embedded import EmbeddedMongo  # noqa: E402

SECONDS = int(os.environ.get("M3M_BENCH_SECONDS", "8"))
# A filtered, sorted and counted list takes ~30 s on nx-27017 at 100k records (a busy 2-core
# VM): the list runs last longer, 1 s per 1,000 records (20 s at least), so each side completes
# enough of them to count. M3M_BENCH_LIST_SECONDS sets it.
LIST_SECONDS = os.environ.get("M3M_BENCH_LIST_SECONDS")
CONNECTIONS = int(os.environ.get("M3M_BENCH_CONNECTIONS", "4"))
SEED_CHUNK = 5000  # records per insert_many while seeding
FILTER = "n >= 500 && done = false"
SORT = "-n"
SERVICE = """
$router.get('/find', async () => $database.items.find('n >= {:n} && done = false', { n: 500 }, { sort: '-n', perPage: 50 }));
"""
MODEL = {"name": "Items", "slug": "items", "fields": [
    {"key": "title", "type": "string"}, {"key": "n", "type": "number"}, {"key": "price", "type": "float"},
    {"key": "done", "type": "bool"}, {"key": "kind", "type": "select", "options": {"values": ["a", "b", "c"]}},
    {"key": "body", "type": "text"}, {"key": "meta", "type": "json"}, {"key": "owner", "type": "ref", "options": {"model": "owners"}},
], "table": {"filterable": ["n", "done"], "sortable": ["n"]}}


ERRORS: dict[str, str] = {}


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def wrk(url: str, headers: dict, script: Path | None = None, seconds: int = SECONDS) -> float:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "120s"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    non2xx = [line for line in out.splitlines() if "Non-2xx" in line]
    if non2xx:  # said, and kept in the results: the other figures of the run still count
        ERRORS[url] = non2xx[0].strip()
        say(f"wrk got errors from {url}: {non2xx[0]}\n{out}")
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))


def pymongo_rate(operation, seconds: int = SECONDS) -> float:
    """ops/s of `operation()` from CONNECTIONS threads for `seconds`, as wrk drives the server
    (over the time until the last one ends: a slow operation started near the end counts whole)."""
    began = time.monotonic()
    count, stop = [0], began + seconds
    lock = threading.Lock()

    def loop():
        done = 0
        while time.monotonic() < stop:
            operation()
            done += 1
        with lock:
            count[0] += done

    threads = [threading.Thread(target=loop) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count[0] / (time.monotonic() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    global LIST_SECONDS
    LIST_SECONDS = int(LIST_SECONDS) if LIST_SECONDS else max(20, args.records // 1000)
    workdir = Path(tempfile.mkdtemp(prefix="m3m-bench-datastore-"))
    # A find over 100k records on nx-27017 takes seconds: the route timeout must not cut it short.
    bench = Bench(workdir, {"M3M_RUNTIME__RECYCLE_REQUESTS": "100000000", "M3M_RUNTIME__ROUTE_TIMEOUT": "300s"})
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    results: dict = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}", "records": args.records}
    bench.serve()
    try:
        http = bench.client()
        http.post("/api/projects", json={"name": "data", "slug": "data"}).raise_for_status()
        key = http.post("/api/projects/data/api-key").json()["apiKey"]
        base = "/api/projects/data/models"
        http.post(base, json={"name": "Owners", "slug": "owners", "fields": [{"key": "name", "type": "string"}]}).raise_for_status()
        items = http.post(base, json=MODEL)
        items.raise_for_status()
        owners = [http.post(f"{base}/owners/records", json={"name": f"owner {i}"}).json()["id"] for i in range(50)]

        client = MongoClient(EmbeddedMongo(workdir / "storage" / "db").running_uri(), tz_aware=True)
        db = client["m3m"]
        records = db[f"records_{items.json()['id']}"]
        stamp = datetime.now(timezone.utc)
        began = time.perf_counter()
        say(f"seeding {args.records} records")
        for start in range(0, args.records, SEED_CHUNK):
            records.insert_many([{
                "_id": str(ObjectId()), "title": f"item {i}", "n": i % 1000, "price": i / 7, "done": i % 3 == 0, "kind": "abc"[i % 3],
                "body": "lorem ipsum " * 5, "meta": {"i": i}, "owner": owners[i % 50], "created": stamp, "updated": stamp, "revision": 1,
            } for i in range(start, min(start + SEED_CHUNK, args.records))], ordered=False)
        results["seed_s"] = round(time.perf_counter() - began, 1)
        say(f"seeded in {results['seed_s']} s")
        headers = {"X-API-Key": key}
        query = {"$and": [{"n": {"$gte": 500}}, {"done": False}]}
        from urllib.parse import urlencode

        list_url = f"{bench.url}{base}/items/records?" + urlencode({"filter": FILTER, "sort": SORT, "perPage": 50})
        check = http.get(list_url.removeprefix(bench.url)).json()
        direct = list(records.find(query).sort([("n", -1), ("_id", 1)]).limit(50))
        assert [r["id"] for r in check["items"]] == [d["_id"] for d in direct] and check["totalItems"] == records.count_documents(query)

        # Inserts first: lists that wrk leaves running in the server at its end still load the
        # database for a while (drain() waits them out before the next figure).
        script = workdir / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.body = \'{"title": "new", "n": 7, "price": 1.5, "done": true, "kind": "a", "body": "x", "meta": {"a": 1}}\'\n'
                          'wrk.headers["Content-Type"] = "application/json"\n')
        say("insert: REST, then PyMongo")
        results["rest_insert_req_s"] = wrk(f"{bench.url}{base}/items/records", headers, script)

        def insert_one():
            records.insert_one({"_id": str(ObjectId()), "title": "new", "n": 7, "price": 1.5, "done": True, "kind": "a", "body": "x",
                                "meta": {"a": 1}, "owner": None, "created": datetime.now(timezone.utc), "updated": datetime.now(timezone.utc), "revision": 1})

        results["pymongo_insert_ops_s"] = pymongo_rate(insert_one)
        results["insert_ratio"] = round(results["rest_insert_req_s"] / results["pymongo_insert_ops_s"], 3)
        # The same inserts by a user (a token): these are recorded in the audit log, the API
        # key's are not (audit.skip_api_key, docs/operations.md "Audit log").
        results["rest_insert_audited_req_s"] = wrk(f"{bench.url}{base}/items/records", {"Authorization": http.headers["Authorization"]}, script)
        results["insert_audited_ratio"] = round(results["rest_insert_audited_req_s"] / results["pymongo_insert_ops_s"], 3)
        say(json.dumps(results))

        say("list: REST, then PyMongo")
        results["rest_list_req_s"] = wrk(list_url, headers, seconds=LIST_SECONDS)
        drain(http, list_url, headers)
        results["pymongo_list_ops_s"] = pymongo_rate(lambda: (list(records.find(query).sort([("n", -1), ("_id", 1)]).limit(50)), records.count_documents(query)), LIST_SECONDS)
        results["list_ratio"] = round(results["rest_list_req_s"] / results["pymongo_list_ops_s"], 3)
        say(json.dumps(results))

        say("expand against 50 GETs")
        # The expand's own cost (an expanded page minus the same page plain) against 50 GETs.
        expands, plains, gets = [], [], []
        page_url = f"{base}/items/records?" + urlencode({"perPage": 50, "skipTotal": 1})
        for _ in range(5):
            began = time.perf_counter()
            expanded = http.get(page_url + "&expand=owner", headers=headers).json()["items"]
            expands.append(time.perf_counter() - began)
            assert all("owner" in item["expand"] for item in expanded)
            began = time.perf_counter()
            plain = http.get(page_url, headers=headers).json()["items"]
            plains.append(time.perf_counter() - began)
            began = time.perf_counter()
            for item in plain:
                http.get(f"{base}/owners/records/{item['owner']}", headers=headers).raise_for_status()
            gets.append(time.perf_counter() - began)
        results["page_50_ms"] = round(statistics.median(plains) * 1000, 1)
        results["page_50_expanded_ms"] = round(statistics.median(expands) * 1000, 1)
        results["fifty_gets_ms"] = round(statistics.median(gets) * 1000, 1)
        expand_cost = max(statistics.median(expands) - statistics.median(plains), 1e-4)
        results["expand_speedup"] = round(statistics.median(gets) / expand_cost, 1)

        say("$database.find from a service against the REST list")
        http.put("/api/projects/data/pipeline/branches/develop", json={"code": SERVICE}).raise_for_status()
        http.post("/api/projects/data/pipeline/releases", json={"branch": "develop"}).raise_for_status()
        http.post("/api/projects/data/runtime/start", json={"release": "1.0"}, timeout=120).raise_for_status()
        found = httpx_get_json(f"{bench.url}/bot-data/find")
        assert [r["id"] for r in found] == [d["_id"] for d in records.find(query).sort([("n", -1), ("_id", 1)]).limit(50)]
        # The REST list first: requests wrk leaves queued at a worker would still load the database.
        # Without the count, as $database.find does not count.
        results["rest_list_skip_total_req_s"] = wrk(list_url + "&skipTotal=1", headers, seconds=LIST_SECONDS)
        drain(http, list_url + "&skipTotal=1", headers)
        results["service_find_req_s"] = wrk(f"{bench.url}/bot-data/find", {}, seconds=LIST_SECONDS)
        results["service_find_ratio"] = round(results["service_find_req_s"] / results["rest_list_skip_total_req_s"], 3)
        client.close()
        if ERRORS:
            results["errors"] = ERRORS
    finally:
        bench.stop()
        if os.environ.get("M3M_BENCH_KEEP"):
            print("kept", workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results, indent=2))


def drain(http, url: str, headers: dict) -> None:
    """Wait for the requests wrk left in flight: one more of the same, answered after them."""
    began = time.perf_counter()
    http.get(url.removeprefix(str(http.base_url).rstrip("/")), headers=headers, timeout=600).raise_for_status()
    say(f"drained in {time.perf_counter() - began:.1f} s")


def httpx_get_json(url: str):
    import httpx

    for _ in range(200):
        response = httpx.get(url, timeout=30)
        if response.status_code == 200:
            return response.json()
        time.sleep(0.05)
    raise SystemExit(f"{url} answered {response.status_code}: {response.text}")


if __name__ == "__main__":
    random.seed(1)
    main()
