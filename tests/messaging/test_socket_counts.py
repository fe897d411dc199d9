"""Unread counts and notifications on open sockets: the first message of a new conversation
counted once, a new notification on every open tab with the exact count, nothing for people
offline.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer.
"""

from __future__ import annotations

import uuid

import pytest

from messaging import services as messaging_services
from messaging.models import Delivery, Kind, Notification
from pilots import services as pilot_services
from pilots.models import Pilot
from profiles.models import User
from tests.support.live_events import CaptureLiveEvents
from tests.support.sockets import (
    Live,
    db,
    store_message,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_first_message_of_a_new_conversation_is_counted_once(
    live: Live, pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    """The socket joins the new conversation and sends an "unread" snapshot that already has
    its first message (committed with it). The message's own event may arrive after it, or
    may have been published before the socket joined the conversation's group: "latest" tells
    the client which messages the snapshot counted (the badge must not show 2 for one)."""
    maria_socket = await live.connect(mentor_maria)
    conversation = await db(pilot_services.start_pilot_conversation)(
        sender=alice,
        recipient=mentor_maria,
        subject="A concrete question",
        body="How do I start?",
        client_id=uuid.uuid4(),
    )
    first = await db(conversation.messages.get)()
    assert (await maria_socket.receive_type("membership"))["action"] == "join"
    unread = await maria_socket.receive_type("unread")
    assert unread["conversations"] == {str(conversation.pk): 1}
    assert unread["latest"] == {str(conversation.pk): first.pk}
    assert unread["total"] == 1
    late = [f for f in await maria_socket.replies_until_pong() if f["type"] == "message.new"]
    assert [f["message"]["id"] for f in late] in ([], [first.pk])  # <= latest: counted
    second = await db(store_message)(alice, conversation, "Are you there?")
    new = await maria_socket.receive_type("message.new")
    assert new["message"]["id"] == second.pk > unread["latest"][str(conversation.pk)]


def deliver_announcement(pilot: Pilot, subject: str, recipients: list[User]) -> None:
    """A broadcast, its in-app rows delivered here (what the worker does)."""
    item = messaging_services.broadcast(
        kind=Kind.ANNOUNCEMENT,
        source=f"test:{uuid.uuid4()}",
        subject=subject,
        body="Body",
        url=f"/pilots/{pilot.pk}/",
        recipient_ids=[user.pk for user in recipients],
    )
    rows = Delivery.objects.filter(broadcast=item, channel=Delivery.Channel.IN_APP)
    messaging_services.deliver(delivery_ids=list(rows.values_list("pk", flat=True)))


async def test_a_new_notification_arrives_on_every_open_tab_with_the_exact_count(
    live: Live,
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("messaging.services.delivery.enqueue", lambda **kwargs: None)
    laptop = await live.connect(alice)
    phone = await live.connect(alice)
    assert laptop.notifications == {"type": "notifications", "unread": 0, "new": None}
    await db(deliver_announcement)(pilot, "Week 2 starts", [alice, mentor_maria])
    for tab in (laptop, phone):
        assert await tab.receive() == {
            "type": "notifications",
            "unread": 1,
            "new": {"subject": "Week 2 starts", "url": f"/pilots/{pilot.pk}/"},
        }
    await db(deliver_announcement)(pilot, "Week 3 starts", [alice])
    assert (await laptop.receive_type("notifications"))["unread"] == 2
    assert (await phone.receive_type("notifications"))["unread"] == 2

    # Read on one device: the other tabs' badges follow.
    await db(messaging_services.mark_notifications_read)(user=alice)
    for tab in (laptop, phone):
        assert await tab.receive() == {"type": "notifications", "unread": 0, "new": None}
    assert await db(Notification.objects.filter(user=mentor_maria).unread().count)() == 1


async def test_notifications_for_people_offline_send_no_live_events(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    monkeypatch: pytest.MonkeyPatch,
    capture_live_events: CaptureLiveEvents,
) -> None:
    monkeypatch.setattr("messaging.services.delivery.enqueue", lambda **kwargs: None)
    with capture_live_events(expected=0) as sent:
        await db(deliver_announcement)(pilot, "Nobody is online", [alice, mentor_maria])
    assert sent == []
    assert await db(Notification.objects.filter(subject="Nobody is online").count)() == 2
