"""W7's set-up: the data (the demo pilot and N actors in pairs, signed in), the servers as
docker-compose.yml runs them, the process ids of PostgreSQL and Redis, a warm-up of the pages.
Imported by w7_soak.py after `common` has put the project root on `sys.path`; the data
functions need Django set up."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from benchmarks import soak_cpu
from benchmarks.chat import session_cookies, start_bare
from benchmarks.common import start_module, stop_process, wait_until_ready

MESSAGES_PER_CONVERSATION = 4
SERVER_STOP_SECONDS = 30


# --- Data --------------------------------------------------------------------------------


def seed(count: int) -> tuple[str, list[tuple[str, int, int, int]]]:
    """The demo pilot plus `count` actors in it, in pairs with a direct conversation each.
    Returns the pilot's slug and per user (cookie, conversation, partner's index, newest
    message id), partners next to each other."""
    import uuid
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import OuterRef, Subquery
    from django.test import override_settings
    from django.utils import timezone

    from benchmarks.chat import direct_conversations
    from benchmarks.w4_directory import load_vocabulary, seed_profiles
    from messaging.models import Conversation, Message, Participant
    from pilots.demo import SLUG
    from pilots.models import Participation, Pilot, Role
    from profiles.models import User

    # The demo's passwords are never used here: a fast hasher saves a second per demo user.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("seed_demo", stdout=io.StringIO())  # stdout carries only the JSON
    pilot = Pilot.objects.get(slug=SLUG)
    rng = random.Random(7)
    seed_profiles(0, count, rng, load_vocabulary(rng))
    users = list(
        User.objects.filter(email__startswith="person", email__endswith="@example.com").order_by(
            "pk"
        )
    )
    with transaction.atomic():
        Participation.objects.bulk_create(
            [Participation(pilot=pilot, user=user, role=Role.ACTOR) for user in users],
            batch_size=2000,
        )
        pairs = [(users[i], users[i + 1]) for i in range(0, count, 2)]
        conversation_ids = direct_conversations(pairs)
        now = timezone.now()
        messages = [
            Message(
                conversation_id=conversation,
                sender=pair[number % 2],
                body=f"Hello! A question about week {number + 1}'s theme.",
                client_id=uuid.uuid4(),
                created_at=now - timedelta(minutes=10 * (MESSAGES_PER_CONVERSATION - number)),
            )
            for conversation, pair in zip(conversation_ids, pairs, strict=True)
            for number in range(MESSAGES_PER_CONVERSATION)
        ]
        Message.objects.bulk_create(messages, batch_size=5000)
        newest = {m.conversation_id: m.pk for m in messages}  # created in order
        Participant.objects.filter(conversation__in=conversation_ids).update(  # all read
            last_read_id=Subquery(
                Message.objects.filter(conversation=OuterRef("conversation"))
                .order_by("-pk")
                .values("pk")[:1]
            )
        )
        Conversation.objects.filter(pk__in=conversation_ids).update(last_message_at=now)
    cookies = session_cookies(users)
    plan: list[tuple[str, int, int, int]] = []
    for number, conversation in enumerate(conversation_ids):
        first, second = pairs[number]
        plan.append((cookies[first.pk], conversation, 2 * number + 1, newest[conversation]))
        plan.append((cookies[second.pk], conversation, 2 * number, newest[conversation]))
    return pilot.slug, plan


# --- Servers -----------------------------------------------------------------------------


def healthy(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
            return False

    return check


def start_servers(
    env: dict[str, str], web_port: int, ws_port: int, bare_port: int
) -> dict[str, subprocess.Popen[bytes]]:
    """docker-compose.yml's web, ws and worker commands on the loopback (quieter logs), and
    the bare echo server. Started one by one into `servers`, so a failure stops the rest."""
    from mentoring.celery import app

    servers: dict[str, subprocess.Popen[bytes]] = {}
    commands = {
        "gunicorn": [
            *("gunicorn", "mentoring.wsgi:application", "--bind", f"127.0.0.1:{web_port}"),
            *("--workers", "2", "--timeout", "30", "--graceful-timeout", "20"),
            *("--log-level", "warning"),
        ],
        "uvicorn": [
            *("uvicorn", "mentoring.asgi:application", "--host", "127.0.0.1"),
            *("--port", str(ws_port), "--workers", "2", "--proxy-headers", "--no-access-log"),
            *("--timeout-graceful-shutdown", "20", "--ws-max-size", "65536"),
            *("--ws-per-message-deflate", "false", "--log-level", "warning"),
        ],
    }
    worker_name = f"bench-w7-{os.getpid()}@localhost"
    try:
        for name, args in commands.items():
            servers[name] = start_module(args, env=env, stdout=sys.stderr)
            port = web_port if name == "gunicorn" else ws_port
            wait_until_ready(
                servers[name],
                healthy(port),
                name=name,
                request="/healthz",
                stop_timeout=SERVER_STOP_SECONDS,
            )
        servers["celery"] = start_module(
            [
                *("celery", "--quiet", "-A", "mentoring", "worker", "--loglevel=warning"),
                *("--concurrency=2", "-n", worker_name),
            ],
            env=env,
            stdout=sys.stderr,
        )
        wait_until_ready(
            servers["celery"],
            lambda: bool(app.control.ping(destination=[worker_name], timeout=0.5)),
            name="the Celery worker",
            request="a ping",
            stop_timeout=SERVER_STOP_SECONDS,
        )
        servers["bare_ws"] = start_bare(env, bare_port)
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: dict[str, subprocess.Popen[bytes]]) -> None:
    for server in servers.values():
        stop_process(server, timeout=SERVER_STOP_SECONDS)


def service_pids(server_url: str, redis_url: str) -> dict[str, int]:
    """PostgreSQL's postmaster (the parent of this connection's backend) and Redis's server."""
    import psycopg
    import redis

    pids = {}
    with psycopg.connect(server_url) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()
    found = soak_cpu.read_proc(int(backend[0])) if backend else None
    if found is not None:
        pids["postgres"] = found.ppid
    client = redis.Redis.from_url(redis_url)
    try:
        pids["redis"] = int(client.info("server")["process_id"])
    finally:
        client.close()
    return pids


def warm(web_port: int, pages: list[str], cookies: list[str]) -> bool:
    """Every page a few times on both workers (templates, pools) before the ramp. Returns
    whether the conversation page has chat.js fetch each new message's markup (its
    data-fragments-url), rather than take it rendered from the event."""
    fragments = False
    for cookie in cookies:
        for page in pages:
            request = urllib.request.Request(
                f"http://127.0.0.1:{web_port}{page}", headers={"Cookie": cookie}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status != 200:
                    raise RuntimeError(f"{page} answered {response.status}")
                fragments = fragments or b"data-fragments-url=" in response.read()
    return fragments
