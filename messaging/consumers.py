"""The one WebSocket of a browser tab, at /ws/ (DESIGN.md §4). JSON text frames.

Client -> server (at most 16 KB, a JSON object nested at most 4 deep, a known "type"):
    {"type": "send", "conversation": <id>, "body": <str>, "client_id": <uuid>}
    {"type": "edit", "message": <id>, "body": <str>}
    {"type": "delete", "message": <id>}
    {"type": "read", "conversation": <id>, "up_to": <message id>}
    {"type": "typing", "conversation": <id>}      (at most one per 2 s and conversation)
    {"type": "ping"}
Server -> client:
    {"type": "hello", "user": <id>, "conversations": [<id>...]}     after connecting
    {"type": "unread", "conversations": {"<id>": <n>}, "latest": {"<id>": <newest unread id>},
     "total": <n>}                                    after hello, read, membership
    {"type": "notifications", "unread": <n>, "new": {"subject", "url"} | null}
                                                      after hello and when they change
    {"type": "ack", "client_id": <uuid>, "message": <id>, "created": <bool>}   (a resend: false)
    {"type": "message.new" | "message.changed", "message": {...}}   (events.message_payload)
    {"type": "read", "conversation": <id>, "last_read_id": <id>}
    {"type": "typing", "conversation": <id>, "user": <id>, "name": <str>}
    {"type": "membership", "action": "join" | "leave", "conversation": <id>}
    {"type": "error", "code": <str>, "message": <translated str>, "ref": <client_id or null>}
    {"type": "pong"}
Error codes: binary, too_large, too_deep, invalid_json, invalid, unknown_type, not_found,
not_allowed, read_only, rate_limited, server_error. Close codes: 4000 reconnect (the session
ended or changed), 4401 not signed in, 4429 too many open sockets, 1011 try again later.
A client that reconnects asks GET /conversations/<id>/messages.json?after=<last seen id>.

On connect a signed-in, active user within the cap on open sockets joins `user.<id>` and the
groups of their conversations. Every frame is checked before it is parsed (text only, size,
nesting depth), then for its shape and field types, then authorised against the database
through `messaging.access` (a conversation or message the user is not in answers "not_found",
the same as a missing id) and handed to the services in `messaging.conversations`. A bad frame
gets an error frame; the socket lives.

Live events arrive from `messaging.events` as {"type": "live.event", "event": {...}} and are
forwarded; "membership" events make the socket join or leave a conversation's group first.
{"type": "live.close"} (logout, password change, deactivation) closes the socket.
A heartbeat keeps the socket's slot and probes the channel layer; a failed probe closes the
socket with 4000, so the client reconnects and resyncs instead of silently missing events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from messaging import access, conversations, events
from messaging.forms import body_field
from messaging.models import Conversation, Notification

logger = logging.getLogger(__name__)

# Close codes the client acts on: reconnect (4000), sign in again (4401), wait (4429).
CLOSE_RECONNECT = 4000
CLOSE_SIGNED_OUT = 4401
CLOSE_TOO_MANY_SOCKETS = 4429
CLOSE_SERVER_ERROR = 1011
CLOSE_GONE = 1006  # the connection dropped without a close frame

FRAME_MAX_BYTES = 16 * 1024
FRAME_MAX_DEPTH = 4
MAX_ID = 2**63 - 1  # PostgreSQL bigint
TYPING_INTERVAL = 2.0  # seconds between two typing events per conversation and socket
# Seconds a socket trusts its last "still active and signed in by its session": this catches
# what no signal reports (an update() of is_active, a password set in the admin or the shell).
RECHECK_INTERVAL = 30.0
# Each open socket holds one of the user's MAX_SOCKETS_PER_USER slots in the shared cache;
# a heartbeat keeps it, so the slots of a crashed process free themselves after SLOT_TTL.
SLOT_TTL = 120
SLOT_HEARTBEAT = SLOT_TTL / 3
# The heartbeat also sends a probe to the socket's own channel through the channel layer: one
# that fails or does not come back within PROBE_TIMEOUT seconds means this socket may miss
# events (Redis went away), so it closes with 4000 and the client reconnects and resyncs.
PROBE_TIMEOUT = 10.0


# What the server and the channel layer may send to a consumer.
HANDLED = {
    "websocket.connect",
    "websocket.receive",
    "websocket.disconnect",
    "live.event",
    "live.close",
    "live.probe",
}


def clock() -> float:
    """Monotonic seconds; tests replace it to move time."""
    return time.monotonic()


@dataclass
class FrameError(Exception):
    """A frame refused before it reached a service."""

    code: str
    message: str | Promise
    ref: str | None = None


NOT_FOUND = _("No such conversation or message.")

BODY_FIELD = body_field()

# Fields of each frame type: "id" a positive integer, "marker" zero or more, "text" a message
# body, "uuid" a client id. Fields that are not listed are ignored.
FRAMES: dict[str, dict[str, str]] = {
    "send": {"conversation": "id", "body": "text", "client_id": "uuid"},
    "edit": {"message": "id", "body": "text"},
    "delete": {"message": "id"},
    "read": {"conversation": "id", "up_to": "marker"},
    "typing": {"conversation": "id"},
    "ping": {},
}


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON text nests arrays and objects deeper than `limit`, found without parsing
    (json.loads recurses per level). Brackets inside strings do not count."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _client_ref(content: dict[str, Any]) -> str | None:
    """The client id to name in an error frame, when the frame carried a valid one."""
    value = content.get("client_id")
    if isinstance(value, str) and len(value) <= 64:
        with contextlib.suppress(ValueError):
            return str(uuid.UUID(value))
    return None


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    """A validated frame: a dict with a known "type" and its fields, cleaned. Raises FrameError."""
    if text_data is None:
        raise FrameError("binary", _("Send text frames with JSON, not binary ones."))
    if (
        len(text_data) > FRAME_MAX_BYTES
        or len(text_data.encode("utf-8", "surrogatepass")) > FRAME_MAX_BYTES
    ):
        raise FrameError("too_large", _("This frame is too large."))
    if nested_deeper_than(text_data, FRAME_MAX_DEPTH):
        raise FrameError("too_deep", _("This frame is nested too deeply."))
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):  # also integers over the int-parse limit
        raise FrameError("invalid_json", _("This frame is not valid JSON.")) from None
    if not isinstance(content, dict):
        raise FrameError("invalid", _("A frame must be a JSON object."))
    ref = _client_ref(content)
    kind = content.get("type")
    if not isinstance(kind, str) or kind not in FRAMES:
        raise FrameError("unknown_type", _("Unknown frame type."), ref)
    frame: dict[str, Any] = {"type": kind, "ref": ref}
    for name, field in FRAMES[kind].items():
        frame[name] = _clean_field(content.get(name), field, name, ref)
    return frame


def _clean_field(value: Any, field: str, name: str, ref: str | None) -> Any:
    wrong = FrameError(
        "invalid",
        _("The field “%(field)s” is missing or has the wrong type.") % {"field": name},
        ref,
    )
    if field in ("id", "marker"):
        minimum = 1 if field == "id" else 0
        if type(value) is not int or not minimum <= value <= MAX_ID:
            raise wrong
        return value
    if field == "uuid":
        if not isinstance(value, str) or ref is None:
            raise wrong
        return uuid.UUID(ref)
    # A message body, as the message forms clean it: required, length, clean text.
    if not isinstance(value, str):
        raise wrong
    try:
        return BODY_FIELD.clean(value)
    except ValidationError as error:
        raise FrameError("invalid", " ".join(str(m) for m in error.messages), ref) from None


def _language(scope: dict[str, Any]) -> str:
    """The language the page chose (cookie, then Accept-Language): error frames speak it."""
    headers = dict(scope.get("headers") or [])
    request = SimpleNamespace(
        COOKIES=scope.get("cookies") or {},
        META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
    )
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE  # type: ignore[arg-type]


# --- Database work (in a thread of DB_THREADS, through LiveConsumer._db) ---------------------

# The sockets' database work runs in a few threads of its own, so that one socket's queries
# and commits do not queue behind another's (Channels' default is one thread per process).
# Each call is self-contained: its own connection from the pool, its own transaction. SQLite
# (the embedded default) gets one thread: it has a single writer anyway.
DB_THREADS = ThreadPoolExecutor(
    max_workers=4 if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else 1,
    thread_name_prefix="socket-db",
)


def _signed_in_user(user_id: int, session_key: str | None) -> Any:
    """The user, if still active and still signed in by the socket's session (it exists, has
    not expired, and was made with the current password), else None."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not session_key:
        return None
    store: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    session = store(session_key)
    if str(session.get(SESSION_KEY)) != str(user.pk):
        return None
    if not constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return None
    return user


