"""The pilot's page lists the person's pair and groups in that pilot, with their mode in one
sentence, and the pilot's open discussion groups they may join (groups answer pilots'
`pilot_page_sections` signal); staff, who run the groups, see no such block."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from groups import services
from groups.models import Group
from pilots.models import Pilot
from profiles.models import User
from tests.support.html import Html, text

pytestmark = pytest.mark.django_db

SECTION = "section[aria-labelledby=pilot-groups-heading]"


def url(pilot: Pilot) -> str:
    return f"/pilots/{pilot.slug}/"


def test_the_pilot_page_lists_my_pair_and_the_groups_to_join(
    pilot: Pilot,
    other_pilot: Pilot,
    pair: Group,
    it_field: Group,
    alice: User,
    staff_sam: User,
    client_for: Callable[[User], Client],
) -> None:
    services.create_group(
        pilot=other_pilot,
        kind=Group.Kind.DISCUSSION,
        name="Elsewhere",
        is_open=True,
        created_by=None,
    )
    section = Html(client_for(alice).get(url(pilot))).one(SECTION)
    (mine,) = section.cssselect("article.group-card h3")
    assert text(mine).startswith("Pair with Maria Mentor")
    explanations = [text(p) for p in section.cssselect(".group-explanation")]
    assert str(Group.EXPLANATIONS["individual"]) in explanations
    joinable = [text(h) for h in section.cssselect("article.group-card h4")]
    assert joinable == ["IT field"]  # not the other pilot's group
    (form,) = section.cssselect("form")
    assert form.get("action") == f"/groups/{it_field.pk}/join/"
    assert form.cssselect("input[name=csrfmiddlewaretoken]")


def test_a_mentor_sees_the_groups_they_are_in_and_nothing_to_join_when_in_all(
    pilot: Pilot,
    pair: Group,
    it_field: Group,
    mentor_maria: User,
    client_for: Callable[[User], Client],
) -> None:
    section = Html(client_for(mentor_maria).get(url(pilot))).one(SECTION)
    names = [text(h) for h in section.cssselect("article.group-card h3")]
    assert [name.split(" 1 unread")[0] for name in names] == ["Pair with Alice Actor", "IT field"]
    assert not section.cssselect("form")


def test_someone_without_groups_is_told_what_comes_next(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    section = Html(client_for(alice).get(url(pilot))).one(SECTION)
    assert "not in a pair or a group in this pilot yet" in text(section)
    assert section.cssselect("a")[-1].get("href") == "/groups/"


def test_staff_see_no_block_of_their_own_groups(pilot: Pilot, pair: Group, sam: Client) -> None:
    assert Html(sam.get(url(pilot))).count(SECTION) == 0


def test_the_block_costs_a_fixed_number_of_queries(
    pilot: Pilot,
    alice: User,
    actor: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(alice)
    with django_assert_max_num_queries(30) as before:
        client.get(url(pilot))
    for number in range(6):
        joined = services.create_group(
            pilot=pilot,
            kind=Group.Kind.DISCUSSION,
            name=f"Topic {number}",
            is_open=True,
            created_by=None,
            member_ids=[actor().pk],
        )
        services.join_group(group=joined, user=alice)
        services.create_group(
            pilot=pilot,
            kind=Group.Kind.DISCUSSION,
            name=f"Open {number}",
            is_open=True,
            created_by=None,
        )
    # The empty block skips the unread counts; with groups it adds them, and nothing per group.
    with django_assert_max_num_queries(len(before.captured_queries) + 1):
        page = Html(client.get(url(pilot)))
    assert len(page.one(SECTION).cssselect("article.group-card")) == 12
