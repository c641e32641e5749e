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
  `monaco` chunk and its workers), raw and gzip.
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


def sizes(responses) -> tuple[int, int]:
    bodies = [body for _, body in responses]
    return sum(len(b) for b in bodies), sum(len(gzip.compress(b, compresslevel=6)) for b in bodies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=10)
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
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            version = browser.version
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

    def row(label, values):
        values = sorted(values)
        p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
        print(f"  {label}: median {statistics.median(values):.0f} ms, p90 {p90:.0f} ms, min {values[0]:.0f} ms")

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


if __name__ == "__main__":
    main()
