"""The main navigation's Groups item: on every signed-in page, marked as the current page on
the participant's group pages (not on the pilot's staff pages, which are the pilot's)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from groups.models import Group
from pilots.models import Pilot
from profiles.models import User
from tests.support.html import Html

pytestmark = pytest.mark.django_db

NAV = "nav[aria-label=Main]"


def groups_link(page: Html) -> tuple[str, str | None]:
    (link,) = [a for a in page.select(f"{NAV} a") if a.text_content().strip() == "Groups"]
    return link.get("href"), link.get("aria-current")


def test_groups_is_in_the_main_navigation_and_current_on_group_pages(
    pair: Group, it_field: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    assert groups_link(Html(client.get("/people/"))) == ("/groups/", None)
    for url in ("/groups/", "/groups/discussions/", f"/groups/{pair.pk}/"):
        assert groups_link(Html(client.get(url))) == ("/groups/", "page")


def test_staff_pages_of_groups_leave_the_item_unmarked(pilot: Pilot, sam: Client) -> None:
    page = Html(sam.get(f"/pilots/{pilot.slug}/staff/groups/"))
    assert groups_link(page) == ("/groups/", None)


def test_signed_out_visitors_have_no_groups_item(client: Client) -> None:
    page = Html(client.get("/accounts/login/"))
    assert not [a for a in page.select(f"{NAV} a") if a.text_content().strip() == "Groups"]
