"""What participants do on the group pages: see their groups, find open discussion groups of
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
from tests.support.html import Html, text

pytestmark = pytest.mark.django_db


def discussion(pilot: Pilot, name: str, *, is_open: bool = True) -> Group:
    return services.create_group(
        pilot=pilot, kind=Group.Kind.DISCUSSION, name=name, is_open=is_open, created_by=None
    )


def test_my_groups_lists_my_pair_with_its_mode_and_unread_messages_and_groups_to_join(
    pair: Group, it_field: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    page = Html(client_for(alice).get("/groups/"))
    mine = page.one("section[aria-labelledby=mine-heading]")
    card = mine.cssselect("article.group-card")
    assert len(card) == 1  # the pair only: alice is not in IT field
    assert text(card[0].cssselect("h3")[0]) == "Pair with Maria Mentor 1 unread"  # the intro
    assert text(card[0].cssselect(".group-explanation")[0]) == str(Group.EXPLANATIONS["individual"])
    assert card[0].cssselect("a[role=button]")[0].get("href") == (
        f"/conversations/{pair.conversation_id}/"
    )
    join = page.one("section[aria-labelledby=join-heading]")
    assert [text(h) for h in join.cssselect("article h3")] == ["IT field"]
    assert join.cssselect("form")[0].get("action") == f"/groups/{it_field.pk}/join/"
    assert "topic space" in text(join.cssselect(".group-explanation")[0])


def test_my_groups_says_what_to_do_when_there_is_nothing_yet(
    pilot: Pilot, alice: User, oscar: User, client_for: Callable[[User], Client]
) -> None:
    page = Html(client_for(alice).get("/groups/"))
    assert "not in a pair or a group yet" in text(page.one("#mine-heading + .empty-state"))
    assert page.one("section[aria-labelledby=mine-heading] a[role=button]").get("href") == (
        "/people/"
    )
    assert "No discussion group is open to join" in text(page.one("#join-heading ~ .empty-state"))
    # Outside any pilot: where pairs and groups come from, and no groups to join.
    page = Html(client_for(oscar).get("/groups/"))
    assert "not in one yet" in text(page.one(".empty-state"))
    assert page.one("section a[role=button]").get("href") == "/pilots/"
    assert page.count("#join-heading") == 0


def test_my_groups_page_has_a_constant_number_of_queries(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    actor: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(alice)
    services.form_pair(
        pilot=pilot, mentor=mentor_maria, mentee=alice, mode="individual", created_by=staff_sam
    )
    for number in range(8):
        group = discussion(pilot, f"Topic {number}")
        services.join_group(group=group, user=alice)
        services.join_group(group=group, user=actor())
        discussion(pilot, f"Open topic {number}")
    with django_assert_max_num_queries(9):
        page = Html(client.get("/groups/"))
    assert page.count("section[aria-labelledby=mine-heading] article") == 9
    assert page.count("section[aria-labelledby=join-heading] article") == 8
    with django_assert_max_num_queries(4):
        assert client.get("/groups/discussions/").status_code == 200


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
    html = client_for(alice).get("/groups/discussions/").content.decode()
    assert "IT field" in html
    assert "Join IT field" in html
    for hidden in ("Board room", "Autumn chat", "Last year"):
        assert hidden not in html


def test_joining_and_leaving_with_a_form_post(
    it_field: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    assert client.get(f"/groups/{it_field.pk}/join/").status_code == 405
    response = client.post(f"/groups/{it_field.pk}/join/", follow=True)
    assert response.redirect_chain[-1][0] == f"/groups/{it_field.pk}/"
    assert "You joined IT field." in response.content.decode()
    assert alice.pk in participant_ids(it_field)
    assert "Leave IT field" in client.get("/groups/discussions/").content.decode()
    response = client.post(f"/groups/{it_field.pk}/leave/", follow=True)
    assert "You left IT field." in response.content.decode()
    assert alice.pk not in participant_ids(it_field)
    assert client.get(f"/groups/{it_field.pk}/").status_code == 404


def test_a_closed_discussion_group_cannot_be_joined_by_post(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    board = discussion(pilot, "Board room", is_open=False)
    assert client_for(alice).post(f"/groups/{board.pk}/join/").status_code == 404
    assert alice.pk not in participant_ids(board)


def test_a_pair_cannot_be_left_by_its_members(
    pair: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(alice).post(f"/groups/{pair.pk}/leave/", follow=True)
    assert "Ask the project staff" in response.content.decode()
    assert alice.pk in participant_ids(pair)


def test_an_archived_group_says_it_is_read_only(
    pair: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    services.archive_group(group=pair)
    html = client_for(alice).get(f"/groups/{pair.pk}/").content.decode()
    assert "This group is archived" in html


def test_a_groups_page_explains_its_mode_in_one_sentence(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    client_for: Callable[[User], Client],
) -> None:
    reverse = services.form_pair(
        pilot=pilot,
        mentor=alice,
        mentee=mentor_maria,
        mode=Group.Mode.REVERSE,
        created_by=staff_sam,
    )
    page = Html(client_for(mentor_maria).get(f"/groups/{reverse.pk}/"))
    assert text(page.one(".group-explanation")) == (
        "A reverse pair: the student mentors the professional on something the student knows "
        "well, such as digital tools."
    )
    staff_page = Html(client_for(staff_sam).get(f"/pilots/{pilot.slug}/staff/groups/{reverse.pk}/"))
    assert "the student mentors the professional" in text(staff_page.one("main"))


def test_a_groups_page_and_its_staff_pages_carry_the_pilots_band(
    pilot: Pilot, pair: Group, alice: User, sam: Client, client_for: Callable[[User], Client]
) -> None:
    Pilot.objects.filter(pk=pilot.pk).update(accent_colour="#ffcc00")
    staff = f"/pilots/{pilot.slug}/staff/groups/"
    pages = [(client_for(alice), pair.get_absolute_url())] + [
        (sam, url) for url in (staff, f"{staff}pair/", f"{staff}new/", f"{staff}{pair.pk}/")
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = Html(response)
        assert text(page.one(".pilot-band .pilot-band-name")) == pilot.name, url
        # Yellow under white button text is 1.6:1; the page gets its 4.5:1 shade instead.
        assert "--pilot-button: #8f7200;" in page.one("style[nonce]").text_content(), url
