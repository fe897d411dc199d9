"""Redis stopped during a chat: the rate limit cannot count, the message is still stored."""

from __future__ import annotations

import uuid

import pytest

from messaging.models import Message
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User

pytestmark = pytest.mark.django_db


def test_messages_are_stored_when_the_cache_is_down(
    pilot: Pilot, alice: User, mentor_maria: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr("mentoring.ratelimit.cache.add", down)
    message, created = conversations.send_message(
        sender=alice, conversation=conversation, body="Still here", client_id=uuid.uuid4()
    )
    assert created
    assert Message.objects.get(pk=message.pk).body == "Still here"
