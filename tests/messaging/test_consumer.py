"""The WebSocket at /ws/ through the full ASGI application (Origin check, session, consumer):
hello and unread counts, live messages, idempotent sends, edits, read state, typing, access
per frame, removal and session ends taking effect on open sockets, the socket cap, rate limits,
and bad input (also property-based): an error frame, never a crash or a closed socket.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer. A negative ("nothing arrived") is checked with a marker event sent to the
same socket afterwards through the channel layer: it must be the next frame.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mentoring.asgi import application
from messaging import consumers, conversations, events
from messaging import services as messaging_services
from messaging.consumers import FRAME_MAX_BYTES, nested_deeper_than
from messaging.models import Conversation, Delivery, Kind, Message, Notification
from pilots import services as pilot_services
from pilots.models import Pilot
from profiles.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")
WAIT = 5.0  # seconds: the longest a frame that must arrive may take
REPLY_TYPES = {
    "error",
    "ack",
    "message.new",
    "message.changed",
    "read",
    "typing",
    "unread",
    "notifications",
    "membership",
    "pong",
}
db = database_sync_to_async


# --- Helpers -------------------------------------------------------------------------------


def signed_in(user: User) -> tuple[Client, bytes]:
    """A test client with a session of `user`, and the Cookie header carrying that session."""
    client = Client()
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return client, f"{settings.SESSION_COOKIE_NAME}={key}".encode()


class Socket:
    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.hello: dict[str, Any] = {}
        self.unread: dict[str, Any] = {}
        self.notifications: dict[str, Any] = {}

    async def send(self, frame: dict[str, Any]) -> None:
        await self.communicator.send_input({"type": "websocket.receive", "text": json.dumps(frame)})

    async def send_text(self, text: str) -> None:
        await self.communicator.send_input({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        await self.communicator.send_input({"type": "websocket.receive", "bytes": data})

    async def receive(self, timeout: float = WAIT) -> dict[str, Any]:
        output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.send", f"expected a frame, got {output}"
        frame = json.loads(output["text"])
        assert isinstance(frame, dict)
        return frame

    async def receive_type(self, kind: str) -> dict[str, Any]:
        frame = await self.receive()
        assert frame["type"] == kind, frame
        return frame

    async def close_code(self, timeout: float = WAIT) -> int:
        output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.close", f"expected the socket to close, got {output}"
        return int(output["code"])

    async def ping(self) -> None:
        """A round trip: the socket is open and has answered every frame sent before."""
        await self.send({"type": "ping"})
        assert await self.receive() == {"type": "pong"}

    async def replies_until_pong(self) -> list[dict[str, Any]]:
        await self.send({"type": "ping"})
        frames = []
        while (frame := await self.receive()) != {"type": "pong"}:
            frames.append(frame)
        return frames


class Live:
    """Opens sockets on the full ASGI application and closes them all at the end."""

    def __init__(self) -> None:
        self.communicators: list[WebsocketCommunicator] = []

    async def open(
        self, cookie: bytes | None, *, origin: tuple[bytes, bytes] | None = ORIGIN
    ) -> tuple[Socket, bool]:
        headers = [origin] if origin else []
        if cookie:
            headers.append((b"cookie", cookie))
        communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
        self.communicators.append(communicator)
        accepted, _subprotocol = await communicator.connect(timeout=WAIT)
        return Socket(communicator), accepted

    async def connect(self, user: User) -> Socket:
        _client, cookie = await db(signed_in)(user)
        return await self.connect_with(cookie)

    async def connect_with(self, cookie: bytes) -> Socket:
        socket, accepted = await self.open(cookie)
        assert accepted
        socket.hello = await socket.receive_type("hello")
        socket.unread = await socket.receive_type("unread")
        socket.notifications = await socket.receive_type("notifications")
        return socket

    async def close(self, socket: Socket) -> None:
        await socket.communicator.disconnect()
        self.communicators.remove(socket.communicator)

    async def close_all(self) -> None:
        for communicator in self.communicators:
            await communicator.disconnect()
        self.communicators.clear()


@pytest.fixture
async def live(transactional_db: None) -> AsyncIterator[Live]:
    sockets = Live()
    yield sockets
    await sockets.close_all()


@pytest.fixture
def conversation(pilot: Pilot, alice: User, mentor_maria: User) -> Conversation:
    return conversations.start_direct(
        sender=alice, recipient=mentor_maria, subject="How did you get your first job?"
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(consumers, "clock", fake)
    return fake


async def mark(user: User) -> dict[str, Any]:
    """Send a marker event to every socket of `user`; returns the frame they will get."""
    event = {"type": "notification", "mark": uuid.uuid4().hex}
    await get_channel_layer().group_send(
        events.user_group(user.pk), {"type": "live.event", "event": event}
    )
    return event


def send_frame(conversation: Conversation, body: str = "Hello", **fields: Any) -> dict[str, Any]:
    return {
        "type": "send",
        "conversation": conversation.pk,
        "body": body,
        "client_id": str(uuid.uuid4()),
        **fields,
    }


def store_message(user: User, conversation: Conversation, body: str = "Hi") -> Message:
    message, _created = conversations.send_message(
        sender=user, conversation=conversation, body=body, client_id=uuid.uuid4()
    )
    return message


# --- Connecting ----------------------------------------------------------------------------


async def test_connect_says_hello_with_conversations_and_unread_counts(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    await db(store_message)(mentor_maria, conversation, "First")
    second = await db(store_message)(mentor_maria, conversation, "Second")
    socket = await live.connect(alice)
    assert socket.hello == {"type": "hello", "user": alice.pk, "conversations": [conversation.pk]}
    assert socket.unread == {
        "type": "unread",
        "conversations": {str(conversation.pk): 2},
        "latest": {str(conversation.pk): second.pk},
        "total": 2,
    }
    # Alice was offline: one "new message from Maria" notification for both messages.
    assert socket.notifications == {"type": "notifications", "unread": 1, "new": None}
    await socket.ping()


async def test_anonymous_socket_is_closed_with_4401(live: Live) -> None:
    socket, accepted = await live.open(cookie=None)
    assert accepted  # accepted and closed at once: a browser sees the code, not a bare 403
    assert await socket.close_code() == 4401


async def test_socket_with_an_ended_session_is_closed_with_4401(live: Live, alice: User) -> None:
    client, cookie = await db(signed_in)(alice)
    await db(client.logout)()
    socket, _accepted = await live.open(cookie)
    assert await socket.close_code() == 4401


async def test_a_broken_backend_at_connect_closes_the_socket_for_a_retry(
    live: Live, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_down(user_id: int) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(consumers, "_starting_state", database_down)
    _client, cookie = await db(signed_in)(alice)
    socket, _accepted = await live.open(cookie)
    assert await socket.close_code() == 1011


async def test_an_unknown_layer_message_leaves_the_socket_open(live: Live, alice: User) -> None:
    socket = await live.connect(alice)
    layer = get_channel_layer()
    await layer.group_send(events.user_group(alice.pk), {"type": "websocket.nonsense"})
    await layer.group_send(events.user_group(alice.pk), {"type": "receive", "text_data": "x"})
    await layer.group_send(events.user_group(alice.pk), {"type": "live.event", "event": "x"})
    marker = await mark(alice)
    assert await socket.receive() == marker
    await socket.ping()


@pytest.mark.parametrize(
    "origin",
    [None, (b"origin", b"https://evil.example"), (b"origin", b"null")],
    ids=["missing", "foreign", "null"],
)
async def test_handshake_without_an_allowed_origin_is_refused(
    live: Live, alice: User, origin: tuple[bytes, bytes] | None
) -> None:
    _client, cookie = await db(signed_in)(alice)
    _socket, accepted = await live.open(cookie, origin=origin)
    assert not accepted


# --- Messages ------------------------------------------------------------------------------


async def test_sent_message_reaches_both_participants_and_the_sender_gets_an_ack(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    alice_socket = await live.connect(alice)
    maria_socket = await live.connect(mentor_maria)
    frame = send_frame(conversation, "Where do I start with Python?")
    await alice_socket.send(frame)

    received = [await alice_socket.receive(), await alice_socket.receive()]
    message = await db(Message.objects.get)(conversation=conversation)
    ack = {"type": "ack", "client_id": frame["client_id"], "message": message.pk, "created": True}
    assert ack in received
    new = next(f for f in received if f["type"] == "message.new")
    assert new["message"]["id"] == message.pk
    assert new["message"]["body"] == "Where do I start with Python?"
    assert new["message"]["sender"] == alice.pk
    assert new["message"]["sender_name"] == "Alice Actor"
    assert new["message"]["client_id"] == frame["client_id"]
    assert await maria_socket.receive() == new


async def test_same_client_id_twice_stores_one_message_and_acks_both(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    alice_socket = await live.connect(alice)
    maria_socket = await live.connect(mentor_maria)
    frame = send_frame(conversation, "Sent twice after a reconnect")
    await alice_socket.send(frame)
    await alice_socket.send(frame)

    acks = [f for f in await alice_socket.replies_until_pong() if f["type"] == "ack"]
    message = await db(Message.objects.get)(conversation=conversation)
    assert [(a["message"], a["created"]) for a in acks] == [(message.pk, True), (message.pk, False)]
    assert (await maria_socket.receive())["message"]["id"] == message.pk
    marker = await mark(mentor_maria)
    assert await maria_socket.receive() == marker  # no second message.new


async def test_resend_on_a_new_socket_gets_the_same_ack(
    live: Live, conversation: Conversation, alice: User
) -> None:
    frame = send_frame(conversation, "Lost ack")
    first = await live.connect(alice)
    await first.send(frame)
    acks = [f for f in await first.replies_until_pong() if f["type"] == "ack"]
    await live.close(first)
    second = await live.connect(alice)
    await second.send(frame)
    again = await second.receive_type("ack")
    assert again["message"] == acks[0]["message"]
    assert again["created"] is False
    assert await db(Message.objects.filter(conversation=conversation).count)() == 1


async def test_edit_and_delete_reach_both_as_message_changed(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    message = await db(store_message)(alice, conversation, "Typo hree")
    alice_socket = await live.connect(alice)
    maria_socket = await live.connect(mentor_maria)

    await alice_socket.send({"type": "edit", "message": message.pk, "body": "Typo here"})
    for socket in (alice_socket, maria_socket):
        changed = await socket.receive_type("message.changed")
        assert changed["message"]["id"] == message.pk
        assert changed["message"]["body"] == "Typo here"
        assert changed["message"]["edited"] is True

    await alice_socket.send({"type": "delete", "message": message.pk})
    for socket in (alice_socket, maria_socket):
        changed = await socket.receive_type("message.changed")
        assert changed["message"]["deleted"] is True
        assert changed["message"]["body"] == ""
    await db(message.refresh_from_db)()
    assert message.deleted_at is not None


async def test_editing_someone_elses_message_is_refused(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    message = await db(store_message)(alice, conversation, "Mine")
    maria_socket = await live.connect(mentor_maria)
    await maria_socket.send({"type": "edit", "message": message.pk, "body": "Not yours"})
    error = await maria_socket.receive_type("error")
    assert error["code"] == "not_allowed"
    await db(message.refresh_from_db)()
    assert message.body == "Mine"


async def test_read_reaches_the_readers_other_sockets_and_unread_drops(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    await db(store_message)(alice, conversation, "One")
    last = await db(store_message)(alice, conversation, "Two")
    alice_socket = await live.connect(alice)
    maria_tab1 = await live.connect(mentor_maria)
    maria_tab2 = await live.connect(mentor_maria)
    assert maria_tab2.unread["total"] == 2

    await maria_tab1.send({"type": "read", "conversation": conversation.pk, "up_to": last.pk})
    for tab in (maria_tab1, maria_tab2):
        assert await tab.receive() == {
            "type": "read",
            "conversation": conversation.pk,
            "last_read_id": last.pk,
        }
        assert await tab.receive() == {
            "type": "unread",
            "conversations": {},
            "latest": {},
            "total": 0,
        }
    marker = await mark(alice)
    assert await alice_socket.receive() == marker  # Maria's reading is hers alone


async def test_typing_reaches_the_other_participant_only_and_at_most_every_two_seconds(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User, clock: FakeClock
) -> None:
    alice_socket = await live.connect(alice)
    maria_socket = await live.connect(mentor_maria)
    typing = {"type": "typing", "conversation": conversation.pk}

    await alice_socket.send(typing)
    assert await maria_socket.receive() == {
        "type": "typing",
        "conversation": conversation.pk,
        "user": alice.pk,
        "name": "Alice Actor",
    }
    await alice_socket.ping()
    marker = await mark(alice)
    assert await alice_socket.receive() == marker  # not her own typing

    clock.advance(1.5)
    await alice_socket.send(typing)
    await alice_socket.ping()
    marker = await mark(mentor_maria)
    assert await maria_socket.receive() == marker  # too soon: dropped

    clock.advance(0.6)
    await alice_socket.send(typing)
    assert (await maria_socket.receive())["type"] == "typing"
    assert await db(Message.objects.count)() == 0  # typing is not stored


# --- Access per frame ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        lambda c, m: send_frame(c, "Let me in"),
        lambda c, m: {"type": "read", "conversation": c.pk, "up_to": m.pk},
        lambda c, m: {"type": "typing", "conversation": c.pk},
        lambda c, m: {"type": "edit", "message": m.pk, "body": "Changed"},
        lambda c, m: {"type": "delete", "message": m.pk},
    ],
    ids=["send", "read", "typing", "edit", "delete"],
)
async def test_outsider_gets_not_found_like_for_a_missing_id_and_nothing_changes(
    live: Live,
    conversation: Conversation,
    alice: User,
    oscar: User,
    frame: Callable[[Any, Any], dict[str, Any]],
) -> None:
    message = await db(store_message)(alice, conversation, "Private")
    oscar_socket = await live.connect(oscar)
    missing = SimpleNamespace(pk=conversation.pk + 1000)
    missing_message = SimpleNamespace(pk=message.pk + 1000)

    await oscar_socket.send(frame(conversation, message))
    foreign = await oscar_socket.receive_type("error")
    await oscar_socket.send(frame(missing, missing_message))
    absent = await oscar_socket.receive_type("error")

    assert foreign["code"] == absent["code"] == "not_found"
    assert foreign["message"] == absent["message"]
    await db(message.refresh_from_db)()
    assert (message.body, message.edited_at, message.deleted_at) == ("Private", None, None)
    assert await db(Message.objects.count)() == 1


async def test_a_block_takes_effect_on_the_open_socket(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    alice_socket = await live.connect(alice)
    await db(conversations.block)(blocker=mentor_maria, blocked=alice)
    frame = send_frame(conversation, "Are you there?")
    await alice_socket.send(frame)
    error = await alice_socket.receive_type("error")
    assert (error["code"], error["ref"]) == ("not_allowed", frame["client_id"])
    assert await db(Message.objects.count)() == 0


async def test_a_read_only_conversation_refuses_sends_on_the_open_socket(
    live: Live, conversation: Conversation, alice: User
) -> None:
    alice_socket = await live.connect(alice)
    await db(conversations.lock)(conversation=conversation)
    await alice_socket.send(send_frame(conversation, "Too late"))
    assert (await alice_socket.receive_type("error"))["code"] == "read_only"
    await alice_socket.send({"type": "typing", "conversation": conversation.pk})
    assert (await alice_socket.receive_type("error"))["code"] == "read_only"


async def test_outsider_receives_no_events_from_a_foreign_conversation(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User, oscar: User
) -> None:
    oscar_socket = await live.connect(oscar)
    assert oscar_socket.hello["conversations"] == []
    alice_socket = await live.connect(alice)
    await alice_socket.send(send_frame(conversation, "Just between us"))
    await alice_socket.send({"type": "typing", "conversation": conversation.pk})
    await alice_socket.replies_until_pong()
    message = await db(Message.objects.get)(conversation=conversation)
    await db(conversations.edit_message)(user=alice, message=message, body="Edited")
    await oscar_socket.send({"type": "typing", "conversation": conversation.pk})
    assert (await oscar_socket.receive())["code"] == "not_found"

    marker = await mark(oscar)
    assert await oscar_socket.receive() == marker


async def test_removal_from_a_group_takes_effect_on_the_open_socket(
    live: Live, pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User
) -> None:
    group = await db(conversations.create_group_conversation)(
        subject="Loop", context="group:1", member_ids=[alice.pk, mentor_maria.pk, staff_sam.pk]
    )
    alice_socket = await live.connect(alice)
    maria_socket = await live.connect(mentor_maria)
    assert alice_socket.hello["conversations"] == [group.pk]

    await db(conversations.set_participants)(
        conversation=group, user_ids=[mentor_maria.pk, staff_sam.pk]
    )
    assert await alice_socket.receive() == {
        "type": "membership",
        "action": "leave",
        "conversation": group.pk,
    }
    assert (await alice_socket.receive_type("unread"))["total"] == 0

    await maria_socket.send(send_frame(group, "Alice should not see this"))
    await maria_socket.send({"type": "typing", "conversation": group.pk})
    frames = await maria_socket.replies_until_pong()
    assert "ack" in {f["type"] for f in frames}
    marker = await mark(alice)
    assert await alice_socket.receive() == marker

    await alice_socket.send(send_frame(group, "Still here?"))
    assert (await alice_socket.receive_type("error"))["code"] == "not_found"


async def test_joining_a_group_subscribes_the_open_socket(
    live: Live, pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User
) -> None:
    group = await db(conversations.create_group_conversation)(
        subject="Loop", context="group:2", member_ids=[mentor_maria.pk, staff_sam.pk]
    )
    alice_socket = await live.connect(alice)
    assert alice_socket.hello["conversations"] == []
    await db(conversations.set_participants)(
        conversation=group, user_ids=[alice.pk, mentor_maria.pk, staff_sam.pk]
    )
    assert (await alice_socket.receive_type("membership"))["action"] == "join"
    await alice_socket.receive_type("unread")
    await db(store_message)(mentor_maria, group, "Welcome, Alice")
    new = await alice_socket.receive_type("message.new")
    assert new["message"]["body"] == "Welcome, Alice"


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
    monkeypatch.setattr(messaging_services, "enqueue", lambda **kwargs: None)
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
    await db(messaging_services.mark_read)(user=alice)
    for tab in (laptop, phone):
        assert await tab.receive() == {"type": "notifications", "unread": 0, "new": None}
    assert await db(Notification.objects.filter(user=mentor_maria).unread().count)() == 1


async def test_notifications_for_people_offline_send_no_live_events(
    pilot: Pilot, alice: User, mentor_maria: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messaging_services, "enqueue", lambda **kwargs: None)
    sent: list[Any] = []
    monkeypatch.setattr(events, "send_many_now", sent.append)
    await db(deliver_announcement)(pilot, "Nobody is online", [alice, mentor_maria])
    assert sent == []
    assert await db(Notification.objects.filter(subject="Nobody is online").count)() == 2


# --- Heartbeat -----------------------------------------------------------------------------


@pytest.fixture
def fast_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumers, "SLOT_HEARTBEAT", 0.05)
    monkeypatch.setattr(consumers, "PROBE_TIMEOUT", 0.5)


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
    assert await socket.close_code() == consumers.CLOSE_RECONNECT


async def test_a_frame_waiting_for_the_database_does_not_fail_the_probe(
    live: Live,
    conversation: Conversation,
    alice: User,
    fast_heartbeat: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The probe queues behind the frame; the layer is fine, so the socket stays."""
    real = consumers._may_type

    def slow(user: User, frame: dict[str, Any]) -> None:
        time.sleep(1.5)  # three probe timeouts
        real(user, frame)

    monkeypatch.setattr(consumers, "_may_type", slow)
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
    real = consumers._read

    def read_then_fail(user: User, frame: dict[str, Any]) -> None:
        real(user, frame)  # the marker is committed
        raise RuntimeError("something after the commit failed")

    monkeypatch.setattr(consumers, "_read", read_then_fail)
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

    async def lost(self: consumers.LiveConsumer, message: dict[str, Any]) -> None:
        return None

    monkeypatch.setattr(consumers.LiveConsumer, "live_probe", lost)
    assert await socket.close_code() == consumers.CLOSE_RECONNECT


