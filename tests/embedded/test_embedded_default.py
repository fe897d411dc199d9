"""Smoke tests of the embedded default `make run` uses: no environment, SQLite, in-memory layer."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from websockets.asyncio.client import connect
from websockets.typing import Origin

from profiles.demo import DEMO_PASSWORD
from profiles.models import Profile, User

pytestmark = pytest.mark.embedded
ROOT = Path(__file__).resolve().parents[2]


def test_settings_are_the_embedded_parts() -> None:
    assert connection.vendor == "sqlite"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert settings.MAILERS["default"]["BACKEND"].endswith(
        "locmem.EmailBackend"
    )  # console outside tests
    assert settings.DEBUG is False  # pytest-django forces it off; runserver has it on


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_shaped_like_the_first_pilot(client) -> None:
    call_command("seed_demo")
    call_command("seed_demo")
    assert Profile.objects.filter(kind=Profile.Kind.STUDENT).count() == 28
    assert (
        Profile.objects.filter(kind=Profile.Kind.PROFESSIONAL, user__is_staff=False).count() == 11
    )
    assert User.objects.filter(is_staff=True).count() == 1
    assert client.login(email="student1@demo.example", password="demo-mentoring")
    page = client.get("/people/")
    assert page.status_code == 200
    assert b"Anna Virtanen" in page.content


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the login form; the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"http://127.0.0.1:{port}/accounts/login/"
    with opener.open(login, timeout=10) as page:
        form = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, form
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
    ).encode()
    request = urllib.request.Request(login, data=data, headers={"Referer": login})
    with opener.open(request, timeout=10) as signed_in:
        assert "/accounts/login/" not in signed_in.url, "the demo login was refused"
    return "; ".join(f"{c.name}={c.value}" for c in jar)


async def _first_frames(port: int, cookie: str) -> list[dict[str, Any]]:
    async with connect(
        f"ws://127.0.0.1:{port}/ws/",
        origin=Origin(f"http://127.0.0.1:{port}"),
        additional_headers={"Cookie": cookie},
    ) as live:
        return [json.loads(await asyncio.wait_for(live.recv(), 10)) for _ in range(3)]


def test_runserver_serves_the_site_on_sqlite(tmp_path: Path) -> None:
    """What `make run` starts: migrate and seed a fresh SQLite file, then the ASGI dev server;
    a demo login's live socket says hello."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "DEBUG"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env={**env, "EMAIL_URL": "memorymail://"},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=2
                ) as response:
                    body = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert 'name="login"' in body
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/vendor/pico/pico.min.css", timeout=5
        ) as css:
            assert css.status == 200
        # A demo login's pages open their live socket (live.js) on the in-memory layer.
        cookie = _sign_in(port, "student1@demo.example", DEMO_PASSWORD)
        frames = asyncio.run(_first_frames(port, cookie))
        assert [frame["type"] for frame in frames] == ["hello", "unread", "notifications"]
        assert frames[2]["unread"] >= 1  # the demo pilot's announcement and theme
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db
def test_scheduled_work_fires_in_the_embedded_default(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """`make run` runs `run_due --every 30` beside the server: with no broker, tasks run
    in-process, so a scheduled announcement reaches everyone when it is due."""
    import datetime

    from django.utils import timezone

    from messaging.models import Notification
    from pilots.models import Announcement, Pilot

    call_command("seed_demo")
    pilot = Pilot.objects.get(slug="speed-mentoring-spring")
    due = Announcement.objects.create(
        pilot=pilot,
        title="Reminder: this week's theme",
        body="See you in the conversations.",
        send_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    call_command("run_due")
    assert not Notification.objects.filter(source=f"announcement:{due.pk}").exists()
    Announcement.objects.filter(pk=due.pk).update(send_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):  # the test runs in a transaction
        call_command("run_due")
    assert Notification.objects.filter(source=f"announcement:{due.pk}").count() == 40
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_due")  # idempotent
    assert Notification.objects.filter(source=f"announcement:{due.pk}").count() == 40
