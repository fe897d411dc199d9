"""An actor finds their pair from the main navigation on a phone, reads the introduction
staff opened its conversation with, and joins a discussion group; the pages pass axe-core and
never scroll sideways at 390 px (nor at 1366 px)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from groups import services
from groups.models import Group
from pilots.models import Pilot
from profiles.models import User
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def pair(pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User) -> Group:
    """staff_sam pairs mentor_maria with alice (individual mode)."""
    return services.form_pair(
        pilot=pilot, mentor=mentor_maria, mentee=alice, mode="individual", created_by=staff_sam
    )


@pytest.fixture
def it_field(pilot: Pilot, mentor_maria: User, staff_sam: User) -> Group:
    """An open discussion group with maria in it."""
    return services.create_group(
        pilot=pilot,
        kind=Group.Kind.DISCUSSION,
        name="IT field",
        description="Jobs, trends and the region's companies.",
        is_open=True,
        created_by=staff_sam,
        member_ids=[mentor_maria.pk],
    )


def assert_fits(page: Page) -> None:
    """Nothing on the page makes it scroll sideways."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} scrolls sideways at {inner} px: {width} px wide"


def check(page: Page, tmp_path: Path, name: str) -> None:
    """axe and no sideways scrolling at phone and desktop width, with a screenshot of each."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)  # type: ignore[arg-type]
        page.screenshot(path=str(tmp_path / f"{name}-{size['width']}.png"), full_page=True)
        assert_fits(page)
        assert_accessible(page)


def test_an_actor_finds_their_pair_from_the_navigation_and_joins_a_discussion_group(
    new_context: Callable[..., BrowserContext],
    live_site: Callable[[str], str],
    pair: Group,
    it_field: Group,
    alice: User,
    server_hashers: None,
    tmp_path: Path,
) -> None:
    alice.set_password(PASSWORD)
    alice.save(update_fields=["password"])
    page = new_context(viewport=PHONE).new_page()
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    page.goto(live_site("/accounts/login/"))
    page.get_by_label("E-mail address").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The pair is one tap away from the main navigation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    expect(page).to_have_url(re.compile(r"/groups/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your groups")
    mine = page.get_by_role("region", name="Your pairs and groups")
    card = mine.get_by_role("article")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading")).to_contain_text("Pair with Maria Mentor")
    expect(card.get_by_role("heading")).to_contain_text("1 unread")
    expect(card).to_contain_text("talk one to one")
    check(page, tmp_path, "groups")

    # Its conversation opens with the introduction staff_sam's forming of the pair wrote.
    card.get_by_role("button", name=re.compile("Open the conversation")).click()
    expect(page).to_have_url(re.compile(rf"/conversations/{pair.conversation_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Mentor & Alice Actor")
    expect(page.get_by_text("Hello Maria Mentor and Alice Actor!")).to_be_visible()

    # Back on the groups page: join the open discussion group.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    to_join = page.get_by_role("region", name="Discussion groups to join")
    expect(to_join.get_by_role("heading", name="IT field")).to_be_visible()
    to_join.get_by_role("button", name="Join IT field").click()
    expect(page).to_have_url(re.compile(rf"/groups/{it_field.pk}/$"))
    expect(page.get_by_role("region", name="Notices")).to_contain_text("You joined IT field.")
    expect(page.get_by_text("a topic space of the pilot")).to_be_visible()
    check(page, tmp_path, "group")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    expect(mine.get_by_role("article")).to_have_count(2)
    expect(page.get_by_role("region", name="Discussion groups to join")).to_contain_text(
        "No discussion group is open to join"
    )

    # The pilot's page lists the same.
    page.goto(live_site(f"/pilots/{pair.pilot.slug}/"))
    block = page.get_by_role("region", name="Your pair and groups")
    expect(block.get_by_role("article")).to_have_count(2)
    check(page, tmp_path, "pilot")