# --- Sessions ending -----------------------------------------------------------------------


async def test_logout_closes_the_sockets_of_that_session_only(live: Live, alice: User) -> None:
    laptop, laptop_cookie = await db(signed_in)(alice)
    _phone, phone_cookie = await db(signed_in)(alice)
    laptop_socket = await live.connect_with(laptop_cookie)
    phone_socket = await live.connect_with(phone_cookie)

    response = await db(laptop.post)(reverse("account_logout"))
    assert response.status_code == 302
    assert await laptop_socket.close_code() == 4000
    await phone_socket.ping()

    again, _accepted = await live.open(laptop_cookie)  # the client reconnects: signed out
    assert await again.close_code() == 4401


async def test_password_change_closes_open_sockets(live: Live, alice: User) -> None:
    client, cookie = await db(signed_in)(alice)
    _other, other_cookie = await db(signed_in)(alice)
    socket = await live.connect_with(cookie)
    other_socket = await live.connect_with(other_cookie)

    response = await db(client.post)(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-horse-77", "password2": "a-new-horse-77"},
    )
    assert response.status_code == 302
    assert await socket.close_code() == 4000
    assert await other_socket.close_code() == 4000
    again, _accepted = await live.open(other_cookie)  # that session no longer signs in
    assert await again.close_code() == 4401


