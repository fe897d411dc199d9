"""Today in Chromium for an actor, a mentor and staff, and the front page for a visitor, at a
phone's 390 px and a laptop's 1366 px: every page passes axe-core (no serious or critical
violation) and none scrolls sideways on the phone. The mentor pauses new conversations from
Today; the actor follows a suggestion to the start page with this week's theme chosen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from groups import services as group_services
from groups.models import Group
from pilots import services
from pilots.models import Material, MaterialCompletion, Pilot, Role, Week
from profiles.models import Profile, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (ViewportSize(width=390, height=844), ViewportSize(width=1366, height=900))


def sign_in(page: Page, url: Callable[[str], str], user: User) -> None:
    page.goto(url("/accounts/login/"))
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(url("/"))


def check_at_both_widths(page: Page, name: str, tmp_path: Path) -> None:
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{page.url} scrolls sideways at {size['width']} px"
        )
        assert_accessible(page)
        page.screenshot(path=str(tmp_path / f"{name}-{size['width']}.png"), full_page=True)


@pytest.fixture
def world(
    server_hashers: None,
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    make_user: Callable[..., User],
) -> Pilot:
    """This week's theme, an orientation half done, a pair, a question waiting for maria and
    another mentor to suggest to alice."""
    week = pilot.current_week()
    assert week is not None
    Week.objects.filter(pk=week.pk).update(
        theme="Future skills in working life",
        prompts="Which skill did you learn only at work?\nWhat would you study again?",
    )
    done, _left = (
        Material.objects.create(pilot=pilot, title=t, body="x", required=True, is_published=True)
        for t in ("Welcome", "Ground rules")
    )
    MaterialCompletion.objects.create(material=done, user=alice)
    bea = make_user("Bea Student", learns=("programming-python",))
    services.add_participant(pilot=pilot, user=bea, role=Role.ACTOR)
    group_services.form_pair(
        pilot=pilot,
        mentor=mentor_maria,
        mentee=bea,
        mode=Group.Mode.INDIVIDUAL,
        created_by=staff_sam,
    )
    services.start_pilot_conversation(
        sender=bea,
        recipient=mentor_maria,
        subject="How did you find your first job in IT?",
        body="Hi Maria!",
        client_id=uuid.uuid4(),
    )
    olli = make_user(
        "Olli Open-Mentor",
        kind=Profile.Kind.PROFESSIONAL,
        shares=("programming-python", "cloud-services"),
        job_title="Cloud architect",
    )
    services.add_participant(pilot=pilot, user=olli, role=Role.MENTOR)
    return pilot


def test_visitor_front_page(page: Page, live_site: Callable[[str], str], tmp_path: Path) -> None:
    page.goto(live_site("/"))
    expect(page.get_by_role("heading", name="How it works")).to_be_visible()
    check_at_both_widths(page, "landing", tmp_path)


def test_actor_today(
    page: Page, live_site: Callable[[str], str], world: Pilot, alice: User, tmp_path: Path
) -> None:
    sign_in(page, live_site, alice)

    expect(page.get_by_role("heading", name="Today, Alice Actor")).to_be_visible()
    expect(page.get_by_text("1 of 2 done")).to_be_visible()
    expect(page.get_by_role("link", name="Ask a mentor about this").first).to_be_visible()
    check_at_both_widths(page, "today-actor", tmp_path)

    page.get_by_role("button", name="Start a conversation with Olli Open-Mentor").click()
    expect(page.get_by_label("Yes: “Future skills in working life”")).to_be_checked()
    assert_accessible(page)


def test_mentor_today_and_pausing(
    page: Page, live_site: Callable[[str], str], world: Pilot, mentor_maria: User, tmp_path: Path
) -> None:
    sign_in(page, live_site, mentor_maria)

    waiting = page.locator("#waiting")
    expect(
        waiting.get_by_role("link", name="How did you find your first job in IT?")
    ).to_be_visible()
    expect(page.get_by_text("Capacity used: 2 of 5")).to_be_visible()
    check_at_both_widths(page, "today-mentor", tmp_path)

    page.get_by_role("button", name="Pause new conversations").click()
    expect(page.get_by_role("status").filter(has_text="Nobody can start")).to_be_visible()
    expect(page.locator("#availability .badge")).to_have_text("Not taking new conversations")
    assert_accessible(page)


def test_staff_today(
    page: Page, live_site: Callable[[str], str], world: Pilot, staff_sam: User, tmp_path: Path
) -> None:
    sign_in(page, live_site, staff_sam)

    health = page.locator(".today-health")
    expect(health.get_by_role("link", name="0 open reports")).to_be_visible()
    check_at_both_widths(page, "today-staff", tmp_path)
    health.get_by_role("link", name="0 open reports").click()
    expect(page).to_have_url(live_site(f"/pilots/{world.slug}/staff/moderation/"))
