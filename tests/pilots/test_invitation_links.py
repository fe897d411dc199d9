"""Following an invitation link: expired, tampered, foreign, deleted, used links and closed
pilots are refused with a clear page; a new person signs up (verified by the link), an
existing user signs in or joins with one button.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import signing
from django.test import Client

from pilots import invitations as service
from pilots.models import Invitation, Participation, Pilot, Role
from profiles.models import Profile, User
from tests.conftest import PASSWORD
from tests.support.html import Html
from tests.support.invitations import FakeClock, link_in, token_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def signing_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr("django.core.signing.time", clock)
    return clock


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
    assert Html(page).attr("input[name=display_name]", "value") == "Nina New"
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
