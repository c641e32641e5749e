"""The shell: theme and language switches, the command palette, the breadcrumb (valid lists),
the 404 page and the small-screen menu."""

from __future__ import annotations

from .test_projects import make_project
from .ui_support import assert_valid_lists, look, open_page


def is_dark(page) -> bool:
    return page.evaluate("document.documentElement.classList.contains('dark')")


def test_theme_switch_light_dark_system_survives_a_reload(root_page, context):
    page = root_page
    page.get_by_role("button", name="Theme").click()
    page.get_by_role("menuitemradio", name="Dark").click()
    assert is_dark(page)
    page.reload()
    page.get_by_role("heading", name="Projects", level=1).wait_for()
    assert is_dark(page)
    page.get_by_role("button", name="Theme").click()
    page.get_by_role("menuitemradio", name="Light").click()
    assert not is_dark(page)
    page.get_by_role("button", name="Theme").click()
    page.get_by_role("menuitemradio", name="System").click()
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("() => document.documentElement.classList.contains('dark')")
    page.emulate_media(color_scheme="light")
    page.wait_for_function("() => !document.documentElement.classList.contains('dark')")


def test_language_switch_to_russian_and_back(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Язык")
    page.get_by_role("button", name="Language").click()
    page.get_by_role("menuitemradio", name="Русский").click()
    page.get_by_role("heading", name="Проекты", level=1).wait_for()
    assert page.evaluate("document.documentElement.lang") == "ru"
    page.reload()
    page.get_by_role("heading", name="Проекты", level=1).wait_for()
    look(page, "projects-ru")
    open_page(page, f"/projects/{project['slug']}/settings")
    page.get_by_role("heading", name="Настройки проекта").wait_for()
    page.get_by_role("heading", name="Опасная зона").wait_for()
    look(page, "project-settings-ru")
    page.get_by_role("button", name="Язык").click()
    page.get_by_role("menuitemradio", name="English").click()
    page.get_by_role("heading", name="Project settings").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_command_palette_jumps_to_projects_and_pages(root_page, client, root_headers):
    page = root_page
    project = make_project(client, root_headers, "Palette target")
    open_page(page, "/projects")
    page.keyboard.press("Control+k")
    palette = page.get_by_role("dialog", name="Command palette")
    palette.wait_for()
    look(page, "command-palette")
    page.keyboard.type("Palette target")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/projects/{project['slug']}")
    palette.wait_for(state="hidden")
    page.keyboard.press("Control+k")
    page.keyboard.type("Palette target Environment")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/projects/{project['slug']}/env")
    page.keyboard.press("Control+k")
    page.keyboard.type("Admins")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admins")
    page.keyboard.press("Control+k")
    page.keyboard.type("Theme Dark")
    page.keyboard.press("Enter")
    assert is_dark(page)
    page.keyboard.press("Control+k")
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="hidden")


def test_breadcrumb_is_valid_html_with_links_up(root_page, client, root_headers):
    """Regression (the seed's bug): "<li> cannot be a descendant of <li>" in the breadcrumb."""
    page = root_page
    project = make_project(client, root_headers, "Crumbs")
    open_page(page, f"/projects/{project['slug']}/goals")
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    items = crumbs.locator("ol > li")
    assert items.count() == 5  # Projects › Crumbs › Goals
    assert crumbs.locator("li li").count() == 0
    assert [text.strip() for text in crumbs.locator("ol > li[data-slot=breadcrumb-item]").all_inner_texts()] == ["Projects", "Crumbs", "Goals"]
    assert crumbs.locator("[aria-current=page]").inner_text() == "Goals"
    assert_valid_lists(page)
    crumbs.get_by_role("link", name="Crumbs").click()
    page.wait_for_url(f"**/projects/{project['slug']}")
    assert_valid_lists(page)


def test_an_unknown_page_is_a_404_with_a_way_back(root_page):
    page = root_page
    open_page(page, "/no/such/page")
    page.get_by_role("heading", name="Page not found").wait_for()
    look(page, "not-found")
    page.get_by_role("link", name="Back to projects").click()
    page.wait_for_url("**/projects")


def test_small_screens_get_the_menu_as_a_sheet(root_page, client, root_headers):
    page = root_page
    make_project(client, root_headers, "Mobile")
    page.set_viewport_size({"width": 390, "height": 800})
    open_page(page, "/projects")
    assert not page.get_by_role("navigation", name="Main navigation").is_visible()
    look(page, "projects-mobile")
    page.get_by_role("button", name="Open the menu").click()
    sheet = page.get_by_role("dialog", name="Main navigation")
    sheet.get_by_role("link", name="Goals").click()
    page.wait_for_url("**/goals")
    sheet.wait_for(state="hidden")
