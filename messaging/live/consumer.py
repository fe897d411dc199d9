"""The consumer behind /ws/: one per open socket (see `messaging.live`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from messaging import events
from messaging.live import database, presence
from messaging.live.frames import NOT_FOUND, FrameError, page_language, parse_frame
from messaging.services import conversations
from profiles.models import User

logger = logging.getLogger(__name__)

# Close codes the client acts on: reconnect (4000), sign in again (4401), wait (4429).
CLOSE_RECONNECT = 4000
CLOSE_SIGNED_OUT = 4401
CLOSE_TOO_MANY_SOCKETS = 4429
CLOSE_SERVER_ERROR = 1011
CLOSE_GONE = 1006  # the connection dropped without a close frame

TYPING_INTERVAL = 2.0  # seconds between two typing events per conversation and socket
# Seconds a socket trusts its last "still active and signed in by its session": this catches
# what no signal reports (an update() of is_active, a password set in the admin or the shell).
RECHECK_INTERVAL = 30.0

# What the server and the channel layer may send to a consumer.
HANDLED = {
    "websocket.connect",
    "websocket.receive",
    "websocket.disconnect",
    "live.event",
    "live.close",
    "live.probe",
}


# The JSON text of the latest message events, per language: a message to a group of 1,000 is
# encoded once per process instead of once per socket (its markup makes it about 1.5 KB).
_encoded: OrderedDict[tuple[Any, ...], str] = OrderedDict()
ENCODED_KEPT = 64


def encoded(event: dict[str, Any]) -> str:
    """`event` (a message event in one language) as JSON text, encoded once per process."""
    message = event.get("message") or {}
    key = (event.get("type"), message.get("id"), message.get("body"), message.get("html"))
    try:
        text = _encoded.get(key)
    except TypeError:  # not of the shape messaging.events builds
        return json.dumps(event)
    if text is None:
        text = _encoded[key] = json.dumps(event)
        if len(_encoded) > ENCODED_KEPT:
            _encoded.popitem(last=False)
    return text


def clock() -> float:
    """Monotonic seconds; tests replace it to move time."""
    return time.monotonic()


class LiveConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One per open socket; see `messaging.live`."""

    handling = 0  # messages being handled now (a frame waiting for the database, say)

    async def connect(self) -> None:
        self.user: User | None = None
        self.session_key: str | None = None
        self.slot = presence.Slot(self.channel_name)
        self.probe = presence.Probe()
        self.heartbeat: asyncio.Task[None] | None = None
        self.joined: set[str] = set()
        self.conversation_ids: set[int] = set()
        self.typed_at: dict[int, float] = {}
        self.checked_at = clock()
        self.closing = False
        self.language = page_language(self.scope)

        scope_user = self.scope.get("user")
        if scope_user is None or not scope_user.is_authenticated or not scope_user.is_active:
            await self._refuse(CLOSE_SIGNED_OUT)
            return
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        refusal = None
        try:
            if not await self.slot.take(scope_user.pk):
                refusal = CLOSE_TOO_MANY_SOCKETS
            else:
                await self._join(events.user_group(scope_user.pk))
                user, ids, unread, notified = await self._db(database.starting_state, scope_user.pk)
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
        await self.send_json(events.envelope("hello", user=user.pk, conversations=ids))
        await self.send_json(events.unread(unread))
        await self.send_json(events.envelope("notifications", unread=notified, new=None))

    async def disconnect(self, code: int) -> None:
        self.closing = True
        heartbeat = getattr(self, "heartbeat", None)
        if heartbeat is not None:
            heartbeat.cancel()
        for group in getattr(self, "joined", set()):
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)
        if hasattr(self, "slot"):
            with contextlib.suppress(Exception):
                await self.slot.release()

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
        await self.send_json(events.envelope("pong"))

    async def _on_send(self, frame: dict[str, Any]) -> None:
        message_id, created = await self._db(database.send, self.user, frame)
        await self.send_json(
            events.envelope("ack", client_id=frame["ref"], message=message_id, created=created)
        )

    async def _on_edit(self, frame: dict[str, Any]) -> None:
        await self._db(database.edit, self.user, frame)

    async def _on_delete(self, frame: dict[str, Any]) -> None:
        await self._db(database.delete, self.user, frame)

    async def _on_read(self, frame: dict[str, Any]) -> None:
        await self._db(database.read, self.user, frame)

    async def _on_typing(self, frame: dict[str, Any]) -> None:
        assert self.user is not None
        conversation_id = frame["conversation"]
        now = clock()
        last = self.typed_at.get(conversation_id)
        if last is not None and now - last < TYPING_INTERVAL:
            return  # too soon: dropped quietly, the indicator is still showing
        await self._db(database.may_type, self.user, frame)
        self.typed_at[conversation_id] = now
        typing = events.envelope(
            "typing", conversation=conversation_id, user=self.user.pk, name=self.user.display_name
        )
        await self.channel_layer.group_send(
            events.conversation_group(conversation_id), events.to_layer(typing)
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
        assert self.user is not None
        kind = event.get("type")
        if kind == "notifications.changed":
            # Counted here, by each socket, so every tab shows the same exact number.
            count = await self._db(database.unread_notifications, self.user)
            await self.send_json(
                events.envelope("notifications", unread=count, new=event.get("new"))
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
            if kind != "typing":
                await self.send(text_data=encoded(events.in_language(event, self.language)))
                return
        await self.send_json(event)
        if kind == "read":
            await self._send_unread()

    async def live_close(self, message: dict[str, Any]) -> None:
        session = message.get("session")
        if session and session != self.session_key:
            return  # another session of the same user logged out
        await self._close(CLOSE_RECONNECT)

    async def live_probe(self, message: dict[str, Any]) -> None:
        self.probe.arrived(message)

    # --- Helpers -------------------------------------------------------------------------

    async def _db(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in a database thread (database.DB_THREADS); the live events it
        causes are sent from here afterwards, so the thread does not wait for the layer."""
        with events.deferred() as collected:
            try:
                return await database_sync_to_async(
                    function, thread_sensitive=False, executor=database.DB_THREADS
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
        await self.send_json(events.envelope("error", code=code, message=str(message), ref=ref))

    async def _send_unread(self, state: database.Unread | None = None) -> None:
        if state is None:
            state = await self._db(database.unread, self.user)
        await self.send_json(events.unread(state))

    async def _still_signed_in(self) -> bool:
        """Signed in by the socket's session, rechecked at most every RECHECK_INTERVAL seconds
        (logout, password change and deactivation also close sockets through live.close)."""
        assert self.user is not None
        now = clock()
        if now - self.checked_at < RECHECK_INTERVAL:
            return True
        user = await self._db(database.signed_in_user, self.user.pk, self.session_key)
        if user is None:
            return False
        self.user = user
        self.checked_at = now
        return True

    async def _beat(self) -> None:
        """Every SLOT_HEARTBEAT seconds: keep the slot, and close for a reconnect when the
        channel layer fails its probe (the socket would miss events)."""
        while not self.closing:
            await asyncio.sleep(presence.SLOT_HEARTBEAT)
            await self.slot.keep()
            if not await self._layer_works():
                await self._close(CLOSE_RECONNECT)
                return

    async def _layer_works(self) -> bool:
        """Groups added again (a layer whose groups expire keeps them), then a probe through
        the layer to this socket's own channel and back."""
        try:
            for group in list(self.joined):
                await self.channel_layer.group_add(group, self.channel_name)
                if group not in self.joined:  # left while this was adding it back
                    await self.channel_layer.group_discard(group, self.channel_name)
            await self.channel_layer.send(self.channel_name, self.probe.message())
            try:
                await self.probe.wait()
            except TimeoutError:
                # The probe waits in the queue behind a frame that waits for the database:
                # that says nothing about the layer. The next heartbeat asks again.
                if self.handling:
                    return True
                raise
        except Exception:
            logger.warning("WebSocket: the channel layer failed its probe", exc_info=True)
            return False
        return True
