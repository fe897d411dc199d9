"""Conversation services: who may start one, sending once per client id, edit and delete
windows, read state and unread counts, blocks, read-only conversations, rate limits."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.models import Conversation, Message
from messaging.services import conversations
from messaging.services.conversations import NotAllowed, RateLimited, ReadOnly
from pilots import services as pilot_services
from pilots.models import Material, Pilot, Role
from profiles.models import User

pytestmark = pytest.mark.django_db


def send(user: User, conversation, body: str = "Hello", client_id: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    return conversations.send_message(
        sender=user, conversation=conversation, body=body, client_id=client_id or uuid.uuid4()
    )


def start_in_pilot(*, sender: User, recipient: User) -> Conversation:
    """Start a conversation as the start page does: pilots decides, messaging stores it."""
    return pilot_services.start_pilot_conversation(
        sender=sender, recipient=recipient, subject="Hi", body="Hi", client_id=uuid.uuid4()
    )


def test_actor_and_mentor_of_a_pilot_may_talk(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    conversation = conversations.start_direct(
        sender=alice, recipient=mentor_maria, subject="How did you get your first job?"
    )
    _message, created = send(alice, conversation)
    assert created
    assert set(conversation.participants.values_list("user_id", flat=True)) == {
        alice.pk,
        mentor_maria.pk,
    }


def test_people_without_a_shared_pilot_may_not(pilot: Pilot, alice: User, oscar: User) -> None:
    with pytest.raises(NotAllowed):
        start_in_pilot(sender=alice, recipient=oscar)


def test_two_mentors_may_not_but_staff_may_write_to_anyone(
    pilot: Pilot, mentor_maria: User, staff_sam: User, make_user: Callable[..., User]
) -> None:
    other_mentor = make_user("Other Mentor")
    pilot_services.add_participant(pilot=pilot, user=other_mentor, role=Role.MENTOR)
    with pytest.raises(NotAllowed):
        start_in_pilot(sender=mentor_maria, recipient=other_mentor)
    assert start_in_pilot(sender=staff_sam, recipient=other_mentor)


def test_actors_finish_required_orientation_first(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    pilot.requires_orientation = True
    pilot.save()
    material = Material.objects.create(pilot=pilot, title="Read", required=True, is_published=True)
    with pytest.raises(NotAllowed, match="orientation"):
        start_in_pilot(sender=alice, recipient=mentor_maria)
    pilot_services.complete_material(material=material, user=alice)
    assert start_in_pilot(sender=alice, recipient=mentor_maria)


def test_closed_pilot_allows_no_new_conversations(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    pilot.status = Pilot.Status.CLOSED
    pilot.save()
    with pytest.raises(NotAllowed):
        start_in_pilot(sender=alice, recipient=mentor_maria)


def test_same_client_id_gives_one_message(pilot: Pilot, alice: User, mentor_maria: User) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    client_id = uuid.uuid4()
    first, created_first = send(alice, conversation, client_id=client_id)
    again, created_again = send(alice, conversation, "Hello again", client_id=client_id)
    assert (created_first, created_again) == (True, False)
    assert first.pk == again.pk
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_a_resend_is_answered_with_the_stored_message_even_when_a_check_would_refuse_it(
    pilot: Pilot, alice: User, mentor_maria: User, settings: Any
) -> None:
    """The first send got through, its answer was lost; meanwhile the conversation became
    read-only and the sender reached the rate limit: the resend still finds its message."""
    settings.MESSAGE_RATE_LIMIT = 1
    settings.MESSAGE_RATE_WINDOW = 3600
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    client_id = uuid.uuid4()
    first, _created = send(alice, conversation, client_id=client_id)
    again, created = send(alice, conversation, client_id=client_id)  # over the limit
    assert (again.pk, created) == (first.pk, False)
    conversations.lock(conversation=conversation)
    conversation.refresh_from_db()
    again, created = send(alice, conversation, client_id=client_id)
    assert (again.pk, created) == (first.pk, False)
    with pytest.raises(ReadOnly):
        send(alice, conversation)  # a new message is refused
    other = conversations.start_direct(sender=mentor_maria, recipient=alice, subject="Other")
    with pytest.raises(NotAllowed):
        send(alice, other, client_id=client_id)  # the id is taken, in another conversation
    assert Message.objects.count() == 1


def test_sending_takes_one_query_for_the_checks_and_one_transaction(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    """The socket's hot path: recipients and blocks (1), insert, read marker, activity, the
    offline recipient's notification (4); the transaction is a savepoint in a test (+2)."""
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    send(alice, conversation)
    with django_assert_num_queries(7):
        send(alice, conversation)
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_the_conversation_row_is_locked_before_the_message_takes_its_id(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    """Concurrent senders then commit in id order: a client resyncing "after" the last id it
    saw never skips a message that committed later with a smaller id."""
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    with CaptureQueriesContext(connection) as queries:
        send(alice, conversation)
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))
    ]
    assert writes[0].startswith('UPDATE "messaging_conversation"'), writes
    assert writes[1].startswith('INSERT INTO "messaging_message"'), writes


