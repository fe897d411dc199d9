"""Sending invitations is rate-limited per staff member; a refused invitation does not use up
the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from pilots.models import Invitation, Pilot
from tests.support.invitations import FakeClock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def rate_clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeClock:
    settings.INVITATION_RATE_LIMIT = 2
    clock = FakeClock()
    monkeypatch.setattr("mentoring.ratelimit.time", clock)
    return clock


def test_sending_invitations_is_rate_limited_per_staff_member(
    sam: Client,
    pilot: Pilot,
    mailoutbox: list[Any],
    rate_clock: FakeClock,
    send: Callable[..., Any],
) -> None:
    def post(email: str) -> Any:
        return send(
            lambda: sam.post(
                "/pilots/spring-pilot/staff/invitations/", {"email": email, "role": "actor"}
            )
        )

    assert post("one@example.com").status_code == 302
    invitation = Invitation.objects.get()
    # A resend counts as well.
    send(lambda: sam.post(f"/pilots/spring-pilot/staff/invitations/{invitation.pk}/resend/"))
    response = post("two@example.com")
    assert response.status_code == 429
    assert "too many invitations" in response.content.decode()
    assert not Invitation.objects.filter(email="two@example.com").exists()
    assert len(mailoutbox) == 2

    rate_clock.now += 3601
    assert post("two@example.com").status_code == 302
    assert len(mailoutbox) == 3


def test_a_refused_invitation_does_not_use_up_the_limit(
    sam: Client, pilot: Pilot, rate_clock: FakeClock
) -> None:
    for _attempt in range(3):
        sam.post(
            "/pilots/spring-pilot/staff/invitations/",
            {"email": "alice@example.com", "role": "actor"},
        )
    response = sam.post(
        "/pilots/spring-pilot/staff/invitations/", {"email": "nina@example.com", "role": "actor"}
    )
    assert response.status_code == 302