async def test_deactivation_in_the_admin_closes_open_sockets(
    live: Live, alice: User, make_user: Callable[..., User]
) -> None:
    admin = await db(make_user)("Ada Admin", is_staff=True)
    admin.is_superuser = True
    await db(admin.save)()
    socket = await live.connect(alice)
    admin_client, _cookie = await db(signed_in)(admin)

    response = await db(admin_client.post)(
        reverse("admin:profiles_user_change", args=[alice.pk]),
        {
            "email": alice.email,
            "display_name": alice.display_name,
            "groups": [],
            "user_permissions": [],
            # "is_active" left out: the checkbox is cleared
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    await db(alice.refresh_from_db)()
    assert not alice.is_active
    assert await socket.close_code() == 4000


async def test_an_account_deactivated_behind_the_sockets_back_is_noticed_within_30_seconds(
    live: Live, alice: User, clock: FakeClock
) -> None:
    socket = await live.connect(alice)
    # An update() sends no signal: only the socket's own recheck can notice.
    await db(User.objects.filter(pk=alice.pk).update)(is_active=False)
    clock.advance(29)
    await socket.ping()
    clock.advance(2)
    await socket.send({"type": "ping"})
    assert await socket.close_code() == 4401


async def test_a_password_set_without_a_signal_is_noticed_within_30_seconds(
    live: Live, alice: User, clock: FakeClock
) -> None:
    socket = await live.connect(alice)

    def set_password() -> None:  # as the admin's password form or `changepassword` do
        alice.set_password("another-horse-88")
        alice.save()

    await db(set_password)()
    await socket.ping()
    clock.advance(31)
    await socket.send({"type": "ping"})
    assert await socket.close_code() == 4401


# --- Abuse ---------------------------------------------------------------------------------


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

    async def gone(self: consumers.LiveConsumer, content: Any, close: bool = False) -> None:
        raise ConnectionResetError("the client went away")

    monkeypatch.setattr(consumers.LiveConsumer, "send_json", gone)
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
    monkeypatch.setattr(conversations, "timezone", SimpleNamespace(now=lambda: now))
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
    assert (await socket.receive_type("ack"))["created"] is True


# --- Bad input -----------------------------------------------------------------------------

TOO_DEEP = '{"type": "ping", "x": [[[[["deep"]]]]]}'
NOT_TOO_DEEP = '{"type": "ping", "x": [[["fine", "[[[[[[[[", "{{{{{{"]]]}'
HUGE_INT = '{"type": "read", "conversation": 1, "up_to": ' + "9" * 5000 + "}"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "invalid_json"),
        ("{'type': 'ping'}", "invalid_json"),
        ("", "invalid_json"),
        ("[1, 2]", "invalid"),
        ('"ping"', "invalid"),
        ("null", "invalid"),
        ("{}", "unknown_type"),
        ('{"type": "subscribe", "conversation": 1}', "unknown_type"),
        ('{"type": ["send"]}', "unknown_type"),
        ("[" * 8_000 + "]" * 8_000, "too_deep"),
        ('{"a":' * 2_500 + "1" + "}" * 2_500, "too_deep"),
        (TOO_DEEP, "too_deep"),
        ("[" * 3_000, "too_deep"),
        (HUGE_INT, "invalid_json"),
        ('{"type": "read", "conversation": 1, "up_to": ' + "9" * 4000 + "}", "invalid"),
        ('{"type": "read", "conversation": 1, "up_to": 1e3}', "invalid"),
        ('{"type": "read", "conversation": true, "up_to": 1}', "invalid"),
        ('{"type": "read", "conversation": -1, "up_to": 1}', "invalid"),
        ('{"type": "read", "conversation": "1", "up_to": 1}', "invalid"),
        ('{"type": "typing"}', "invalid"),
        ('{"type": "delete", "message": NaN}', "invalid"),
        ('{"type": "edit", "message": 1, "body": 5}', "invalid"),
        ('{"type": "send", "conversation": 1, "body": "hi", "client_id": "nope"}', "invalid"),
        ('{"type": "send", "conversation": 1, "body": "hi"}', "invalid"),
        ('{"type": "send", "conversation": 1, "body": "   ", "client_id": "%s"}', "invalid"),
        ('{"type": "send", "conversation": 1, "body": "a\\u0000b", "client_id": "%s"}', "invalid"),
        ('{"type": "send", "conversation": 1, "body": "a\\ud800b", "client_id": "%s"}', "invalid"),
        ('{"type": "edit", "message": 1, "body": "\\udfff"}', "invalid"),
        ('{"type": "send", "conversation": 1, "body": "%s", "client_id": "%s"}', "invalid"),
        ('{"type": "ping", "pad": "' + "x" * FRAME_MAX_BYTES + '"}', "too_large"),
        ('{"type": "ping", "pad": "' + "ä" * (FRAME_MAX_BYTES // 2) + '"}', "too_large"),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else value,
)
async def test_each_kind_of_bad_frame_gets_an_error_frame_and_the_socket_lives(
    live: Live, conversation: Conversation, alice: User, text: str, code: str
) -> None:
    client_id = str(uuid.uuid4())
    if text.count("%s") == 2:  # the overlong body
        text = text % ("x" * 4001, client_id)
    elif "%s" in text:
        text = text % client_id
    socket = await live.connect(alice)
    await socket.send_text(text)
    error = await socket.receive_type("error")
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["ref"] in (None, client_id)
    await socket.ping()
    assert await db(Message.objects.count)() == 0


async def test_a_binary_frame_gets_an_error_frame_and_the_socket_lives(
    live: Live, alice: User
) -> None:
    socket = await live.connect(alice)
    await socket.send_bytes(b'{"type": "ping"}')
    assert (await socket.receive_type("error"))["code"] == "binary"
    await socket.ping()


async def test_an_overlong_message_is_refused_naming_the_limit(
    live: Live, conversation: Conversation, alice: User
) -> None:
    socket = await live.connect(alice)
    frame = send_frame(conversation, "x" * 4001)
    await socket.send(frame)
    error = await socket.receive_type("error")
    assert error["code"] == "invalid"
    assert "4000" in error["message"]
    assert error["ref"] == frame["client_id"]
    await socket.send(send_frame(conversation, "x" * 4000))
    assert (await socket.receive_type("ack"))["created"] is True


async def test_brackets_inside_strings_do_not_count_as_nesting(live: Live, alice: User) -> None:
    socket = await live.connect(alice)
    await socket.send_text(NOT_TOO_DEEP)
    assert await socket.receive() == {"type": "pong"}


def test_nesting_is_measured_without_parsing() -> None:
    assert not nested_deeper_than('{"a": [[["x"]]]}', 4)
    assert nested_deeper_than('{"a": [[[["x"]]]]}', 4)
    assert not nested_deeper_than('{"a": "[[[[[[\\"[[[["}', 4)
    assert nested_deeper_than('{"a": "\\\\", "b": [[[[1]]]]}', 4)  # an escaped backslash


async def assert_only_valid_replies(socket: Socket) -> None:
    """Every frame up to the pong is a known reply type, errors well-formed; no close."""
    for frame in await socket.replies_until_pong():
        assert frame["type"] in REPLY_TYPES, frame
        if frame["type"] == "error":
            assert isinstance(frame["code"], str)
            assert isinstance(frame["message"], str)
            assert frame["message"]
            assert frame["ref"] is None or uuid.UUID(frame["ref"])


def json_containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=10), children, max_size=4
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    json_containers,
    max_leaves=20,
)
any_text = st.text(st.characters(exclude_categories=()), max_size=200)  # lone surrogates too
FUZZ = hypothesis_settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    frames=st.lists(
        st.one_of(
            any_text,
            json_values.map(json.dumps),
            st.binary(max_size=100),
            st.integers(5, 5000).map(lambda n: "[" * n + "]" * n),
            st.integers(4301, 8000).map(lambda n: '{"type": "ping", "n": ' + "7" * n + "}"),
            st.integers(FRAME_MAX_BYTES + 1, FRAME_MAX_BYTES + 4000).map(lambda n: " " * n),
        ),
        min_size=1,
        max_size=4,
    )
)
async def test_random_frames_never_crash_or_close_the_socket(
    live: Live, alice: User, frames: list[str | bytes]
) -> None:
    socket = await live.connect(alice)
    for frame in frames:
        if isinstance(frame, bytes):
            await socket.send_bytes(frame)
        else:
            await socket.send_text(frame)
        await assert_only_valid_replies(socket)
    await live.close(socket)


