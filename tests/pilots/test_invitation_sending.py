"""Staff invite one person, who gets one e-mail with a signed link, in the right language;
what is refused (already in, already invited, a closed pilot); SMTP failures; resend and
revoke.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from pilots import invitations as service
from pilots.models import Invitation, Pilot, Role
from pilots.tasks import send_invitation
from profiles.models import User
from tests.support.invitations import link_in, token_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


# --- Inviting one person ------------------------------------------------------------------


def test_staff_invite_one_person_who_gets_one_email_with_the_link_and_the_pilot_name(
    sam: Client, pilot: Pilot, staff_sam: User, mailoutbox: list[Any], send: Callable[..., Any]
) -> None:
    response = send(
        lambda: sam.post(
            "/pilots/spring-pilot/staff/invitations/",
            {"email": "Nina@Example.com", "name": "Nina New", "role": "mentor"},
        )
    )
    assert response.status_code == 302
    assert response["Location"] == "/pilots/spring-pilot/staff/invitations/"
    invitation = Invitation.objects.get(pilot=pilot)
    assert (invitation.email, invitation.name, invitation.role) == (
        "nina@example.com",
        "Nina New",
        Role.MENTOR,
    )
    assert invitation.invited_by == staff_sam
    assert invitation.send_count == 1
    assert invitation.sent_at is not None
    assert [m.to for m in mailoutbox] == [["nina@example.com"]]
    message = mailoutbox[0]
    assert pilot.name in message.subject
    assert "\n" not in message.subject
    assert pilot.name in message.body
    assert "Hello Nina New" in message.body
    assert "Sam Staff" in message.body
    assert "mentor" in message.body
    assert sam.get(link_in(message)).status_code == 200


def test_the_email_is_in_the_inviters_language_or_the_invitees_own(
    invite: Callable[..., Invitation],
    staff_sam: User,
    make_user: Callable[..., User],
    pilot: Pilot,
) -> None:
    User.objects.filter(pk=staff_sam.pk).update(language="fi")
    staff_sam.refresh_from_db()
    invite("nina@example.com")  # no account: Sam's language
    erik = make_user("Erik Expert", email="erik@example.com")
    User.objects.filter(pk=erik.pk).update(language="en")
    invite(erik.email, role=Role.MENTOR)  # an account: his language
    subjects = {email.to[0]: email.subject for email in mail.outbox}
    assert subjects["nina@example.com"] == f"[Mentorointi] Sinut on kutsuttu pilottiin {pilot.name}"
    assert subjects[erik.email] == f"[Mentoring] You are invited to {pilot.name}"


def test_the_email_speaks_of_actors_in_the_pilots_own_words(
    pilot: Pilot, invite: Callable[..., Invitation], mailoutbox: list[Any]
) -> None:
    pilot.actor_term = "aktori"
    pilot.save(update_fields=["actor_term"])
    invite()
    assert "Your role: aktori" in mailoutbox[0].body


def test_the_email_carries_nothing_of_other_invitations(
    invite: Callable[..., Invitation], mailoutbox: list[Any]
) -> None:
    first = invite("first@example.com", name="First Person")
    second = invite("second@example.com", name="Second Person")
    assert len(mailoutbox) == 2
    body = mailoutbox[1].body
    assert mailoutbox[1].to == ["second@example.com"]
    assert "Second Person" in body
    assert "first@example.com" not in body
    assert "First Person" not in body
    assert service.invitation_from_token(token_of(link_in(mailoutbox[1]))) == second
    assert service.invitation_from_token(token_of(link_in(mailoutbox[0]))) == first


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@Example.COM", " alice@example.com "])
def test_inviting_someone_already_in_the_pilot_creates_no_invitation_and_says_so(
    sam: Client, pilot: Pilot, mailoutbox: list[Any], send: Callable[..., Any], email: str
) -> None:
    response = send(
        lambda: sam.post(
            "/pilots/spring-pilot/staff/invitations/", {"email": email, "role": "actor"}
        )
    )
    assert response.status_code == 400
    assert "alice@example.com is already taking part in this pilot." in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_inviting_again_while_an_invitation_is_open_points_to_resend_and_sends_nothing(
    sam: Client, invite: Callable[..., Invitation], mailoutbox: list[Any], send: Callable[..., Any]
) -> None:
    first = invite("nina@example.com")
    response = send(
        lambda: sam.post(
            "/pilots/spring-pilot/staff/invitations/",
            {"email": "NINA@example.com", "role": "mentor"},
        )
    )
    assert response.status_code == 400
    assert "already has an open invitation" in response.content.decode()
    assert "Resend" in response.content.decode()
    assert list(Invitation.objects.all()) == [first]
    assert len(mailoutbox) == 1


def test_one_open_invitation_per_address_is_enforced_by_the_database(pilot: Pilot) -> None:
    Invitation.objects.create(pilot=pilot, email="nina@example.com", role=Role.ACTOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(pilot=pilot, email="Nina@Example.com", role=Role.ACTOR)


def test_a_revoked_invitation_does_not_stop_a_new_one(
    invite: Callable[..., Invitation], mailoutbox: list[Any]
) -> None:
    first = invite()
    assert service.revoke(invitation=first)
    second = invite()
    assert second.pk != first.pk
    assert len(mailoutbox) == 2


def test_a_rolled_back_invitation_sends_nothing(
    pilot: Pilot, staff_sam: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    def invite_then_fail() -> None:
        with transaction.atomic():
            service.invite(
                pilot=pilot,
                email="nina@example.com",
                name="",
                role=Role.ACTOR,
                invited_by=staff_sam,
            )
            raise RuntimeError("the request failed later")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        invite_then_fail()
    assert callbacks == []
    assert mailoutbox == []
    assert not Invitation.objects.exists()


def test_earning_credits_is_for_actors_only(sam: Client, pilot: Pilot) -> None:
    response = sam.post(
        "/pilots/spring-pilot/staff/invitations/",
        {"email": "nina@example.com", "role": "mentor", "earns_credits": "on"},
    )
    assert response.status_code == 400
    assert "Only actors earn study credits." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_closed_pilot_takes_no_invitations(
    sam: Client, pilot: Pilot, mailoutbox: list[Any]
) -> None:
    pilot.status = Pilot.Status.CLOSED
    pilot.save(update_fields=["status"])
    response = sam.post(
        "/pilots/spring-pilot/staff/invitations/", {"email": "nina@example.com", "role": "actor"}
    )
    assert response.status_code == 400
    assert "has ended" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_sending_task_for_a_revoked_invitation_sends_nothing(
    pilot: Pilot, mailoutbox: list[Any]
) -> None:
    invitation = Invitation.objects.create(
        pilot=pilot, email="nina@example.com", role=Role.ACTOR, revoked_at=timezone.now()
    )
    assert send_invitation.delay(invitation.pk).get() is False
    assert send_invitation.delay(invitation.pk + 1000).get() is False
    assert mailoutbox == []


def test_a_temporary_smtp_failure_asks_for_a_retry_which_sends_it_once(
    pilot: Pilot, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    invitation = Invitation.objects.create(pilot=pilot, email="nina@example.com", role=Role.ACTOR)
    real_send = EmailMessage.send
    answers = [smtplib.SMTPResponseException(451, b"try again later")]

    def flaky_send(message: Any, *args: Any, **kwargs: Any) -> int:
        if answers:
            raise answers.pop()
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", flaky_send)
    with pytest.raises(Retry):
        send_invitation.delay(invitation.pk)
    invitation.refresh_from_db()
    assert invitation.send_count == 0
    send_invitation.delay(invitation.pk)  # the retry
    invitation.refresh_from_db()
    assert len(mailoutbox) == 1
    assert invitation.send_count == 1


def test_a_permanent_smtp_failure_is_not_retried(
    pilot: Pilot, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    invitation = Invitation.objects.create(pilot=pilot, email="nina@example.com", role=Role.ACTOR)
    attempts = []

    def refused(message: Any, *args: Any, **kwargs: Any) -> int:
        attempts.append(message)
        raise smtplib.SMTPResponseException(550, b"no such mailbox")

    monkeypatch.setattr(EmailMessage, "send", refused)
    with pytest.raises(smtplib.SMTPResponseException):
        send_invitation.delay(invitation.pk)
    invitation.refresh_from_db()
    assert len(attempts) == 1
    assert invitation.send_count == 0


# --- Resend and revoke --------------------------------------------------------------------


def test_resend_sends_the_invitation_again_with_a_working_link(
    sam: Client, invite: Callable[..., Invitation], mailoutbox: list[Any], send: Callable[..., Any]
) -> None:
    invitation = invite()
    response = send(
        lambda: sam.post(f"/pilots/spring-pilot/staff/invitations/{invitation.pk}/resend/")
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert [m.to for m in mailoutbox] == [["nina@example.com"]] * 2
    assert Client().get(link_in(mailoutbox[1])).status_code == 200


def test_revoke_makes_the_link_stop_working(
    sam: Client, invite: Callable[..., Invitation], mailoutbox: list[Any]
) -> None:
    invitation = invite()
    response = sam.post(f"/pilots/spring-pilot/staff/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    page = Client().get(link_in(mailoutbox[0]))
    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()
    assert "new invitation" in page.content.decode()


def test_an_accepted_or_revoked_invitation_cannot_be_resent_or_revoked_again(
    sam: Client, invite: Callable[..., Invitation], mailoutbox: list[Any], send: Callable[..., Any]
) -> None:
    invitation = invite()
    service.revoke(invitation=invitation)
    response = send(
        lambda: sam.post(
            f"/pilots/spring-pilot/staff/invitations/{invitation.pk}/resend/", follow=True
        )
    )
    assert "cannot be sent again" in response.content.decode()
    response = sam.post(
        f"/pilots/spring-pilot/staff/invitations/{invitation.pk}/revoke/", follow=True
    )
    assert "already accepted or revoked" in response.content.decode()
    assert len(mailoutbox) == 1


def test_resend_and_revoke_take_only_post(sam: Client, invite: Callable[..., Invitation]) -> None:
    invitation = invite()
    for action in ("resend", "revoke"):
        url = f"/pilots/spring-pilot/staff/invitations/{invitation.pk}/{action}/"
        assert sam.get(url).status_code == 405
    invitation.refresh_from_db()
    assert invitation.is_open
