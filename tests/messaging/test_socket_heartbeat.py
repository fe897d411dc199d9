"""The heartbeat: a healthy socket stays open; a channel layer that fails or never answers
the probe closes the socket so that the client reconnects.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.layers import get_channel_layer

from messaging.live import CLOSE_RECONNECT, LiveConsumer, presence
from messaging.live import database as live_database
from messaging.models import Conversation
from profiles.models import User
from tests.support.sockets import (
    Live,
    db,
    store_message,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(presence, "SLOT_HEARTBEAT", 0.05)
    monkeypatch.setattr(presence, "PROBE_TIMEOUT", 0.5)


async def test_the_heartbeat_keeps_a_healthy_socket_open(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User, fast_heartbeat: None
) -> None:
    socket = await live.connect(alice)
    await asyncio.sleep(0.5)  # about ten probes through the layer and back
    await socket.ping()
    await db(store_message)(mentor_maria, conversation, "Still live")
    assert (await socket.receive_type("message.new"))["message"]["body"] == "Still live"


async def test_a_layer_that_fails_the_probe_closes_the_socket_for_a_reconnect(
    live: Live, alice: User, fast_heartbeat: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket = await live.connect(alice)

    async def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(get_channel_layer(), "send", down)
    assert await socket.close_code() == CLOSE_RECONNECT


async def test_a_frame_waiting_for_the_database_does_not_fail_the_probe(
    live: Live,
    conversation: Conversation,
    alice: User,
    fast_heartbeat: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The probe queues behind the frame; the layer is fine, so the socket stays."""
    real = live_database.may_type

    def slow(user: User, frame: dict[str, Any]) -> None:
        time.sleep(1.5)  # three probe timeouts
        real(user, frame)

    monkeypatch.setattr(live_database, "may_type", slow)
    socket = await live.connect(alice)
    await socket.send({"type": "typing", "conversation": conversation.pk})
    await socket.ping()  # answered after the slow frame: the socket is still open


async def test_events_of_committed_work_are_sent_even_if_the_frame_then_fails(
    live: Live,
    conversation: Conversation,
    alice: User,
    mentor_maria: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    last = await db(store_message)(mentor_maria, conversation, "Read me")
    real = live_database.read

    def read_then_fail(user: User, frame: dict[str, Any]) -> None:
        real(user, frame)  # the marker is committed
        raise RuntimeError("something after the commit failed")

    monkeypatch.setattr(live_database, "read", read_then_fail)
    laptop = await live.connect(alice)
    phone = await live.connect(alice)
    await laptop.send({"type": "read", "conversation": conversation.pk, "up_to": last.pk})
    assert (await phone.receive_type("read"))["last_read_id"] == last.pk
    kinds = [frame["type"] for frame in await laptop.replies_until_pong()]
    assert "error" in kinds  # the frame failed, and says so
    if "read" not in kinds:  # the event may come after the error frame and the pong
        assert (await laptop.receive_type("read"))["last_read_id"] == last.pk


async def test_a_probe_that_never_comes_back_closes_the_socket_for_a_reconnect(
    live: Live, alice: User, fast_heartbeat: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The layer takes the probe but delivers nothing (its subscription was lost)."""
    socket = await live.connect(alice)

    async def lost(self: LiveConsumer, message: dict[str, Any]) -> None:
        return None

    monkeypatch.setattr(LiveConsumer, "live_probe", lost)
    assert await socket.close_code() == CLOSE_RECONNECT
