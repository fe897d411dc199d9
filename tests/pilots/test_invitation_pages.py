"""The invitation staff pages: the list with each invitation's status and a query count that
does not grow, and access for the pilot's own staff only.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pilots import invitations as service
from pilots.models import Invitation, Pilot, Role
from profiles.models import User
from tests.support.html import Html
from tests.support.pages import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_each_invitations_status(
    sam: Client,
    pilot: Pilot,
    invite: Callable[..., Invitation],
    make_user: Callable[..., User],
) -> None:
    invite("open@example.com")
    revoked = invite("revoked@example.com")
    service.revoke(invitation=revoked)
    expired = invite("expired@example.com")
    Invitation.objects.filter(pk=expired.pk).update(
        sent_at=timezone.now() - datetime.timedelta(days=15)
    )
    accepted = invite("accepted@example.com")
    service.accept(invitation=accepted, user=make_user(email="accepted@example.com"))

    response = sam.get("/pilots/spring-pilot/staff/invitations/")
    assert response.status_code == 200
    rows = {invitation.email: status for invitation, status in response.context["rows"]}
    assert rows == {
        "open@example.com": service.Status.OPEN,
        "revoked@example.com": service.Status.REVOKED,
        "expired@example.com": service.Status.EXPIRED,
        "accepted@example.com": service.Status.ACCEPTED,
    }
    page = response.content.decode()
    for label in ("Open (1)", "Accepted (1)", "Revoked (1)", "Expired (1)", "All (4)"):
        assert label in page
    # Resend and revoke are offered for open (also expired) invitations only.
    assert Html(page).count('form[action^="/pilots/spring-pilot/staff/invitations/"]') == 4

    only_expired = sam.get("/pilots/spring-pilot/staff/invitations/?status=expired")
    assert [i.email for i, _status in only_expired.context["rows"]] == ["expired@example.com"]


def test_the_list_needs_the_same_queries_for_many_invitations(
    sam: Client,
    pilot: Pilot,
    staff_sam: User,
    make_user: Callable[..., User],
    django_assert_max_num_queries: Any,
) -> None:
    def add(count: int, start: int) -> None:
        for number in range(start, start + count):
            invitation = Invitation.objects.create(
                pilot=pilot, email=f"p{number}@example.com", role=Role.ACTOR, invited_by=staff_sam
            )
            if number % 3 == 0:
                service.accept(
                    invitation=invitation, user=make_user(email=f"p{number}@example.com")
                )

    add(3, 0)
    with django_assert_max_num_queries(12) as few:
        assert sam.get("/pilots/spring-pilot/staff/invitations/").status_code == 200
    add(60, 3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = sam.get("/pilots/spring-pilot/staff/invitations/")
    assert len(response.context["rows"]) == 63


# --- Access -------------------------------------------------------------------------------

OUTSIDERS = ["alice", "mentor_maria", "other_staff", "oscar"]
PAGES = [
    ("get", "/pilots/{slug}/staff/invitations/"),
    ("post", "/pilots/{slug}/staff/invitations/"),
    ("get", "/pilots/{slug}/staff/invitations/import/"),
    ("post", "/pilots/{slug}/staff/invitations/import/"),
    ("post", "/pilots/{slug}/staff/invitations/import/confirm/"),
    ("post", "/pilots/{slug}/staff/invitations/{pk}/resend/"),
    ("post", "/pilots/{slug}/staff/invitations/{pk}/revoke/"),
]


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize(("method", "path"), PAGES)
def test_invitation_pages_are_404_for_everyone_but_the_pilots_staff(
    request: pytest.FixtureRequest,
    invite: Callable[..., Invitation],
    client_for: Callable[[User], Client],
    mailoutbox: list[Any],
    persona: str,
    method: str,
    path: str,
) -> None:
    invitation = invite()
    client = client_for(request.getfixturevalue(persona))
    data = {"email": "x@example.com", "role": "staff", "batch": "x"}
    response = getattr(client, method)(path.format(slug="spring-pilot", pk=invitation.pk), data)
    missing = getattr(client, method)(path.format(slug="no-such-pilot", pk=invitation.pk), data)
    assert response.status_code == 404
    assert page_text(response) == page_text(missing)
    invitation.refresh_from_db()
    assert invitation.is_open
    assert Invitation.objects.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_invitation_pages_send_anonymous_visitors_to_sign_in(
    invite: Callable[..., Invitation], method: str, path: str
) -> None:
    invitation = invite()
    response = getattr(Client(), method)(path.format(slug="spring-pilot", pk=invitation.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_cannot_reach_another_pilots_invitations_through_their_own_pilot(
    sam: Client, other_pilot: Pilot, mailoutbox: list[Any]
) -> None:
    foreign = Invitation.objects.create(
        pilot=other_pilot, email="nina@example.com", role=Role.ACTOR
    )
    for action in ("resend", "revoke"):
        response = sam.post(f"/pilots/spring-pilot/staff/invitations/{foreign.pk}/{action}/")
        assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_open
    assert mailoutbox == []


def test_a_superuser_can_manage_invitations(
    make_user: Callable[..., User], pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    root = make_user("Root", is_staff=True)
    User.objects.filter(pk=root.pk).update(is_superuser=True)
    assert client_for(root).get("/pilots/spring-pilot/staff/invitations/").status_code == 200


def test_the_invitation_url_names(pilot: Pilot) -> None:
    assert reverse("pilots:invitations", args=["x"]) == "/pilots/x/staff/invitations/"
    assert reverse("pilots:invite_csv", args=["x"]) == "/pilots/x/staff/invitations/import/"
    assert reverse("pilots:accept", args=["a:b:c"]) == "/pilots/invitations/a:b:c/"
