"""What the chat benchmarks (W1, W2, W3) share: users signed in by session cookies, direct and
group conversations created in bulk, the production server and the bare `websockets` server on
the loopback, sockets to them, percentiles. Imported after `common` has put the project root
on `sys.path` and after Django is set up (the database helpers import models).
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from benchmarks.common import django_env, start_module, wait_until_ready

SERVER_STOP_SECONDS = 20
PASSWORD_HASH = "!bench-unusable"


# --- Data --------------------------------------------------------------------------------


def create_users(prefix: str, count: int) -> list[Any]:
    """`count` active users with verified addresses and unusable passwords."""
    from allauth.account.models import EmailAddress

    from profiles.models import User

    users = User.objects.bulk_create(
        [
            User(
                email=f"{prefix}{number}@example.com",
                display_name=f"{prefix.title()} {number}",
                password=PASSWORD_HASH,
            )
            for number in range(count)
        ],
        batch_size=2000,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=2000,
    )
    return users


def session_cookies(users: Sequence[Any]) -> dict[int, str]:
    """A database session per user, as a login makes it: user id -> Cookie header. Written
    in bulk (W7 signs in thousands)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils.crypto import get_random_string

    store = SessionStore()
    expires = store.get_expiry_date()
    rows = []
    cookies = {}
    for user in users:
        key = get_random_string(32, VALID_KEY_CHARS)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        cookies[user.pk] = f"{settings.SESSION_COOKIE_NAME}={key}"
    Session.objects.bulk_create(rows, batch_size=2000)
    return cookies


def direct_conversations(pairs: Sequence[tuple[Any, Any]]) -> list[int]:
    """One direct conversation per pair (created in bulk: no sockets are open yet)."""
    from messaging.models import Conversation, Participant

    conversations = Conversation.objects.bulk_create(
        [
            Conversation(kind=Conversation.Kind.DIRECT, subject="Benchmark", created_by=a)
            for a, _b in pairs
        ]
    )
    Participant.objects.bulk_create(
        [
            Participant(conversation=c, user=user)
            for c, pair in zip(conversations, pairs, strict=True)
            for user in pair
        ]
    )
    return [c.pk for c in conversations]


def group_conversation(members: Sequence[Any]) -> int:
    from messaging.models import Conversation, Participant

    conversation = Conversation.objects.create(
        kind=Conversation.Kind.GROUP, subject=f"Group of {len(members)}", context="bench"
    )
    Participant.objects.bulk_create(
        [Participant(conversation=conversation, user=user) for user in members], batch_size=2000
    )
    return conversation.pk


# --- Servers -----------------------------------------------------------------------------


def start_uvicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The app as production serves it (docker-compose.yml): uvicorn without per-message
    deflate, here one worker."""
    server = start_module(
        [
            "uvicorn",
            "mentoring.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
            "--ws-per-message-deflate",
            "false",
        ],
        env=env,
        stdout=sys.stderr,  # stdout carries only the JSON result
    )

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
            return False

    wait_until_ready(
        server, healthy, name="uvicorn", request="/healthz", stop_timeout=SERVER_STOP_SECONDS
    )
    return server


def start_bare(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """benchmarks/bare_ws.py: echo and `websockets.broadcast()`, nothing else."""
    server = start_module(["benchmarks.bare_ws", str(port)], env=env, stdout=sys.stderr)

    def listening() -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
            return False

    wait_until_ready(
        server, listening, name="bare websockets server", request="TCP", stop_timeout=5
    )
    return server


async def open_socket(port: int, cookie: str | None = None) -> ClientConnection:
    """A socket to /ws/ as a browser tab opens it: same-origin, with the session cookie."""
    headers = {"Origin": f"http://127.0.0.1:{port}"}
    if cookie:
        headers["Cookie"] = cookie
    return await connect(
        f"ws://127.0.0.1:{port}/ws/",
        additional_headers=headers,
        max_size=2**20,
        open_timeout=30,
        ping_interval=None,  # no keepalive pings in the measurements
    )


async def open_app_socket(port: int, cookie: str) -> ClientConnection:
    """A signed-in socket to the app, past its "hello" (a refusal raises)."""
    import json

    socket = await open_socket(port, cookie)
    hello = json.loads(await socket.recv())
    if hello.get("type") != "hello":
        raise RuntimeError(f"expected hello, got {hello}")
    return socket


# --- Figures -----------------------------------------------------------------------------


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    index = min(len(ordered) - 1, max(0, math.ceil(percent / 100 * len(ordered)) - 1))
    return ordered[index]


def chat_env(*, secret_key: str, database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of the chat benchmarks' servers and set-up: production settings plus
    the bench URLs, on loopback, with the message rate limit out of the way (not measured)."""
    return django_env(
        settings_module="benchmarks.settings",
        secret_key=secret_key,
        database_url=database_url,
        redis_url=redis_url,
        ALLOWED_HOSTS="127.0.0.1",
        CONN_MAX_AGE="0",
        MESSAGE_RATE_LIMIT="1000000",
    )
