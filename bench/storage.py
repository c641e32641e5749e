"""`make bench` (storage): project storage over HTTP against plain file operations in the same run.

- a 200 MB upload and download on loopback with curl, MB/s, against shutil.copyfile of the same file;
  the server's peak RSS during the upload;
- one page (100 entries) of a folder of 10,000 files, against os.scandir of that folder.
Nothing here is a test; figures go to docs/performance.md by hand, with the machine.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import EMAIL, PASSWORD, Bench, m3m  # noqa: E402

SIZE = 200 * 1024 * 1024
FILES = 10_000


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="m3m-bench-storage-"))
    bench = Bench(workdir)
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    results: dict = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"}
    source = workdir / "source.bin"
    with open(source, "wb") as handle:
        for _ in range(SIZE // (1024 * 1024)):
            handle.write(os.urandom(1024 * 1024))
    bench.serve()
    try:
        http = bench.client()
        http.post("/api/projects", json={"name": "files", "slug": "files"}).raise_for_status()
        base = "/api/projects/files/storage"

        # Interleaved, medians: the disk's write-back makes any one copy fast or slow.
        token = http.headers["Authorization"]
        copies, object_copies, uploads, downloads, peak = [], [], [], [], [0]
        before = rss_kb(bench.process.pid)
        done = threading.Event()

        def watch():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kb(bench.process.pid))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        for n in range(5):
            began = time.perf_counter()
            shutil.copyfile(source, workdir / f"copy-{n}.bin")  # the kernel's copy_file_range: no user-space copy
            copies.append(time.perf_counter() - began)
            began = time.perf_counter()
            with open(source, "rb") as reader, open(workdir / f"copy-{n}.obj", "wb") as writer:
                shutil.copyfileobj(reader, writer, 1024 * 1024)  # through user space, as a server must
            object_copies.append(time.perf_counter() - began)
            (workdir / f"copy-{n}.obj").unlink()
            # curl as the client: a Python client on the same two cores would be measured as much as the server
            began = time.perf_counter()
            subprocess.run(["curl", "-sf", "-o", os.devnull, "-H", f"Authorization: {token}", "-F", f"file=@{source};filename=up-{n}.bin",
                            f"{bench.url}{base}/files?path=big"], check=True)
            uploads.append(time.perf_counter() - began)
            began = time.perf_counter()
            subprocess.run(["curl", "-sf", "-o", str(workdir / "down.bin"), "-H", f"Authorization: {token}",
                            f"{bench.url}{base}/content?path=big/up-{n}.bin"], check=True)
            downloads.append(time.perf_counter() - began)
            assert (workdir / "down.bin").stat().st_size == SIZE
            (workdir / f"copy-{n}.bin").unlink()
        done.set()
        watcher.join()
        copy_s = statistics.median(copies)
        mb = SIZE / 2**20
        results["copyfile_mb_s"] = round(mb / copy_s)
        results["copyfileobj_mb_s"] = round(mb / statistics.median(object_copies))
        results["upload_mb_s"] = round(mb / statistics.median(uploads))
        results["download_mb_s"] = round(mb / statistics.median(downloads))
        results["upload_ratio"] = round(copy_s / statistics.median(uploads), 3)
        results["download_ratio"] = round(copy_s / statistics.median(downloads), 3)
        results["upload_ratio_to_copyfileobj"] = round(statistics.median(object_copies) / statistics.median(uploads), 3)
        results["download_ratio_to_copyfileobj"] = round(statistics.median(object_copies) / statistics.median(downloads), 3)
        results["server_rss_before_mb"] = round(before / 1024, 1)
        results["server_rss_peak_during_upload_mb"] = round(peak[0] / 1024, 1)

        folder = workdir / "storage" / "projects"
        project_root = next(folder.iterdir()) / "storage" / "many"
        project_root.mkdir(parents=True)
        for n in range(FILES):
            (project_root / f"file-{n:05d}.txt").write_bytes(b"x" * (n % 100))
        scans, pages = [], []
        for _ in range(5):
            began = time.perf_counter()
            with os.scandir(project_root) as listing:
                entries = [(entry.name, entry.stat()) for entry in listing]
            scans.append(time.perf_counter() - began)
            assert len(entries) == FILES
        for _ in range(5):
            began = time.perf_counter()
            page = http.get(base, params={"path": "many", "perPage": 100, "sort": "name"}).json()
            pages.append(time.perf_counter() - began)
            assert page["totalItems"] == FILES
        results["list_10k_page_ms"] = round(statistics.median(pages) * 1000, 1)
        results["scandir_10k_ms"] = round(statistics.median(scans) * 1000, 1)
        results["list_ratio"] = round(statistics.median(pages) / statistics.median(scans), 2)
    finally:
        bench.stop()
        if os.environ.get("M3M_BENCH_KEEP"):
            print("kept", workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
