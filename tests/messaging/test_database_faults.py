"""PostgreSQL connections killed mid-run (QUALITY.md, Faults): requests in flight fail cleanly
with 503 and Retry-After, never a 500 or a dropped connection, and later ones succeed: the
server process recovers by itself (its pool checks a connection before lending it).

A real uvicorn process, production-like (DEBUG off), and a real Celery worker, on the test
database; their connections are killed with pg_terminate_backend from this process. The error
pages themselves are also checked in this process.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from mentoring import views as site_views
from messaging.models import Delivery, Notification
from messaging.services import conversations
from pilots import services as pilot_services
from pilots.models import Announcement, Pilot
from profiles.models import User
from tests.support.delivery import SMTPRecorder, Worker
from tests.support.processes import Server, database_url, wait_until
from tests.support.sockets import signed_in

pytestmark = pytest.mark.django_db(transaction=True)

LOAD_SECONDS = 3.0
KILLS = 3


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[Server]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "mentoring.settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        # The test process signs the sessions the server reads.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    process = Server(env, tmp_path / "uvicorn.log")
    try:
        process.wait_healthy()
        yield process
    finally:
        process.stop()


def status_of(url: str, cookie: str = "") -> int | str:
    """The HTTP status, or what went wrong below HTTP."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        if error.code == 503 and error.headers["Retry-After"] != "5":
            return "503 without Retry-After"
        return int(error.code)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"


def kill_server_connections(*, spare: int = 0) -> int:
    """Terminate every other connection to the test database (but `spare`'s); how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
            [spare],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def wait_for_a_blocked_query(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            row = cursor.fetchone()
            if row and row[0]:
                return
            time.sleep(0.02)
    pytest.fail("the server's request never reached the locked table")


def test_a_request_whose_connection_is_killed_gets_503_and_the_next_ones_succeed(
    server: Server,
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
) -> None:
    """Deterministic: the request waits on a lock this test holds, in the middle of its work,
    when its connection is killed."""
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    _client, cookie = signed_in(alice)
    url = f"http://127.0.0.1:{server.port}/conversations/{conversation.pk}/messages.json"
    assert status_of(url, cookie.decode()) == 200

    with psycopg.connect(database_url()) as locker:
        locker.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")  # in a transaction
        outcome: list[int | str] = []
        request = threading.Thread(target=lambda: outcome.append(status_of(url, cookie.decode())))
        request.start()
        wait_for_a_blocked_query()
        assert kill_server_connections(spare=locker.info.backend_pid) > 0
        request.join(timeout=30)
        locker.rollback()

    assert outcome == [503], server.log()
    assert [status_of(url, cookie.decode()) for _ in range(10)] == [200] * 10, server.log()


def test_killed_connections_give_503_then_the_server_recovers(server: Server) -> None:
    url = f"http://127.0.0.1:{server.port}/healthz"  # one query per request
    assert [status_of(url) for _ in range(5)] == [200] * 5

    seen: Counter[int | str] = Counter()
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            seen[status_of(url)] += 1

    clients = [threading.Thread(target=load) for _ in range(4)]
    for client in clients:
        client.start()
    killed = 0
    try:
        for _ in range(KILLS):
            time.sleep(LOAD_SECONDS / KILLS)
            killed += kill_server_connections()
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)

    assert killed > 0, "the server held no connection to kill"
    assert set(seen) <= {200, 503}, f"only 200 or a clean 503: {seen}\n{server.log()}"
    assert seen[200] > 0
    # Afterwards every request succeeds: no dead connection is lent out again.
    assert [status_of(url) for _ in range(20)] == [200] * 20, server.log()


def test_a_broken_database_answers_503_with_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreachable() -> None:
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(site_views.connection, "cursor", unreachable)
    client = Client(raise_request_exception=False, headers={"accept-language": "fi"})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Palaamme hetken kuluttua" in response.content.decode()


def test_any_other_error_answers_the_sites_own_500_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(site_views.connection, "cursor", broken)
    response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_a_worker_whose_connections_were_killed_delivers_the_next_broadcast(
    pilot: Pilot,
    staff_sam: User,
    celery_worker: Worker,
    smtp_server: SMTPRecorder,
) -> None:
    def announce(title: str) -> None:
        announcement = Announcement.objects.create(
            pilot=pilot, author=staff_sam, title=title, body="Body"
        )
        assert pilot_services.send_announcement(announcement=announcement)

    everyone = pilot.participations.count()

    def delivered(title: str) -> bool:
        return Notification.objects.filter(subject=title).count() == everyone and not (
            Delivery.objects.filter(status=Delivery.Status.PENDING).exists()
        )

    announce("Before")
    wait_until(lambda: delivered("Before"), "the first broadcast")
    assert kill_server_connections() > 0  # the worker's, idle in its pool
    announce("After")
    wait_until(lambda: delivered("After"), "the broadcast after the kill")
    assert smtp_server.count() == 2 * everyone  # each once
