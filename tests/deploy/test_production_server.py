"""The web service's command, for real, with production settings: collectstatic, migrate and
gunicorn on a local SQLite file; its health check, security headers, HTTPS redirect and
host check.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.deploy import (
    ROOT,
    SERVICES,
    SITE_HOST,
    argv_of,
    assert_security_headers,
    base_env,
    compose_app_env,
    run_python,
)
from tests.support.html import Html
from tests.support.processes import free_port

# --- the web service's command, for real, with production settings -------------------------


@dataclass
class Server:
    port: int
    env: dict[str, str]

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers={"Host": SITE_HOST, **headers})
            response = connection.getresponse()
            body = response.read().decode(errors="replace")
            headers_out: dict[str, str] = {}
            for name, value in response.getheaders():
                key = name.lower()
                headers_out[key] = f"{headers_out[key]}\n{value}" if key in headers_out else value
            return response.status, headers_out, body
        finally:
            connection.close()


def _with_port(argv: list[str], port: int) -> list[str]:
    argv = list(argv)
    if "--port" in argv:
        argv[argv.index("--port") + 1] = str(port)
    else:
        argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    return argv


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """collectstatic as the image build runs it, then the migrate and web services' commands.

    The compose environment, with SQLite in place of PostgreSQL and no Redis (the in-memory
    parts), and STATIC_ROOT/MEDIA_ROOT in a temporary folder.
    """
    tmp = tmp_path_factory.mktemp("production")
    static_root = tmp / "static"
    build_env = base_env() | {
        "DEBUG": "0",
        "SECRET_KEY": "build-time-only-throwaway-key",
        "STATIC_ROOT": str(static_root),
    }
    collected = run_python("manage.py", "collectstatic", "--noinput", env=build_env)
    assert collected.returncode == 0, collected.stderr
    assert (static_root / "staticfiles.json").exists()  # the manifest DEBUG=0 asks for

    env = base_env() | compose_app_env()
    del env["REDIS_URL"]
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp / "media"),
        "STATIC_ROOT": str(static_root),
    }
    migrate = argv_of(SERVICES["migrate"]["command"])
    assert migrate[0] == "python"
    migrated = run_python(*migrate[1:], env=env)
    assert migrated.returncode == 0, migrated.stderr

    port = free_port()
    web = _with_port(argv_of(SERVICES["web"]["command"]), port)
    assert web[0] == "gunicorn"
    log_path = tmp / "web.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", *web],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the server's worker processes go with it
        )
    server = Server(port=port, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the web command exited: {log_path.read_text()}")
            try:
                if server.get("/healthz", **{"X-Forwarded-Proto": "https"})[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the web command did not answer: {log_path.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_web_health_check_passes_on_the_running_server(production_server: Server) -> None:
    probe = SERVICES["web"]["healthcheck"]["test"][3]
    assert probe.count("8000") == 1
    probe = probe.replace("8000", str(production_server.port))
    result = run_python("-c", probe, env=production_server.env)
    assert result.returncode == 0, result.stderr
    # ... and fails when nothing answers.
    closed = probe.replace(str(production_server.port), str(free_port()))
    assert run_python("-c", closed, env=production_server.env).returncode != 0


def test_production_server_sends_the_security_headers(production_server: Server) -> None:
    status, headers, body = production_server.get(
        "/accounts/login/", **{"X-Forwarded-Proto": "https"}
    )
    assert status == 200, body
    assert_security_headers(headers, body)
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    csrf_cookie = next(c for c in headers["set-cookie"].split("\n") if c.startswith("csrftoken="))
    assert "Secure" in csrf_cookie
    # Static files collected at build time, under their hashed names, served by WhiteNoise.
    page = Html(body)
    assets = [
        *(str(link.get("href")) for link in page.select('[href^="/static/"]')),
        *(str(source.get("src")) for source in page.select('[src^="/static/"]')),
    ]
    assert assets
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", asset), asset
        asset_status, asset_headers, _ = production_server.get(
            asset, **{"X-Forwarded-Proto": "https"}
        )
        assert asset_status == 200, asset
        assert "immutable" in asset_headers.get("cache-control", ""), asset


def test_production_server_redirects_http_and_refuses_unknown_hosts(
    production_server: Server,
) -> None:
    status, headers, _ = production_server.get("/accounts/login/")
    assert status == 301
    assert headers["location"] == f"https://{SITE_HOST}/accounts/login/"
    status, _, _ = production_server.get(
        "/healthz", Host="attacker.example", **{"X-Forwarded-Proto": "https"}
    )
    assert status == 400
