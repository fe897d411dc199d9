"""Live events: what a browser tab hears over its socket, sent after commit through the
channel layer.

Every payload a client gets is built by `envelope()`: a JSON object with a "type".
Server -> client:
    {"type": "hello", "user": <id>, "conversations": [<id>...]}     after connecting
    {"type": "unread", "conversations": {"<id>": <n>}, "latest": {"<id>": <newest unread id>},
     "total": <n>}                                    after hello, read, membership
    {"type": "notifications", "unread": <n>, "new": {"subject", "url"} | null}
                                                      after hello and when they change
    {"type": "ack", "client_id": <uuid>, "message": <id>, "created": <bool>}   (a resend: false)
    {"type": "message.new" | "message.changed", "message": {"id", "conversation", "sender",
     "sender_name", "body", "created_at", "edited", "deleted", "hidden", "client_id",
     "html"}}                    "html": the message as the page shows it (`message_html`)
    {"type": "read", "conversation": <id>, "last_read_id": <id>}
    {"type": "typing", "conversation": <id>, "user": <id>, "name": <str>}
    {"type": "membership", "action": "join" | "leave", "conversation": <id>}
    {"type": "error", "code": <str>, "message": <translated str>, "ref": <client_id or null>}
    {"type": "pong"}

A message is rendered once per language when it is stored or changes, not once per tab: the
event carries every language's markup through the channel layer, and each socket forwards
its page's one. The tab shows it as it comes, with no request of its own.

The channel layer is at-most-once; the database is the truth. A client that missed events
(a reconnect, Redis restarted) asks over HTTP for what came after the last id it saw
(messages.json: the same message payloads, in the page's language).
Groups: `user.<id>` (every socket of one user) and `conversation.<id>` (every socket of its
participants; the consumer joins and leaves these on "membership" events).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Coroutine, Iterable, Iterator
from contextvars import ContextVar
from functools import partial
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from messaging.models import Message

logger = logging.getLogger(__name__)

MESSAGE_EVENTS = ("message.new", "message.changed")
MESSAGE_PARTIAL = "messaging/conversation.html#message"


def envelope(kind: str, **fields: Any) -> dict[str, Any]:
    """A payload for clients: {"type": kind, **fields} (the types are listed above)."""
    return {"type": kind, **fields}


def to_layer(payload: dict[str, Any]) -> dict[str, Any]:
    """A payload as the channel layer carries it to the consumers ("live.event")."""
    return {"type": "live.event", "event": payload}


def unread(state: dict[int, tuple[int, int]]) -> dict[str, Any]:
    """The "unread" payload of `conversations.unread_state`."""
    return envelope(
        "unread",
        conversations={str(pk): n for pk, (n, _latest) in sorted(state.items())},
        latest={str(pk): latest for pk, (_n, latest) in sorted(state.items())},
        total=sum(n for n, _latest in state.values()),
    )


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def socket_slot_key(user_id: int, number: int) -> str:
    """The cache key of one of a user's open-socket slots (held by the consumer: at most
    MAX_SOCKETS_PER_USER sockets per user)."""
    return f"ws-slot:{user_id}:{number}"


def online_key(user_id: int) -> str:
    """The cache key that says a user has a socket open: set by each of their sockets and
    kept alive by its heartbeat; the last one to close deletes it."""
    return f"ws-online:{user_id}"


def online_user_ids(user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` with an open socket now: one cache round trip, one key each (a
    broadcast asks this for 1,000 people at a time)."""
    keys = {online_key(uid): uid for uid in user_ids}
    if not keys:
        return set()
    try:
        found = cache.get_many(list(keys))
    except Exception:  # the cache (Redis) is down: nobody counts as online, so they are told
        logger.warning("Online check failed: cache unavailable", exc_info=True)
        return set()
    return {keys[key] for key in found}


# Set by `deferred()`: events of the work inside are kept here instead of being sent.
_deferred: ContextVar[list[tuple[str, dict[str, Any]]] | None] = ContextVar(
    "deferred_live_events", default=None
)


@contextlib.contextmanager
def deferred() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Collect the live events of the database work inside (run in a thread, which copies the
    context) so that async code sends them afterwards with `asend`: the database thread does
    not wait for Redis. Used by the WebSocket consumer."""
    collected: list[tuple[str, dict[str, Any]]] = []
    token = _deferred.set(collected)
    try:
        yield collected
    finally:
        _deferred.reset(token)


async def asend(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Send events collected by `deferred()`, in order, from async code."""
    layer = get_channel_layer()
    if layer is None:
        return
    for group, payload in events:
        try:
            await layer.group_send(group, to_layer(payload))
        except Exception:  # the layer is down: see send_now
            logger.warning("Live event to %s not sent", group, exc_info=True)


SEND_TIMEOUT = 5.0  # seconds a sender waits for the channel layer

_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0
_loop_lock = threading.Lock()


