"""W3: group broadcast to 100 and 1,000 members.

1,000 signed-in users, each on one open socket to the app (all from this process, asyncio),
are members of a group conversation of 1,000; the first 100 of them of a group of 100 too. One
member sends a message ("send") and the clock runs until every member's socket has its
message.new. Baseline: bare `websockets.broadcast()` (benchmarks/bare_ws.py) of the same frame
to N of 1,000 connections. Two phases per run, bare and app alternating:

- latency: LATENCY_MESSAGES messages one at a time, each waited for at every member;
- saturation: BURST messages sent back to back, deliveries per second until the last arrived.

The app is served as in production: uvicorn, one worker, DEBUG off, RedisPubSubChannelLayer.
Needs DATABASE_URL (a role with CREATEDB; `bench_w3` is created and dropped) and REDIS_URL;
scripts/bench.sh provides both. Prints one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from benchmarks.chat import (
    SERVER_STOP_SECONDS,
    chat_env,
    create_users,
    group_conversation,
    open_app_socket,
    open_socket,
    percentile,
    session_cookies,
    start_bare,
    start_uvicorn,
)
from benchmarks.common import (
    drop_database,
    free_port,
    progress_logger,
    recreate_database,
    services_from_env,
    setup_django,
    stop_process,
    with_database,
)

SIZES = (100, 1000)
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
LATENCY_MESSAGES = 5
BURST = 10
DELIVERY_TIMEOUT = 15.0
OPEN_CONCURRENCY = 50
BENCH_DB = "bench_w3"
SECRET_KEY = "bench-w3-not-a-secret-" + "x" * 40
BODY = "Reminder: this week's theme is giving and receiving feedback. See you on Thursday!"

log = progress_logger("W3")


@dataclass
class Delivery:
    """One message: when it was sent, when each member's socket had it."""

    expected: int
    sent: float = 0.0
    arrivals: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Tracker:
    """Reads every socket all the time and files each broadcast frame under its client id."""

    def __init__(self) -> None:
        self.deliveries: dict[str, Delivery] = {}
        self.readers: list[asyncio.Task[None]] = []

    def watch(self, socket: ClientConnection, marker: str, key: Callable[[Any], str]) -> None:
        self.readers.append(asyncio.create_task(self._read(socket, marker, key)))

    async def _read(self, socket: ClientConnection, marker: str, key: Callable[[Any], str]) -> None:
        try:
            async for frame in socket:
                now = time.perf_counter()
                if marker not in frame:
                    continue
                delivery = self.deliveries.get(key(json.loads(frame)))
                if delivery is not None:
                    delivery.arrivals.append(now)
                    if len(delivery.arrivals) == delivery.expected:
                        delivery.done.set()
        except ConnectionClosed:
            pass

    def expect(self, members: int) -> tuple[str, Delivery]:
        client_id = str(uuid.uuid4())
        self.deliveries[client_id] = delivery = Delivery(expected=members)
        return client_id, delivery


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # send -> each member, all messages
    completions: list[float] = field(default_factory=list)  # send -> last member, per message
    deliveries_per_s: float = 0.0
    lost: int = 0


Frame = Callable[[str], str]


async def broadcast_run(
    tracker: Tracker, sender: ClientConnection, make_frame: Frame, members: int
) -> Run:
    run = Run()
    for _ in range(LATENCY_MESSAGES):
        client_id, delivery = tracker.expect(members)
        delivery.sent = time.perf_counter()
        await sender.send(make_frame(client_id))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(delivery.done.wait(), DELIVERY_TIMEOUT)
        run.lost += members - len(delivery.arrivals)
        run.latencies += [t - delivery.sent for t in delivery.arrivals]
        if delivery.arrivals:
            run.completions.append(max(delivery.arrivals) - delivery.sent)
    burst = [tracker.expect(members) for _ in range(BURST)]
    started = time.perf_counter()
    for client_id, delivery in burst:
        delivery.sent = time.perf_counter()
        await sender.send(make_frame(client_id))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(d.done.wait() for _c, d in burst)), DELIVERY_TIMEOUT * 2
        )
    received = sum(len(d.arrivals) for _c, d in burst)
    run.lost += members * BURST - received
    last = max((t for _c, d in burst for t in d.arrivals), default=started)
    run.deliveries_per_s = received / max(last - started, 1e-9)
    for client_id, _delivery in burst:
        tracker.deliveries.pop(client_id, None)
    return run


def summary(runs: list[Run]) -> dict[str, Any]:
    def median_ms(values: list[float]) -> float:
        return round(statistics.median(values) * 1000, 2)

    return {
        "p50_ms": median_ms([percentile(r.latencies, 50) for r in runs]),
        "p99_ms": median_ms([percentile(r.latencies, 99) for r in runs]),
        "all_received_ms": median_ms([statistics.median(r.completions) for r in runs]),
        "deliveries_per_s": round(statistics.median(r.deliveries_per_s for r in runs)),
        "lost": sum(r.lost for r in runs),
        "runs_deliveries_per_s": [round(r.deliveries_per_s) for r in runs],
    }


