"""Groups inside the running pilot of tests/conftest.py (alice an actor, mentor_maria a
mentor, staff_sam its staff), plus more people on demand.

`actor(...)` and `mentor(...)` make someone and add them to `pilot` in that role.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from groups import services
from groups.models import Group
from pilots.models import Pilot
from profiles.models import User


@pytest.fixture
def bob(actor: Callable[..., User]) -> User:
    """A second actor of `pilot`."""
    return actor("Bob Actor", email="bob@example.com")


@pytest.fixture
def pair(pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User) -> Group:
    """maria mentors alice (individual mode)."""
    return services.form_pair(
        pilot=pilot,
        mentor=mentor_maria,
        mentee=alice,
        mode=Group.Mode.INDIVIDUAL,
        created_by=staff_sam,
    )


@pytest.fixture
def it_field(pilot: Pilot, mentor_maria: User, staff_sam: User) -> Group:
    """An open discussion group with maria in it."""
    return services.create_group(
        pilot=pilot,
        kind=Group.Kind.DISCUSSION,
        name="IT field",
        description="Jobs, trends and the region's companies.",
        is_open=True,
        created_by=staff_sam,
        member_ids=[mentor_maria.pk],
    )
