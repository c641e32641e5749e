"""`make bench-ui`: the web UI's budget, measured (DESIGN.md 11; never asserted in a test).

Starts its own `m3m serve` (embedded database, temporary storage) with a built ui/dist and, in
Debian's chromium driven by Playwright:
- the JavaScript the sign-in page loads (every script response until the network is idle),
  raw and gzip-compressed (level 6, what a reverse proxy sends; m3m itself does not compress);
- the time from navigation to an interactive projects page (the project cards are on screen and
  the page answers a click), over N loads: cold (a new browser context, empty cache) and warm
  (a reload in the same context), and the scripts it loads (Monaco must not be one of them);
- the code page ([10]): the time from navigation to an editor that has its model and takes
  keystrokes, cold and warm, and what it loads beyond the projects page (the lazily loaded
  `monaco` chunk and its workers), raw and gzip;
- the records table ([10]): a model with 1,000 records and a page size of 100; the time from
  navigation to the 100 rows on screen (cold and warm), and, measured inside the page, what one
  page of 100 rows costs after "Next": the request (resource timing) and the render (from the
  answer's last byte to the rows in the DOM: JSON parse, React, TanStack Table), for pages
  fetched from the server and for pages shown again from the query cache (the pure render).
Figures go to docs/performance.md by hand, with the machine.
"""

from __future__ import annotations

import argparse
import gzip
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

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PROJECTS = 12
RECORDS, PAGE = 1000, 100


def sign_in_js(browser, url: str) -> tuple[int, int, list[str]]:
    context = browser.new_context()
    page = context.new_page()
    scripts: list = []
    page.on("response", lambda r: r.request.resource_type == "script" and scripts.append(r))
    page.goto(url + "/sign-in")
    page.get_by_role("button", name="Sign in").wait_for()
    page.wait_for_load_state("networkidle")
    bodies = [(r.url.rsplit("/", 1)[-1], r.body()) for r in scripts]
    context.close()
    raw = sum(len(body) for _, body in bodies)
    packed = sum(len(gzip.compress(body, compresslevel=6)) for _, body in bodies)
    return raw, packed, [name for name, _ in bodies]


def projects_ready(page, url: str) -> float:
    began = time.perf_counter()
    page.goto(url + "/projects")
    page.get_by_test_id("project-card").nth(PROJECTS - 1).wait_for()
    page.get_by_role("button", name="New project").click(trial=True)  # visible, enabled, not covered
    return (time.perf_counter() - began) * 1000


def scripts_of(page, url: str, path: str, ready) -> list:
    """The script and worker responses of one navigation (a fresh context: nothing cached)."""
    seen: list = []
    page.on("response", lambda r: r.request.resource_type in ("script", "other") and r.url.endswith(".js") and seen.append(r))
    page.goto(url + path)
    ready(page)
    page.wait_for_load_state("networkidle")
    return [(r.url, r.body()) for r in seen]  # read before the context closes


def editor_ready(page) -> None:
    page.wait_for_function("() => window.monaco && window.monaco.editor.getEditors().some(e => e.getModel())")
    page.locator(".monaco-editor .view-lines").first.click(trial=True)


def code_ready(page, url: str) -> float:
    began = time.perf_counter()
    page.goto(url + "/projects/project-0/code")
    editor_ready(page)
    return (time.perf_counter() - began) * 1000


def make_records(http) -> None:
    """project-0's `items`: a column of each kind the table draws, and RECORDS records."""
    fields = [
        {"key": "title", "type": "string"}, {"key": "count", "type": "number"}, {"key": "done", "type": "bool"},
        {"key": "tags", "type": "select", "options": {"values": ["a", "b", "c"], "maxSelect": 3}},
        {"key": "due", "type": "date"}, {"key": "at", "type": "datetime"}, {"key": "meta", "type": "json"},
        {"key": "body", "type": "text"},
    ]
    http.post("/api/projects/project-0/models", json={"name": "Items", "slug": "items", "fields": fields,
              "table": {"sortable": ["title", "count"], "pageSize": PAGE}}).raise_for_status()
    for start in range(0, RECORDS, 100):
        http.post("/api/projects/project-0/models/items/records/batch", json={"requests": [{"action": "create", "data": {
            "title": f"Item {n:04d}", "count": n, "done": n % 2 == 0, "tags": ["a", "b"] if n % 3 else ["c"],
            "due": f"2026-01-{n % 28 + 1:02d}", "at": f"2026-01-01T10:{n % 60:02d}:00Z", "meta": {"n": n, "name": f"item {n}"},
            "body": "A longer text that the table truncates. " * 4,
        }} for n in range(start, start + 100)]}).raise_for_status()


