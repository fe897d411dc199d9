"""The one WebSocket of a browser tab, at /ws/ (DESIGN.md §4). JSON text frames.

- `frames`: what a client may send, checked before it is parsed (text only, size, nesting
  depth), then for its shape and field types; a bad frame gets an error frame, the socket lives.
- `consumer`: `LiveConsumer`. On connect a signed-in, active user within the cap on open
  sockets joins `user.<id>` and the groups of their conversations, and gets "hello", "unread"
  and "notifications". Each frame is authorised against the database and handed to the
  services in `messaging.services.conversations`; live events from `messaging.events` (what
  the server sends, in its one envelope) are forwarded, a message's markup in the page's language;
  "membership" events make the socket join or leave a conversation's group first.
  {"type": "live.close"} (logout, password change, deactivation) closes the socket, and every
  RECHECK_INTERVAL seconds a frame rechecks the session with Django's own `get_user`.
- `database`: the consumer's database work, in a few threads of its own.
- `presence`: the socket's slot among the user's open sockets, the user's online marker, and
  the heartbeat's probe through the channel layer: a failed probe closes the socket with 4000,
  so the client reconnects and resyncs instead of silently missing events.

Error codes: binary, too_large, too_deep, invalid_json, invalid, unknown_type, not_found,
not_allowed, read_only, rate_limited, server_error. Close codes: 4000 reconnect (the session
ended or changed), 4401 not signed in, 4429 too many open sockets, 1011 try again later.
A client that reconnects asks GET /conversations/<id>/messages.json?after=<last seen id>.
"""

from messaging.live.consumer import (
    CLOSE_RECONNECT,
    CLOSE_SERVER_ERROR,
    CLOSE_SIGNED_OUT,
    CLOSE_TOO_MANY_SOCKETS,
    LiveConsumer,
)
from messaging.live.frames import (
    FRAME_MAX_BYTES,
    FRAME_MAX_DEPTH,
    FrameError,
    nested_deeper_than,
    page_language,
    parse_frame,
)

__all__ = [
    "CLOSE_RECONNECT",
    "CLOSE_SERVER_ERROR",
    "CLOSE_SIGNED_OUT",
    "CLOSE_TOO_MANY_SOCKETS",
    "FRAME_MAX_BYTES",
    "FRAME_MAX_DEPTH",
    "FrameError",
    "LiveConsumer",
    "nested_deeper_than",
    "page_language",
    "parse_frame",
]
