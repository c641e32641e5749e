"""The logs view at 100,000 lines ([10] budget): frame times while it scrolls, in Chromium.

Starts its own `m3m serve` (embedded database, temporary storage) and two services: one whose
start logs LINES lines, one that logs BASELINE lines (the baseline, in the same run). For each, the
logs page is opened and scrolled to the top until every older page is in the list (the list
pages backwards, 1000 lines a request), then scrolled down and back up (turning round at an end),
a fixed number of pixels per animation frame, while `requestAnimationFrame` timestamps give each frame's time.
Printed: the time to page every line in, and the frame times (median, p95, p99, max, frames over
50 ms) of both services, and their ratio. Measured, never asserted (DESIGN.md 11).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import EMAIL, PASSWORD, ROOT, Bench, m3m  # noqa: E402
from ui import CHROMIUM, FLAGS  # noqa: E402

SERVICE = """$service.start(() => {
  for (let i = 0; i < %d; i++) $logger.info('benchmark line ' + i)
  $logger.info('all lines written')
})
$router.get('/x', () => 'x')
"""
FRAMES = 600
STEP = 240  # pixels per frame: ~10 rows of 24 px, a brisk scroll

# Scrolls the log list `frames` frames down (then up) and answers each frame's duration in ms.
# At an end it turns round, so that every frame scrolls: the 1,000 lines of the baseline are
# 20,000 px, fewer than the 72,000 px of a half, and a frame that does not scroll draws nothing.
SCROLL = """async ({frames, step}) => {
  const list = document.querySelector('[role=log]');
  const times = [];
  let last = performance.now();
  for (const half of [1, -1]) {
    let direction = half;
    for (let i = 0; i < frames / 2; i++) {
      await new Promise((done) => requestAnimationFrame(done));
      const now = performance.now();
      times.push(now - last);
      last = now;
      if (direction > 0 && list.scrollTop + list.clientHeight >= list.scrollHeight - 1) direction = -1;
      else if (direction < 0 && list.scrollTop <= 0) direction = 1;
      list.scrollTop += direction * step;
    }
  }
  return times;
}"""


def deploy(http, slug: str, lines: int) -> None:
    http.post("/api/projects", json={"name": slug, "slug": slug}).raise_for_status()
    http.put(f"/api/projects/{slug}/pipeline/branches/develop", json={"code": SERVICE % lines}).raise_for_status()
    http.post(f"/api/projects/{slug}/pipeline/releases", json={"branch": "develop"}).raise_for_status()
    http.post(f"/api/projects/{slug}/runtime/start", json={"release": "1.0"}).raise_for_status()
    deadline = time.monotonic() + 300
    while "all lines written" not in http.get(f"/api/projects/{slug}/runtime/logs", params={"offset": max(0, lines - 5), "limit": 20}).text:
        if time.monotonic() > deadline:
            raise SystemExit(f"{slug}: the lines were not written in 5 minutes")
        time.sleep(0.5)


def measure(browser, url: str, token: str, slug: str, lines: int, frames: int) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(f"localStorage.setItem('m3m.token', {token!r})")
    page = context.new_page()
    page.goto(f"{url}/projects/{slug}/logs")
    page.get_by_role("log", name="Log lines").wait_for()
    page.locator("[data-testid=log-line]", has_text="all lines written").wait_for(timeout=60_000)
    began = time.perf_counter()
    count = lambda: int(page.get_by_test_id("log-count").inner_text().split()[0].replace(",", "").replace("\u202f", ""))  # noqa: E731
    while count() < lines:
        before = count()
        page.evaluate("document.querySelector('[role=log]').scrollTop = 0")
        deadline = time.monotonic() + 30
        while count() == before and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        if count() == before:
            raise SystemExit(f"{slug}: stuck at {before} lines")
    paged = time.perf_counter() - began
    in_dom = page.locator("[data-testid=log-line]").count()
    times = page.evaluate(SCROLL, {"frames": frames, "step": STEP})[2:]  # the first frames measure the start
    context.close()
    times.sort()
    return {
        "lines": count_lines(lines), "paged_s": paged, "rows_in_dom": in_dom,
        "median": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))],
        "p99": times[int(0.99 * (len(times) - 1))], "max": times[-1], "over_50ms": sum(t > 50 for t in times),
        "frames": len(times),
    }


def count_lines(lines: int) -> int:
    return lines + 1  # and "all lines written"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--frames", type=int, default=FRAMES)
    args = parser.parse_args()
    if not (ROOT / "ui" / "dist" / "index.html").is_file():
        raise SystemExit("build the UI first: make ui")
    workdir = Path(tempfile.mkdtemp(prefix="m3m-bench-logs-"))
    bench = Bench(workdir)
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    bench.serve()
    try:
        http = bench.client()
        deploy(http, "small", args.baseline)
        deploy(http, "large", args.lines)
        token = http.headers["Authorization"].removeprefix("Bearer ")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            version = browser.version
            small = measure(browser, bench.url, token, "small", args.baseline, args.frames)
            large = measure(browser, bench.url, token, "large", args.lines, args.frames)
            browser.close()
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"machine: {platform.machine()}, {platform.node()}, Python {platform.python_version()}, chromium {version}")
    for name, result in (("baseline", small), ("large", large)):
        print(f"{name}: {result['lines']} lines, paged in {result['paged_s']:.1f} s, {result['rows_in_dom']} rows in the DOM; "
              f"{result['frames']} frames: median {result['median']:.1f} ms, p95 {result['p95']:.1f}, p99 {result['p99']:.1f}, "
              f"max {result['max']:.1f}, {result['over_50ms']} over 50 ms")
    print(f"ratio large/baseline: median {large['median'] / small['median']:.2f}, p95 {large['p95'] / small['p95']:.2f}")


if __name__ == "__main__":
    main()
