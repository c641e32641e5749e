"""Where an autostart's time goes: N services deployed, the server restarted, then the CPU time
each worker and the server spent (read from /proc, so other load on the machine does not count),
the wall time until the server, the first service and all of them answer, and the idle RSS and
PSS of a worker (medians). `python bench/boot_cpu.py [N]` (default 12)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import EMAIL, PASSWORD, Bench, autostarted, m3m, pss_kb, rss_kb  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    workdir = Path(tempfile.mkdtemp(prefix="m3m-boot-"))
    bench = Bench(workdir)
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    bench.serve()
    try:
        http = bench.client()
        slugs = [f"boot-{n:02d}" for n in range(count)]
        for slug in slugs:
            bench.deploy(http, slug)
        bench.stop()
        began, began_wall = time.perf_counter(), time.time()
        bench.serve()
        ping = time.perf_counter() - began
        http = bench.client()
        states, first, wall = autostarted(http, slugs, began_wall)
        assert all(httpx.get(f"{bench.url}/bot-{slug}/hello/x").status_code == 200 for slug in slugs)
        pids = [states[slug]["pid"] for slug in slugs]
        workers = [cpu_seconds(pid) for pid in pids]
        server = cpu_seconds(bench.process.pid)
        time.sleep(2)  # idle now: the memory each worker holds
        rss = statistics.median(rss_kb(pid) for pid in pids) / 1024
        pss = statistics.median(pss_kb(pid) for pid in pids) / 1024
        print(json.dumps({
            "services": count,
            "server_answers_s": round(ping, 2),
            "first_answers_s": round(first, 2),
            "all_answer_s": round(wall, 2),
            "worker_cpu_s_median": round(statistics.median(workers), 3),
            "server_cpu_s_per_start": round(server / count, 3),
            "cpu_s_total": round(sum(workers) + server, 2),
            "idle_worker_rss_mb": round(rss, 1),
            "idle_worker_pss_mb": round(pss, 1),
            "cores": os.cpu_count(),
            "load_average": os.getloadavg()[0],
        }, indent=2))
    finally:
        bench.stop()
        if os.environ.get("M3M_BENCH_KEEP"):
            print("kept", workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
