"""Real delivery parts for tests: an SMTP server and a Celery worker process on loopback.

`smtp_server` is an aiosmtpd server in a thread that records every message and can be told
what to answer, per recipient and per attempt, at RCPT or at DATA:

    smtp_server.answer("alice@example.com", "451", "250")   # first try 451, then accepted
    smtp_server.answer("maria@example.com", "550")           # refused, every time
    smtp_server.answer("sam@example.com", "451", at="DATA")

`celery_worker` is `celery -A mentoring worker --pool=solo` in a subprocess, on the suite's
Redis and the *test* database, sending mail to `smtp_server`, with retries after fractions of a
second. `start_worker()` (the `worker_factory` fixture) starts more, e.g. after killing one.
Tests that use it need `@pytest.mark.django_db(transaction=True)`: the worker reads only what
the test has committed. They run on the main pass only (`make test`), which has REDIS_URL.

`wait_until(condition, what)` polls until `condition()` is true or a deadline passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from mentoring.celery import app as celery_app
from tests.pilots.conftest import host, make_pilot, pilot  # noqa: F401 - the pilots' fixtures

ROOT = Path(__file__).resolve().parents[2]
WORKER_START_SECONDS = 60
DEFAULT_WAIT_SECONDS = 60
RETRY_BASE_DELAY = 0.2  # seconds: the worker's DELIVERY_RETRY_BASE_DELAY

ANSWERS = {
    "250": "250 2.0.0 OK",
    "421": "421 4.3.2 Service shutting down, try again later",
    "450": "450 4.2.1 Mailbox busy, try again later",
    "451": "451 4.3.0 Temporary local problem, try again later",
    "452": "452 4.2.2 Mailbox full, try again later",
    "550": "550 5.1.1 No such user here",
    "552": "552 5.2.2 Mailbox full and over quota",
    "554": "554 5.7.1 Message refused",
}


def wait_until(
    condition: Callable[[], Any],
    what: str,
    *,
    timeout: float = DEFAULT_WAIT_SECONDS,
    interval: float = 0.05,
) -> Any:
    """Poll `condition` until it returns something true; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- SMTP ----------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""


@dataclass
class SMTPRecorder:
    """The handler of the test SMTP server (aiosmtpd calls the handle_* coroutines)."""

    host: str = "127.0.0.1"
    port: int = 0
    delay: float = 0.0  # seconds spent on each DATA, to make a broadcast take a while
    messages: list[Received] = field(default_factory=list)
    rcpt_attempts: Counter[str] = field(default_factory=Counter)
    rcpt_times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    _answers: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, address: str, *codes: str, at: str = "RCPT") -> None:
        """Answer `address` with these codes on its first, second, ... attempt at the stage
        `at` ("RCPT" or "DATA"); the last one repeats. A code alone ("451") gets a standard
        text; a full line ("451 4.7.1 Greylisted") is used as it is."""
        assert at in ("RCPT", "DATA")
        assert codes
        with self._lock:
            self._answers[(at, address.lower())] = [ANSWERS.get(code, code) for code in codes]

    def received_by(self, address: str) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if address.lower() in m.rcpt_tos]

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def per_recipient(self) -> Counter[str]:
        with self._lock:
            return Counter(rcpt for m in self.messages for rcpt in m.rcpt_tos)

    def _next_answer(self, stage: str, address: str) -> str:
        with self._lock:
            planned = self._answers.get((stage, address.lower()))
            if not planned:
                return ANSWERS["250"]
            return planned.pop(0) if len(planned) > 1 else planned[0]

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self._lock:
            self.rcpt_attempts[address.lower()] += 1
            self.rcpt_times[address.lower()].append(time.monotonic())
        reply = self._next_answer("RCPT", address)
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address.lower())
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        for address in envelope.rcpt_tos:
            reply = self._next_answer("DATA", address)
            if not reply.startswith("250"):
                return reply
        content = envelope.original_content or envelope.content
        with self._lock:
            self.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=bytes(content),
                    at=time.monotonic(),
                )
            )
        return "250 2.0.0 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SMTPRecorder]:
    recorder = SMTPRecorder(port=free_port())
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


# --- Celery worker -------------------------------------------------------------------------


def database_url() -> str:
    """The test database, as a URL for a child process (call after the database is set up)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail(
            "A real Celery worker needs the PostgreSQL test database: run `make test` "
            f"(this run uses {db['ENGINE']})."
        )
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if user else ""
    return f"postgres://{credentials}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.fail(
            "These tests start a real Celery worker on Redis and PostgreSQL: run them with "
            '`make test ARGS="tests/messaging"`, which starts both (REDIS_URL is not set).'
        )
    return url


def purge_queue() -> None:
    """Drop tasks left by earlier tests: queued ones, and ones a killed worker held unacked."""
    celery_app.control.purge()
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client  # kombu's redis client for the broker
        client.delete("unacked", "unacked_index", "unacked_mutex")


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point this process's Celery app at another broker (e.g. a closed port), then back."""
    conf = celery_app.conf
    before = conf.broker_url

    def reset_pools() -> None:
        celery_app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            celery_app.__dict__["amqp"]._producer_pool = None

    conf.broker_url = url
    reset_pools()
    try:
        yield
    finally:
        conf.broker_url = before
        reset_pools()


class Worker:
    def __init__(self, name: str, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mentoring",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                "celery",
                "--loglevel=info",
                "-n",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                pytest.fail(f"The Celery worker exited with {code}:\n{self.log()}")
            if celery_app.control.ping(destination=[self.name], timeout=0.5):
                return
        self.stop()
        pytest.fail(
            f"The Celery worker did not answer a ping in {WORKER_START_SECONDS} s:\n{self.log()}"
        )

    def is_idle(self) -> bool:
        """Nothing queued, and nothing in the worker's hands: running, reserved or waiting
        for its countdown (a scheduled retry). A busy solo worker does not answer at all."""
        with celery_app.connection_for_write() as conn:
            if conn.default_channel.client.llen("celery"):
                return False
        inspector = celery_app.control.inspect([self.name], timeout=1.0)
        for replies in (inspector.active(), inspector.reserved(), inspector.scheduled()):
            if not replies or any(replies.values()):
                return False
        return True

    def wait_idle(self, timeout: float = DEFAULT_WAIT_SECONDS) -> None:
        """Until the worker is idle twice in a row: every task sent before has finished."""
        wait_until(lambda: self.is_idle() and self.is_idle(), "an idle worker", timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, the task in hand is cut off where it is."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def worker_factory(
    transactional_db: None, smtp_server: SMTPRecorder, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    """start_worker(**extra_env) -> a running Worker; every one is stopped at teardown."""
    broker = redis_url()
    # The test process is the web side: it must really enqueue, to the worker's broker.
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert not celery_app.conf.task_always_eager
    assert celery_app.conf.broker_url == broker == settings.CELERY_BROKER_URL
    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mentoring.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker,
        "EMAIL_URL": f"smtp://{smtp_server.host}:{smtp_server.port}",
        "DELIVERY_RETRY_BASE_DELAY": str(RETRY_BASE_DELAY),
        "SECRET_KEY": "test-worker-" + "x" * 50,
        "DEBUG": "0",
        "HTTPS": "0",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    purge_queue()
    workers: list[Worker] = []

    def start_worker(**extra_env: str) -> Worker:
        name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        worker = Worker(name, {**base_env, **extra_env}, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start_worker
    finally:
        for worker in workers:
            worker.stop()
        purge_queue()


@pytest.fixture
def celery_worker(worker_factory: Callable[..., Worker]) -> Worker:
    return worker_factory()