async def open_all(opener: Callable[[int], Any], count: int) -> list[ClientConnection]:
    """`count` sockets, OPEN_CONCURRENCY at a time, in member order."""
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(index: int) -> ClientConnection:
        async with gate:
            socket: ClientConnection = await opener(index)
            return socket

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def measure(
    app_port: int, bare_port: int, cookies: list[str], groups: dict[int, int]
) -> dict[int, tuple[list[Run], list[Run]]]:
    tracker = Tracker()
    started = time.monotonic()
    app = await open_all(lambda i: open_app_socket(app_port, cookies[i]), len(cookies))
    log(f"{len(app)} app sockets open in {time.monotonic() - started:.1f} s")
    bare: list[ClientConnection] = []
    for _index in range(len(cookies)):  # one by one: the bare server broadcasts to the first n
        bare.append(await open_socket(bare_port))
    for socket in app:
        tracker.watch(socket, '"message.new"', lambda event: event["message"]["client_id"])
    for socket in bare:
        tracker.watch(socket, '"broadcast"', lambda event: event["client_id"])

    def app_frame(conversation: int) -> Frame:
        def frame(client_id: str) -> str:
            return json.dumps(
                {"type": "send", "conversation": conversation, "body": BODY, "client_id": client_id}
            )

        return frame

    def bare_frame(members: int) -> Frame:
        def frame(client_id: str) -> str:
            return json.dumps(
                {"type": "broadcast", "n": members, "body": BODY, "client_id": client_id}
            )

        return frame

    results: dict[int, tuple[list[Run], list[Run]]] = {}
    try:
        for members in SIZES:
            # warm-up: one message each way
            await broadcast_run_warm(tracker, bare[0], bare_frame(members), members)
            await broadcast_run_warm(tracker, app[0], app_frame(groups[members]), members)
            baseline: list[Run] = []
            subject: list[Run] = []
            for number in range(RUNS):
                baseline.append(await broadcast_run(tracker, bare[0], bare_frame(members), members))
                subject.append(
                    await broadcast_run(tracker, app[0], app_frame(groups[members]), members)
                )
                log(
                    f"N={members} run {number + 1}/{RUNS}: bare p99 "
                    f"{percentile(baseline[-1].latencies, 99) * 1000:.1f} ms "
                    f"{baseline[-1].deliveries_per_s:.0f}/s; app p99 "
                    f"{percentile(subject[-1].latencies, 99) * 1000:.1f} ms "
                    f"{subject[-1].deliveries_per_s:.0f}/s, lost {subject[-1].lost}"
                )
            results[members] = (baseline, subject)
    finally:
        for reader in tracker.readers:
            reader.cancel()
        await asyncio.gather(*(s.close() for s in app + bare), return_exceptions=True)
    return results


async def broadcast_run_warm(
    tracker: Tracker, sender: ClientConnection, make_frame: Frame, members: int
) -> None:
    client_id, delivery = tracker.expect(members)
    await sender.send(make_frame(client_id))
    try:
        await asyncio.wait_for(delivery.done.wait(), DELIVERY_TIMEOUT)
    except TimeoutError:
        log(f"warm-up: {len(delivery.arrivals)} of {members} received")
    tracker.deliveries.pop(client_id, None)


def main() -> dict[str, Any]:
    server_url, redis_url = services_from_env("W3")
    began = time.monotonic()
    database_url = with_database(server_url, BENCH_DB)
    servers: list[subprocess.Popen[bytes]] = []
    recreate_database(server_url, BENCH_DB)
    try:
        env = chat_env(secret_key=SECRET_KEY, database_url=database_url, redis_url=redis_url)
        setup_django(env)
        from django.db import connections

        users = create_users("member", max(SIZES))
        groups = {size: group_conversation(users[:size]) for size in SIZES}
        by_user = session_cookies(users)
        cookies = [by_user[u.pk] for u in users]
        connections.close_all()

        app_port, bare_port = free_port(), free_port()
        servers.append(start_uvicorn(env, app_port))
        servers.append(start_bare(env, bare_port))
        results = asyncio.run(measure(app_port, bare_port, cookies, groups))
    finally:
        for server in servers:
            stop_process(server, timeout=SERVER_STOP_SECONDS)
        drop_database(server_url, BENCH_DB, log=log)

    by_size: dict[str, Any] = {}
    met: dict[str, bool] = {}
    for members, (baseline, subject) in results.items():
        base, subj = summary(baseline), summary(subject)
        saturation = subj["deliveries_per_s"] / base["deliveries_per_s"]
        by_size[str(members)] = {
            "baseline": base,
            "subject": subj,
            "ratio_saturation": round(saturation, 3),
            "ratio_p99": round(subj["p99_ms"] / base["p99_ms"], 2),
        }
        if members == 1000:
            met = {
                "p99_ms": subj["p99_ms"] <= 300,
                "ratio_saturation": saturation >= 0.2,
                "lost": subj["lost"] == 0,
            }
    return {
        "id": "W3",
        "server": {"workers": 1, "channel_layer": "RedisPubSubChannelLayer"},
        "members": by_size,
        "targets": {"n1000_p99_ms": "<=300", "ratio_saturation": ">=0.2", "lost": 0},
        "met": met,
        "latency_messages_per_run": LATENCY_MESSAGES,
        "burst_messages_per_run": BURST,
        "runs": RUNS,
        "total_seconds": round(time.monotonic() - began, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
