"""W7's simulated users: one load process drives a share of them (w7_soak.py starts several).

Each user holds one WebSocket as static/js/live.js keeps it (same-origin, the session cookie;
hello, unread and notifications arrive; live.js sends no pings), loads one of the actor's
everyday pages at exponential intervals (mean PAGE_INTERVAL) and sends a chat message at
exponential intervals (mean SEND_INTERVAL) into a direct conversation with a partner who is
driven by the same process. The requests the page scripts make follow static/js/chat.js:

- a conversation page resyncs once its socket says hello: GET messages.json?after=<last id>;
- on the conversation list a partner's "message.new" loads the list again;
- elsewhere live.js only counts (no request);
- on the conversation page, while chat.js fetches each new message's markup (the page has a
  data-fragments-url; Plan.fragments): a "message.new" of that conversation (the user's own
  included) and the "ack" of a send catch up: GET messages/?after=<last id shown>, then a
  "read" frame;
- once the events carry the markup: a partner's "message.new" is shown as it comes and one
  "read" frame goes READ_DELAY after a burst; after an "ack" the history is asked only when
  the sender's own "message.new" has not come within ACK_SHOWN; a list reload queued and not
  started stands for the next ones.

A message is sent as chat.js sends it from the conversation page: a "typing" frame, 1 to 3 s
of typing, then {"type": "send", ...} with a new client id. Its delivery latency runs from the
send to the partner's "message.new". With Plan.socket_per_page each page load closes the
socket and opens a new one once the page has loaded, as a browser does (the resync then waits
for its hello); a message whose partner's socket closed before it arrived cannot be seen on
it and counts as "between pages", not lost. In the baseline ("bare" mode) every page load is
the bare view and every message goes to the bare echo server, which sends it back to its
sender: the same arrivals without the application.

Protocol with the parent over a multiprocessing Connection: the process opens its sockets and
sends ("ready", {...}); the parent answers ("go", t0), t0 a time.monotonic() value (the same
clock in every process on Linux); arrivals start at t0, the measured window is
[t0 + warmup, t0 + warmup + seconds); then new arrivals stop, what is in flight drains (at most
LOST_AFTER), the sockets close and the process sends ("done", results).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import resource
import time
import uuid
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from benchmarks.soak_plan import BARE_PAGE, LOST_AFTER, PAGES, Plan, Results, Sent, User

HTTP_TIMEOUT = 10.0  # a page or fetch not answered within this is an error
OPEN_CONCURRENCY = 20  # sockets being opened at once by one process
OPEN_TIMEOUT = 60.0
BODY = "Thanks! Could we go through my CV on Thursday, and what a junior's first month is like?"
MESSAGE_ID = re.compile(rb'data-message="(\d+)"')
READ_DELAY = 0.5  # chat.js's READ_DELAY_MS with rendered events
ACK_SHOWN = 3.0  # chat.js's ACK_SHOWN_MS


class Simulation:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.results = Results()
        self.users = [
            User(index=i, cookie=c, conversation=conv, partner=p, last_id=last, last_shown=last)
            for i, (c, conv, p, last) in enumerate(plan.users)
        ]
        self.sent: dict[str, Sent] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.readers: list[asyncio.Task[None]] = []
        self.closing = False
        self.window = (0.0, 0.0)
        self.http: aiohttp.ClientSession | None = None

    def in_window(self, moment: float) -> bool:
        return self.window[0] <= moment < self.window[1]

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- Sockets ----------------------------------------------------------------------------

    async def open_all(self) -> None:
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)
        started = time.monotonic()

        async def one(user: User) -> None:
            async with gate:
                try:
                    await asyncio.wait_for(self.open(user, user.generation), OPEN_TIMEOUT)
                except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, ValueError):
                    self.results.connect_failures += 1

        await asyncio.gather(*(one(user) for user in self.users))
        self.results.connect_seconds = time.monotonic() - started

    async def open(self, user: User, generation: int) -> None:
        """A socket for the user's page of `generation`; dropped if the user has left it."""
        socket = await connect(
            self.plan.ws_url,
            additional_headers={"Origin": self.plan.origin, "Cookie": user.cookie},
            max_size=2**20,
            open_timeout=OPEN_TIMEOUT,
            ping_interval=None,  # live.js sends none (the server's pings are answered)
            compression=None,  # as the server is deployed: no per-message deflate
        )
        if self.plan.mode == "app":
            hello = json.loads(await socket.recv())
            if hello.get("type") != "hello":
                await socket.close()
                raise ValueError(f"expected hello, got {hello.get('type')}")
            user.user_id = int(hello["user"])
        if user.generation != generation or self.closing:
            await socket.close()
            return
        user.socket = socket
        self.readers.append(asyncio.create_task(self.read(user, socket)))

    async def read(self, user: User, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                now = time.monotonic()
                self.results.frames += 1
                frame = json.loads(raw)
                if self.plan.mode == "bare":
                    self.on_echo(user, frame, now)
                else:
                    self.on_frame(user, frame, now)
        except ConnectionClosed:
            pass
        if not self.closing and user.socket is socket:  # not closed by a page change
            self.results.socket_closes += 1
            user.socket = None

    def on_echo(self, user: User, frame: dict[str, Any], now: float) -> None:
        sent = self.sent.get(frame.get("client_id", ""))
        if sent is not None and not sent.delivered:
            sent.delivered = now
            user.incoming.discard(frame["client_id"])

    def on_frame(self, user: User, frame: dict[str, Any], now: float) -> None:
        kind = frame.get("type")
        if kind == "message.new":
            message = frame["message"]
            message_id = int(message["id"])
            user.last_id = max(user.last_id, message_id)
            own = message.get("sender") == user.user_id
            if own:
                user.own_seen = max(user.own_seen, message_id)
            else:
                sent = self.sent.get(str(message.get("client_id")))
                if sent is not None and sent.sender == user.partner and not sent.delivered:
                    sent.delivered = now
                    user.incoming.discard(str(message.get("client_id")))
                if user.page == "conversations":
                    self.reload_list(user)
            if user.page == "conversation" and message.get("conversation") == user.conversation:
                if self.plan.fragments:
                    self.spawn(self.catch_up(user))
                else:  # shown from the event; read once per burst
                    user.last_shown = max(user.last_shown, message_id)
                    if not own and not user.read_scheduled:
                        user.read_scheduled = True
                        self.spawn(self.read_soon(user))
        elif kind == "ack":
            sent = self.sent.get(frame.get("client_id", ""))
            if sent is not None and not sent.acked:
                sent.acked = now
            message_id = int(frame.get("message") or 0)
            user.last_id = max(user.last_id, message_id)
            # The sender is on the conversation page (chat.js sends from there).
            if self.plan.fragments:
                self.spawn(self.catch_up(user, sending=True))
            else:
                self.spawn(self.check_shown(user, message_id))
        elif kind == "error":
            code = str(frame.get("code"))
            self.results.error_frames[code] = self.results.error_frames.get(code, 0) + 1

    # --- HTTP --------------------------------------------------------------------------------

    async def get(self, user: User, path: str) -> tuple[bool, float, bytes]:
        assert self.http is not None
        started = time.monotonic()
        try:
            async with self.http.get(
                path, headers={"Cookie": user.cookie}, allow_redirects=False
            ) as response:
                body = await response.read()
                if response.status != 200:
                    self.results.http_error(str(response.status))
                    return False, time.monotonic() - started, b""
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self.results.http_error(type(error).__name__)
            return False, time.monotonic() - started, b""
        return True, time.monotonic() - started, body

    async def fetch(self, user: User, name: str, path: str, started: User | None = None) -> bytes:
        """A request a page script makes, one after another per user (chat.js's queue);
        `started`: clear that user's queued list reload when this one starts."""
        async with user.fetching:
            if started is not None:
                started.list_queued = False
            started_at = time.monotonic()
            _ok, seconds, body = await self.get(user, path)
            if self.in_window(started_at):  # a failed one too: the user waited for it
                self.results.fetches.append((name, seconds))
            return body

    async def load_page(self, user: User, name: str, scheduled: float) -> None:
        if self.plan.socket_per_page:
            self.leave(user)
        after: int | None = None  # the conversation page's last message: resync from it
        if self.plan.mode == "bare":
            ok, seconds, _body = await self.get(user, BARE_PAGE)
        else:
            user.page = name
            path = PAGES[name].format(slug=self.plan.pilot_slug, conversation=user.conversation)
            ok, seconds, body = await self.get(user, path)
            if ok and name == "conversation":
                shown = [int(found) for found in MESSAGE_ID.findall(body)]
                user.last_id = max([user.last_id, *shown])
                user.last_shown = max(shown, default=user.last_shown)
                user.last_read_sent = 0  # a new page: chat.js starts again
                after = max(shown, default=0)
        if self.in_window(scheduled):  # a failed one too (an error besides)
            self.results.pages.append((name, seconds))
            self.results.pages_answered += ok
        if self.plan.socket_per_page:
            self.spawn(self.reopen(user, after))
        elif after is not None:
            self.spawn(self.resync(user, after))

    async def resync(self, user: User, after: int) -> None:
        """The page's socket said hello: chat.js resyncs from the last message shown."""
        path = f"/conversations/{user.conversation}/messages.json?after={after}"
        await self.fetch(user, "history", path)

    def leave(self, user: User) -> None:
        """The browser leaves the page: its socket closes without waiting (pagehide)."""
        user.generation += 1
        socket, user.socket = user.socket, None
        for client_id in user.incoming:  # what was on its way cannot reach this socket
            record = self.sent.get(client_id)
            if record is not None:
                record.unobservable = True
        user.incoming.clear()
        if socket is not None:
            self.spawn(socket.close())

    async def reopen(self, user: User, after: int | None) -> None:
        """live.js on the new page: a socket, and on its hello chat.js's resync."""
        generation = user.generation
        started = time.monotonic()
        try:
            await asyncio.wait_for(self.open(user, generation), OPEN_TIMEOUT)
        except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, ValueError):
            self.results.connect_failures += 1
            return
        if user.generation != generation:
            return  # already on another page
        if self.in_window(started):
            self.results.reopens.append(time.monotonic() - started)
        if after is not None:
            await self.resync(user, after)

    async def catch_up(self, user: User, sending: bool = False) -> None:
        """chat.js's catchUp (fragments): the messages after the last one shown, then read."""
        if not sending and user.page != "conversation":
            return
        path = f"/conversations/{user.conversation}/messages/?after={user.last_shown}"
        body = await self.fetch(user, "fragments", path)
        shown = [int(found) for found in MESSAGE_ID.findall(body)]
        if shown:
            user.last_shown = max(user.last_shown, *shown)
        await self.mark_read(user)

    async def mark_read(self, user: User) -> None:
        if user.last_shown > user.last_read_sent and user.socket is not None:
            user.last_read_sent = user.last_shown
            frame = {"type": "read", "conversation": user.conversation, "up_to": user.last_shown}
            with contextlib.suppress(ConnectionClosed):
                await user.socket.send(json.dumps(frame))

    async def read_soon(self, user: User) -> None:
        """chat.js's scheduleRead (rendered events): one "read" for a burst of messages."""
        await asyncio.sleep(READ_DELAY)
        user.read_scheduled = False
        await self.mark_read(user)

    async def check_shown(self, user: User, message_id: int) -> None:
        """chat.js after an ack (rendered events): its own message.new not there by
        ACK_SHOWN seconds means the event was lost: resync from the history API."""
        await asyncio.sleep(ACK_SHOWN)
        if user.own_seen < message_id:
            path = f"/conversations/{user.conversation}/messages.json?after={user.last_shown}"
            await self.fetch(user, "history", path)

    def reload_list(self, user: User) -> None:
        """chat.js's reloadList; with rendered events one reload queued and not started yet
        stands for the next ones too."""
        if self.plan.fragments:
            self.spawn(self.fetch(user, "list", PAGES["conversations"]))
        elif not user.list_queued:
            user.list_queued = True
            self.spawn(self.fetch(user, "list", PAGES["conversations"], started=user))

    # --- Messages ----------------------------------------------------------------------------

    async def current_socket(self, user: User) -> ClientConnection | None:
        """The user's open socket, waiting a little while a new page opens one."""
        deadline = time.monotonic() + 5.0
        while user.socket is None and self.plan.socket_per_page and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return user.socket

    async def send_message(self, user: User, scheduled: float) -> None:
        socket = await self.current_socket(user)
        if socket is None:
            return
        client_id = str(uuid.uuid4())
        record = Sent(sender=user.index, scheduled=scheduled, measured=self.in_window(scheduled))
        try:
            if self.plan.mode == "app":
                await socket.send(json.dumps({"type": "typing", "conversation": user.conversation}))
                await asyncio.sleep(self.rng.uniform(1.0, 3.0))
                socket = await self.current_socket(user)  # a page may have changed meanwhile
                if socket is None:
                    return
            # The partner's socket gets it; the bare echo comes back to the sender's.
            receiver = self.users[user.partner] if self.plan.mode == "app" else user
            record.unobservable = receiver.socket is None
            if not record.unobservable:
                receiver.incoming.add(client_id)
            frame = {
                "type": "send",
                "conversation": user.conversation,
                "body": BODY,
                "client_id": client_id,
            }
            self.sent[client_id] = record
            record.sent = time.monotonic()
            await socket.send(json.dumps(frame))
        except ConnectionClosed:
            record.sent = record.sent or time.monotonic()  # never arrives: lost if measured

    # --- Arrivals ----------------------------------------------------------------------------

    async def arrivals(self, rate: float, act: Any, start: float, end: float) -> None:
        """A Poisson process of `rate` per second over all users (the sum of one per user),
        from `start` to `end`; each arrival picks a user at random."""
        moment = start
        while True:
            moment += self.rng.expovariate(rate)
            if moment >= end:
                return
            delay = moment - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            late = time.monotonic() - moment
            if self.in_window(moment):
                self.results.lag.append(late)
            self.spawn(act(self.rng.choice(self.users), moment))

    async def page_arrival(self, user: User, moment: float) -> None:
        await self.load_page(user, self.rng.choice(list(PAGES)), moment)

    async def run(self, t0: float) -> None:
        plan = self.plan
        measured_from = t0 + plan.warmup
        end = measured_from + plan.seconds
        self.window = (measured_from, end)
        count = len(self.users)
        await asyncio.gather(
            self.arrivals(count / plan.page_interval, self.page_arrival, t0, end),
            self.arrivals(count / plan.send_interval, self.send_message, t0, end),
        )
        # Drain: what was sent in the window arrives within LOST_AFTER or is lost.
        deadline = time.monotonic() + LOST_AFTER + 3.0  # typing delay before the last send
        while time.monotonic() < deadline:
            waiting = [s for s in self.sent.values() if s.measured and not s.delivered]
            if not waiting and not self.tasks:
                break
            await asyncio.sleep(0.1)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for record in self.sent.values():
            if not record.measured:
                continue
            self.results.messages += 1
            if record.acked:
                self.results.acks.append(record.acked - record.sent)
            if record.delivered and record.delivered - record.sent <= LOST_AFTER:
                self.results.deliveries.append(record.delivered - record.sent)
            elif record.unobservable:
                self.results.between_pages += 1
            else:
                self.results.lost += 1

    async def close(self) -> None:
        self.closing = True
        sockets = [user.socket for user in self.users if user.socket is not None]
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main(plan: Plan, conn: Any) -> None:
    simulation = Simulation(plan)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)  # gunicorn's sync workers close
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    async with aiohttp.ClientSession(
        plan.http_base,
        connector=connector,
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),  # each request carries its own user's cookie
    ) as http:
        simulation.http = http
        try:
            await simulation.open_all()
            conn.send(
                (
                    "ready",
                    {
                        "opened": sum(1 for u in simulation.users if u.socket is not None),
                        "connect_seconds": simulation.results.connect_seconds,
                    },
                )
            )
            loop = asyncio.get_running_loop()
            message = await loop.run_in_executor(None, conn.recv)
            if message[0] != "go":
                return
            await simulation.run(message[1])
        finally:
            await simulation.close()
    conn.send(("done", simulation.results))


def run(plan: Plan, conn: Any) -> None:
    """The load process's entry point (multiprocessing, spawn)."""
    raise_open_files()
    try:
        asyncio.run(main(plan, conn))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        pass  # stopped (Ctrl+C) or the parent gave up: the sockets are closed already
    finally:
        conn.close()