def test_unread_counts_and_read_marker(pilot: Pilot, alice: User, mentor_maria: User) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    for _ in range(3):
        send(alice, conversation)
    assert conversations.unread_counts(user=mentor_maria) == {conversation.pk: 3}
    assert conversations.unread_counts(user=alice) == {}
    conversations.mark_read(user=mentor_maria, conversation=conversation)
    assert conversations.unread_counts(user=mentor_maria) == {}
    conversations.mark_read(user=mentor_maria, conversation=conversation, up_to_id=1)  # never back
    assert conversations.unread_counts(user=mentor_maria) == {}


def test_edit_and_delete_by_the_author_within_the_window(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    message, _ = send(alice, conversation, "Typo")
    with pytest.raises(NotAllowed):
        conversations.edit_message(user=mentor_maria, message=message, body="Not mine")
    conversations.edit_message(user=alice, message=message, body="Fixed")
    message.refresh_from_db()
    assert (message.body, message.edited_at is not None) == ("Fixed", True)
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    message.refresh_from_db()
    with pytest.raises(NotAllowed):
        conversations.delete_message(user=alice, message=message)


def test_blocked_person_cannot_write(pilot: Pilot, alice: User, mentor_maria: User) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    conversations.block(blocker=mentor_maria, blocked=alice)
    with pytest.raises(NotAllowed):
        send(alice, conversation)
    with pytest.raises(NotAllowed):
        conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Again")


def test_read_only_conversation_refuses_messages(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    conversations.lock(conversation=conversation)
    conversation.refresh_from_db()
    with pytest.raises(ReadOnly):
        send(alice, conversation)


def test_rate_limit_per_user(pilot: Pilot, alice: User, mentor_maria: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MESSAGE_RATE_LIMIT = 3
    settings.MESSAGE_RATE_WINDOW = 3600  # one window for the whole test
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    for _ in range(3):
        send(alice, conversation)
    with pytest.raises(RateLimited):
        send(alice, conversation)
    assert Message.objects.filter(conversation=conversation).count() == 3


def test_removed_participant_can_no_longer_send(
    pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User
) -> None:
    group = conversations.create_group_conversation(
        subject="IT field", context=f"pilot:{pilot.pk}", member_ids=[alice.pk, mentor_maria.pk]
    )
    send(alice, group)
    conversations.set_participants(conversation=group, user_ids=[mentor_maria.pk])
    with pytest.raises(NotAllowed):
        send(alice, group)


def test_history_after_an_id_and_before_an_id(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    ids = [send(alice, conversation, f"m{i}")[0].pk for i in range(5)]
    assert [m.pk for m in conversations.history(conversation=conversation, after_id=ids[2])] == ids[
        3:
    ]
    assert [
        m.pk for m in conversations.history(conversation=conversation, before_id=ids[3], limit=2)
    ] == ids[1:3]
