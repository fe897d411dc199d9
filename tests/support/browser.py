"""Helpers of the browser journeys: signing in a browser context, and calling a service that
sends live events from the test's thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import PASSWORD

WAIT_MS = 15_000


def sign_in(context: BrowserContext, url: str, email: str) -> Page:
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def in_thread(function: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Call a service that sends live events: Playwright's loop runs in this thread, where the
    channel layer cannot be called synchronously."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            function(*args, **kwargs)
        except BaseException as error:  # raised again below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if errors:
        raise errors[0]
