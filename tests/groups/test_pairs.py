"""Forming pairs: the four roles per mode, the professional's availability and capacity (with
the staff override), and what a pair is made of (its members and conversation)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from groups import services
from groups.models import Group, GroupMember
from groups.services import GroupError, MentorUnavailable
from messaging.models import Conversation
from pilots import services as pilot_services
from pilots.models import Pilot, Role
from profiles.models import Profile, User
from tests.support.groups import participant_ids

pytestmark = pytest.mark.django_db


def form(pilot: Pilot, mentor: User, mentee: User, mode: str, *, force: bool = False) -> Group:
    return services.form_pair(
        pilot=pilot, mentor=mentor, mentee=mentee, mode=mode, created_by=None, force=force
    )


def roles(group: Group) -> dict[int, str]:
    return dict(group.memberships.values_list("user_id", "role"))


def test_individual_pair_is_a_mentor_with_an_actor_and_gets_a_conversation(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    pair = form(pilot, mentor_maria, alice, Group.Mode.INDIVIDUAL)
    assert (pair.kind, pair.mode) == (Group.Kind.PAIR, Group.Mode.INDIVIDUAL)
    assert pair.name == "Maria Mentor & Alice Actor"
    assert roles(pair) == {
        mentor_maria.pk: GroupMember.Role.MENTOR,
        alice.pk: GroupMember.Role.MENTEE,
    }
    conversation = Conversation.objects.get(pk=pair.conversation_id)
    assert conversation.kind == Conversation.Kind.PAIR
    assert conversation.subject == "Maria Mentor & Alice Actor"
    assert conversation.context == f"group:{pair.pk}"
    assert participant_ids(pair) == {alice.pk, mentor_maria.pk}


def test_reverse_pair_makes_the_actor_the_mentor_of_the_professional(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    pair = form(pilot, alice, mentor_maria, Group.Mode.REVERSE)
    assert roles(pair) == {
        alice.pk: GroupMember.Role.MENTOR,
        mentor_maria.pk: GroupMember.Role.MENTEE,
    }


def test_peer_pair_is_two_actors(pilot: Pilot, alice: User, bob: User) -> None:
    pair = form(pilot, alice, bob, Group.Mode.PEER)
    assert participant_ids(pair) == {alice.pk, bob.pk}


@pytest.mark.parametrize(
    ("mode", "mentor", "mentee"),
    [
        (Group.Mode.INDIVIDUAL, "alice", "mentor_maria"),  # the wrong way round
        (Group.Mode.INDIVIDUAL, "alice", "bob"),  # no professional
        (Group.Mode.REVERSE, "mentor_maria", "alice"),  # that is an individual pair
        (Group.Mode.REVERSE, "alice", "bob"),
        (Group.Mode.PEER, "alice", "mentor_maria"),
        (Group.Mode.PEER, "mentor_maria", "alice"),
        (Group.Mode.INDIVIDUAL, "staff_sam", "alice"),  # staff are not mentors
        (Group.Mode.GROUP, "mentor_maria", "alice"),  # not a pair mode
    ],
)
def test_roles_that_do_not_fit_the_mode_are_refused(
    request: pytest.FixtureRequest, pilot: Pilot, bob: User, mode: str, mentor: str, mentee: str
) -> None:
    with pytest.raises(GroupError):
        form(pilot, request.getfixturevalue(mentor), request.getfixturevalue(mentee), mode)
    assert not Group.objects.exists()
    assert not Conversation.objects.exists()


def test_both_people_must_take_part_in_the_pilot(
    pilot: Pilot, alice: User, oscar: User, other_pilot: Pilot, make_user: Callable[..., User]
) -> None:
    elsewhere = make_user("Mentor Elsewhere", kind=Profile.Kind.PROFESSIONAL)
    pilot_services.add_participant(pilot=other_pilot, user=elsewhere, role=Role.MENTOR)
    for mentor in (oscar, elsewhere):
        with pytest.raises(GroupError, match="take part in the pilot"):
            form(pilot, mentor, alice, Group.Mode.INDIVIDUAL)


def test_a_pair_is_two_different_people_and_formed_once(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    with pytest.raises(GroupError):
        form(pilot, alice, alice, Group.Mode.PEER)
    form(pilot, mentor_maria, alice, Group.Mode.INDIVIDUAL)
    with pytest.raises(GroupError, match="already form a pair"):
        form(pilot, mentor_maria, alice, Group.Mode.INDIVIDUAL)
    assert Group.objects.count() == 1


def test_an_archived_pair_can_be_formed_again(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    services.archive_group(group=form(pilot, mentor_maria, alice, Group.Mode.INDIVIDUAL))
    form(pilot, mentor_maria, alice, Group.Mode.INDIVIDUAL)
    assert Group.objects.active().count() == 1


def test_a_full_mentor_is_refused_unless_staff_force_it(
    pilot: Pilot, mentor_maria: User, actor: Callable[..., User]
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=2)
    first, second, third = actor(), actor(), actor()
    form(pilot, mentor_maria, first, Group.Mode.INDIVIDUAL)
    form(pilot, mentor_maria, second, Group.Mode.INDIVIDUAL)
    with pytest.raises(MentorUnavailable, match="2 of 2"):
        form(pilot, mentor_maria, third, Group.Mode.INDIVIDUAL)
    forced = form(pilot, mentor_maria, third, Group.Mode.INDIVIDUAL, force=True)
    assert forced.memberships.count() == 2
    assert services.mentor_loads(user_ids=[mentor_maria.pk]) == {mentor_maria.pk: 3}


def test_an_unavailable_mentor_is_refused_unless_staff_force_it(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=False)
    with pytest.raises(MentorUnavailable, match="not taking on new mentees"):
        form(pilot, mentor_maria, alice, Group.Mode.INDIVIDUAL)
    assert form(pilot, mentor_maria, alice, Group.Mode.INDIVIDUAL, force=True)


def test_reverse_pairs_take_the_professionals_capacity_too(
    pilot: Pilot, alice: User, bob: User, mentor_maria: User
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=1)
    form(pilot, alice, mentor_maria, Group.Mode.REVERSE)
    with pytest.raises(MentorUnavailable):
        form(pilot, mentor_maria, bob, Group.Mode.INDIVIDUAL)


def test_peer_pairs_need_no_capacity(pilot: Pilot, alice: User, bob: User) -> None:
    Profile.objects.filter(pk__in=[alice.pk, bob.pk]).update(capacity=0, is_available=False)
    assert form(pilot, alice, bob, Group.Mode.PEER)


def test_archived_groups_and_closed_pilots_free_a_mentors_places(
    pilot: Pilot,
    make_pilot: Callable[..., Pilot],
    mentor_maria: User,
    actor: Callable[..., User],
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=1)
    pair = form(pilot, mentor_maria, actor(), Group.Mode.INDIVIDUAL)
    with pytest.raises(MentorUnavailable):
        form(pilot, mentor_maria, actor(), Group.Mode.INDIVIDUAL)
    services.archive_group(group=pair)
    form(pilot, mentor_maria, actor(), Group.Mode.INDIVIDUAL)
    # A pair in a pilot that has closed no longer takes a place in the next one.
    spring = make_pilot("next-spring")
    pilot_services.add_participant(pilot=spring, user=mentor_maria, role=Role.MENTOR)
    newcomer = actor()
    pilot_services.add_participant(pilot=spring, user=newcomer, role=Role.ACTOR)
    with pytest.raises(MentorUnavailable):
        form(spring, mentor_maria, newcomer, Group.Mode.INDIVIDUAL)
    pilot.status = Pilot.Status.CLOSED
    pilot_services.update_pilot(pilot=pilot)
    assert form(spring, mentor_maria, newcomer, Group.Mode.INDIVIDUAL)


def test_pairs_of_recruiting_pilots_count_against_capacity(
    make_pilot: Callable[..., Pilot], mentor_maria: User, actor: Callable[..., User]
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=1)
    recruiting = make_pilot("recruiting", status=Pilot.Status.RECRUITING)
    pilot_services.add_participant(pilot=recruiting, user=mentor_maria, role=Role.MENTOR)
    first, second = actor(), actor()
    for person in (first, second):
        pilot_services.add_participant(pilot=recruiting, user=person, role=Role.ACTOR)
    form(recruiting, mentor_maria, first, Group.Mode.INDIVIDUAL)
    with pytest.raises(MentorUnavailable):
        form(recruiting, mentor_maria, second, Group.Mode.INDIVIDUAL)


def test_no_pairs_in_a_closed_pilot(pilot: Pilot, alice: User, mentor_maria: User) -> None:
    Pilot.objects.filter(pk=pilot.pk).update(status=Pilot.Status.CLOSED)
    pilot.refresh_from_db()
    with pytest.raises(GroupError, match="closed"):
        form(pilot, mentor_maria, alice, Group.Mode.INDIVIDUAL, force=True)
