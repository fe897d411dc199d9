"""Invitations: staff invite one person, resend and revoke; the e-mail carries a signed link
that expires; following it, a new person signs up (verified by the link) and an existing user
joins. Expired, revoked, used and tampered links get a clear page. Sending is rate-limited and
the staff pages are the pilot's own staff's only."""

from __future__ import annotations

import datetime
import re
import smtplib
import time
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from celery.exceptions import Retry
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pilots import invitations as service
from pilots.models import Invitation, Participation, Pilot, Role
from pilots.tasks import send_invitation
from profiles.models import Profile, User
from tests.conftest import PASSWORD, page_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

LINK = re.compile(r"https?://[^/\s]+(/pilots/invitations/[^/\s]+/)")


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


@pytest.fixture
def signing_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr("django.core.signing.time", clock)
    return clock


def link_in(message: Any) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


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
    real_send = service.EmailMessage.send
    answers = [smtplib.SMTPResponseException(451, b"try again later")]

    def flaky_send(message: Any, *args: Any, **kwargs: Any) -> int:
        if answers:
            raise answers.pop()
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(service.EmailMessage, "send", flaky_send)
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

    monkeypatch.setattr(service.EmailMessage, "send", refused)
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
    assert page.count('action="/pilots/spring-pilot/staff/invitations/') == 4

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


# --- The link: refused cases --------------------------------------------------------------


def test_an_expired_link_is_refused_with_410_and_a_resend_makes_a_new_one(
    sam: Client,
    invite: Callable[..., Invitation],
    mailoutbox: list[Any],
    signing_clock: FakeClock,
    send: Callable[..., Any],
) -> None:
    invitation = invite()
    old_link = link_in(mailoutbox[0])
    signing_clock.now += 13 * 86400
    assert Client().get(old_link).status_code == 200
    signing_clock.now += 2 * 86400
    page = Client().get(old_link)
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert "new invitation" in page.content.decode()
    assert invitation.pilot.name in page.content.decode()

    send(lambda: sam.post(f"/pilots/spring-pilot/staff/invitations/{invitation.pk}/resend/"))
    assert Client().get(link_in(mailoutbox[1])).status_code == 200


def test_the_link_lifetime_follows_the_setting(
    settings: Any,
    invite: Callable[..., Invitation],
    mailoutbox: list[Any],
    signing_clock: FakeClock,
) -> None:
    settings.INVITATION_MAX_AGE_DAYS = 1
    invite()
    signing_clock.now += 86400 + 1
    assert Client().get(link_in(mailoutbox[0])).status_code == 410


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "OTk5" + token[token.index(":") :],  # another id under the old signature
        lambda token: token.split(":")[0],  # signature cut off
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "cut", "garbage"],
)
def test_a_tampered_link_is_refused_with_404(
    invite: Callable[..., Invitation], mailoutbox: list[Any], mangle: Callable[[str], str]
) -> None:
    invite()
    token = token_of(link_in(mailoutbox[0]))
    page = Client().get(f"/pilots/invitations/{mangle(token)}/")
    assert page.status_code == 404
    assert "not valid" in page.content.decode()


def test_a_link_signed_for_another_purpose_is_refused(invite: Callable[..., Invitation]) -> None:
    invitation = invite()
    token = signing.dumps(invitation.pk, salt="something.else")
    assert Client().get(f"/pilots/invitations/{token}/").status_code == 404


def test_a_link_to_a_deleted_invitation_is_refused_with_404(
    invite: Callable[..., Invitation], mailoutbox: list[Any]
) -> None:
    invite().delete()
    assert Client().get(link_in(mailoutbox[0])).status_code == 404


def test_a_used_link_is_refused_for_anyone_else(
    invite: Callable[..., Invitation],
    mailoutbox: list[Any],
    alice: User,
    client_for: Callable[[User], Client],
) -> None:
    invitation = invite()
    link = link_in(mailoutbox[0])
    Client().post(link, {"display_name": "Nina", "password1": PASSWORD, "password2": PASSWORD})
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None

    for client in (Client(), client_for(alice)):
        page = client.get(link)
        assert page.status_code == 410
        assert "already been used" in page.content.decode()
        assert client.post(link).status_code == 410
    assert Participation.objects.filter(pilot=invitation.pilot).count() == 4


