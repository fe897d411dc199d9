"""Fixtures of the pilots' tests (the running `pilot` itself and `sam`, its staff member's
browser, are in tests/conftest.py).

`invite(email, role, ...)` invites someone to `pilot` as staff_sam and sends the e-mail, as a
real commit would; `send(action)` runs any action that way. `orientation` is two required
materials, done by maria, half done by alice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pilots import invitations as service
from pilots.models import Invitation, Material, MaterialCompletion, Pilot, Role
from profiles.models import User


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Do something and run what it enqueued after commit, as a real commit would."""

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


@pytest.fixture
def invite(pilot: Pilot, staff_sam: User, send: Callable[..., Any]) -> Callable[..., Invitation]:
    def make(email: str = "nina@example.com", role: str = Role.ACTOR, **fields: Any) -> Invitation:
        fields.setdefault("name", "Nina New")
        return send(
            lambda: service.invite(
                pilot=pilot, email=email, role=role, invited_by=staff_sam, **fields
            )
        )

    return make


@pytest.fixture
def orientation(pilot: Pilot, alice: User, mentor_maria: User) -> list[Material]:
    """Two required published materials (and an unpublished required one that does not count):
    alice has done one, maria both."""
    first, second = (
        Material.objects.create(pilot=pilot, title=t, body="x", required=True, is_published=True)
        for t in ("First", "Second")
    )
    Material.objects.create(pilot=pilot, title="Draft", body="x", required=True)
    Material.objects.create(pilot=pilot, title="Extra", body="x", is_published=True)
    MaterialCompletion.objects.create(material=first, user=alice)
    MaterialCompletion.objects.create(material=first, user=mentor_maria)
    MaterialCompletion.objects.create(material=second, user=mentor_maria)
    return [first, second]
