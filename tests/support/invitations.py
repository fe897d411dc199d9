"""Helpers of the invitation tests: the link in an e-mail, its token, and a stand-in clock."""

from __future__ import annotations

import re
import time
from typing import Any

LINK = re.compile(r"https?://[^/\s]+(/pilots/invitations/[^/\s]+/)")


class FakeClock:
    """Stands in for the `time` module inside one library module."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def link_in(message: Any) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]
