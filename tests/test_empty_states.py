"""Empty lists say what will appear there and offer the next step (templates/includes/
empty_state.html), on the pages outside the conversations and groups."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from pilots.models import Pilot
from profiles.models import User
from tests.support.html import Html, text

pytestmark = pytest.mark.django_db


def test_no_notifications_points_to_the_pilots(
    alice: User, client_for: Callable[[User], Client], django_assert_max_num_queries: Callable
) -> None:
    client = client_for(alice)
    with django_assert_max_num_queries(8):
        page = Html(client.get("/notifications/"))
    state = page.one("main .empty-state")
    assert text(page.one(".empty-state-title")) == "No notifications yet"
    assert state.cssselect("a")[0].get("href") == "/pilots/"


@pytest.mark.parametrize(
    ("path", "title", "action"),
    [
        ("staff/materials/", "No materials yet.", "staff/materials/new/"),
        ("staff/announcements/", "No announcements yet.", "staff/announcements/new/"),
        ("staff/moderation/", "No open reports.", None),
    ],
)
def test_empty_staff_lists_say_what_comes_and_what_to_do(
    pilot: Pilot, sam: Client, path: str, title: str, action: str | None
) -> None:
    page = Html(sam.get(f"/pilots/{pilot.slug}/{path}"))
    state = page.one("main .empty-state")
    assert text(page.one(".empty-state-title")) == title
    assert len(text(state)) > len(title)  # a sentence on what will appear
    links = [a.get("href") for a in state.cssselect("a")]
    assert links == ([f"/pilots/{pilot.slug}/{action}"] if action else [])


def test_a_closed_pilot_offers_no_announcement_to_write(pilot: Pilot, sam: Client) -> None:
    Pilot.objects.filter(pk=pilot.pk).update(status=Pilot.Status.CLOSED)
    page = Html(sam.get(f"/pilots/{pilot.slug}/staff/announcements/"))
    assert page.one("main .empty-state").cssselect("a") == []
