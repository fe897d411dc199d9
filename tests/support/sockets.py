"""WebSocket helpers, not fixtures (those are in tests/messaging/conftest.py).

In this process: `Live` opens sockets on the full ASGI application (Origin check, session,
consumer) through Channels' communicator, `Socket` sends frames and receives them, `mark(user)`
sends a marker event that must be the next frame (how a test says "nothing else arrived").

Against a server in another process (tests/support/processes.py's `Server`): `open_socket`,
`receive` and `receive_type` speak to it with a `websockets` client.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from mentoring.asgi import application
from messaging import events
from messaging.models import Conversation, Message
from messaging.services import conversations
from profiles.models import User
from tests.support.processes import Server

ORIGIN = (b"origin", b"http://127.0.0.1")
WAIT = 5.0  # seconds: the longest a frame that must arrive may take
SERVER_WAIT = 10.0  # seconds a live message may take through a server in another process
db = database_sync_to_async


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
        self,
        cookie: bytes | None,
        *,
        origin: tuple[bytes, bytes] | None = ORIGIN,
        language: str | None = None,
    ) -> tuple[Socket, bool]:
        headers = [origin] if origin else []
        if cookie:
            headers.append((b"cookie", cookie))
        if language:  # the browser's Accept-Language
            headers.append((b"accept-language", language.encode()))
        communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
        self.communicators.append(communicator)
        accepted, _subprotocol = await communicator.connect(timeout=WAIT)
        return Socket(communicator), accepted

    async def connect(self, user: User, *, language: str | None = None) -> Socket:
        _client, cookie = await db(signed_in)(user)
        return await self.connect_with(cookie, language=language)

    async def connect_with(self, cookie: bytes, *, language: str | None = None) -> Socket:
        socket, accepted = await self.open(cookie, language=language)
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


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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


async def open_socket(server: Server, cookie: bytes) -> tuple[ClientConnection, dict[str, Any]]:
    socket = await connect(
        server.ws_url,
        origin=Origin("http://127.0.0.1"),
        additional_headers={"Cookie": cookie.decode()},
    )
    hello = await receive(socket)
    assert hello["type"] == "hello", hello
    assert (await receive(socket))["type"] == "unread"
    assert (await receive(socket))["type"] == "notifications"
    return socket, hello


async def receive(socket: ClientConnection) -> dict[str, Any]:
    frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=SERVER_WAIT))
    assert isinstance(frame, dict)
    return frame


async def receive_type(
    socket: ClientConnection, kind: str, *, sender: User | None = None
) -> dict[str, Any]:
    """The next frame of this type (and sender): an ack and the sender's own copy of the
    message may come in either order."""
    while True:
        frame = await receive(socket)
        if frame["type"] == kind and (sender is None or frame["message"]["sender"] == sender.pk):
            return frame
