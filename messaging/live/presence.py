"""Who has a socket open: each socket's slot among the user's MAX_SOCKETS_PER_USER, the
user's online marker (read by `events.online_user_ids`: people online get no notification
for a message their socket shows), and the heartbeat's probe of the channel layer.

Slots and markers live in the shared cache with a time to live; a socket's heartbeat renews
them every SLOT_HEARTBEAT seconds, so those of a crashed process free themselves.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache

from messaging import events

logger = logging.getLogger(__name__)

SLOT_TTL = 120
SLOT_HEARTBEAT = SLOT_TTL / 3
# The heartbeat also sends a probe to the socket's own channel through the channel layer: one
# that fails or does not come back within PROBE_TIMEOUT seconds means this socket may miss
# events (Redis went away), so it closes with 4000 and the client reconnects and resyncs.
PROBE_TIMEOUT = 10.0


class Slot:
    """One socket's place among its user's open sockets, and the user's online marker."""

    def __init__(self, channel_name: str) -> None:
        self.channel_name = channel_name
        self.key: str | None = None
        self.user_id = 0

    def _all_keys(self) -> list[str]:
        return [
            events.socket_slot_key(self.user_id, number)
            for number in range(settings.MAX_SOCKETS_PER_USER)
        ]

    async def take(self, user_id: int) -> bool:
        """A free slot of the user's, and the user marked online; False if all are taken."""
        for number in range(settings.MAX_SOCKETS_PER_USER):
            key = events.socket_slot_key(user_id, number)
            if await cache.aadd(key, self.channel_name, timeout=SLOT_TTL):
                self.key, self.user_id = key, user_id
                await cache.aset(events.online_key(user_id), 1, timeout=SLOT_TTL)
                return True
        return False

    async def keep(self) -> None:
        """The heartbeat: the slot and the online marker live on."""
        if self.key is None:
            return
        try:
            if not await cache.atouch(self.key, SLOT_TTL):
                # Expired (the cache was down or flushed): hold it again if it is free.
                await cache.aadd(self.key, self.channel_name, timeout=SLOT_TTL)
            await cache.aset(events.online_key(self.user_id), 1, timeout=SLOT_TTL)
        except Exception:
            logger.warning("WebSocket slot heartbeat failed", exc_info=True)

    async def release(self) -> None:
        """The socket closed: its slot is free, and if it was the user's last socket they
        are offline now. (A socket opening meanwhile marks them online again.)"""
        if self.key is None:
            return
        if await cache.aget(self.key) == self.channel_name:
            await cache.adelete(self.key)
        slots = self._all_keys()
        if not await cache.aget_many(slots):
            await cache.adelete(events.online_key(self.user_id))
            # Another socket of the user may have opened in between: it stays online.
            if await cache.aget_many(slots):
                await cache.aset(events.online_key(self.user_id), 1, timeout=SLOT_TTL)


class Probe:
    """A token sent through the channel layer to the socket's own channel and back."""

    def __init__(self) -> None:
        self.waiting: tuple[str, asyncio.Event] | None = None

    def message(self) -> dict[str, Any]:
        token = uuid.uuid4().hex
        self.waiting = (token, asyncio.Event())
        return {"type": "live.probe", "token": token}

    def arrived(self, message: dict[str, Any]) -> None:
        if self.waiting is not None and message.get("token") == self.waiting[0]:
            self.waiting[1].set()

    async def wait(self) -> None:
        """Until the probe is back; TimeoutError after PROBE_TIMEOUT seconds."""
        assert self.waiting is not None
        try:
            await asyncio.wait_for(self.waiting[1].wait(), PROBE_TIMEOUT)
        finally:
            self.waiting = None
