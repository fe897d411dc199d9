"""The parts a browser journey runs against: Debian's Chromium, a real SMTP server (aiosmtpd)
and the ASGI application served by uvicorn in its own process, on the test database.

The server is another process, so it sees only committed data: tests using `live_site` need
`@pytest.mark.django_db(transaction=True)`.
"""

from __future__ import annotations

import email
import os
import threading
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from axe_playwright_python.sync_playwright import Axe
from django.conf import global_settings
from django.db import connection
from playwright.sync_api import Page, ViewportSize

from tests.support.delivery import Worker
from tests.support.processes import Server, free_port

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Debian's Chromium, never `playwright install` (it downloads a browser; offline here).
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def server_hashers(settings: Any) -> None:
    """Passwords set here must open in the server's process, which checks them with Django's
    default hashers, not the suite's fast one."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "en-US"}


class Mailbox:
    """aiosmtpd handler keeping every message it receives, parsed."""

    host = "127.0.0.1"  # where `smtp_server` listens (a Celery worker's EMAIL_URL needs it)

    def __init__(self) -> None:
        self.port = 0
        self.messages: list[Message] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._changed:
            self.messages.append(email.message_from_bytes(envelope.content))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, timeout: float = 15.0) -> Message:
        """The first message to `to`; fails when none arrives within `timeout` seconds."""

        def find() -> Message | None:
            return next((m for m in self.messages if to in str(m.get("To", ""))), None)

        with self._changed:
            found = self._changed.wait_for(find, timeout=timeout)
        assert found is not None, f"no e-mail to {to} in {timeout} s; got {len(self.messages)}"
        return found

    def wait_for_subject(self, to: str, subject: str, timeout: float = 30.0) -> Message:
        """The first message to `to` whose subject contains `subject`."""

        def find() -> Message | None:
            return next(
                (
                    m
                    for m in self.messages
                    if to in str(m.get("To", "")) and subject in str(m.get("Subject", ""))
                ),
                None,
            )

        with self._changed:
            found = self._changed.wait_for(find, timeout=timeout)
        subjects = [str(m.get("Subject", "")) for m in self.messages]
        assert found is not None, f"no e-mail {subject!r} to {to} in {timeout} s; got {subjects}"
        return found


def text_body(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/plain part in {message.get('Subject')!r}")


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """This folder's SMTP server (in place of tests/conftest.py's): the journeys wait for mail."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


def database_url_for_subprocess() -> str:
    """A DATABASE_URL for another process, pointing at the database this test session uses."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = f"{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}"
        host = quote(db["HOST"] or "localhost", safe="")
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"
    # pytest-django's SQLite test database lives in memory, out of another process's reach.
    pytest.fail(
        f"The browser tests start the site in a second process, which cannot open this "
        f"session's {connection.vendor} test database. Run them on PostgreSQL with "
        '`make test ARGS="tests/e2e"` (or set DATABASE_URL to a PostgreSQL database).'
    )


@pytest.fixture
def live_site(
    transactional_db: None, smtp_server: Mailbox, tmp_path: Path
) -> Iterator[Callable[[str], str]]:
    """The site served by uvicorn on a free port; call it with a path to get a full URL."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "HTTPS", "ALLOWED_HOSTS"}
    }
    env |= {
        "DATABASE_URL": database_url_for_subprocess(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "DEBUG": "1",  # static files through WhiteNoise's finders, no collectstatic; HTTP only
        "DJANGO_SETTINGS_MODULE": "mentoring.settings",
    }
    server = Server(env, tmp_path / "uvicorn.log")
    try:
        server.wait_healthy()
        yield lambda path: f"http://127.0.0.1:{server.port}{path}"
    finally:
        server.stop()


@pytest.fixture
def site_worker(
    live_site: Callable[[str], str],
    worker_factory: Callable[..., Worker],
) -> Worker:
    """A Celery worker for `live_site` (the suite's Redis, this folder's `smtp_server`, the test
    database).

    It runs with the server's settings where they matter: no SECRET_KEY and DEBUG on, so both
    fall back to the same development key (an invitation link signed here opens there), and
    SITE_URL pointing at the server, so links in e-mails reach it.
    """
    return worker_factory(SECRET_KEY="", DEBUG="1", SITE_URL=live_site(""))


# Accessibility and layout checks shared by the journeys.
PHONE = ViewportSize(width=390, height=844)
_axe = Axe()


def assert_accessible(page: Page) -> None:
    """No axe-core violation of impact serious or critical on the page as it is now."""
    results = _axe.run(page).response
    assert results["passes"], f"axe checked nothing on {page.url}"
    violations = [v for v in results["violations"] if v["impact"] in {"serious", "critical"}]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {node['target']}" for node in v["nodes"])
        for v in violations
    )
    assert not violations, f"axe on {page.url}:\n{report}"


def screenshot_on_phone(page: Page, path: str) -> None:
    """A full-page screenshot at a phone's viewport, for a person to look at."""
    desktop = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=path, full_page=True)
    if desktop:
        page.set_viewport_size(desktop)
