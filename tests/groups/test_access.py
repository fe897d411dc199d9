"""Who reaches a group: its members and the pilot's staff see its page; everyone else gets the
same 404 as for a missing group. Staff see the members, never the conversation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import Http404
from django.test import Client
from django.urls import NoReverseMatch, reverse

from groups.access import get_group_for_member
from groups.models import Group
from messaging.access import get_conversation_for_participant
from profiles.models import User
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db

OUTSIDERS = ["bob", "oscar", "other_staff"]


def conversation_url(group: Group) -> str | None:
    """The conversation page's address, once messaging has that page."""
    try:
        return reverse("messaging:conversation", args=[group.conversation_id])
    except NoReverseMatch:
        return None


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_the_same_404_as_for_a_missing_group(
    request: pytest.FixtureRequest,
    pair: Group,
    client_for: Callable[[User], Client],
    persona: str,
) -> None:
    person = request.getfixturevalue(persona)
    client = client_for(person)
    response = client.get(f"/groups/{pair.pk}/")
    assert response.status_code == 404
    assert page_text(response) == page_text(client.get(f"/groups/{pair.pk + 1000}/"))
    with pytest.raises(Http404):
        get_group_for_member(person, pair.pk)


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_cannot_leave_or_join_a_group(
    request: pytest.FixtureRequest,
    pair: Group,
    client_for: Callable[[User], Client],
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.post(f"/groups/{pair.pk}/join/").status_code == 404
    assert client.post(f"/groups/{pair.pk}/leave/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, pair: Group) -> None:
    response = client.get(f"/groups/{pair.pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_members_see_the_page_with_a_link_to_the_conversation(
    pair: Group, alice: User, mentor_maria: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(alice).get(f"/groups/{pair.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Maria Mentor" in html
    url = conversation_url(pair)
    if url:
        assert f'href="{url}"' in html
    else:
        assert "The conversation opens here soon." in html
    assert get_conversation_for_participant(alice, pair.conversation_id) == pair.conversation


def test_pilot_staff_see_members_but_cannot_open_the_conversation(
    pair: Group, staff_sam: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(staff_sam).get(f"/groups/{pair.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Alice Actor" in html
    assert "Maria Mentor" in html
    assert "Open the conversation" not in html
    assert "Only the group's members read and write its conversation." in html
    url = conversation_url(pair)
    assert url is None or url not in html
    with pytest.raises(Http404):
        get_conversation_for_participant(staff_sam, pair.conversation_id)


def test_other_pilots_staff_get_404_for_the_staff_pages_of_a_group(
    pair: Group, other_staff: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(other_staff)
    slug = pair.pilot.slug
    assert client.get(f"/pilots/{slug}/staff/groups/{pair.pk}/").status_code == 404
    # Not through their own pilot either.
    own = "autumn-pilot"
    assert client.get(f"/pilots/{own}/staff/groups/{pair.pk}/").status_code == 404
    assert client.post(f"/pilots/{own}/staff/groups/{pair.pk}/archive/").status_code == 404
    pair.refresh_from_db()
    assert not pair.is_archived
