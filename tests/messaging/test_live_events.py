"""The `capture_live_events` fixture records what messaging/events.py sends, after commit
only, and fails a test whose count of events differs from the one it expects."""

from __future__ import annotations

import uuid

import pytest

from messaging import events
from messaging.models import Conversation
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User
from tests.support.live_events import CaptureLiveEvents, LiveEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def direct(pilot: Pilot, alice: User, mentor_maria: User) -> Conversation:
    return conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Hello")


def test_a_message_is_recorded_as_one_event_to_its_conversation_after_commit(
    direct: Conversation, alice: User, capture_live_events: CaptureLiveEvents
) -> None:
    with capture_live_events(expected=1) as sent:
        message, _created = conversations.send_message(
            sender=alice, conversation=direct, body="Hi Maria", client_id=uuid.uuid4()
        )
        assert sent == []  # not before the commit
    assert sent == [
        LiveEvent(
            events.conversation_group(direct.pk),
            events.message_event("message.new", message),
        )
    ]


def test_a_different_number_of_events_fails_the_test(
    direct: Conversation, alice: User, capture_live_events: CaptureLiveEvents
) -> None:
    with (
        pytest.raises(AssertionError, match="1 live events, not 2"),
        capture_live_events(expected=2),
    ):
        conversations.send_message(
            sender=alice, conversation=direct, body="Only one", client_id=uuid.uuid4()
        )
