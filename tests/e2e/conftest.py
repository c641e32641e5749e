"""End-to-end tests of the web UI: Debian's chromium driven by Playwright against the real
`m3m serve` of tests/conftest.py (its `server`, `client`, `root_headers` and `users`).

Every test fails on a browser console error or warning, an uncaught page error, a failed request
or an HTTP error answer that the test did not announce with `browser_log.expect(status, path)`.
`look(page, name)` runs axe-core on the page (no serious or critical violation) in the light and
the dark theme and writes a screenshot of each to tests/e2e/screenshots/ (not committed).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, sync_playwright

from conftest import ROOT

from .ui_support import sign_in_with_token

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium tries Google's hosts, which this network refuses.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
FAILED_RESOURCE = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


@pytest.fixture(scope="session")
def ui_build():
    """ui/dist, built by make when a source changed (a no-op when it is up to date)."""
    result = subprocess.run(["make", "-s", "ui"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (ROOT / "ui" / "dist" / "index.html").is_file()
    return ROOT / "ui" / "dist"


# Package scope, not session: Playwright's sync API keeps an event loop running while it is open,
# and the async tests after this package need the thread's loop to themselves.
@pytest.fixture(scope="package")
def browser(ui_build) -> Browser:
    assert Path(CHROMIUM).exists(), "the e2e tests need Debian's chromium: make test installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class BrowserLog:
    """What went wrong in the browser during a test, less what the test said would happen."""

    problems: list[str] = field(default_factory=list)
    expected: list[tuple[int, str]] = field(default_factory=list)
    seen_statuses: list[int] = field(default_factory=list)

    def expect(self, status: int, path: str) -> None:
        """The test provokes an answer with this status from a URL containing `path`."""
        self.expected.append((status, path))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        failed = FAILED_RESOURCE.search(message.text)
        if failed and int(failed.group(1)) in self.seen_statuses:
            return  # chromium's echo of an HTTP error answer; the answer itself is judged in on_response
        self.problems.append(f"console {message.type}: {message.text} ({message.location.get('url')})")

    def on_response(self, response: Response) -> None:
        if response.status < 400:
            return
        for expected in self.expected:
            if expected[0] == response.status and expected[1] in response.url:
                self.seen_statuses.append(response.status)
                return
        self.problems.append(f"HTTP {response.status} {response.request.method} {response.url}")

    def on_request_failed(self, request) -> None:
        # ERR_ABORTED is a request the page itself cancelled (a navigation, an aborted query).
        if request.failure and "ERR_ABORTED" not in request.failure:
            self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def context(browser, browser_log) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context, browser_log, server) -> Page:
    page = context.new_page()
    page.on("console", browser_log.on_console)
    page.on("pageerror", lambda error: browser_log.problems.append(f"page error: {error}"))
    page.on("response", browser_log.on_response)
    page.on("requestfailed", browser_log.on_request_failed)
    page.base = server.url  # type: ignore[attr-defined]
    yield page
    problems = list(browser_log.problems)
    assert not problems, "the browser reported:\n" + "\n".join(problems)


@pytest.fixture
def root_token(root_headers) -> str:
    return root_headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def root_page(page, root_token) -> Page:
    sign_in_with_token(page, root_token)
    return page


