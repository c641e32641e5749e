"""Helpers of the e2e tests: opening pages, signing in, the accessibility check and screenshots."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page

from conftest import ROOT

SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"
TOKEN_KEY = "m3m.token"  # ui/src/lib/session.ts


def open_page(page: Page, path: str) -> None:
    """Go to a page of the UI and wait until its requests are done."""
    page.goto(page.base + path)  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")


def sign_in_with_token(page: Page, token: str, path: str = "/projects") -> None:
    """Store a session token as the sign-in page does, then open `path` (faster than the form)."""
    page.goto(page.base + "/api/ui/config")  # type: ignore[attr-defined]  # same origin, no app
    page.evaluate("([key, token]) => localStorage.setItem(key, token)", [TOKEN_KEY, token])
    open_page(page, path)


def sign_in_with_form(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def axe_violations(page: Page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Through the DevTools protocol, so the page's CSP (script-src 'self') stays on.
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate(
        # Toasts stacked behind the front one are drawn faded and covered (sonner); the front one is checked.
        "async () => (await axe.run({exclude: [['[data-sonner-toast][data-front=\"false\"]']]}, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"
    )
    return result


def settle(page: Page) -> None:
    """Wait for the finite animations and transitions running now (a theme's colours fade in):
    axe must see the end colours, not a frame halfway, however slow the machine is."""
    page.evaluate(
        "() => Promise.all(document.getAnimations()"
        ".filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)"
        ".map(a => a.finished.catch(() => null)))"
    )


def set_theme_class(page: Page, dark: bool) -> None:
    page.evaluate("(dark) => document.documentElement.classList.toggle('dark', dark)", dark)
    page.wait_for_timeout(50)  # the style recalculation that starts the transitions
    settle(page)


def look(page: Page, name: str) -> None:
    """axe-core and a screenshot of the page as it is, in the light and then the dark theme."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.wait_for_load_state("networkidle")
    was_dark = page.evaluate("document.documentElement.classList.contains('dark')")
    for theme in ("light", "dark"):
        set_theme_class(page, theme == "dark")
        violations = axe_violations(page)
        assert not violations, f"{name} ({theme}): accessibility violations:\n" + json.dumps(violations, indent=1)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{theme}.png"), full_page=True)
    set_theme_class(page, was_dark)


def assert_valid_lists(page: Page) -> None:
    """No <li> inside an <li> without a list between them (the seed's breadcrumb bug)."""
    nested = page.evaluate(
        "[...document.querySelectorAll('li')].filter(li => li.parentElement && li.parentElement.closest('li')"
        " && !['UL', 'OL', 'MENU'].includes(li.parentElement.tagName)).length"
    )
    assert nested == 0
    assert page.evaluate("[...document.querySelectorAll('li')].filter(li => !['UL','OL','MENU'].includes(li.parentElement.tagName)).length") == 0


