"""What W7's parent and its load processes share: the users' pages, what a load process is
told (Plan) and what it reports (Results), and the records it keeps per user and message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection

LOST_AFTER = 10.0  # a message not at the partner within this many seconds is lost

# The actor's everyday pages (W6's), by name; {slug} and {conversation} are filled in per user.
PAGES = {
    "profile": "/me/",
    "directory": "/people/",
    "pilot": "/pilots/{slug}/",
    "conversations": "/conversations/",
    "conversation": "/conversations/{conversation}/",
    "notifications": "/notifications/",
}
BARE_PAGE = "/bench/bare/"


@dataclass
class Plan:
    """What one load process does: sent to it pickled."""

    mode: str  # "app" or "bare"
    http_base: str  # http://127.0.0.1:<port> of the page server
    ws_url: str  # ws://127.0.0.1:<port>/ws/
    origin: str  # the same-origin Origin header
    pilot_slug: str
    # Per user: (session cookie, conversation id, partner's index in this list, last message id)
    users: list[tuple[str, int, int, int]]
    page_interval: float
    send_interval: float
    warmup: float
    seconds: float
    seed: int
    # chat.js fetches each new message's markup (messaging:fragments), as before the events
    # carried it rendered; w7_soak.py tells from the conversation page which one is served.
    fragments: bool = True
    # A new socket with every page, as a browser opens one per page load (live.js on
    # DOMContentLoaded), instead of one socket held all along.
    socket_per_page: bool = False


@dataclass
class Sent:
    sender: int
    scheduled: float
    sent: float = 0.0
    acked: float = 0.0
    delivered: float = 0.0
    measured: bool = False
    unobservable: bool = False  # the partner's socket was closed (between pages) meanwhile


@dataclass
class User:
    index: int
    cookie: str
    conversation: int
    partner: int
    last_id: int  # the newest message id this user has seen (page, fragments or frames)
    last_shown: int  # the last message on the conversation page, as chat.js keeps it
    socket: ClientConnection | None = None
    user_id: int = 0
    page: str = "profile"
    last_read_sent: int = 0
    own_seen: int = 0  # the newest of the user's own messages whose message.new came
    read_scheduled: bool = False
    list_queued: bool = False
    generation: int = 0  # sockets this user has left (one per page with socket_per_page)
    incoming: set[str] = field(default_factory=set)  # partner's messages on their way
    fetching: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Results:
    pages: list[tuple[str, float]] = field(default_factory=list)  # (page name, seconds)
    pages_answered: int = 0  # of those, answered with 200
    fetches: list[tuple[str, float]] = field(default_factory=list)
    deliveries: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)  # arrival handled late by this process
    messages: int = 0
    lost: int = 0
    between_pages: int = 0  # not delivered, the partner's socket closed meanwhile: not lost
    reopens: list[float] = field(default_factory=list)  # page loaded -> new socket's hello
    http_errors: dict[str, int] = field(default_factory=dict)
    error_frames: dict[str, int] = field(default_factory=dict)
    socket_closes: int = 0
    connect_failures: int = 0
    connect_seconds: float = 0.0
    frames: int = 0

    def http_error(self, what: str) -> None:
        self.http_errors[what] = self.http_errors.get(what, 0) + 1
