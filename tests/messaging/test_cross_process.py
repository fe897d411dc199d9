"""Live messages across server processes: two uvicorn processes on the same Redis channel layer
and the test database, a `websockets` client on each; a message sent through one arrives live
through the other.

Main pass only (`make test`, which starts PostgreSQL and Redis): the servers are other
processes, so they need a database and a channel layer that processes share.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from messaging.models import Conversation, Message
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User
from tests.support.processes import Server, database_url
from tests.support.sockets import open_socket, receive_type, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_servers(transactional_db: None, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        pytest.fail(
            "The cross-process test starts two ASGI servers sharing a Redis channel layer: run "
            '`make test ARGS="tests/messaging/test_cross_process.py"`, which starts PostgreSQL '
            "and Redis (REDIS_URL is not set)."
        )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "mentoring.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        # The test process signs the sessions the servers read.
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "1",
        "HTTPS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    servers: list[Server] = []
    try:
        for number in (1, 2):
            servers.append(Server(env, tmp_path / f"uvicorn-{number}.log"))
        for server in servers:
            server.wait_healthy()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


def test_message_sent_through_one_server_arrives_live_through_the_other(
    two_servers: tuple[Server, Server], pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    first, second = two_servers
    conversation = conversations.start_direct(
        sender=alice, recipient=mentor_maria, subject="Two servers, one conversation"
    )
    _client, alice_cookie = signed_in(alice)
    _client, maria_cookie = signed_in(mentor_maria)

    async def chat() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        alice_socket, hello = await open_socket(first, alice_cookie)
        maria_socket, _hello = await open_socket(second, maria_cookie)
        assert hello["conversations"] == [conversation.pk]
        try:
            client_id = str(uuid.uuid4())
            await alice_socket.send(
                json.dumps(
                    {
                        "type": "send",
                        "conversation": conversation.pk,
                        "body": "Hello from server one",
                        "client_id": client_id,
                    }
                )
            )
            ack = await receive_type(alice_socket, "ack")
            arrived = await receive_type(maria_socket, "message.new", sender=alice)
            await maria_socket.send(
                json.dumps(
                    {
                        "type": "send",
                        "conversation": conversation.pk,
                        "body": "And back from server two",
                        "client_id": str(uuid.uuid4()),
                    }
                )
            )
            answer = await receive_type(alice_socket, "message.new", sender=mentor_maria)
            return ack, arrived, answer
        finally:
            await alice_socket.close()
            await maria_socket.close()

    ack, arrived, answer = asyncio.run(chat())

    stored = list(Message.objects.filter(conversation=conversation).order_by("pk"))
    assert [m.body for m in stored] == ["Hello from server one", "And back from server two"]
    assert ack["message"] == stored[0].pk
    assert ack["created"] is True
    assert arrived["message"]["id"] == stored[0].pk
    assert arrived["message"]["sender"] == alice.pk
    assert answer["message"]["id"] == stored[1].pk
    assert answer["message"]["sender"] == mentor_maria.pk
    assert Conversation.objects.get(pk=conversation.pk).last_message_at is not None