def rows_shown(page) -> None:
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=record-row]').length === {PAGE}")


def records_ready(page, url: str) -> float:
    began = time.perf_counter()
    page.goto(url + "/projects/project-0/data/items")  # the live event stream never lets the network idle
    rows_shown(page)
    return (time.perf_counter() - began) * 1000


# One page turn, timed in the page: the click, the records request's resource timing, and the
# moment the new rows are in the DOM (a MutationObserver: the commit, before paint).
TURN = """async (label) => {
  const rows = () => document.querySelectorAll('[data-testid=record-row]');
  const first = rows()[0].dataset.id;
  const button = [...document.querySelectorAll('nav button')].find(b => b.textContent.trim() === label);
  performance.clearResourceTimings();
  const began = performance.now();
  const done = new Promise(resolve => {
    const observer = new MutationObserver(() => {
      const now = rows();
      if (now.length === %d && now[0].dataset.id !== first) { observer.disconnect(); resolve(performance.now()); }
    });
    observer.observe(document.querySelector('[data-testid=records-table]'), {childList: true, subtree: true});
  });
  button.click();
  const committed = await done;
  await new Promise(r => requestAnimationFrame(() => setTimeout(r)));
  const painted = performance.now();
  const request = performance.getEntriesByType('resource').find(e => e.name.includes('/models/items/records?'));
  return {total: committed - began, painted: painted - began, request: request ? request.responseEnd - request.startTime : null,
          render: request ? committed - request.responseEnd : committed - began};
}""" % PAGE


# The baseline of the same run: the same table's HTML put into the page by the browser itself
# (innerHTML: parse and insert, no JS framework), what a render can at best approach.
PLAIN = """() => {
  const html = document.querySelector('[data-testid=records-table]').outerHTML;
  const began = performance.now();
  const box = document.createElement('div');
  box.innerHTML = html;
  document.body.appendChild(box);
  const took = performance.now() - began;
  box.remove();
  return took;
}"""


