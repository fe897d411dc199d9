"""Helpers for tests that run parts of the stack in other processes: free ports, bounded
waits, the test database and Redis as URLs for a child process, and a uvicorn server.

`wait_until(condition, what)` polls until `condition()` is true or a deadline passes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WAIT_SECONDS = 60
SERVER_START_SECONDS = 30.0


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


class Server:
    """The ASGI application served by uvicorn in a child process, on a free port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "mentoring.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--lifespan",
                    "off",
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{self.port}/healthz"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            try:
                self.process.wait(timeout=0.2)  # doubles as the pause between polls
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"uvicorn exited with {self.process.returncode}:\n{self.log()}")
        pytest.fail(f"uvicorn not healthy after {SERVER_START_SECONDS:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
