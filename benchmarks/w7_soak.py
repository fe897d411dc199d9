"""W7: the mixed soak. N signed-in users on this machine through the deployed split, N ramped.

The servers run as docker-compose.yml runs them: gunicorn's sync workers for pages (`web`, 2
workers), uvicorn for /ws/ (`ws`, 2 workers), a Celery worker (`worker`, concurrency 2), on
the PostgreSQL and Redis of DATABASE_URL and REDIS_URL; DEBUG off, collected static files,
production's pool and message rate limit. The data is the demo pilot (`seed_demo`) with N more
actors (W4's realistic profiles), paired in direct conversations that already hold a few
messages, each signed in by a database session.

Each user holds one socket, loads an everyday page every PAGE_INTERVAL (30) s on average and
sends a chat message every SEND_INTERVAL (60) s on average, with the requests the page scripts
make (benchmarks/soak_users.py says exactly what a user does). Several load processes share the
users (USERS_PER_LOADER each), so one Python process is not the limit; their CPU is reported
with the servers'. Per step of the ramp (BENCH_STEPS), first the baseline, then the subject:

- baseline: the same arrivals on the bare view (/bench/bare/ on the same gunicorn) and the
  bare socket echo (benchmarks/bare_ws.py), for BASELINE_SECONDS;
- subject: the pages, the scripts' requests and the chat through the app, for BENCH_SECONDS.

Both after WARMUP_SECONDS of the same load. The ramp stops at the first step that misses a
target (page p99 <= 300 ms, delivery p99 <= 100 ms, nothing lost, no errors) or when the next
step would not fit in BENCH_MAX_SECONDS. Prints one JSON object on stdout; progress on stderr.
Needs DATABASE_URL (a role with CREATEDB; `bench_w7` is created and dropped) and REDIS_URL;
scripts/bench.sh provides both.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import soak_cpu, soak_plan, soak_users
from benchmarks.chat import percentile
from benchmarks.common import (
    django_env,
    drop_database,
    free_port,
    progress_logger,
    recreate_database,
    services_from_env,
    setup_django,
    with_database,
)
from benchmarks.soak_setup import seed, service_pids, start_servers, stop_all, warm


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


STEPS = [
    int(n) for n in os.environ.get("BENCH_STEPS", "100,250,500,1000,2000,3000,5000").split(",")
]
RUN_SECONDS = env_float("BENCH_SECONDS", 60)
BASELINE_SECONDS = env_float("BENCH_BASELINE_SECONDS", max(10.0, RUN_SECONDS / 3))
WARMUP_SECONDS = env_float("BENCH_WARMUP_SECONDS", 5)
PAGE_INTERVAL = env_float("BENCH_PAGE_INTERVAL", 30)
SEND_INTERVAL = env_float("BENCH_SEND_INTERVAL", 60)
USERS_PER_LOADER = int(os.environ.get("BENCH_USERS_PER_LOADER", "1000"))
# 1: a new socket with every page load, as a browser opens one per page; 0: one held all along.
SOCKET_PER_PAGE = os.environ.get("BENCH_SOCKET_PER_PAGE", "0") == "1"
MAX_SECONDS = env_float("BENCH_MAX_SECONDS", 720)
TARGETS = {"page_p99_ms": 300.0, "delivery_p99_ms": 100.0, "lost": 0, "errors": 0}
LAG_LIMIT_MS = 50.0  # a load process later than this (p99) to its arrivals is a bottleneck
BENCH_DB = "bench_w7"
SECRET_KEY = "bench-w7-not-a-secret-" + "x" * 40
SERVER_GROUPS = ("gunicorn", "uvicorn", "postgres", "redis", "celery")

log = progress_logger("W7")


# --- A phase: one mode at one N -----------------------------------------------------------


def run_phase(
    *,
    mode: str,
    users: list[tuple[str, int, int, int]],
    seconds: float,
    ports: dict[str, int],
    slug: str,
    groups: dict[str, soak_cpu.Group],
    servers: frozenset[int],
    step: int,
    fragments: bool,
) -> dict[str, Any]:
    """Start the load processes, let them open their sockets, run the arrivals, collect."""
    loaders = max(1, math.ceil(len(users) / USERS_PER_LOADER))
    pairs = len(users) // 2
    bounds = [round(pairs * k / loaders) * 2 for k in range(loaders + 1)]
    ws_port = ports["uvicorn"] if mode == "app" else ports["bare_ws"]
    context = multiprocessing.get_context("spawn")
    processes: list[Any] = []
    pipes: list[Any] = []
    results: list[soak_plan.Results] = []
    try:
        for k in range(loaders):
            chunk = users[bounds[k] : bounds[k + 1]]
            offset = bounds[k]
            plan = soak_plan.Plan(
                mode=mode,
                http_base=f"http://127.0.0.1:{ports['gunicorn']}",
                ws_url=f"ws://127.0.0.1:{ws_port}/ws/",
                origin=f"http://127.0.0.1:{ws_port}",
                pilot_slug=slug,
                users=[(c, conv, partner - offset, last) for c, conv, partner, last in chunk],
                page_interval=PAGE_INTERVAL,
                send_interval=SEND_INTERVAL,
                warmup=WARMUP_SECONDS,
                seconds=seconds,
                seed=step * 100 + k + (0 if mode == "app" else 50),
                fragments=fragments,
                socket_per_page=SOCKET_PER_PAGE,
            )
            parent, child = context.Pipe()
            process = context.Process(target=soak_users.run, args=(plan, child), daemon=True)
            process.start()
            child.close()
            processes.append(process)
            pipes.append(parent)
        opened = 0
        connect_seconds = 0.0
        deadline = time.monotonic() + 60 + len(users) / 20
        for pipe in pipes:
            if not pipe.poll(max(1.0, deadline - time.monotonic())):
                raise RuntimeError(f"{mode}: a load process did not open its sockets in time")
            _kind, ready = pipe.recv()
            opened += ready["opened"]
            connect_seconds = max(connect_seconds, ready["connect_seconds"])
        log(f"N={len(users)} {mode}: {opened} sockets open in {connect_seconds:.1f} s")
        # The load: this process and its children but the servers (the load processes).
        groups = {**groups, "load": soak_cpu.Group(roots=[os.getpid()], exclude=servers)}
        t0 = time.monotonic() + 0.5
        for pipe in pipes:
            pipe.send(("go", t0))
        time.sleep(max(0.0, t0 + WARMUP_SECONDS - time.monotonic()))
        before = soak_cpu.sample()
        time.sleep(max(0.0, t0 + WARMUP_SECONDS + seconds - time.monotonic()))
        after = soak_cpu.sample()
        for pipe in pipes:
            if not pipe.poll(soak_plan.LOST_AFTER + 60):
                raise RuntimeError(f"{mode}: a load process did not report")
            results.append(pipe.recv()[1])
    finally:
        # Done, they end by themselves; after a failure (or Ctrl+C) a closed pipe ends a
        # process waiting for "go", and what still runs is killed.
        for pipe in pipes:
            pipe.close()
        for process in processes:
            process.join(timeout=10 if len(results) == len(processes) else 2)
            if process.is_alive():
                process.kill()
                process.join()
    figures = summarise(mode, results, seconds)
    figures["offered_pages_per_s"] = round(len(users) / PAGE_INTERVAL, 1)
    figures["offered_messages_per_s"] = round(len(users) / SEND_INTERVAL, 1)
    figures["sockets_opened"] = opened
    figures["connect_seconds"] = round(connect_seconds, 1)
    figures["load_processes"] = loaders
    figures["cpu"] = soak_cpu.usage(groups, before, after)
    return figures


# --- Figures -----------------------------------------------------------------------------


def ms(values: list[float], percent: float) -> float | None:
    found = percentile(values, percent)
    return None if math.isnan(found) else round(found * 1000, 1)


def summarise(mode: str, results: list[soak_plan.Results], seconds: float) -> dict[str, Any]:
    pages = [s for r in results for _name, s in r.pages]
    fetches = [s for r in results for _name, s in r.fetches]
    deliveries = [s for r in results for s in r.deliveries]
    lag = [s for r in results for s in r.lag]
    http_errors: dict[str, int] = {}
    error_frames: dict[str, int] = {}
    for r in results:
        for key, count in r.http_errors.items():
            http_errors[key] = http_errors.get(key, 0) + count
        for key, count in r.error_frames.items():
            error_frames[key] = error_frames.get(key, 0) + count
    closes = sum(r.socket_closes for r in results)
    failed_connects = sum(r.connect_failures for r in results)
    figures: dict[str, Any] = {
        "pages": sum(r.pages_answered for r in results),
        "pages_per_s": round(sum(r.pages_answered for r in results) / seconds, 1),
        "page_loads": len(pages),
        "page_p50_ms": ms(pages, 50),
        "page_p99_ms": ms(pages, 99),
        "messages": sum(r.messages for r in results),
        "delivered": len(deliveries),
        "delivery_p50_ms": ms(deliveries, 50),
        "delivery_p99_ms": ms(deliveries, 99),
        "lost": sum(r.lost for r in results),
        "between_pages": sum(r.between_pages for r in results),
        "errors": sum(http_errors.values()) + sum(error_frames.values()) + closes + failed_connects,
        "error_kinds": {
            "http": http_errors,
            "error_frames": error_frames,
            "socket_closes": closes,
            "failed_connects": failed_connects,
        },
        "load_lag_p99_ms": ms(lag, 99),
    }
    if SOCKET_PER_PAGE:
        reopens = [s for r in results for s in r.reopens]
        figures["socket_reopens"] = len(reopens)
        figures["socket_reopen_p99_ms"] = ms(reopens, 99)
    if mode == "app":
        by_page: dict[str, list[float]] = {}
        for r in results:
            for name, spent in r.pages:
                by_page.setdefault(name, []).append(spent)
        by_fetch: dict[str, list[float]] = {}
        for r in results:
            for name, spent in r.fetches:
                by_fetch.setdefault(name, []).append(spent)
        acks = [s for r in results for s in r.acks]
        figures.update(
            {
                "by_page": {
                    name: {"count": len(v), "p50_ms": ms(v, 50), "p99_ms": ms(v, 99)}
                    for name, v in sorted(by_page.items())
                },
                "script_requests": len(fetches),
                "script_request_p99_ms": ms(fetches, 99),
                "script_requests_by_kind": {
                    name: {"count": len(v), "p99_ms": ms(v, 99)}
                    for name, v in sorted(by_fetch.items())
                },
                "ack_p99_ms": ms(acks, 99),
                "frames_received": sum(r.frames for r in results),
            }
        )
    return figures


def ratio(subject: float | None, baseline: float | None) -> float | None:
    if subject is None or not baseline:
        return None
    return round(subject / baseline, 2)


def judge(subject: dict[str, Any]) -> dict[str, bool]:
    page, delivery = subject["page_p99_ms"], subject["delivery_p99_ms"]
    return {
        "page_p99_ms": page is not None and page <= TARGETS["page_p99_ms"],
        "delivery_p99_ms": delivery is not None and delivery <= TARGETS["delivery_p99_ms"],
        "lost": subject["lost"] == 0,
        "errors": subject["errors"] == 0,
    }


def cores_per_1000_users(n: int, cpu: dict[str, Any]) -> dict[str, float]:
    """What 1,000 users cost each group, in cores: less noisy than latencies on a shared
    machine (another's work slows a request but does not add to its CPU seconds)."""
    cost = {name: round(cpu[name]["cores"] * 1000 / n, 3) for name in (*SERVER_GROUPS, "load")}
    cost["servers"] = round(sum(cost[name] for name in SERVER_GROUPS), 3)
    return cost


def projection(step: dict[str, Any]) -> dict[str, Any]:
    """The N at which this step's CPU per user would fill every core of the machine, with
    and without the load generator: an upper bound (queues make p99 miss before that)."""
    cost = step["cores_per_1000_users"]
    cores = step["subject"]["cpu"]["machine"]["cores"]
    return {
        "from_n": step["n"],
        "servers_only": round(cores * 1000 / cost["servers"]) if cost["servers"] else None,
        "with_load_generator": (
            round(cores * 1000 / (cost["servers"] + cost["load"])) if cost["servers"] else None
        ),
    }


def saturation(step: dict[str, Any]) -> dict[str, Any]:
    """The server group that used the most CPU at this step, and the machine's state."""
    cpu = step["subject"]["cpu"]
    group = max(SERVER_GROUPS, key=lambda name: cpu.get(name, {}).get("cores", 0.0))
    return {
        "group": group,
        "n": step["n"],
        "cores": cpu[group]["cores"],
        "busiest_process_cores": cpu[group]["busiest_process_cores"],
        "waiting_for_cpu": cpu[group]["waiting_for_cpu"],
        "machine_busy_cores": cpu["machine"]["busy_cores"],
        "load_generator_cores": cpu["load"]["cores"],
        "other_cores": cpu["machine"]["other_cores"],
        "missed": [name for name, ok in step["met"].items() if not ok],
    }


def step_seconds(n: int) -> float:
    """A rough upper bound of one step's wall time, for the time budget."""
    connect = 5 + n / 40  # app sockets open at about 40 to 400 a second here
    return connect + BASELINE_SECONDS + RUN_SECONDS + 2 * (WARMUP_SECONDS + 15)


# --- Main --------------------------------------------------------------------------------


def interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM too: the finally blocks stop what was started


def main() -> dict[str, Any]:
    server_url, redis_url = services_from_env("W7")
    began = time.monotonic()
    signal.signal(signal.SIGTERM, interrupted)
    soak_users.raise_open_files()  # inherited by the servers: thousands of sockets
    steps = sorted({n + n % 2 for n in STEPS})
    database_url = with_database(server_url, BENCH_DB)
    static_root = tempfile.mkdtemp(prefix="bench-w7-static-")
    servers: dict[str, subprocess.Popen[bytes]] = {}
    results: list[dict[str, Any]] = []
    stopped = "every step met the targets"
    recreate_database(server_url, BENCH_DB)
    try:
        env = django_env(
            settings_module="benchmarks.settings",
            secret_key=SECRET_KEY,
            database_url=database_url,
            redis_url=redis_url,
            ALLOWED_HOSTS="127.0.0.1",
            CONN_MAX_AGE="0",
            STATIC_ROOT=static_root,
            EMAIL_URL="memorymail://",
        )
        setup_django(env, collect_static=True)
        from django.db import connections

        seeded = time.monotonic()
        slug, users = seed(max(steps))
        seed_seconds = time.monotonic() - seeded
        log(f"seeded {len(users)} users in {seed_seconds:.1f} s")
        connections.close_all()
        ports = {name: free_port() for name in ("gunicorn", "uvicorn", "bare_ws")}
        servers = start_servers(env, ports["gunicorn"], ports["uvicorn"], ports["bare_ws"])
        pids = service_pids(server_url, redis_url)
        server_pids = frozenset(p.pid for p in servers.values())
        groups = {
            name: soak_cpu.Group(roots=[servers[name].pid])
            for name in ("gunicorn", "uvicorn", "celery")
        }
        groups.update({name: soak_cpu.Group(roots=[pid]) for name, pid in pids.items()})
        groups["bare_ws"] = soak_cpu.Group(roots=[servers["bare_ws"].pid])
        pages = [p.format(slug=slug, conversation=users[0][1]) for p in soak_plan.PAGES.values()]
        fragments = warm(ports["gunicorn"], pages, [users[0][0], users[1][0]] * 3)

        for n in steps:
            if time.monotonic() - began + step_seconds(n) > MAX_SECONDS:
                stopped = f"time budget: N={n} would not end within BENCH_MAX_SECONDS"
                break
            phase = partial(
                run_phase,
                users=users[:n],
                ports=ports,
                slug=slug,
                groups=groups,
                servers=server_pids,
                step=n,
                fragments=fragments,
            )
            baseline = phase(mode="bare", seconds=BASELINE_SECONDS)
            subject = phase(mode="app", seconds=RUN_SECONDS)
            met = judge(subject)
            step = {
                "n": n,
                "subject": subject,
                "baseline": baseline,
                "ratio_page_p99": ratio(subject["page_p99_ms"], baseline["page_p99_ms"]),
                "ratio_delivery_p99": ratio(
                    subject["delivery_p99_ms"], baseline["delivery_p99_ms"]
                ),
                "ratio_pages_per_s": ratio(subject["pages_per_s"], baseline["pages_per_s"]),
                "met": met,
                "meets_targets": all(met.values()),
                "cores_per_1000_users": cores_per_1000_users(n, subject["cpu"]),
            }
            results.append(step)
            log(
                f"N={n}: {subject['pages_per_s']} pages/s, page p50/p99 "
                f"{subject['page_p50_ms']}/{subject['page_p99_ms']} ms (bare "
                f"{baseline['page_p99_ms']}), {subject['messages']} messages, delivery p50/p99 "
                f"{subject['delivery_p50_ms']}/{subject['delivery_p99_ms']} ms (echo "
                f"{baseline['delivery_p99_ms']}), lost {subject['lost']}, errors "
                f"{subject['errors']}; cores: "
                + ", ".join(
                    f"{name} {subject['cpu'][name]['cores']}" for name in (*SERVER_GROUPS, "load")
                )
                + f", other {subject['cpu']['machine']['other_cores']}"
            )
            if not step["meets_targets"]:
                stopped = f"N={n} missed: " + ", ".join(k for k, ok in met.items() if not ok)
                break
    finally:
        # A second Ctrl+C must not cut the clean-up short (it is bounded: SERVER_STOP_SECONDS).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(servers)
        drop_database(server_url, BENCH_DB, log=log)
        shutil.rmtree(static_root, ignore_errors=True)

    passing = [step["n"] for step in results if step["meets_targets"]]
    failed = [step for step in results if not step["meets_targets"]]
    deciding = failed[0] if failed else (results[-1] if results else None)
    lagging = [
        step["n"] for step in results if (step["subject"]["load_lag_p99_ms"] or 0) > LAG_LIMIT_MS
    ]
    return {
        "id": "W7",
        "largest_n_meeting_targets": max(passing) if passing else 0,
        "saturates_first": saturation(deciding) if deciding else None,
        "n_filling_all_cores": projection(results[-1]) if results else None,
        "stopped_because": stopped,
        "load_generator_late_at": lagging,
        "targets": {
            "page_p99_ms": "<=300",
            "delivery_p99_ms": "<=100",
            "lost": 0,
            "errors": 0,
            "goal_n": 5000,
        },
        "steps": results,
        "servers": {
            "gunicorn": "gunicorn mentoring.wsgi:application --workers 2 (sync), pages",
            "uvicorn": "uvicorn mentoring.asgi:application --workers 2, /ws/",
            "celery": "celery -A mentoring worker --concurrency=2",
            "bare_ws": "benchmarks/bare_ws.py, the baseline's echo",
        },
        "page_interval_s": PAGE_INTERVAL,
        "send_interval_s": SEND_INTERVAL,
        "seconds_per_step": RUN_SECONDS,
        "baseline_seconds_per_step": BASELINE_SECONDS,
        "warmup_seconds": WARMUP_SECONDS,
        "chat_js": "fetches each message's fragments" if fragments else "events carry the markup",
        "users_per_load_process": USERS_PER_LOADER,
        "socket_per_page": SOCKET_PER_PAGE,
        "seed_seconds": round(seed_seconds, 1),
        "lost_after_s": soak_plan.LOST_AFTER,
        "total_seconds": round(time.monotonic() - began, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
