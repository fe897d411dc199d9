"""Mentoring and discussion groups: creating them, members (added, removed, joining and
leaving) kept in step with the conversation's participants, live membership events, archiving
and closing the pilot making the conversations read-only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.http import Http404

from groups import services
from groups.models import Group, GroupMember
from groups.services import GroupError
from messaging import events
from messaging.access import get_conversation_for_participant
from messaging.services import conversations
from messaging.services.conversations import ReadOnly
from pilots import services as pilot_services
from pilots.models import Pilot, Role
from profiles.models import User
from tests.support.groups import participant_ids
from tests.support.live_events import CaptureLiveEvents

pytestmark = pytest.mark.django_db


def say(user: User, group: Group, body: str = "Hello") -> None:
    conversations.send_message(
        sender=user, conversation=group.conversation, body=body, client_id=uuid.uuid4()
    )


def test_mentoring_group_has_the_group_mode_and_roles_from_the_pilot(
    pilot: Pilot, alice: User, bob: User, mentor_maria: User, staff_sam: User
) -> None:
    group = services.create_group(
        pilot=pilot,
        kind=Group.Kind.MENTORING,
        name="Careers in ICT",
        created_by=staff_sam,
        member_ids=[alice.pk, bob.pk, mentor_maria.pk, staff_sam.pk],
    )
    assert group.mode == Group.Mode.GROUP
    assert dict(group.memberships.values_list("user_id", "role")) == {
        alice.pk: GroupMember.Role.MENTEE,
        bob.pk: GroupMember.Role.MENTEE,
        mentor_maria.pk: GroupMember.Role.MENTOR,
        staff_sam.pk: GroupMember.Role.MODERATOR,
    }
    assert participant_ids(group) == {alice.pk, bob.pk, mentor_maria.pk, staff_sam.pk}
    assert group.conversation.context == f"group:{group.pk}"
    assert group.conversation.subject == "Careers in ICT"


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        (Group.Kind.PAIR, {"mode": Group.Mode.INDIVIDUAL}),  # pairs are formed with form_pair
        (Group.Kind.MENTORING, {"is_open": True}),  # only discussion groups are open
        (Group.Kind.MENTORING, {"mode": Group.Mode.PEER}),
        (Group.Kind.DISCUSSION, {"mode": Group.Mode.GROUP}),
        (Group.Kind.DISCUSSION, {"name": "x" * 121}),
        (Group.Kind.DISCUSSION, {"name": "Nul\x00byte"}),
    ],
)
def test_groups_that_do_not_fit_their_kind_are_refused(
    pilot: Pilot, staff_sam: User, kind: str, extra: dict[str, Any]
) -> None:
    fields = {"name": "A group", **extra}
    with pytest.raises(GroupError):
        services.create_group(pilot=pilot, kind=kind, created_by=staff_sam, **fields)
    assert not Group.objects.exists()


def test_members_must_take_part_in_the_pilot(
    pilot: Pilot, alice: User, oscar: User, staff_sam: User
) -> None:
    with pytest.raises(GroupError):
        services.create_group(
            pilot=pilot,
            kind=Group.Kind.DISCUSSION,
            name="Future skills",
            created_by=staff_sam,
            member_ids=[alice.pk, oscar.pk],
        )
    discussion = services.create_group(
        pilot=pilot, kind=Group.Kind.DISCUSSION, name="Future skills", created_by=staff_sam
    )
    with pytest.raises(GroupError):
        services.add_member(group=discussion, user=oscar)


def test_actors_and_mentors_join_open_discussion_groups_and_can_write(
    it_field: Group, alice: User, mentor_maria: User
) -> None:
    membership = services.join_group(group=it_field, user=alice)
    assert membership.role == GroupMember.Role.MEMBER
    assert services.join_group(group=it_field, user=alice) == membership  # twice: once
    assert participant_ids(it_field) == {alice.pk, mentor_maria.pk}
    say(alice, it_field, "Hei kaikki!")
    # After the introduction staff_sam's forming of the group opened it with
    assert it_field.conversation.messages.count() == 2


def test_closed_discussion_groups_and_other_groups_cannot_be_joined(
    pilot: Pilot, pair: Group, alice: User, bob: User, staff_sam: User
) -> None:
    invitation_only = services.create_group(
        pilot=pilot, kind=Group.Kind.DISCUSSION, name="Board", created_by=staff_sam
    )
    mentoring = services.create_group(
        pilot=pilot, kind=Group.Kind.MENTORING, name="Mentoring", created_by=staff_sam
    )
    for group in (invitation_only, mentoring, pair):
        with pytest.raises(GroupError, match="not open"):
            services.join_group(group=group, user=bob)
        assert bob.pk not in participant_ids(group)


def test_outsiders_staff_and_archived_groups_cannot_be_joined(
    it_field: Group, oscar: User, staff_sam: User, other_staff: User, bob: User
) -> None:
    for person in (oscar, staff_sam, other_staff):
        with pytest.raises(GroupError):
            services.join_group(group=it_field, user=person)
    services.archive_group(group=it_field)
    with pytest.raises(GroupError):
        services.join_group(group=it_field, user=bob)
    assert not GroupMember.objects.filter(user__in=[oscar, staff_sam, other_staff, bob]).exists()


def test_leaving_a_discussion_group_ends_access_to_its_conversation(
    it_field: Group, alice: User
) -> None:
    services.join_group(group=it_field, user=alice)
    assert get_conversation_for_participant(alice, it_field.conversation_id)
    services.leave_group(group=it_field, user=alice)
    assert alice.pk not in participant_ids(it_field)
    with pytest.raises(Http404):
        get_conversation_for_participant(alice, it_field.conversation_id)


def test_pairs_and_mentoring_groups_are_left_through_staff(pair: Group, alice: User) -> None:
    with pytest.raises(GroupError):
        services.leave_group(group=pair, user=alice)
    assert alice.pk in participant_ids(pair)


def test_removal_updates_the_participants_and_tells_open_sockets(
    pilot: Pilot,
    alice: User,
    bob: User,
    mentor_maria: User,
    staff_sam: User,
    capture_live_events: CaptureLiveEvents,
) -> None:
    group = services.create_group(
        pilot=pilot,
        kind=Group.Kind.MENTORING,
        name="Careers in ICT",
        created_by=staff_sam,
        member_ids=[alice.pk, bob.pk, mentor_maria.pk],
    )
    with capture_live_events(expected=1) as live:
        services.remove_member(group=group, user=bob)
    assert participant_ids(group) == {alice.pk, mentor_maria.pk}
    assert not group.memberships.filter(user=bob).exists()
    assert live == [
        (
            events.user_group(bob.pk),
            {"type": "membership", "action": "leave", "conversation": group.conversation_id},
        )
    ]
    with pytest.raises(Http404):
        get_conversation_for_participant(bob, group.conversation_id)
    with pytest.raises(conversations.NotAllowed):
        say(bob, group)
    # Added back: in again, with a join event.
    with capture_live_events(expected=1) as live:
        services.add_member(group=group, user=bob)
    assert bob.pk in participant_ids(group)
    assert live[-1][1]["action"] == "join"


def test_pairs_keep_their_two_people(pair: Group, alice: User, bob: User) -> None:
    with pytest.raises(GroupError):
        services.remove_member(group=pair, user=alice)
    with pytest.raises(GroupError):
        services.add_member(group=pair, user=bob)
    assert pair.memberships.count() == 2


def test_archiving_locks_the_conversation_but_keeps_its_history(
    pair: Group, alice: User, mentor_maria: User
) -> None:
    say(alice, pair, "Kiitos!")
    services.archive_group(group=pair)
    services.archive_group(group=pair)  # twice: harmless
    pair.refresh_from_db()
    pair.conversation.refresh_from_db()
    assert pair.is_archived
    assert pair.conversation.is_read_only
    with pytest.raises(ReadOnly):
        say(mentor_maria, pair)
    # Members still read it (the introduction and alice's thanks).
    assert get_conversation_for_participant(alice, pair.conversation_id).messages.count() == 2


def test_closing_the_pilot_locks_its_groups_conversations_only(
    pilot: Pilot,
    pair: Group,
    it_field: Group,
    other_pilot: Pilot,
    other_staff: User,
    mentor_maria: User,
    make_user: Callable[..., User],
) -> None:
    elsewhere = services.create_group(
        pilot=other_pilot, kind=Group.Kind.DISCUSSION, name="Elsewhere", created_by=other_staff
    )
    pilot.status = Pilot.Status.CLOSED
    pilot_services.update_pilot(pilot=pilot)
    for group in (pair, it_field, elsewhere):
        group.conversation.refresh_from_db()
    assert pair.conversation.is_read_only
    assert it_field.conversation.is_read_only
    assert not elsewhere.conversation.is_read_only
    with pytest.raises(ReadOnly):
        say(mentor_maria, it_field)


def test_reopening_a_closed_pilot_unlocks_its_groups_but_not_archived_ones(
    pilot: Pilot, pair: Group, it_field: Group, mentor_maria: User
) -> None:
    services.archive_group(group=pair)
    pilot.status = Pilot.Status.CLOSED
    pilot_services.update_pilot(pilot=pilot)
    pilot.status = Pilot.Status.RUNNING  # closed by mistake
    pilot_services.update_pilot(pilot=pilot)
    for group in (pair, it_field):
        group.conversation.refresh_from_db()
    assert not it_field.conversation.is_read_only
    say(mentor_maria, it_field, "Back again")
    assert pair.conversation.is_read_only  # archived before: stays so


def test_archiving_a_pilot_locks_its_groups_too(pilot: Pilot, pair: Group) -> None:
    pilot.status = Pilot.Status.ARCHIVED
    pilot_services.update_pilot(pilot=pilot)
    pair.conversation.refresh_from_db()
    assert pair.conversation.is_read_only


def test_saving_a_running_pilot_leaves_its_groups_writable(pilot: Pilot, pair: Group) -> None:
    pilot.name = "Renamed"
    pilot_services.update_pilot(pilot=pilot)
    pair.conversation.refresh_from_db()
    assert not pair.conversation.is_read_only


def test_no_new_members_or_groups_in_a_closed_pilot(
    pilot: Pilot, it_field: Group, alice: User, staff_sam: User
) -> None:
    pilot.status = Pilot.Status.CLOSED
    pilot_services.update_pilot(pilot=pilot)
    it_field.pilot.refresh_from_db()
    with pytest.raises(GroupError):
        services.join_group(group=it_field, user=alice)
    with pytest.raises(GroupError):
        services.create_group(
            pilot=pilot, kind=Group.Kind.DISCUSSION, name="Late", created_by=staff_sam
        )


def test_a_mentor_in_a_mentoring_group_uses_a_place(
    pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User
) -> None:
    services.create_group(
        pilot=pilot,
        kind=Group.Kind.MENTORING,
        name="Careers in ICT",
        created_by=staff_sam,
        member_ids=[alice.pk, mentor_maria.pk],
    )
    services.create_group(
        pilot=pilot,
        kind=Group.Kind.DISCUSSION,
        name="IT field",
        created_by=staff_sam,
        member_ids=[mentor_maria.pk],
    )
    assert services.mentor_loads(user_ids=[mentor_maria.pk]) == {mentor_maria.pk: 1}


def test_staff_added_to_a_group_moderate_it(it_field: Group, staff_sam: User) -> None:
    assert services.add_member(group=it_field, user=staff_sam).role == GroupMember.Role.MODERATOR
    assert staff_sam.pk in participant_ids(it_field)


def test_someone_taken_out_of_the_pilot_leaves_its_groups(
    pilot: Pilot,
    pair: Group,
    it_field: Group,
    other_pilot: Pilot,
    alice: User,
    mentor_maria: User,
    other_staff: User,
    capture_live_events: CaptureLiveEvents,
) -> None:
    services.join_group(group=it_field, user=alice)
    pilot_services.add_participant(pilot=other_pilot, user=alice, role=Role.ACTOR)
    elsewhere = services.create_group(
        pilot=other_pilot,
        kind=Group.Kind.DISCUSSION,
        name="Elsewhere",
        created_by=other_staff,
        member_ids=[alice.pk],
    )
    with capture_live_events() as live:
        pilot_services.remove_participant(pilot=pilot, user=alice)
    assert participant_ids(it_field) == {mentor_maria.pk}
    assert participant_ids(pair) == {mentor_maria.pk}
    pair.refresh_from_db()
    assert pair.is_archived  # a pair without its mentee is over; maria keeps the history
    assert participant_ids(elsewhere) == {alice.pk}  # other pilots' groups are untouched
    left = {p["conversation"] for group, p in live if p.get("action") == "leave"}
    assert left == {pair.conversation_id, it_field.conversation_id}
