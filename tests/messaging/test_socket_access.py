"""Access per frame on an open socket: outsiders get "not found" like for a missing id, blocks,
read-only conversations, removal from and joining a group take effect on sockets already open.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from messaging.models import Conversation, Message
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User
from tests.support.sockets import (
    Live,
    db,
    mark,
    send_frame,
    store_message,
)

pytestmark = pytest.mark.django_db(transaction=True)


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
