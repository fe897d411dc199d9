"""Smoke tests of the embedded default `make run` uses: no environment, SQLite, in-memory layer."""

from __future__ import annotations

import asyncio
import http.client
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
    assert settings.DEBUG is False  # pytest-django forces it off; `make run` has it off too


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


def _get(port: int, path: str) -> tuple[int, str]:
    """The status and body of a GET of `path` sent as it is (no `..` collapsed on the way)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def test_runserver_serves_the_site_on_sqlite(tmp_path: Path) -> None:
    """What `make run` starts: DEBUG off with a secret key of its own, static files collected
    for WhiteNoise, a fresh SQLite file migrated and seeded, then the ASGI dev server. The site
    shows its own error pages; a demo login's live socket says hello."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "DEBUG", "HTTPS"}
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "embedded-smoke-test-" + "k" * 40,
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    (tmp_path / "media" / "avatars").mkdir(parents=True)
    (tmp_path / "media" / "avatars" / "a.jpg").write_bytes(b"\xff\xd8\xff photo")
    (tmp_path / "secret.txt").write_text("not for the web")
    for command in (
        ["collectstatic", "--noinput", "-v", "0"],
        ["migrate", "--noinput", "-v", "0"],
        ["seed_demo"],
    ):
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
        # Static files by WhiteNoise, under their hashed names too (DEBUG is off).
        status, _ = _get(port, "/static/vendor/pico/pico.min.css")
        assert status == 200
        hashed = re.search(r'href="(/static/vendor/pico/pico\.min\.[0-9a-f]+\.css)"', body)
        assert hashed, body
        assert _get(port, hashed.group(1))[0] == 200
        # Uploaded photos are served too.
        status, photo = _get(port, "/media/avatars/a.jpg")
        assert (status, photo.endswith("photo")) == (200, True)
        # The site's own 404, never Django's technical page with the URL list.
        status, page = _get(port, "/no-such-page/")
        assert status == 404
        assert "<h1>Not found</h1>" in page
        assert "URLconf" not in page
        assert "Using the URLconf" not in page
        # Nothing outside the static and media folders leaks, and no path makes a 500.
        for path in ("/static/../db.sqlite3", "/static/%2e%2e/db.sqlite3", "/static/../secret.txt"):
            status, page = _get(port, path)
            assert status == 404, path
            assert "SQLite format" not in page
        assert _get(port, "/media/../secret.txt")[0] in {400, 404}
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