def test_a_closed_pilot_refuses_its_links(
    pilot: Pilot,
    invite: Callable[..., Invitation],
    mailoutbox: list[Any],
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    invitation = invite()
    link = link_in(mailoutbox[0])
    pilot.status = Pilot.Status.ARCHIVED
    pilot.save(update_fields=["status"])
    page = Client().get(link)
    assert page.status_code == 410
    assert "has ended" in page.content.decode()

    bob = make_user("Bob", email="bob@example.com")
    response = client_for(bob).post(link)
    assert response.status_code == 410
    with pytest.raises(service.InvitationLinkError):
        service.accept(invitation=invitation, user=bob)
    assert not Participation.objects.filter(user=bob).exists()


# --- The link: joining --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind"),
    [(Role.ACTOR, Profile.Kind.STUDENT), (Role.MENTOR, Profile.Kind.PROFESSIONAL)],
)
def test_a_new_person_signs_up_through_the_link_verified_signed_in_and_joined(
    invite: Callable[..., Invitation], mailoutbox: list[Any], role: str, kind: str
) -> None:
    invitation = invite("Nina@Example.com", role=role, earns_credits=role == Role.ACTOR)
    link = link_in(mailoutbox[0])
    client = Client()
    page = client.get(link)
    assert page.status_code == 200
    assert 'name="display_name"' in page.content.decode()
    assert 'value="Nina New"' in page.content.decode()
    assert 'name="email"' not in page.content.decode()
    assert "/accounts/login/?next=%2Fpilots%2Finvitations%2F" in page.content.decode()

    response = client.post(
        link, {"display_name": "Nina N.", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/pilots/spring-pilot/"
    user = User.objects.get(email="nina@example.com")
    assert user.display_name == "Nina N."
    assert user.check_password(PASSWORD)
    assert user.profile.kind == kind
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("nina@example.com", True, True)
    assert client.session["_auth_user_id"] == str(user.pk)
    participation = Participation.objects.get(user=user)
    assert participation.role == role
    assert participation.earns_credits is (role == Role.ACTOR)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert client.get("/pilots/spring-pilot/").status_code == 200
    # No e-mail to confirm: the link did that.
    assert len(mailoutbox) == 1


def test_signup_through_the_link_checks_the_password(
    invite: Callable[..., Invitation], mailoutbox: list[Any]
) -> None:
    invite()
    link = link_in(mailoutbox[0])
    for password1, password2, error in [
        (PASSWORD, PASSWORD + "x", "The two passwords are not the same."),
        ("12345678", "12345678", "This password is too common."),
        ("nina@example.com", "nina@example.com", "too similar"),
        ("short", "short", "too short"),
    ]:
        response = Client().post(
            link, {"display_name": "Nina", "password1": password1, "password2": password2}
        )
        assert response.status_code == 400
        assert error in response.content.decode()
    assert not User.objects.filter(email="nina@example.com").exists()


def test_signup_through_the_link_refuses_control_characters_in_the_name(
    invite: Callable[..., Invitation], mailoutbox: list[Any]
) -> None:
    invite()
    response = Client().post(
        link_in(mailoutbox[0]),
        {"display_name": "Nina\x00", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="nina@example.com").exists()


def test_someone_with_an_account_is_asked_to_sign_in_and_comes_back_to_join(
    invite: Callable[..., Invitation],
    mailoutbox: list[Any],
    make_user: Callable[..., User],
) -> None:
    bob = make_user("Bob", email="bob@example.com")
    invite("BOB@example.com", role=Role.MENTOR)
    link = link_in(mailoutbox[0])
    client = Client()
    page = client.get(link)
    assert page.status_code == 200
    assert 'name="password1"' not in page.content.decode()
    assert f"/accounts/login/?next={link.replace('/', '%2F').replace(':', '%3A')}" in (
        page.content.decode()
    )
    # A sign-up posted anyway creates nothing.
    client.post(link, {"display_name": "Bob 2", "password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.filter(email__iexact="bob@example.com").count() == 1
    assert not Participation.objects.filter(user=bob).exists()

    response = client.post(
        f"/accounts/login/?next={link}", {"login": "bob@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == link
    assert client.post(link)["Location"] == "/pilots/spring-pilot/"
    assert Participation.objects.get(user=bob).role == Role.MENTOR


def test_a_signed_in_user_joins_with_one_button_and_accepting_twice_joins_once(
    invite: Callable[..., Invitation],
    mailoutbox: list[Any],
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    bob = make_user("Bob", email="bob@example.com")
    invitation = invite("bob@example.com")
    link = link_in(mailoutbox[0])
    client = client_for(bob)
    page = client.get(link)
    assert page.status_code == 200
    assert "Join Pilot spring-pilot" in page.content.decode()
    assert not Participation.objects.filter(user=bob).exists()  # GET changes nothing

    assert client.post(link)["Location"] == "/pilots/spring-pilot/"
    again = client.post(link)
    assert again.status_code == 302
    assert again["Location"] == "/pilots/spring-pilot/"
    assert client.get(link)["Location"] == "/pilots/spring-pilot/"
    assert Participation.objects.filter(user=bob).count() == 1
    assert service.accept(invitation=invitation, user=bob) == Participation.objects.get(user=bob)


def test_a_user_signed_in_with_another_address_is_told_which_account_joins(
    invite: Callable[..., Invitation],
    mailoutbox: list[Any],
    oscar: User,
    client_for: Callable[[User], Client],
) -> None:
    invite("oscar.work@example.com")
    link = link_in(mailoutbox[0])
    client = client_for(oscar)
    page = client.get(link).content.decode()
    assert "You are signed in as oscar@example.com" in page
    client.post(link)
    assert Participation.objects.get(user=oscar).role == Role.ACTOR


def test_accepting_keeps_the_role_of_someone_already_in_the_pilot(
    pilot: Pilot, mentor_maria: User, make_user: Callable[..., User]
) -> None:
    invitation = Invitation.objects.create(pilot=pilot, email="other@example.com", role=Role.ACTOR)
    participation = service.accept(invitation=invitation, user=mentor_maria)
    assert participation.role == Role.MENTOR
    invitation.refresh_from_db()
    assert invitation.accepted_by == mentor_maria


def test_signing_up_for_an_address_that_got_an_account_meanwhile_is_refused(
    pilot: Pilot, make_user: Callable[..., User]
) -> None:
    invitation = Invitation.objects.create(pilot=pilot, email="nina@example.com", role=Role.ACTOR)
    make_user(email="nina@example.com")
    with pytest.raises(service.AccountExists):
        service.sign_up_and_accept(invitation=invitation, display_name="Nina", password=PASSWORD)
    invitation.refresh_from_db()
    assert invitation.is_open


# --- Rate limit ---------------------------------------------------------------------------


@pytest.fixture
def rate_clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeClock:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "pilot_invite": "2/h/user"}
    clock = FakeClock()
    monkeypatch.setattr("allauth.core.internal.ratelimit.time", clock)
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
