"""A student in no pilot, on a phone: a mentor's profile says how to get in instead of offering
a start that would refuse; they join with the pilot's invitation code and then can start a
conversation. Every page passes axe-core and none scrolls sideways at 390 px."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from pilots import services
from pilots.models import Pilot, Role
from profiles.models import Organisation, Profile, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR", "")


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


def check(page: Page, name: str) -> None:
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    if SCREENSHOTS:  # for a person to look at
        page.screenshot(path=f"{SCREENSHOTS}/{name}-390.png", full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})
        page.screenshot(path=f"{SCREENSHOTS}/{name}-1366.png", full_page=True)
        page.set_viewport_size(PHONE)


def test_a_student_joins_with_the_code_on_a_phone_then_can_start_a_conversation(
    page: Page,
    live_site: Callable[[str], str],
    server_hashers: None,
    make_user: Callable[..., User],
    make_pilot: Callable[..., Pilot],
) -> None:
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.set_viewport_size(PHONE)
    pilot = make_pilot("spring-pilot", name="Spring pilot of speed mentoring")
    org = Organisation.objects.create(name="Nordic Code Oy", slug="nordic-code")
    mentor = make_user(
        "Maria Mentor",
        kind=Profile.Kind.PROFESSIONAL,
        organisation=org,
        job_title="Lead developer",
        shares=("programming-python",),
    )
    services.add_participant(pilot=pilot, user=mentor, role=Role.MENTOR)
    make_user("Nina New", email="nina@example.com", learns=("programming-python",))

    page.goto(live_site("/accounts/login/"))
    page.get_by_label("E-mail address").fill("nina@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The mentor's profile: no start button, the way in instead.
    page.goto(live_site(f"/people/{mentor.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Mentor")
    expect(page.get_by_role("button", name="Start a conversation")).to_have_count(0)
    expect(page.get_by_text("once you take part in a pilot")).to_be_visible()
    check(page, "profile-outside")
    page.get_by_role("link", name="Join a pilot with a code").click()

    # Join with the code, typed the way people type.
    expect(page).to_have_url(re.compile(r"/pilots/join/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Join a pilot with a code")
    check(page, "join")
    page.get_by_label("Invitation code").fill("WRONG-999")
    page.get_by_role("button", name="Join the pilot").click()
    expect(page.get_by_text("No pilot has this code. Check it and try again.")).to_be_visible()
    check(page, "join-error")
    page.get_by_label("Invitation code").fill(pilot.join_code_display.lower())
    page.get_by_role("button", name="Join the pilot").click()
    expect(page).to_have_url(re.compile(r"/pilots/spring-pilot/$"))
    expect(page.get_by_text(f"Welcome to {pilot.name}!")).to_be_visible()
    assert_no_sideways_scroll(page)

    # Now the mentor can be asked.
    page.goto(live_site(f"/people/{mentor.pk}/"))
    start = page.get_by_role("button", name="Start a conversation")
    expect(start).to_be_visible()
    check(page, "profile-member")
    start.click()
    expect(page).to_have_url(re.compile(rf"/pilots/people/{mentor.pk}/talk/$"))
    expect(page.get_by_label("Your question")).to_be_visible()
    assert_no_sideways_scroll(page)