Unread = dict[int, tuple[int, int]]  # conversations.unread_state


def _starting_state(user_id: int) -> tuple[Any, list[int], Unread, int]:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None, [], {}, 0
    ids = list(Conversation.objects.of_user(user).order_by("pk").values_list("pk", flat=True))
    return user, ids, conversations.unread_state(user=user), _unread_notifications(user)


def _send(user: Any, frame: dict[str, Any]) -> tuple[int, bool]:
    conversation = access.get_conversation_for_participant(user, frame["conversation"])
    message, created = conversations.send_message(
        sender=user, conversation=conversation, body=frame["body"], client_id=frame["client_id"]
    )
    return message.pk, created


def _edit(user: Any, frame: dict[str, Any]) -> None:
    message = access.get_message_for_participant(user, frame["message"])
    conversations.edit_message(user=user, message=message, body=frame["body"])


def _delete(user: Any, frame: dict[str, Any]) -> None:
    message = access.get_message_for_participant(user, frame["message"])
    conversations.delete_message(user=user, message=message)


def _read(user: Any, frame: dict[str, Any]) -> None:
    conversation = access.get_conversation_for_participant(user, frame["conversation"])
    conversations.mark_read(user=user, conversation=conversation, up_to_id=frame["up_to"])


def _may_type(user: Any, frame: dict[str, Any]) -> None:
    conversation = access.get_conversation_for_participant(user, frame["conversation"])
    if conversation.is_read_only:
        raise conversations.ReadOnly(_("This conversation is read-only now."))


