"""Where an autostart's time goes: N services deployed, the server restarted, then the CPU time
each worker and the server spent (read from /proc, so other load on the machine does not count)
and the wall time until all answer. `python bench/boot_cpu.py [N]` (default 12)."""

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
from run import EMAIL, PASSWORD, Bench, m3m  # noqa: E402

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
        began = time.perf_counter()
        bench.serve()
        while not all(httpx.get(f"{bench.url}/bot-{slug}/hello/x").status_code == 200 for slug in slugs):
            time.sleep(0.2)
        wall = time.perf_counter() - began
        http = bench.client()
        workers = [cpu_seconds(http.get(f"/api/projects/{slug}/runtime").json()["pid"]) for slug in slugs]
        server = cpu_seconds(bench.process.pid)
        print(json.dumps({
            "services": count,
            "all_answer_s": round(wall, 2),
            "worker_cpu_s_median": round(statistics.median(workers), 3),
            "server_cpu_s_per_start": round(server / count, 3),
            "cpu_s_total": round(sum(workers) + server, 2),
            "cores": os.cpu_count(),
            "load_average": os.getloadavg()[0],
        }, indent=2))
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
