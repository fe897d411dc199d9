"""Bad input on the socket (also property-based): an error frame, never a crash or a closed
socket.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from messaging.live import FRAME_MAX_BYTES, nested_deeper_than, page_language
from messaging.models import Conversation, Message
from profiles.models import User
from tests.support.sockets import (
    Live,
    Socket,
    db,
    send_frame,
)

pytestmark = pytest.mark.django_db(transaction=True)

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
    assert page_language(finnish) == "fi"
    chosen: dict[str, Any] = {
        "headers": [(b"accept-language", b"fi")],
        "cookies": {settings.LANGUAGE_COOKIE_NAME: "en"},
    }
    assert page_language(chosen) == "en"  # the language the person picked wins
