"""What the benchmarks share: a throwaway database on the server of DATABASE_URL, the
environment of the Django they run and of the processes they start, and starting and stopping
those processes. Each benchmark keeps its data, its load and its JSON result to itself.

The benchmarks run as scripts, so each puts the project root on `sys.path` before importing this.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
READY_SECONDS = 60


def progress_logger(bench_id: str) -> Callable[[str], None]:
    """Progress lines on stderr, `[W4] ...`: stdout carries only the JSON result."""

    def log(message: str) -> None:
        print(f"[{bench_id}] {message}", file=sys.stderr, flush=True)

    return log


def services_from_env(bench_id: str) -> tuple[str, str]:
    """DATABASE_URL (a PostgreSQL server) and REDIS_URL, as scripts/bench.sh exports them."""
    server_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        raise SystemExit(
            f"{bench_id} needs DATABASE_URL (PostgreSQL) and REDIS_URL: run scripts/bench.sh"
        )
    return server_url, redis_url


# --- Database and Django -----------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(server_url: str, name: str, *, create: bool = True) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server_url: str, name: str, *, log: Callable[[str], None]) -> None:
    """Closes this process's Django connections, if Django was set up, then drops `name`."""
    try:
        from django.db import connections

        connections.close_all()
    except Exception as error:  # Django may not have been set up
        log(f"closing connections: {error}")
    recreate_database(server_url, name, create=False)


def django_env(
    *,
    settings_module: str,
    secret_key: str,
    database_url: str,
    redis_url: str,
    **settings: str,
) -> dict[str, str]:
    """This environment with production's settings (DEBUG off, plain HTTP on the loopback),
    quiet logs and the project importable: for the benchmark's own Django and its children."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "HTTPS": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **settings,
    }


def setup_django(env: dict[str, str], *, collect_static: bool = False) -> None:
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    if collect_static:
        call_command("collectstatic", interactive=False, verbosity=0)


# --- Processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_module(
    args: list[str],
    *,
    env: dict[str, str],
    stdout: int | IO[Any],
    stderr: int | IO[Any] | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m <args>` from the project root, in a session of its own: `stop_process` can
    kill it with its children."""
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )


def wait_until_ready(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    *,
    name: str,
    request: str,
    stop_timeout: float,
    exit_hint: str = "",
) -> None:
    """Polls `ready` until it is true; stops the process if that takes over READY_SECONDS.
    `ready` paces the polling: it waits a little itself when the answer is no."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}{exit_hint}")
        if ready():
            return
    stop_process(process, timeout=stop_timeout)
    raise RuntimeError(f"{name} did not answer {request} within {READY_SECONDS} s")


def stop_process(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- Page servers (W4, W6) ---------------------------------------------------------------

PAGE_SERVERS = {
    # docker-compose.yml's `web` service: pages, forms and files.
    "gunicorn": [
        "gunicorn",
        "mentoring.wsgi:application",
        "--workers",
        "2",
        "--log-level",
        "warning",
        "--bind",
    ],
    # docker-compose.yml's `ws` service (WebSockets); it serves the ASGI application's pages
    # too, which W6 compares.
    "uvicorn": [
        "uvicorn",
        "mentoring.asgi:application",
        "--workers",
        "2",
        "--log-level",
        "warning",
        "--no-access-log",
        "--host",
        "127.0.0.1",
        "--port",
    ],
}


def start_page_server(
    kind: str, env: dict[str, str], port: int, *, stop_timeout: float
) -> subprocess.Popen[bytes]:
    """`kind` ("gunicorn" or "uvicorn") with 2 workers on the loopback, once /healthz answers.
    Its output goes to stderr: stdout carries only the benchmark's JSON."""
    address = f"127.0.0.1:{port}" if kind == "gunicorn" else str(port)
    server = start_module([*PAGE_SERVERS[kind], address], env=env, stdout=sys.stderr)

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
            return False

    wait_until_ready(server, healthy, name=kind, request="/healthz", stop_timeout=stop_timeout)
    return server