def _unread(user: Any) -> Unread:
    return conversations.unread_state(user=user)


def _unread_notifications(user: Any) -> int:
    return Notification.objects.filter(user=user).unread().count()


class LiveConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One per open socket; see the module docstring."""

    handling = 0  # messages being handled now (a frame waiting for the database, say)

    async def connect(self) -> None:
        self.user: Any = None
        self.session_key: str | None = None
        self.slot: str | None = None
        self.slot_owner = 0
        self.heartbeat: asyncio.Task[None] | None = None
        self.joined: set[str] = set()
        self.conversation_ids: set[int] = set()
        self.typed_at: dict[int, float] = {}
        self.checked_at = clock()
        self.closing = False
        self.probe: tuple[str, asyncio.Event] | None = None
        self.language = _language(self.scope)

        scope_user = self.scope.get("user")
        if scope_user is None or not scope_user.is_authenticated or not scope_user.is_active:
            await self._refuse(CLOSE_SIGNED_OUT)
            return
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        refusal = None
        try:
            if not await self._take_slot(scope_user.pk):
                refusal = CLOSE_TOO_MANY_SOCKETS
            else:
                await self._join(events.user_group(scope_user.pk))
                user, ids, unread, notified = await self._db(_starting_state, scope_user.pk)
                if user is None:
                    refusal = CLOSE_SIGNED_OUT
                else:
                    self.user = user
                    for conversation_id in ids:
                        await self._join(events.conversation_group(conversation_id))
                    self.conversation_ids = set(ids)
        except Exception:  # the cache, layer or database is down: the client tries again later
            logger.exception("WebSocket connect failed")
            refusal = CLOSE_SERVER_ERROR
        if refusal is not None:
            await self._refuse(refusal)
            return
        await self.accept()
        self.heartbeat = asyncio.create_task(self._beat())
        await self.send_json({"type": "hello", "user": user.pk, "conversations": ids})
        await self._send_unread(unread)
        await self.send_json({"type": "notifications", "unread": notified, "new": None})

    async def disconnect(self, code: int) -> None:
        self.closing = True
        heartbeat = getattr(self, "heartbeat", None)
        if heartbeat is not None:
            heartbeat.cancel()
        for group in getattr(self, "joined", set()):
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "slot", None):
            with contextlib.suppress(Exception):
                if await cache.aget(self.slot) == self.channel_name:
                    await cache.adelete(self.slot)
                await self._maybe_offline()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # An unexpected message (from the channel layer) must not end the socket.
        kind = message.get("type")
        if kind not in HANDLED:
            logger.warning("WebSocket: no handler for %r", kind)
            return
        self.handling += 1
        try:
            # Not Channels' own dispatch(): before every message it hops to the sync thread to
            # close stale database connections there, which costs more than forwarding an
            # event (benchmark W3: 43 % of the server's time in a broadcast to 1,000). This
            # consumer's database work runs in `_db`, whose threads close their own.
            await getattr(self, get_handler_name(message))(message)
        except OSError:
            # The client went away while this was sending to it (the server raises, e.g.
            # uvicorn's ClientDisconnected), and no websocket.disconnect will reach this
            # consumer: clean up as on a disconnect, then stop.
            logger.info("WebSocket client gone during %s", kind)
            await self.disconnect(CLOSE_GONE)
            raise StopConsumer() from None
        finally:
            self.handling -= 1

    # --- Frames from the client -----------------------------------------------------------

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        text = message.get("text")
        await self.receive(text_data=text, bytes_data=None if text is not None else b"")

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if self.closing:
            return
        # Error texts (ours, the form field's, the services') in the language of the page.
        with translation.override(self.language):
            await self._receive(text_data, bytes_data)

    async def _receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        ref = None
        try:
            if not await self._still_signed_in():
                await self._close(CLOSE_SIGNED_OUT)
                return
            frame = parse_frame(text_data, bytes_data)
            ref = frame["ref"]
            await getattr(self, f"_on_{frame['type']}")(frame)
        except FrameError as error:
            await self._error(error.code, error.message, error.ref)
        except Http404:
            await self._error("not_found", NOT_FOUND, ref)
        except conversations.MessagingError as error:
            await self._error(error.code, error.message, ref)
        except OSError:
            raise  # the client is gone: see dispatch()
        except Exception:
            logger.exception("WebSocket frame failed")
            await self._error("server_error", _("Something went wrong. Please try again."), ref)

    async def _on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def _on_send(self, frame: dict[str, Any]) -> None:
        message_id, created = await self._db(_send, self.user, frame)
        await self.send_json(
            {"type": "ack", "client_id": frame["ref"], "message": message_id, "created": created}
        )

    async def _on_edit(self, frame: dict[str, Any]) -> None:
        await self._db(_edit, self.user, frame)

    async def _on_delete(self, frame: dict[str, Any]) -> None:
        await self._db(_delete, self.user, frame)

    async def _on_read(self, frame: dict[str, Any]) -> None:
        await self._db(_read, self.user, frame)

    async def _on_typing(self, frame: dict[str, Any]) -> None:
        conversation_id = frame["conversation"]
        now = clock()
        last = self.typed_at.get(conversation_id)
        if last is not None and now - last < TYPING_INTERVAL:
            return  # too soon: dropped quietly, the indicator is still showing
        await self._db(_may_type, self.user, frame)
        self.typed_at[conversation_id] = now
        await self.channel_layer.group_send(
            events.conversation_group(conversation_id),
            {
                "type": "live.event",
                "event": {
                    "type": "typing",
                    "conversation": conversation_id,
                    "user": self.user.pk,
                    "name": self.user.display_name,
                },
            },
        )

    # --- Events from the channel layer ----------------------------------------------------

    async def live_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if self.closing or not isinstance(event, dict):
            return
        try:
            await self._forward(event)
        except OSError:
            raise  # the client is gone: see dispatch()
        except Exception:
            logger.exception("WebSocket live event failed")

    async def _forward(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "notifications.changed":
            # Counted here, by each socket, so every tab shows the same exact number.
            count = await self._db(_unread_notifications, self.user)
            await self.send_json(
                {"type": "notifications", "unread": count, "new": event.get("new")}
            )
            return
        if kind == "membership":
            conversation_id = event.get("conversation")
            if not isinstance(conversation_id, int):
                return
            group = events.conversation_group(conversation_id)
            if event.get("action") == "join":
                await self._join(group)
                self.conversation_ids.add(conversation_id)
            elif event.get("action") == "leave":
                self.conversation_ids.discard(conversation_id)
                self.typed_at.pop(conversation_id, None)
                if group in self.joined:
                    self.joined.discard(group)
                    await self.channel_layer.group_discard(group, self.channel_name)
            else:
                return
            await self.send_json(event)
            await self._send_unread()
            return
        if kind in ("message.new", "message.changed", "typing"):
            # Only from conversations this socket is in: a late event from one it left is dropped.
            payload = event.get("message") if kind != "typing" else event
            if not isinstance(payload, dict) or (
                payload.get("conversation") not in self.conversation_ids
            ):
                return
            if kind == "typing" and event.get("user") == self.user.pk:
                return  # nobody needs to see their own typing
        await self.send_json(event)
        if kind == "read":
            await self._send_unread()

    async def live_close(self, message: dict[str, Any]) -> None:
        session = message.get("session")
        if session and session != self.session_key:
            return  # another session of the same user logged out
        await self._close(CLOSE_RECONNECT)

    # --- Helpers -------------------------------------------------------------------------

    async def _db(self, function: Any, *args: Any) -> Any:
        """`function(*args)` in a database thread; the live events it causes are sent from
        here afterwards, so the thread does not wait for the channel layer."""
        with events.deferred() as collected:
            try:
                return await database_sync_to_async(
                    function, thread_sensitive=False, executor=DB_THREADS
                )(*args)
            finally:  # also when it failed after a commit: what was committed is told
                await events.asend(collected)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.add(group)

    async def _refuse(self, code: int) -> None:
        # Accepted, then closed: a browser sees the close code, never an HTTP status.
        await self.accept()
        await self._close(code)

    async def _close(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            await self.close(code=code)

    async def _error(self, code: str, message: str | Promise, ref: str | None) -> None:
        await self.send_json({"type": "error", "code": code, "message": str(message), "ref": ref})

    async def _send_unread(self, state: Unread | None = None) -> None:
        if state is None:
            state = await self._db(_unread, self.user)
        await self.send_json(
            {
                "type": "unread",
                "conversations": {str(pk): n for pk, (n, _latest) in sorted(state.items())},
                "latest": {str(pk): latest for pk, (_n, latest) in sorted(state.items())},
                "total": sum(n for n, _latest in state.values()),
            }
        )

    async def _still_signed_in(self) -> bool:
        """Active and with a live session, rechecked at most every RECHECK_INTERVAL seconds
        (logout, password change and deactivation also close sockets through live.close)."""
        now = clock()
        if now - self.checked_at < RECHECK_INTERVAL:
            return True
        user = await self._db(_signed_in_user, self.user.pk, self.session_key)
        if user is None:
            return False
        self.user = user
        self.checked_at = now
        return True

    async def _take_slot(self, user_id: int) -> bool:
        for number in range(settings.MAX_SOCKETS_PER_USER):
            key = events.socket_slot_key(user_id, number)
            if await cache.aadd(key, self.channel_name, timeout=SLOT_TTL):
                self.slot = key
                self.slot_owner = user_id
                await cache.aset(events.online_key(user_id), 1, timeout=SLOT_TTL)
                return True
        return False

    async def _maybe_offline(self) -> None:
        """This socket closed: if it was the user's last one, they are offline now. (A socket
        opening meanwhile marks them online again at its next heartbeat at the latest.)"""
        user_id = self.slot_owner
        slots = [
            events.socket_slot_key(user_id, number)
            for number in range(settings.MAX_SOCKETS_PER_USER)
        ]
        if not await cache.aget_many(slots):
            await cache.adelete(events.online_key(user_id))
            # Another socket of the user may have opened in between: it stays online.
            if await cache.aget_many(slots):
                await cache.aset(events.online_key(user_id), 1, timeout=SLOT_TTL)

    async def _beat(self) -> None:
        while not self.closing:
            await asyncio.sleep(SLOT_HEARTBEAT)
            await self._keep_slot()
            if not await self._layer_works():
                await self._close(CLOSE_RECONNECT)
                return

    async def _keep_slot(self) -> None:
        try:
            if self.slot and not await cache.atouch(self.slot, SLOT_TTL):
                # Expired (the cache was down or flushed): hold it again if it is free.
                await cache.aadd(self.slot, self.channel_name, timeout=SLOT_TTL)
            if self.slot:
                await cache.aset(events.online_key(self.slot_owner), 1, timeout=SLOT_TTL)
        except Exception:
            logger.warning("WebSocket slot heartbeat failed", exc_info=True)

    async def _layer_works(self) -> bool:
        """Groups added again (a layer whose groups expire keeps them), then a probe through
        the layer to this socket's own channel and back."""
        token, arrived = uuid.uuid4().hex, asyncio.Event()
        self.probe = (token, arrived)
        try:
            for group in list(self.joined):
                await self.channel_layer.group_add(group, self.channel_name)
                if group not in self.joined:  # left while this was adding it back
                    await self.channel_layer.group_discard(group, self.channel_name)
            await self.channel_layer.send(self.channel_name, {"type": "live.probe", "token": token})
            try:
                await asyncio.wait_for(arrived.wait(), PROBE_TIMEOUT)
            except TimeoutError:
                # The probe waits in the queue behind a frame that waits for the database:
                # that says nothing about the layer. The next heartbeat asks again.
                if self.handling:
                    return True
                raise
        except Exception:
            logger.warning("WebSocket: the channel layer failed its probe", exc_info=True)
            return False
        finally:
            self.probe = None
        return True

    async def live_probe(self, message: dict[str, Any]) -> None:
        if self.probe is not None and message.get("token") == self.probe[0]:
            self.probe[1].set()
