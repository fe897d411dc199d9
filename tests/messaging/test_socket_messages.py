"""Messages over the socket: live delivery to both participants, acks, idempotent sends,
edits and deletes, read state and typing.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer.
"""

from __future__ import annotations

import pytest

from messaging.models import Conversation, Message
from profiles.models import User
from tests.support.sockets import (
    FakeClock,
    Live,
    db,
    mark,
    send_frame,
    store_message,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