def sizes(responses) -> tuple[int, int]:
    bodies = [body for _, body in responses]
    return sum(len(b) for b in bodies), sum(len(gzip.compress(b, compresslevel=6)) for b in bodies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--only", choices=["records"], help="measure only this part")
    args = parser.parse_args()
    if not (ROOT / "ui" / "dist" / "index.html").is_file():
        raise SystemExit("build the UI first: make ui")
    workdir = Path(tempfile.mkdtemp(prefix="m3m-bench-ui-"))
    bench = Bench(workdir)
    m3m("new-admin", EMAIL, PASSWORD, env=bench.env)
    bench.serve()
    try:
        http = bench.client()
        for index in range(PROJECTS):
            http.post("/api/projects", json={"name": f"Project {index}", "slug": f"project-{index}", "color": "blue"}).raise_for_status()
        token = http.headers["Authorization"].removeprefix("Bearer ")
        make_records(http)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            version = browser.version
            records_cold, records_warm, fetched, cached = [], [], [], []
            for _ in range(args.loads):
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                context.add_init_script(f"localStorage.setItem('m3m.token', {token!r})")
                page = context.new_page()
                records_cold.append(records_ready(page, bench.url))
                records_warm.append(records_ready(page, bench.url))
                context.close()
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_init_script(f"localStorage.setItem('m3m.token', {token!r})")
            page = context.new_page()
            records_ready(page, bench.url)
            for _ in range(RECORDS // PAGE - 1):  # pages 2..10 from the server
                fetched.append(page.evaluate(TURN, "Next"))
            for _ in range(RECORDS // PAGE - 1):  # back to 1: from the cache (staleTime 10 s)
                cached.append(page.evaluate(TURN, "Previous"))
                cached[-1]["plain"] = page.evaluate(PLAIN)
            context.close()
        if args.only == "records":
            report_records(version, args.loads, records_cold, records_warm, fetched, cached)
            return
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            raw, packed, names = sign_in_js(browser, bench.url)
            cold, warm = [], []
            for _ in range(args.loads):
                context = browser.new_context()
                context.add_init_script(f"localStorage.setItem('m3m.token', {token!r})")
                page = context.new_page()
                cold.append(projects_ready(page, bench.url))
                warm.append(projects_ready(page, bench.url))
                context.close()
            context = browser.new_context()
            context.add_init_script(f"localStorage.setItem('m3m.token', {token!r})")
            listing = scripts_of(context.new_page(), bench.url, "/projects", lambda p: p.get_by_test_id("project-card").first.wait_for())
            context.close()
            context = browser.new_context()
            context.add_init_script(f"localStorage.setItem('m3m.token', {token!r})")
            editor = scripts_of(context.new_page(), bench.url, "/projects/project-0/code", editor_ready)
            context.close()
            listed = {name for name, _ in listing}
            lazy = [(name, body) for name, body in editor if name not in listed]
            lazy_raw, lazy_packed = sizes(lazy)
            lazy_names = [name.rsplit("/", 1)[-1] for name, _ in lazy]
            code_cold, code_warm = [], []
            for _ in range(args.loads):
                context = browser.new_context()
                context.add_init_script(f"localStorage.setItem('m3m.token', {token!r})")
                page = context.new_page()
                code_cold.append(code_ready(page, bench.url))
                code_warm.append(code_ready(page, bench.url))
                context.close()
            browser.close()
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"machine: {platform.machine()}, {platform.node()}, Python {platform.python_version()}, chromium {version}")
    print(f"sign-in page JS: {len(names)} scripts, {raw / 1024:.1f} KB raw, {packed / 1024:.1f} KB gzip (budget 250 KB gzip)")
    for name in names:
        print(f"  {name}")
    print(f"navigation -> interactive projects page ({PROJECTS} projects), {args.loads} loads:")
    row("cold (new context)", cold)
    row("warm (reload)", warm)
    listing_names = [name.rsplit("/", 1)[-1] for name, _ in listing]
    print(f"projects page scripts: {', '.join(listing_names)} (Monaco {'LOADED' if any('monaco' in n for n in listing_names + names) else 'not loaded'})")
    print(f"code page loads beyond it: {len(lazy)} scripts, {lazy_raw / 1024:.0f} KB raw, {lazy_packed / 1024:.0f} KB gzip")
    for name in lazy_names:
        print(f"  {name}")
    print(f"navigation -> code page with an editor that takes keys, {args.loads} loads:")
    row("cold (new context)", code_cold)
    row("warm (reload)", code_warm)
    report_records(None, args.loads, records_cold, records_warm, fetched, cached)


def row(label, values):
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    print(f"  {label}: median {statistics.median(values):.0f} ms, p90 {p90:.0f} ms, min {values[0]:.0f} ms")


def report_records(version, loads, cold, warm, fetched, cached) -> None:
    if version:
        print(f"machine: {platform.machine()}, {platform.node()}, Python {platform.python_version()}, chromium {version}")
    print(f"navigation -> records table with {PAGE} rows on screen ({RECORDS} records, 10 columns), {loads} loads:")
    row("cold (new context)", cold)
    row("warm (reload)", warm)
    print(f"one page of {PAGE} rows after Next, from the server ({len(fetched)} turns):")
    row("click -> rows in the DOM", [turn["total"] for turn in fetched])
    row("  the request (resource timing)", [turn["request"] for turn in fetched if turn["request"] is not None])
    row("  the render (answer's last byte -> rows in the DOM)", [turn["render"] for turn in fetched])
    row("click -> next frame", [turn["painted"] for turn in fetched])
    print(f"one page of {PAGE} rows shown again from the cache ({len(cached)} turns):")
    row("click -> rows in the DOM (render only)", [turn["total"] for turn in cached])
    row("click -> next frame", [turn["painted"] for turn in cached])
    row("baseline: the same table's HTML inserted with innerHTML", [turn["plain"] for turn in cached])
    ratio = statistics.median(turn["total"] / turn["plain"] for turn in cached)
    print(f"  render from the cache / baseline: median {ratio:.1f}x (each turn against the baseline measured right after it)")


if __name__ == "__main__":
    main()
