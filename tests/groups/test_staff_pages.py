"""The pilot's staff run its groups from their pages: the list with filters, forming pairs (by
hand, from suggestions, over a full mentor with the override), creating groups, adding and
removing members, archiving. Nobody else reaches these pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils.html import escape
from pytest_django import DjangoAssertNumQueries

from groups import services
from groups.models import Group, GroupMember
from pilots.models import Pilot
from profiles.models import Profile, User
from tests.support.groups import participant_ids
from tests.support.html import Html, text
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db

OUTSIDERS = ["alice", "mentor_maria", "other_staff", "oscar"]


def url(pilot: Pilot, rest: str = "") -> str:
    return f"/pilots/{pilot.slug}/staff/groups/{rest}"


# Access ------------------------------------------------------------------------------------

GET_PAGES = ["", "pair/", "new/", "{pk}/"]
POST_PAGES = ["pair/", "new/", "{pk}/members/add/", "{pk}/members/{alice}/remove/", "{pk}/archive/"]


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_non_staff_get_the_same_404_as_for_a_missing_pilot(
    request: pytest.FixtureRequest,
    pilot: Pilot,
    it_field: Group,
    alice: User,
    client_for: Callable[[User], Client],
    persona: str,
) -> None:
    services.join_group(group=it_field, user=alice)
    client = client_for(request.getfixturevalue(persona))
    for page in GET_PAGES:
        path = page.format(pk=it_field.pk)
        response = client.get(url(pilot, path))
        assert response.status_code == 404, path
        missing = client.get(f"/pilots/no-such-pilot/staff/groups/{path}")
        assert page_text(response) == page_text(missing)
    for page in POST_PAGES:
        path = page.format(pk=it_field.pk, alice=alice.pk)
        assert client.post(url(pilot, path), {"user": alice.pk}).status_code == 404, path
    it_field.refresh_from_db()
    assert not it_field.is_archived
    assert alice.pk in participant_ids(it_field)


def test_the_staff_navigation_links_to_the_groups(pilot: Pilot, sam: Client) -> None:
    html = sam.get(f"/pilots/{pilot.slug}/staff/").content.decode()
    assert f'href="{url(pilot)}"' in html


# The list ----------------------------------------------------------------------------------


def test_the_list_filters_by_kind_mode_and_state(
    pilot: Pilot, pair: Group, it_field: Group, alice: User, bob: User, sam: Client
) -> None:
    peers = services.form_pair(
        pilot=pilot, mentor=alice, mentee=bob, mode=Group.Mode.PEER, created_by=None
    )
    services.archive_group(group=peers)
    html = sam.get(url(pilot)).content.decode()
    assert "2 groups" in html
    assert "Maria Mentor (mentor), Alice Actor (mentee)" in html
    assert "IT field" in html
    html = sam.get(url(pilot), {"kind": "discussion"}).content.decode()
    assert "1 group" in html
    assert "IT field" in html
    assert escape(pair.name) not in html
    html = sam.get(url(pilot), {"mode": "individual"}).content.decode()
    assert escape(pair.name) in html
    assert "IT field" not in html
    html = sam.get(url(pilot), {"state": "archived"}).content.decode()
    assert escape(peers.name) in html
    assert escape(pair.name) not in html
    assert "3 groups" in sam.get(url(pilot), {"state": "all"}).content.decode()


def test_the_list_has_a_constant_number_of_queries(
    pilot: Pilot,
    sam: Client,
    mentor: Callable[..., User],
    actor: Callable[..., User],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for number in range(6):
        services.form_pair(
            pilot=pilot,
            mentor=mentor(f"Mentor {number}"),
            mentee=actor(f"Actor {number}"),
            mode=Group.Mode.INDIVIDUAL,
            created_by=None,
        )
        services.create_group(
            pilot=pilot,
            kind=Group.Kind.DISCUSSION,
            name=f"Topic {number}",
            created_by=None,
            member_ids=[actor().pk, actor().pk],
        )
    with django_assert_max_num_queries(8):
        html = sam.get(url(pilot), {"state": "all"}).content.decode()
    assert "12 groups" in html


# Pairs -------------------------------------------------------------------------------------


def test_staff_form_a_pair_by_hand(
    pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User, sam: Client
) -> None:
    response = sam.post(
        url(pilot, "pair/"),
        {"mode": "reverse", "mentor": alice.pk, "mentee": mentor_maria.pk},
        follow=True,
    )
    assert "is formed" in response.content.decode()
    group = Group.objects.get()
    assert (group.mode, group.created_by) == (Group.Mode.REVERSE, staff_sam)
    assert participant_ids(group) == {alice.pk, mentor_maria.pk}


def test_a_pair_that_does_not_fit_its_mode_is_refused_with_the_reason(
    pilot: Pilot, alice: User, mentor_maria: User, sam: Client
) -> None:
    response = sam.post(
        url(pilot, "pair/"), {"mode": "peer", "mentor": alice.pk, "mentee": mentor_maria.pk}
    )
    assert response.status_code == 200
    assert "A peer pair is two of the pilot&#x27;s actors." in response.content.decode()
    assert not Group.objects.exists()


def test_people_outside_the_pilot_cannot_be_chosen(
    pilot: Pilot, alice: User, oscar: User, sam: Client
) -> None:
    response = sam.post(
        url(pilot, "pair/"), {"mode": "individual", "mentor": oscar.pk, "mentee": alice.pk}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Group.objects.exists()


def test_a_full_mentor_needs_the_override(
    pilot: Pilot, alice: User, mentor_maria: User, sam: Client
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=0)
    data = {"mode": "individual", "mentor": mentor_maria.pk, "mentee": alice.pk}
    html = sam.post(url(pilot, "pair/"), data).content.decode()
    assert "Maria Mentor is full: 0 of 0 places are taken." in html
    assert "To form the pair anyway" in html
    assert not Group.objects.exists()
    sam.post(url(pilot, "pair/"), {**data, "force": "on"})
    assert Group.objects.filter(kind=Group.Kind.PAIR).count() == 1


def test_suggested_pairs_are_shown_and_formed_with_one_click(
    pilot: Pilot, alice: User, mentor_maria: User, sam: Client
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=3)

    def suggestions() -> list[list[str]]:
        """The rows of the suggestions table: actor, mentor, why, places left."""
        page = Html(sam.get(url(pilot, "pair/")))
        rows = page.select('section[aria-labelledby="suggestions-heading"] tbody tr')
        return [[text(cell) for cell in row.cssselect("th, td")][:4] for row in rows]

    (suggested,) = [row for row in suggestions() if row[0] == "Alice Actor"]
    assert suggested[1] == "Maria Mentor"
    assert "Maria Mentor can share Python" in suggested[2]  # the reason
    assert suggested[3] == "3"  # places left
    sam.post(
        url(pilot, "pair/"), {"mode": "individual", "mentor": mentor_maria.pk, "mentee": alice.pk}
    )
    assert "Alice Actor" not in [row[0] for row in suggestions()]


# Groups and members ------------------------------------------------------------------------


def test_staff_create_an_open_discussion_group_with_members(
    pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User, sam: Client
) -> None:
    response = sam.post(
        url(pilot, "new/"),
        {
            "kind": "discussion",
            "name": "Future skills",
            "description": "Which skills will matter in five years?",
            "is_open": "on",
            "members": [alice.pk, staff_sam.pk],
        },
    )
    group = Group.objects.get()
    assert response["Location"] == url(pilot, f"{group.pk}/")
    assert (group.kind, group.is_open, group.mode) == (Group.Kind.DISCUSSION, True, "")
    assert dict(group.memberships.values_list("user_id", "role")) == {
        alice.pk: GroupMember.Role.MEMBER,
        staff_sam.pk: GroupMember.Role.MODERATOR,
    }


def test_a_mentoring_group_cannot_be_open(pilot: Pilot, sam: Client) -> None:
    response = sam.post(
        url(pilot, "new/"), {"kind": "mentoring", "name": "Careers", "is_open": "on"}
    )
    assert response.status_code == 200
    assert "Only discussion groups can be open to join." in response.content.decode()
    assert not Group.objects.exists()


def test_the_group_form_refuses_control_characters(pilot: Pilot, sam: Client) -> None:
    response = sam.post(url(pilot, "new/"), {"kind": "discussion", "name": "Bad\x01name"})
    assert response.status_code == 200
    assert "invisible control characters" in response.content.decode()
    assert not Group.objects.exists()


def test_staff_add_and_remove_members_and_the_conversation_follows(
    pilot: Pilot, it_field: Group, alice: User, mentor_maria: User, sam: Client
) -> None:
    page = sam.get(url(pilot, f"{it_field.pk}/")).content.decode()
    assert "Add a member" in page
    sam.post(url(pilot, f"{it_field.pk}/members/add/"), {"user": alice.pk})
    assert participant_ids(it_field) == {alice.pk, mentor_maria.pk}
    response = sam.post(url(pilot, f"{it_field.pk}/members/{mentor_maria.pk}/remove/"), follow=True)
    assert "Maria Mentor is removed." in response.content.decode()
    assert participant_ids(it_field) == {alice.pk}


def test_staff_archive_a_group(pilot: Pilot, pair: Group, sam: Client) -> None:
    assert "Archive this group" in sam.get(url(pilot, f"{pair.pk}/")).content.decode()
    response = sam.post(url(pilot, f"{pair.pk}/archive/"), follow=True)
    assert "its conversation is read-only" in response.content.decode()
    pair.refresh_from_db()
    pair.conversation.refresh_from_db()
    assert pair.is_archived
    assert pair.conversation.is_read_only


def test_a_closed_pilot_offers_no_new_groups(pilot: Pilot, pair: Group, sam: Client) -> None:
    Pilot.objects.filter(pk=pilot.pk).update(status=Pilot.Status.CLOSED)
    html = sam.get(url(pilot, "pair/")).content.decode()
    assert "no new pairs can be formed" in html
    controls = Html(sam.get(url(pilot))).texts("main a, main button")
    assert not any("Form a pair" in text for text in controls)
