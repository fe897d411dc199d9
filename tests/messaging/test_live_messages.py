"""A message goes out rendered, once: "message.new" and "message.changed" carry the
conversation page's own markup of the message, rendered once per language for every viewer
(the sender's controls and the report link both in it, no CSRF token), and each socket gets
its page's language; the history API that a reconnecting tab asks carries the same. The
socket's session recheck is Django's own `get_user`.

Through the full ASGI application, on PostgreSQL and Redis in the main pass.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from django.utils import translation

from messaging import events
from messaging.live.database import signed_in_user
from messaging.models import Conversation, Message
from messaging.services import reports
from profiles.models import User
from tests.support.html import Html
from tests.support.sockets import Live, Socket, db, send_frame, signed_in, store_message

pytestmark = pytest.mark.django_db(transaction=True)

FINNISH = "fi-FI,fi;q=0.9"
ENGLISH = "en-GB,en;q=0.9"


async def next_of(socket: Socket, kind: str) -> dict[str, Any]:
    """The next frame of this type: a sender's ack and its own message.new come in either
    order, and an "unread" may come between."""
    for _skipped in range(5):
        frame = await socket.receive()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


# --- Over the socket --------------------------------------------------------------------


async def test_a_new_message_arrives_rendered_in_the_language_of_each_page(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    alice_socket = await live.connect(alice, language=ENGLISH)
    maria_socket = await live.connect(mentor_maria, language=FINNISH)
    await alice_socket.send(send_frame(conversation, "Where do I <b>start</b>?"))

    english = (await next_of(alice_socket, "message.new"))["message"]
    finnish = (await next_of(maria_socket, "message.new"))["message"]

    message = await db(Message.objects.get)(conversation=conversation)
    for html in (english["html"], finnish["html"]):
        item = Html(html)
        assert item.root.get("id") == f"message-{message.pk}"
        assert item.root.get("data-sender") == str(alice.pk)
        assert item.text(".chat-body") == "Where do I <b>start</b>?"  # as text, not markup
        assert item.count("b") == 0
        assert item.count("[data-own-actions]") == 1  # for any viewer: chat.js keeps one
        assert item.count("[data-report]") == 1
        assert item.count("input[name=csrfmiddlewaretoken]") == 0  # the page adds its own
    assert Html(english["html"]).text("[data-report]") == "Report"
    assert Html(english["html"]).text("[data-edit]") == "Edit"
    assert Html(finnish["html"]).text("[data-report]") == "Ilmoita asiattomuudesta"
    assert Html(finnish["html"]).text("[data-edit]") == "Muokkaa"
    assert {key: value for key, value in english.items() if key != "html"} == {
        key: value for key, value in finnish.items() if key != "html"
    }


async def test_a_message_is_rendered_once_per_language_not_once_per_socket(
    live: Live,
    conversation: Conversation,
    alice: User,
    mentor_maria: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rendered: list[int] = []
    real = events.message_html

    def counting(message: Message, *, read_only: bool) -> str:
        rendered.append(message.pk)
        return real(message, read_only=read_only)

    monkeypatch.setattr(events, "message_html", counting)
    receivers = [
        await live.connect(alice, language=ENGLISH),
        await live.connect(alice, language=FINNISH),
        await live.connect(mentor_maria, language=ENGLISH),
        await live.connect(mentor_maria, language=FINNISH),
    ]
    message = await db(store_message)(alice, conversation, "Once")
    for socket in receivers:
        assert (await next_of(socket, "message.new"))["message"]["id"] == message.pk
    assert rendered == [message.pk] * len(settings.LANGUAGES)


async def test_edits_deletions_and_hiding_arrive_rendered(
    live: Live, conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    message = await db(store_message)(alice, conversation, "Typo hree")
    alice_socket = await live.connect(alice)
    maria_socket = await live.connect(mentor_maria)

    await alice_socket.send({"type": "edit", "message": message.pk, "body": "Typo here"})
    for socket in (alice_socket, maria_socket):
        item = Html((await next_of(socket, "message.changed"))["message"]["html"])
        assert item.text(".chat-body") == "Typo here"
        assert item.text(".chat-meta").endswith("· edited")

    await alice_socket.send({"type": "delete", "message": message.pk})
    for socket in (alice_socket, maria_socket):
        item = Html((await next_of(socket, "message.changed"))["message"]["html"])
        assert item.text(".chat-body") == "This message was deleted"
        assert item.count("[data-own-actions], [data-report], textarea") == 0

    other = await db(store_message)(mentor_maria, conversation, "Something rude")
    await next_of(alice_socket, "message.new")
    await db(reports.hide_message)(message=other)
    item = Html((await next_of(alice_socket, "message.changed"))["message"]["html"])
    assert item.text(".chat-body") == "Hidden by a moderator"


# --- The markup and the history API -----------------------------------------------------


def test_a_read_only_conversation_renders_no_edit_controls(
    conversation: Conversation, alice: User
) -> None:
    message = store_message(alice, conversation, "Before the pilot closed")

    writable = Html(events.message_html(message, read_only=False))
    read_only = Html(events.message_html(message, read_only=True))

    assert writable.count("[data-own-actions]") == 1
    assert read_only.count("[data-own-actions]") == 0
    assert read_only.count("[data-report]") == 1  # reporting stays possible


def test_the_history_api_carries_the_markup_in_the_language_of_the_page(
    conversation: Conversation, alice: User, mentor_maria: User
) -> None:
    first = store_message(alice, conversation, "First")
    second = store_message(alice, conversation, "Second https://example.com")
    client = Client()
    client.force_login(mentor_maria)
    url = reverse("messaging:history_json", args=[conversation.pk])

    data = client.get(url, {"after": first.pk}, HTTP_ACCEPT_LANGUAGE="fi").json()

    [shown] = data["messages"]
    with translation.override("fi"):
        expected = events.message_payload(second, read_only=False)
    assert shown == json.loads(json.dumps(expected))  # the payload of "message.new"
    item = Html(shown["html"])
    assert item.text("[data-edit]") == "Muokkaa"
    assert item.attr(".chat-body a", "href") == "https://example.com"


# --- The session recheck ----------------------------------------------------------------


def test_the_session_recheck_is_djangos_get_user(alice: User, mentor_maria: User) -> None:
    client, _cookie = signed_in(alice)
    key = client.session.session_key
    assert key is not None
    assert signed_in_user(alice.pk, key) == alice
    assert signed_in_user(mentor_maria.pk, key) is None  # the session signs in someone else
    assert signed_in_user(alice.pk, None) is None
    assert signed_in_user(alice.pk, "no-such-session") is None

    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert signed_in_user(alice.pk, key) is None
    User.objects.filter(pk=alice.pk).update(is_active=True)
    assert signed_in_user(alice.pk, key) == alice

    alice.set_password("another-horse-88")
    alice.save()
    assert signed_in_user(alice.pk, key) is None
    assert not SessionStore().exists(key)  # flushed, as a page request would
