"""What `capture_live_events` (a fixture of tests/conftest.py) records, and its type for
annotations:

    def test_it(capture_live_events: CaptureLiveEvents) -> None:
        with capture_live_events(expected=1) as sent:
            ...
        assert sent == [LiveEvent(events.user_group(bob.pk), {"type": "membership", ...})]
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, NamedTuple


class LiveEvent(NamedTuple):
    """One live event as messaging/events.py hands it to the channel layer: the group it goes
    to (`user.<id>`, `conversation.<id>`) and the event itself (a dict with a "type")."""

    group: str
    event: dict[str, Any]


CaptureLiveEvents = Callable[..., contextlib.AbstractContextManager[list[LiveEvent]]]