def _events_loop() -> asyncio.AbstractEventLoop:
    """This process's long-lived event loop for live events, in a thread of its own (started
    on first use, again after a fork)."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-events", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def run_on_layer(sending: Coroutine[Any, Any, None]) -> None:
    """Run a channel-layer coroutine from synchronous code and wait for it.

    In a thread of an ASGI server (a view, a consumer's database work) asgiref runs it on the
    server's loop. Anywhere else (gunicorn's sync workers, Celery, a management command)
    asgiref would start a new loop, and with it a new Redis connection, for every event: it
    runs on this process's own events loop instead, whose connection stays open.
    """
    main = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if main is not None and getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == (
        os.getpid()
    ):

        async def wrapped() -> None:
            await sending

        try:
            async_to_sync(wrapped)()
        finally:
            sending.close()  # a no-op once awaited; else no "never awaited" warning
        return
    asyncio.run_coroutine_threadsafe(sending, _events_loop()).result(timeout=SEND_TIMEOUT)


def send_now(group: str, payload: dict[str, Any]) -> None:
    collecting = _deferred.get()
    if collecting is not None:
        collecting.append((group, payload))
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        run_on_layer(layer.group_send(group, to_layer(payload)))
    except Exception:  # the layer is down: stored data stays, clients resync from the database
        logger.warning("Live event to %s not sent", group, exc_info=True)


def send_after_commit(group: str, payload: dict[str, Any]) -> None:
    transaction.on_commit(partial(send_now, group, payload), robust=True)


def send_many_now(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Several events in one trip to the event loop (a broadcast to everyone online)."""
    collecting = _deferred.get()
    if collecting is not None:
        collecting.extend(messages)
        return
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, payload in messages:
            await layer.group_send(group, to_layer(payload))

    try:
        run_on_layer(send_all())
    except Exception:  # the layer is down: see send_now
        logger.warning("Live events to %d groups not sent", len(messages), exc_info=True)


def message_html(message: Message, *, read_only: bool) -> str:
    """The message as the conversation page shows it, for any of its viewers, in the active
    language: the page's own partial, with the sender's controls and the report link both
    in it, and no CSRF token (chat.js keeps what applies to its viewer)."""
    return render_to_string(
        MESSAGE_PARTIAL,
        {
            "message": message,
            "live": True,
            "read_only": read_only,
            "body_max_length": Message._meta.get_field("body").max_length,
        },
    ).strip()


def message_payload(message: Message, *, read_only: bool) -> dict[str, Any]:
    """A message as clients get it, its "html" in the active language."""
    return {**_message_fields(message), "html": message_html(message, read_only=read_only)}


def _message_fields(message: Message) -> dict[str, Any]:
    visible, sender = message.is_visible, message.sender
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "sender": message.sender_id,
        "sender_name": sender.display_name if sender else "",
        "body": message.body if visible else "",
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "deleted": message.deleted_at is not None,
        "hidden": message.hidden_at is not None,
        "client_id": str(message.client_id),
    }


def message_event(kind: str, message: Message) -> dict[str, Any]:
    """The event of a message for every socket: its markup in each of the site's languages
    (`in_language` keeps one)."""
    read_only = message.conversation.is_read_only
    html = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            html[language] = message_html(message, read_only=read_only)
    return envelope(kind, message={**_message_fields(message), "html": html})


def in_language(event: dict[str, Any], language: str) -> dict[str, Any]:
    """The event as a page in `language` gets it: a message's markup in that language only."""
    message = event.get("message")
    if event.get("type") not in MESSAGE_EVENTS or not isinstance(message, dict):
        return event
    html = message.get("html")
    if not isinstance(html, dict):
        return event
    chosen = html.get(language) or html.get(settings.LANGUAGE_CODE) or ""
    return {**event, "message": {**message, "html": chosen}}


def _send_message_event(kind: str, message: Message) -> None:
    # Built after the commit: rendering does not hold the transaction's locks.
    send_now(conversation_group(message.conversation_id), message_event(kind, message))


def message_created(message: Message) -> None:
    transaction.on_commit(partial(_send_message_event, "message.new", message), robust=True)


def message_changed(message: Message) -> None:
    transaction.on_commit(partial(_send_message_event, "message.changed", message), robust=True)


def read(*, user_id: int, conversation_id: int, last_read_id: int) -> None:
    send_after_commit(
        user_group(user_id),
        envelope("read", conversation=conversation_id, last_read_id=last_read_id),
    )


def joined(*, conversation_id: int, user_ids: list[int]) -> None:
    for user_id in user_ids:
        send_after_commit(
            user_group(user_id),
            envelope("membership", action="join", conversation=conversation_id),
        )


def left(*, conversation_id: int, user_ids: list[int]) -> None:
    for user_id in user_ids:
        send_after_commit(
            user_group(user_id),
            envelope("membership", action="leave", conversation=conversation_id),
        )


def notifications_changed(user_ids: list[int], *, new: dict[str, str] | None = None) -> None:
    """The users' in-app notifications changed (a new one, or some were read): their sockets
    count the unread ones again and update the navigation; `new` ({"subject", "url"}) is also
    announced on the page. Send it only to users who are online (it is a no-op otherwise)."""
    # Not for the client as it is: each socket counts and sends "notifications".
    payload = envelope("notifications.changed", new=new)
    messages = [(user_group(user_id), payload) for user_id in user_ids]
    transaction.on_commit(partial(send_many_now, messages), robust=True)


def end_sessions(user_id: int, *, session_key: str | None = None) -> None:
    """Close the user's open sockets: all of them, or only those of one session (a logout).

    Called on logout, password change and deactivation. The sockets close with code 4000
    ("reconnect"); a reconnecting socket whose session no longer signs anyone in is refused
    with 4401, one whose session survived (the tab that changed the password) carries on.
    """
    message: dict[str, Any] = {"type": "live.close", "session": session_key}
    transaction.on_commit(partial(_send_control, user_group(user_id), message), robust=True)


def _send_control(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        run_on_layer(layer.group_send(group, message))
    except Exception:  # the layer is down: the consumer's per-frame check still ends them
        logger.warning("Closing the sockets of %s failed", group, exc_info=True)
