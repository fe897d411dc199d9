"""The product's look in Chromium: a pilot's accent and logo band on its pages, dark mode,
and the installed app's offline page. Every page passes axe-core (no serious or critical
finding) in light and dark, and none scrolls sideways at 390 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, Page, expect

from pilots import services
from pilots.models import Pilot, Role
from profiles.models import Profile, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000
SHOTS = Path("/tmp/e2e-look")  # screenshots for a person to look at


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    # By field names: the form is in the browser's language.
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def check_page(page: Page, name: str) -> None:
    """axe at desktop width, then at a phone's: axe again, no sideways scrolling."""
    assert_accessible(page)
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    assert_accessible(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    if desktop:
        page.set_viewport_size(desktop)
    page.screenshot(path=str(SHOTS / f"{name}-1366.png"), full_page=True)


@pytest.mark.parametrize(
    ("scheme", "locale"), [("light", "en-US"), ("dark", "fi-FI"), ("dark", "sv-SE")]
)
def test_branded_pilot_pages_in_light_and_dark(
    scheme: Literal["light", "dark"],
    locale: str,
    browser: Browser,
    live_site: Callable[[str], str],
    make_pilot: Callable[..., Pilot],
    make_user: Callable[..., User],
    server_hashers: None,
) -> None:
    expect.set_options(timeout=WAIT_MS)
    pilot = make_pilot("bright-pilot", name="Bright speed mentoring", accent_colour="#ffcc00")
    staff = make_user("Sara Staff", email="sara@example.com", is_staff=True)
    actor = make_user("Aino Actor", email="aino@example.com", kind=Profile.Kind.STUDENT)
    services.add_participant(pilot=pilot, user=staff, role=Role.STAFF)
    services.add_participant(pilot=pilot, user=actor, role=Role.ACTOR)

    # A context of its own: the suite's browser_context_args fix the locale to en-US.
    context = browser.new_context(
        color_scheme=scheme, locale=locale, viewport={"width": 1366, "height": 900}
    )
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        sign_in(page, live_site("/accounts/login/"), "sara@example.com")
        shot = f"{scheme}-{locale[:2]}"

        page.goto(live_site(f"/pilots/{pilot.slug}/staff/"))
        if locale == "fi-FI":
            expect(page.locator("html")).to_have_attribute("lang", "fi")
        band = page.locator(".pilot-band")
        expect(band.get_by_role("link", name="Bright speed mentoring")).to_be_visible()
        # The yellow accent reaches buttons and links as its 4.5:1 shade, not as itself.
        page.goto(live_site(f"/pilots/{pilot.slug}/staff/announcements/new/"))
        button = page.locator("main form button[type=submit]").first
        expect(button).to_have_css("background-color", "rgb(143, 114, 0)")
        check_page(page, f"staff-announcement-{shot}")
        page.goto(live_site(f"/pilots/{pilot.slug}/staff/"))
        check_page(page, f"staff-dashboard-{shot}")
        page.goto(live_site(f"/pilots/{pilot.slug}/"))
        check_page(page, f"pilot-home-{shot}")
        page.goto(live_site("/people/"))
        check_page(page, f"people-{shot}")
        page.goto(live_site("/notifications/"))
        check_page(page, f"notifications-{shot}")
        page.goto(live_site("/offline/"))
        check_page(page, f"offline-{shot}")
    finally:
        context.close()


def test_the_installed_app_shows_its_offline_page_without_a_network(
    page: Page, live_site: Callable[[str], str]
) -> None:
    page.set_default_timeout(WAIT_MS)
    page.goto(live_site("/accounts/login/"))
    scope = page.evaluate(
        "navigator.serviceWorker.ready.then((registration) => registration.scope)"
    )
    assert scope == live_site("/")
    # The shell is cached once the worker is active: reload so that it controls the page.
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    try:
        page.goto(live_site("/people/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
        # The style sheets came from the cache: the page has Pico's layout.
        expect(page.locator("main")).to_have_css("box-sizing", "border-box")
    finally:
        page.context.set_offline(False)
    page.goto(live_site("/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("You are offline")
