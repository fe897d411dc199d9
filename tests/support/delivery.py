"""Real delivery parts for tests: an SMTP server's handler that records what it receives and
answers as told, and a Celery worker process (their fixtures, `smtp_server`, `worker_factory`
and `celery_worker`, are in tests/conftest.py).

`SMTPRecorder` can be told what to answer, per recipient and per attempt, at RCPT or at DATA:

    smtp_server.answer("alice@example.com", "451", "250")   # first try 451, then accepted
    smtp_server.answer("maria@example.com", "550")           # refused, every time
    smtp_server.answer("sam@example.com", "451", at="DATA")
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from mentoring.celery import app as celery_app
from tests.support.processes import DEFAULT_WAIT_SECONDS, ROOT, wait_until

WORKER_START_SECONDS = 60
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


# --- Celery worker -------------------------------------------------------------------------


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
