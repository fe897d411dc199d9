"""W2: a direct message end to end through the production channel layer, sender and receiver
on two different server processes, 50 pairs.

Each sender is signed in on a socket to server A, its partner on a socket to server B (two
uvicorn processes, one worker each, the same PostgreSQL and Redis). A sender sends a message
("send" with a client id) and, when its partner's socket has received the message.new, sends
the next: latency is from the send to the receiver's message.new. Subjects: production's
RedisPubSubChannelLayer and channels_redis' RedisChannelLayer ("core", through
BENCH_CHANNEL_LAYER in benchmarks/settings.py), each on its own pair of servers. Baseline: the
same path on the in-memory layer, sender and receiver on ONE process (REDIS_URL unset for that
server only: its cache is then local memory too; same database). The three alternate; each has
its own 50 pairs of users. Prints one JSON object on stdout.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chat import (
    SERVER_STOP_SECONDS,
    chat_env,
    create_users,
    direct_conversations,
    open_app_socket,
    percentile,
    session_cookies,
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

PAIRS = 50
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
RUN_SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WARMUP_SECONDS = 1.0
DELIVERY_TIMEOUT = 10.0
BENCH_DB = "bench_w2"
SECRET_KEY = "bench-w2-not-a-secret-" + "x" * 40
BODY = "Hi! Do you have time for a short call about your internship next week?"
# name -> (BENCH_CHANNEL_LAYER, Redis on, servers); the baseline first.
SETUPS = {
    "in_memory": ("", False, 1),
    "redis_pubsub": ("pubsub", True, 2),
    "redis_core": ("core", True, 2),
}
LAYER_CLASSES = {
    "in_memory": "channels.layers.InMemoryChannelLayer",
    "redis_pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "redis_core": "channels_redis.core.RedisChannelLayer",
}

log = progress_logger("W2")


@dataclass
class Run:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass
class Pair:
    sender: ClientConnection
    receiver: ClientConnection
    conversation: int


class Arrivals:
    """Reads every socket all the time (a socket left unread would stall its server) and
    resolves the future waiting for a client id when a receiver's message.new carries it."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.errors = 0
        self.readers: list[asyncio.Task[None]] = []

    def watch(self, socket: ClientConnection, *, receiver: bool) -> None:
        self.readers.append(asyncio.create_task(self._read(socket, receiver)))

    async def _read(self, socket: ClientConnection, receiver: bool) -> None:
        try:
            async for frame in socket:
                now = time.perf_counter()
                event = json.loads(frame)
                kind = event.get("type")
                if receiver and kind == "message.new":
                    future = self.waiting.pop(event["message"].get("client_id"), None)
                    if future is not None and not future.done():
                        future.set_result(now)
                elif kind == "error":
                    self.errors += 1
        except ConnectionClosed:
            pass

    def expect(self, client_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[client_id] = future
        return future


async def load(pairs: list[Pair], arrivals: Arrivals, seconds: float) -> Run:
    run = Run(seconds=seconds)
    errors_before = arrivals.errors
    started = time.perf_counter()
    deadline = started + seconds

    async def sender(pair: Pair) -> None:
        while time.perf_counter() < deadline:
            client_id = str(uuid.uuid4())
            arrived = arrivals.expect(client_id)
            frame = {
                "type": "send",
                "conversation": pair.conversation,
                "body": BODY,
                "client_id": client_id,
            }
            sent = time.perf_counter()
            await pair.sender.send(json.dumps(frame))
            try:
                received = await asyncio.wait_for(arrived, DELIVERY_TIMEOUT)
            except TimeoutError:
                arrivals.waiting.pop(client_id, None)
                run.lost += 1
                return
            run.latencies.append(received - sent)

    await asyncio.gather(*(sender(p) for p in pairs))
    run.seconds = time.perf_counter() - started
    run.errors = arrivals.errors - errors_before
    return run


def summary(runs: list[Run]) -> dict[str, Any]:
    return {
        "messages_per_s": round(statistics.median(r.rate for r in runs), 1),
        "p50_ms": round(statistics.median(percentile(r.latencies, 50) for r in runs) * 1000, 2),
        "p99_ms": round(statistics.median(percentile(r.latencies, 99) for r in runs) * 1000, 2),
        "messages": sum(len(r.latencies) for r in runs),
        "lost": sum(r.lost for r in runs),
        "errors": sum(r.errors for r in runs),
        "runs_per_s": [round(r.rate, 1) for r in runs],
    }


async def measure(
    ports: dict[str, list[int]], clients: dict[str, list[tuple[str, str, int]]]
) -> dict[str, list[Run]]:
    arrivals = Arrivals()
    pairs: dict[str, list[Pair]] = {}
    for name, port_list in ports.items():
        sender_port, receiver_port = port_list[0], port_list[-1]
        pairs[name] = []
        for sender_cookie, receiver_cookie, conversation in clients[name]:
            sender = await open_app_socket(sender_port, sender_cookie)
            receiver = await open_app_socket(receiver_port, receiver_cookie)
            arrivals.watch(sender, receiver=False)
            arrivals.watch(receiver, receiver=True)
            pairs[name].append(Pair(sender, receiver, conversation))
    log("sockets open")
    runs: dict[str, list[Run]] = {name: [] for name in ports}
    try:
        for name in ports:
            await load(pairs[name], arrivals, WARMUP_SECONDS)
        for number in range(RUNS):
            for name in ports:
                runs[name].append(await load(pairs[name], arrivals, RUN_SECONDS))
            log(
                f"run {number + 1}/{RUNS}: "
                + ", ".join(
                    f"{name} {runs[name][-1].rate:.0f}/s p99 "
                    f"{percentile(runs[name][-1].latencies, 99) * 1000:.0f} ms"
                    for name in ports
                )
            )
    finally:
        for pair_list in pairs.values():
            for pair in pair_list:
                await pair.sender.close()
                await pair.receiver.close()
        for reader in arrivals.readers:
            reader.cancel()
    return runs


def main() -> dict[str, Any]:
    server_url, redis_url = services_from_env("W2")
    began = time.monotonic()
    database_url = with_database(server_url, BENCH_DB)
    servers: list[subprocess.Popen[bytes]] = []
    recreate_database(server_url, BENCH_DB)
    try:
        env = chat_env(secret_key=SECRET_KEY, database_url=database_url, redis_url=redis_url)
        setup_django(env)
        from django.db import connections

        clients: dict[str, list[tuple[str, str, int]]] = {}
        for name in SETUPS:
            senders = create_users(f"{name}-sender", PAIRS)
            receivers = create_users(f"{name}-receiver", PAIRS)
            conversation_ids = direct_conversations(list(zip(senders, receivers, strict=True)))
            cookies = session_cookies(senders + receivers)
            clients[name] = [
                (cookies[s.pk], cookies[r.pk], c)
                for s, r, c in zip(senders, receivers, conversation_ids, strict=True)
            ]
        connections.close_all()

        ports: dict[str, list[int]] = {}
        for name, (layer, redis_on, count) in SETUPS.items():
            server_env = {
                **env,
                "REDIS_URL": redis_url if redis_on else "",
                "BENCH_CHANNEL_LAYER": layer,
            }
            ports[name] = []
            for _ in range(count):
                port = free_port()
                servers.append(start_uvicorn(server_env, port))
                ports[name].append(port)
        runs = asyncio.run(measure(ports, clients))
    finally:
        for server in servers:
            stop_process(server, timeout=SERVER_STOP_SECONDS)
        drop_database(server_url, BENCH_DB, log=log)

    summaries = {name: summary(name_runs) for name, name_runs in runs.items()}
    base = summaries["in_memory"]
    subjects: dict[str, Any] = {}
    for name in ("redis_pubsub", "redis_core"):
        subject = summaries[name]
        subjects[name] = {
            **subject,
            "layer": LAYER_CLASSES[name],
            "ratio_throughput": round(subject["messages_per_s"] / base["messages_per_s"], 3),
            "met": {
                "p99_ms": subject["p99_ms"] <= 50,
                "ratio_throughput": subject["messages_per_s"] / base["messages_per_s"] >= 0.6,
                "lost": subject["lost"] == 0,
            },
        }
    faster = max(("redis_pubsub", "redis_core"), key=lambda name: summaries[name]["messages_per_s"])
    return {
        "id": "W2",
        "pairs": PAIRS,
        "server": {"workers": 1, "processes": {n: s[2] for n, s in SETUPS.items()}},
        "baseline": {**base, "layer": LAYER_CLASSES["in_memory"]},
        "subjects": subjects,
        "production_layer": LAYER_CLASSES["redis_pubsub"],
        "faster_layer": LAYER_CLASSES[faster],
        "targets": {"p99_ms": "<=50", "ratio_throughput": ">=0.6", "lost": 0},
        "runs": RUNS,
        "seconds_per_run": RUN_SECONDS,
        "total_seconds": round(time.monotonic() - began, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
