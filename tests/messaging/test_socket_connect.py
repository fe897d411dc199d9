"""The socket's handshake at /ws/: hello and unread counts, the session and Origin checks,
and a backend that fails at connect.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer.
"""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from messaging import events
from messaging.live import database as live_database
from messaging.models import Conversation
from profiles.models import User
from tests.support.sockets import (
    Live,
    db,
    mark,
    signed_in,
    store_message,
)

pytestmark = pytest.mark.django_db(transaction=True)


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

    monkeypatch.setattr(live_database, "starting_state", database_down)
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
