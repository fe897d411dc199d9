"""A mentor's capacity (README: "A mentor's capacity"): what counts, each conversation once,
and the start rule refusing a mentor who is unavailable or full, with a clear reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from groups import services as group_services
from groups.models import Group
from messaging.models import Conversation, Participant
from messaging.services import conversations
from pilots import services
from pilots.models import Pilot, Role
from profiles.models import Profile, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(pilot: Pilot, make_user: Callable[..., User]) -> Callable[[str], User]:
    def make(name: str) -> User:
        user = make_user(name)
        services.add_participant(pilot=pilot, user=user, role=Role.ACTOR)
        return user

    return make


def ask(sender: User, mentor: User) -> Conversation:
    return services.start_pilot_conversation(
        sender=sender, recipient=mentor, subject="Q", body="Q?", client_id=uuid.uuid4()
    )


def test_what_counts_against_capacity(
    pilot: Pilot,
    make_pilot: Callable[..., Pilot],
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    student: Callable[[str], User],
) -> None:
    assert services.capacity_used(mentor=mentor_maria) == 0
    ask(alice, mentor_maria)  # a question to her: counts
    group_services.form_pair(
        pilot=pilot,
        mentor=mentor_maria,
        mentee=student("Bea"),
        mode=Group.Mode.INDIVIDUAL,
        created_by=staff_sam,
    )  # a pair she mentors: counts
    group_services.create_group(
        pilot=pilot,
        kind=Group.Kind.DISCUSSION,
        name="Open talk",
        description="",
        is_open=True,
        created_by=staff_sam,
        member_ids=[mentor_maria.pk],
    )  # a discussion group: does not count
    conversations.start_direct(
        sender=mentor_maria, recipient=student("Cid"), subject="Mine", context=pilot.context
    )  # one she started herself: does not count
    left = ask(student("Dan"), mentor_maria)
    Participant.objects.filter(conversation=left, user=mentor_maria).update(
        left_at=left.created_at
    )  # one she left: does not count
    locked = ask(student("Eve"), mentor_maria)
    conversations.lock(conversation=locked)  # read-only: does not count
    closed = make_pilot("closed-pilot")
    services.add_participant(pilot=closed, user=alice, role=Role.ACTOR)
    services.add_participant(pilot=closed, user=mentor_maria, role=Role.MENTOR)
    Pilot.objects.filter(pk=closed.pk).update(status=Pilot.Status.RECRUITING)
    conversations.start_direct(
        sender=alice, recipient=mentor_maria, subject="Not running", context=closed.context
    )  # in a pilot that is not running: does not count

    assert services.capacity_used(mentor=mentor_maria) == 2
    assert services.capacity_used_by([mentor_maria.pk, alice.pk]) == {
        mentor_maria.pk: 2,
        alice.pk: 0,
    }


def test_a_full_mentor_cannot_be_started_with(
    pilot: Pilot, alice: User, mentor_maria: User, student: Callable[[str], User], client_for: Any
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=2)
    ask(student("Bea"), mentor_maria)
    ask(student("Cid"), mentor_maria)

    refusal = services.conversation_refusal(sender=alice, recipient=mentor_maria)

    assert str(refusal) == (
        "Maria Mentor already has as many conversations as they can follow. "
        "Try another mentor, or ask again later."
    )
    with pytest.raises(services.ConversationRefused):
        ask(alice, mentor_maria)
    page = client_for(alice).get(f"/pilots/people/{mentor_maria.pk}/talk/").content.decode()
    assert "already has as many conversations as they can follow" in page
    assert 'name="subject"' not in page


def test_an_unavailable_mentor_cannot_be_started_with(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=False)

    refusal = services.conversation_refusal(sender=alice, recipient=mentor_maria)

    assert str(refusal) == "Maria Mentor is not taking new conversations right now."
    with pytest.raises(services.ConversationRefused):
        ask(alice, mentor_maria)
    assert not Conversation.objects.exists()


def test_staff_may_still_write_to_a_full_or_paused_mentor(
    pilot: Pilot, staff_sam: User, mentor_maria: User
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=False, capacity=0)
    assert services.conversation_refusal(sender=staff_sam, recipient=mentor_maria) is None


def test_refusals_for_several_people_at_once_match_one_by_one(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    oscar: User,
    student: Callable[[str], User],
    make_user: Callable[..., User],
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    peer = student("Bea")
    paused = make_user("Paula Paused", kind=Profile.Kind.PROFESSIONAL, is_available=False)
    services.add_participant(pilot=pilot, user=paused, role=Role.MENTOR)
    conversations.block(blocker=peer, blocked=alice)
    people = [mentor_maria, peer, paused, oscar, alice]

    with django_assert_max_num_queries(8):
        refusals = services.start_refusals(sender=alice, recipient_ids=[p.pk for p in people])
    together = {pk: None if r is None else r.message for pk, r in refusals.items()}

    one_by_one = {
        person.pk: services.conversation_refusal(sender=alice, recipient=person)
        for person in people
    }
    assert together == one_by_one
    assert together[mentor_maria.pk] is None
    assert [str(together[p.pk]) for p in people[1:]] == [
        "You cannot write to this person.",
        "Paula Paused is not taking new conversations right now.",
        "You can write to people who take part in the same pilot as you.",
        "You cannot start a conversation with yourself.",
    ]
