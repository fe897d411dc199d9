"""What participants do on the loop pages: see their loops, find open discussion groups of
their pilots, join and leave them with a plain form POST."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from groups import services
from groups.models import Group
from pilots.models import Pilot
from profiles.models import User
from tests.support.groups import participant_ids

pytestmark = pytest.mark.django_db


def discussion(pilot: Pilot, name: str, *, is_open: bool = True) -> Group:
    return services.create_group(
        pilot=pilot, kind=Group.Kind.DISCUSSION, name=name, is_open=is_open, created_by=None
    )


def test_my_loops_lists_my_pairs_and_groups_only(
    pair: Group, it_field: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    html = client_for(alice).get("/loops/").content.decode()
    assert pair.name in html
    assert f'href="/loops/{it_field.pk}/"' not in html  # not a member: not among mine
    assert "1 open discussion group in your pilots" in html


def test_my_loops_page_has_a_constant_number_of_queries(
    pilot: Pilot,
    alice: User,
    actor: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(alice)
    for number in range(8):
        group = discussion(pilot, f"Topic {number}")
        services.join_group(group=group, user=alice)
        services.join_group(group=group, user=actor())
    with django_assert_max_num_queries(5):
        assert client.get("/loops/").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/loops/discussions/").status_code == 200


def test_open_discussion_groups_of_my_pilots_are_listed_to_join(
    pilot: Pilot,
    other_pilot: Pilot,
    it_field: Group,
    alice: User,
    client_for: Callable[[User], Client],
) -> None:
    discussion(pilot, "Board room", is_open=False)
    discussion(other_pilot, "Autumn chat")
    archived = discussion(pilot, "Last year")
    services.archive_group(group=archived)
    html = client_for(alice).get("/loops/discussions/").content.decode()
    assert "IT field" in html
    assert "Join IT field" in html
    for hidden in ("Board room", "Autumn chat", "Last year"):
        assert hidden not in html


def test_joining_and_leaving_with_a_form_post(
    it_field: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    assert client.get(f"/loops/{it_field.pk}/join/").status_code == 405
    response = client.post(f"/loops/{it_field.pk}/join/", follow=True)
    assert response.redirect_chain[-1][0] == f"/loops/{it_field.pk}/"
    assert "You joined IT field." in response.content.decode()
    assert alice.pk in participant_ids(it_field)
    assert "Leave IT field" in client.get("/loops/discussions/").content.decode()
    response = client.post(f"/loops/{it_field.pk}/leave/", follow=True)
    assert "You left IT field." in response.content.decode()
    assert alice.pk not in participant_ids(it_field)
    assert client.get(f"/loops/{it_field.pk}/").status_code == 404


def test_a_closed_discussion_group_cannot_be_joined_by_post(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    board = discussion(pilot, "Board room", is_open=False)
    assert client_for(alice).post(f"/loops/{board.pk}/join/").status_code == 404
    assert alice.pk not in participant_ids(board)


def test_a_pair_cannot_be_left_by_its_members(
    pair: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(alice).post(f"/loops/{pair.pk}/leave/", follow=True)
    assert "Ask the project staff" in response.content.decode()
    assert alice.pk in participant_ids(pair)


def test_an_archived_loop_says_it_is_read_only(
    pair: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    services.archive_group(group=pair)
    html = client_for(alice).get(f"/loops/{pair.pk}/").content.decode()
    assert "This loop is archived" in html
