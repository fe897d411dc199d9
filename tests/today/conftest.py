"""The Today page's tests: the running `pilot` of tests/conftest.py (alice an actor,
mentor_maria a mentor, staff_sam its staff), more people on demand, and questions asked
through the pilots' start rule.

`actor(...)` / `mentor(...)` make someone and add them to `pilot` in that role;
`ask(sender, recipient, subject)` starts a conversation about `subject` as a student would.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from groups import services as group_services
from groups.models import Group
from messaging.models import Conversation
from pilots import services as pilot_services
from pilots.models import Pilot
from profiles.models import User


@pytest.fixture
def ask() -> Callable[..., Conversation]:
    def start(sender: User, recipient: User, subject: str = "A question") -> Conversation:
        return pilot_services.start_pilot_conversation(
            sender=sender,
            recipient=recipient,
            subject=subject,
            body=f"{subject}?",
            client_id=uuid.uuid4(),
        )

    return start


@pytest.fixture
def pair(pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User) -> Group:
    """maria mentors alice (individual mode)."""
    return group_services.form_pair(
        pilot=pilot,
        mentor=mentor_maria,
        mentee=alice,
        mode=Group.Mode.INDIVIDUAL,
        created_by=staff_sam,
    )