@FUZZ
@given(data=st.data())
async def test_protocol_shaped_frames_with_random_fields_get_a_reply_or_an_error(
    live: Live, conversation: Conversation, alice: User, data: st.DataObject
) -> None:
    ids = st.one_of(
        st.sampled_from([conversation.pk, conversation.pk + 1, 0, -1, 2**63, 2**64]),
        json_values,
    )
    body = st.one_of(any_text, st.sampled_from(["Hi", "a\x00b", "\ud83d", "x" * 4001]))
    client_id = st.one_of(st.uuids().map(str), any_text)
    frame = data.draw(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["send", "edit", "delete", "read", "typing", "ping"])},
            optional={
                "conversation": ids,
                "message": ids,
                "up_to": ids,
                "body": body,
                "client_id": client_id,
                "extra": json_values,
            },
        )
    )
    socket = await live.connect(alice)
    await socket.send(frame)
    await assert_only_valid_replies(socket)
    await live.close(socket)


def test_error_frames_speak_the_language_of_the_page() -> None:
    finnish: dict[str, Any] = {"headers": [(b"accept-language", b"fi-FI,fi;q=0.9,en;q=0.5")]}
    assert consumers._language(finnish) == "fi"
    chosen: dict[str, Any] = {
        "headers": [(b"accept-language", b"fi")],
        "cookies": {settings.LANGUAGE_COOKIE_NAME: "en"},
    }
    assert consumers._language(chosen) == "en"  # the language the person picked wins
