"""Abuse and resources: the per-user socket cap, online state while any socket is open, a
client gone during a send, events from threads without a loop, per-user rate limits.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from messaging import events
from messaging.live import LiveConsumer
from messaging.models import Conversation, Message
from profiles.models import User
from tests.support.sockets import (
    WAIT,
    Live,
    db,
    send_frame,
    signed_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_open_sockets_per_user_are_capped(
    live: Live, alice: User, mentor_maria: User, settings: Any
) -> None:
    settings.MAX_SOCKETS_PER_USER = 2
    _client, cookie = await db(signed_in)(alice)
    first = await live.connect_with(cookie)
    await live.connect_with(cookie)

    third, _accepted = await live.open(cookie)
    assert await third.close_code() == 4429
    await live.connect(mentor_maria)  # the cap is per user

    await live.close(first)  # a closed socket frees its place
    await live.connect_with(cookie)


async def test_a_user_is_online_while_any_of_their_sockets_is_open(
    live: Live, alice: User, mentor_maria: User
) -> None:
    def online() -> set[int]:
        return events.online_user_ids([alice.pk, mentor_maria.pk])

    assert await db(online)() == set()
    _client, cookie = await db(signed_in)(alice)
    laptop = await live.connect_with(cookie)
    phone = await live.connect_with(cookie)
    assert await db(online)() == {alice.pk}
    await live.close(laptop)
    assert await db(online)() == {alice.pk}  # the phone is still open
    await live.close(phone)
    assert await db(online)() == set()


async def test_a_client_gone_during_a_send_is_cleaned_up_like_a_disconnect(
    live: Live, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server raises when the socket it sends to is gone (uvicorn: ClientDisconnected,
    an OSError) and no websocket.disconnect follows: the consumer frees its slot and the
    user's online marker, and stops."""
    socket = await live.connect(alice)
    assert await db(events.online_user_ids)([alice.pk]) == {alice.pk}

    async def gone(self: LiveConsumer, content: Any, close: bool = False) -> None:
        raise ConnectionResetError("the client went away")

    monkeypatch.setattr(LiveConsumer, "send_json", gone)
    await socket.send({"type": "ping"})
    await socket.communicator.wait(timeout=WAIT)  # the consumer stopped
    assert await db(events.online_user_ids)([alice.pk]) == set()
    slots = [events.socket_slot_key(alice.pk, n) for n in range(settings.MAX_SOCKETS_PER_USER)]
    assert await cache.aget_many(slots) == {}


async def test_an_event_sent_from_a_thread_without_an_event_loop_arrives(
    live: Live, alice: User
) -> None:
    """gunicorn's sync workers and Celery send from plain threads: the process's own events
    loop carries the event (one kept connection, not a new loop per event)."""
    socket = await live.connect(alice)
    event = {"type": "notification", "mark": uuid.uuid4().hex}
    sender = threading.Thread(target=events.send_now, args=(events.user_group(alice.pk), event))
    sender.start()
    await asyncio.to_thread(sender.join, WAIT)
    assert await socket.receive() == event


async def test_sending_too_fast_gets_a_rate_limited_error_frame(
    live: Live,
    conversation: Conversation,
    alice: User,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.MESSAGE_RATE_LIMIT = 2
    now = timezone.now()
    monkeypatch.setattr("mentoring.ratelimit.time", SimpleNamespace(time=lambda: now.timestamp()))
    socket = await live.connect(alice)
    frames = [send_frame(conversation, f"Message {n}") for n in range(3)]
    for frame in frames:
        await socket.send(frame)
    replies = await socket.replies_until_pong()

    assert [f["client_id"] for f in replies if f["type"] == "ack"] == [
        frames[0]["client_id"],
        frames[1]["client_id"],
    ]
    errors = [f for f in replies if f["type"] == "error"]
    assert [(e["code"], e["ref"]) for e in errors] == [("rate_limited", frames[2]["client_id"])]
    assert "too fast" in errors[0]["message"]
    assert await db(Message.objects.count)() == 2

    now += datetime.timedelta(seconds=settings.MESSAGE_RATE_WINDOW)
    await socket.send(frames[2])  # the next window: the resend goes through
    # (The message.new of the first two may still be on their way: only the ack counts.)
    acks = [f for f in await socket.replies_until_pong() if f["type"] == "ack"]
    assert [ack["created"] for ack in acks] == [True]
