"""W1: chat echo through the production consumer, 1 and 50 connections.

Each client is a signed-in user on their own socket, in a direct conversation with a partner:
it sends a message ("send" with a client id) and waits for its "ack" and its own "message.new"
before sending the next. Baseline: the bare `websockets` echo server (benchmarks/bare_ws.py)
answering the same frame, on the same loopback, alternated with the subject. The app is
served as in production: uvicorn, one worker, DEBUG off, the Redis channel layer. Needs
DATABASE_URL (a role with CREATEDB; `bench_w1` is created and dropped) and REDIS_URL;
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

CONNECTIONS = (1, 50)
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
RUN_SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
WARMUP_SECONDS = 1.0
REPLY_TIMEOUT = 10.0
BENCH_DB = "bench_w1"
SECRET_KEY = "bench-w1-not-a-secret-" + "x" * 40
BODY = "Hello! Could we talk about Python testing on Thursday?"

log = progress_logger("W1")


@dataclass
class Run:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


async def app_round_trip(socket: ClientConnection, conversation: int) -> bool:
    """One message sent; true when both its ack and its own message.new came back."""
    client_id = str(uuid.uuid4())
    await socket.send(
        json.dumps(
            {"type": "send", "conversation": conversation, "body": BODY, "client_id": client_id}
        )
    )
    acked = echoed = False
    while not (acked and echoed):
        frame = json.loads(await socket.recv())
        kind = frame.get("type")
        if kind == "ack" and frame.get("client_id") == client_id:
            acked = True
        elif kind == "message.new" and frame["message"].get("client_id") == client_id:
            echoed = True
        elif kind == "error":
            return False
    return True


async def bare_round_trip(socket: ClientConnection, conversation: int) -> bool:
    client_id = str(uuid.uuid4())
    await socket.send(
        json.dumps(
            {"type": "send", "conversation": conversation, "body": BODY, "client_id": client_id}
        )
    )
    return client_id in str(await socket.recv())


async def load(sockets: list[tuple[ClientConnection, int]], round_trip: Any, seconds: float) -> Run:
    """Each socket sends its next message as soon as the last one came back, for `seconds`."""
    run = Run(seconds=seconds)
    started = time.perf_counter()
    deadline = started + seconds

    async def client(socket: ClientConnection, conversation: int) -> None:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                ok = await asyncio.wait_for(round_trip(socket, conversation), REPLY_TIMEOUT)
            except (TimeoutError, ConnectionClosed):
                ok = False
            if ok:
                run.latencies.append(time.perf_counter() - sent)
            else:
                run.errors += 1
                return  # a lost or refused reply leaves the socket in an unknown state

    await asyncio.gather(*(client(s, c) for s, c in sockets))
    run.seconds = time.perf_counter() - started
    return run


def summary(runs: list[Run]) -> dict[str, Any]:
    return {
        "round_trips_per_s": round(statistics.median(r.rate for r in runs), 1),
        "p50_ms": round(statistics.median(percentile(r.latencies, 50) for r in runs) * 1000, 2),
        "p99_ms": round(statistics.median(percentile(r.latencies, 99) for r in runs) * 1000, 2),
        "round_trips": sum(len(r.latencies) for r in runs),
        "errors": sum(r.errors for r in runs),
        "runs_per_s": [round(r.rate, 1) for r in runs],
    }


async def measure(
    app_port: int, bare_port: int, clients: list[tuple[str, int]]
) -> dict[int, tuple[list[Run], list[Run]]]:
    app = [(await open_app_socket(app_port, cookie), conv) for cookie, conv in clients]
    bare = [(await open_socket(bare_port), conv) for _cookie, conv in clients]
    results: dict[int, tuple[list[Run], list[Run]]] = {}
    try:
        for count in CONNECTIONS:
            await load(bare[:count], bare_round_trip, WARMUP_SECONDS)
            await load(app[:count], app_round_trip, WARMUP_SECONDS)
            baseline: list[Run] = []
            subject: list[Run] = []
            for number in range(RUNS):
                baseline.append(await load(bare[:count], bare_round_trip, RUN_SECONDS))
                subject.append(await load(app[:count], app_round_trip, RUN_SECONDS))
                log(
                    f"{count} connections, run {number + 1}/{RUNS}: bare "
                    f"{baseline[-1].rate:.0f}/s, app {subject[-1].rate:.0f}/s, app p99 "
                    f"{percentile(subject[-1].latencies, 99) * 1000:.1f} ms"
                )
            results[count] = (baseline, subject)
    finally:
        for socket, _conv in app + bare:
            await socket.close()
    return results


def main() -> dict[str, Any]:
    server_url, redis_url = services_from_env("W1")
    began = time.monotonic()
    database_url = with_database(server_url, BENCH_DB)
    servers: list[subprocess.Popen[bytes]] = []
    recreate_database(server_url, BENCH_DB)
    try:
        env = chat_env(secret_key=SECRET_KEY, database_url=database_url, redis_url=redis_url)
        setup_django(env)
        from django.db import connections

        count = max(CONNECTIONS)
        users = create_users("sender", count)
        partners = create_users("partner", count)
        conversation_ids = direct_conversations(list(zip(users, partners, strict=True)))
        cookies = session_cookies(users)
        clients = [(cookies[u.pk], c) for u, c in zip(users, conversation_ids, strict=True)]
        connections.close_all()

        app_port, bare_port = free_port(), free_port()
        servers.append(start_uvicorn(env, app_port))
        servers.append(start_bare(env, bare_port))
        results = asyncio.run(measure(app_port, bare_port, clients))
    finally:
        for server in servers:
            stop_process(server, timeout=SERVER_STOP_SECONDS)
        drop_database(server_url, BENCH_DB, log=log)

    by_connections: dict[str, Any] = {}
    met: dict[str, bool] = {}
    for connections_count, (baseline, subject) in results.items():
        base, subj = summary(baseline), summary(subject)
        ratio_rate = subj["round_trips_per_s"] / base["round_trips_per_s"]
        ratio_p99 = subj["p99_ms"] / base["p99_ms"]
        by_connections[str(connections_count)] = {
            "baseline": base,
            "subject": subj,
            "ratio_throughput": round(ratio_rate, 3),
            "ratio_p99": round(ratio_p99, 2),
        }
        met[f"throughput_{connections_count}"] = ratio_rate >= 0.25
        met[f"p99_{connections_count}"] = ratio_p99 <= 5
    return {
        "id": "W1",
        "server": {"workers": 1, "channel_layer": "RedisPubSubChannelLayer"},
        "connections": by_connections,
        "targets": {"ratio_throughput": ">=0.25", "ratio_p99": "<=5"},
        "met": met,
        "runs": RUNS,
        "seconds_per_run": RUN_SECONDS,
        "total_seconds": round(time.monotonic() - began, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
