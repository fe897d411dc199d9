"""Fixtures of the WebSocket tests: `live` opens sockets on the full ASGI application and
closes them at the end (tests/support/sockets.py has the helpers), `conversation` is alice's
conversation with mentor_maria in the running pilot, `clock` is the consumer's clock, moved by
hand. `talk(sender, recipient)` starts a direct conversation in the running pilot.

The real delivery parts (an SMTP server, Celery workers) are fixtures of tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from messaging.live import consumer as live_consumer
from messaging.models import Conversation
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User
from tests.support.sockets import FakeClock, Live


@pytest.fixture
def talk(pilot: Pilot) -> Callable[..., Conversation]:
    """A direct conversation in `pilot` between two of its people."""

    def make(sender: User, recipient: User, subject: str = "How did you start?") -> Conversation:
        return conversations.start_direct(
            sender=sender, recipient=recipient, subject=subject, context=f"pilot:{pilot.pk}"
        )

    return make


@pytest.fixture
async def live(transactional_db: None) -> AsyncIterator[Live]:
    sockets = Live()
    yield sockets
    await sockets.close_all()


@pytest.fixture
def conversation(pilot: Pilot, alice: User, mentor_maria: User) -> Conversation:
    return conversations.start_direct(
        sender=alice, recipient=mentor_maria, subject="How did you get your first job?"
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(live_consumer, "clock", fake)
    return fake
