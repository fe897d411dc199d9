"""W6: the page server, chosen by this: uvicorn and gunicorn on the same pages, against a bare
view on gunicorn's sync workers.

The pages are a signed-in actor's everyday ones on the demo data (`seed_demo`: the first
pilot's 28 actors, 11 mentors, weekly themes, pairs and groups, conversations): Today, their
profile, the people directory, the pilot's home, the conversation list, a conversation, the
notifications; then Today and the profile page (the home Today replaced) each alone.
Two servers run side by side, each with 2 workers, DEBUG off and collected static files:

- `uvicorn`: uvicorn serving the ASGI application (how pages were served before W6; the
  `ws` service still runs it for /ws/);
- `gunicorn`: gunicorn's sync workers serving the WSGI application (the `web` service since
  W6 measured it faster; WebSockets need the ASGI server).

The baseline is the bare view (`/bench/bare/`, the same middleware and session) on the
gunicorn server. Each run loads the baseline, then the pages on each server, with
`CONCURRENCY` (16) clients. The JSON names the faster page server: choose the deployment by
it. Needs DATABASE_URL (a role with CREATEDB; `bench_w6` is created and dropped) and
REDIS_URL; scripts/bench.sh provides both.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    django_env,
    drop_database,
    free_port,
    progress_logger,
    recreate_database,
    services_from_env,
    setup_django,
    start_page_server,
    stop_process,
    with_database,
)
from benchmarks.w4_directory import (
    CONCURRENCY,
    CONN_MAX_AGE,
    RUN_SECONDS,
    RUNS,
    SERVER_STOP_SECONDS,
    WARMUP_SECONDS,
    Run,
    load,
    summary,
)

BENCH_DB = "bench_w6"
SECRET_KEY = "bench-w6-not-a-secret-" + "x" * 40
ACTOR_EMAIL = "student1@demo.example"

log = progress_logger("W6")


def actor_pages() -> tuple[list[str], tuple[str, str]]:
    """The actor's pages, and the session cookie they are loaded with."""
    from django.conf import settings
    from django.test import Client

    from messaging.models import Conversation
    from pilots.models import Participation
    from profiles.models import User

    actor = User.objects.get(email=ACTOR_EMAIL)
    pilot = Participation.objects.filter(user=actor).select_related("pilot").first()
    conversation = Conversation.objects.of_user(actor).order_by("pk").first()
    if pilot is None or conversation is None:
        raise RuntimeError("seed_demo made no pilot or conversation for the demo actor")
    pages = [
        "/",  # Today, the signed-in home since issue 9
        "/me/",
        "/people/",
        pilot.pilot.get_absolute_url(),
        "/conversations/",
        conversation.get_absolute_url(),
        "/notifications/",
    ]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(actor)
    for page in pages:
        response = client.get(page)
        if response.status_code != 200:
            raise RuntimeError(f"{page} answered {response.status_code}")
    return pages, (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)


async def measure(
    uvicorn: str, gunicorn: str, pages: list[str], cookie: tuple[str, str]
) -> dict[str, list[Run]]:
    loads = {
        "baseline": (gunicorn, ["/bench/bare/"]),
        "uvicorn": (uvicorn, pages),
        "gunicorn": (gunicorn, pages),
        # Today against the profile page it replaced as the home, each alone, on gunicorn.
        "today": (gunicorn, ["/"]),
        "profile": (gunicorn, ["/me/"]),
    }
    for base, paths in loads.values():  # warm every worker: templates, connections, caches
        await load(base, paths, cookie, WARMUP_SECONDS)
    runs: dict[str, list[Run]] = {name: [] for name in loads}
    for number in range(RUNS):
        for name, (base, paths) in loads.items():
            runs[name].append(await load(base, paths, cookie, RUN_SECONDS))
        log(
            f"run {number + 1}/{RUNS}: "
            + ", ".join(
                f"{name} {found[-1].rps:.0f} req/s p99 {found[-1].percentile_ms(99):.0f} ms"
                for name, found in runs.items()
            )
        )
    return runs


def main() -> dict[str, Any]:
    server_url, redis_url = services_from_env("W6")
    began = time.monotonic()
    database_url = with_database(server_url, BENCH_DB)
    static_root = tempfile.mkdtemp(prefix="bench-w6-static-")
    servers: list[subprocess.Popen[bytes]] = []
    recreate_database(server_url, BENCH_DB)
    try:
        env = django_env(
            settings_module="benchmarks.settings",
            secret_key=SECRET_KEY,
            database_url=database_url,
            redis_url=redis_url,
            ALLOWED_HOSTS="127.0.0.1",
            CONN_MAX_AGE=CONN_MAX_AGE,
            STATIC_ROOT=static_root,
            EMAIL_URL="memorymail://",
        )
        setup_django(env, collect_static=True)
        from django.core.management import call_command
        from django.db import connections

        call_command("seed_demo", stdout=io.StringIO())  # stdout carries only the JSON
        pages, cookie = actor_pages()
        connections.close_all()
        uvicorn_port, gunicorn_port = free_port(), free_port()
        for kind, port in (("uvicorn", uvicorn_port), ("gunicorn", gunicorn_port)):
            servers.append(start_page_server(kind, env, port, stop_timeout=SERVER_STOP_SECONDS))
        runs = asyncio.run(
            measure(
                f"http://127.0.0.1:{uvicorn_port}",
                f"http://127.0.0.1:{gunicorn_port}",
                pages,
                cookie,
            )
        )
    finally:
        for server in servers:
            stop_process(server, timeout=SERVER_STOP_SECONDS)
        drop_database(server_url, BENCH_DB, log=log)
        shutil.rmtree(static_root, ignore_errors=True)

    figures = {name: summary(found) for name, found in runs.items()}
    errors = {name: sum(run.errors for run in found) for name, found in runs.items()}
    baseline = figures["baseline"]["rps"]
    faster = max(("uvicorn", "gunicorn"), key=lambda name: figures[name]["rps"])
    return {
        "id": "W6",
        "pages": pages,
        "concurrency": CONCURRENCY,
        "servers": {
            "uvicorn": "uvicorn mentoring.asgi:application --workers 2",
            "gunicorn": "gunicorn mentoring.wsgi:application --workers 2 (sync)",
        },
        **{name: {**figures[name], "errors": errors[name]} for name in figures},
        "ratio_uvicorn": round(figures["uvicorn"]["rps"] / baseline, 3) if baseline else None,
        "ratio_gunicorn": round(figures["gunicorn"]["rps"] / baseline, 3) if baseline else None,
        "faster_page_server": faster,
        # Today's pages per second / the profile page's (target >= 1 / 1.2: Today not slower
        # than the profile page by more than 20 %).
        "today_vs_profile": (
            round(figures["today"]["rps"] / figures["profile"]["rps"], 3)
            if figures["profile"]["rps"]
            else None
        ),
        "runs": RUNS,
        "seconds_per_run": RUN_SECONDS,
        "total_seconds": round(time.monotonic() - began, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
