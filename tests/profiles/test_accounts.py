"""Accounts through django-allauth: sign-up with verification, login, logout, reset, and the
protections around them (no enumeration, rate limits, session rotation)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from profiles.models import Profile, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "Nina New",
    "email": "nina@example.com",
    "kind": "student",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def link_in(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_sends_a_verification_link_that_activates_the_account(client: Client) -> None:
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="nina@example.com")
    assert user.display_name == "Nina New"
    assert user.profile.kind == Profile.Kind.STUDENT
    assert not EmailAddress.objects.get(user=user).verified

    # Not verified yet: signing in leads back to "verify your e-mail", not into the site.
    fresh = Client()
    response = fresh.post("/accounts/login/", {"login": "nina@example.com", "password": PASSWORD})
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in fresh.session

    assert len(mail.outbox) >= 1
    confirm_path = link_in(mail.outbox[0])
    assert client.get(confirm_path).status_code == 200
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    response = fresh.post("/accounts/login/", {"login": "nina@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert fresh.get("/me/").status_code == 200


def test_signup_refuses_control_characters_in_the_name(client: Client) -> None:
    response = client.post("/accounts/signup/", {**SIGNUP, "display_name": "Nina\x00"})
    assert response.status_code == 200
    assert not User.objects.filter(email="nina@example.com").exists()


def test_signup_with_a_taken_email_looks_the_same_as_a_new_one(client: Client, alice: User) -> None:
    new = client.post("/accounts/signup/", SIGNUP)
    taken = Client().post("/accounts/signup/", {**SIGNUP, "email": "alice@example.com"})
    assert new.status_code == taken.status_code == 302
    assert new["Location"] == taken["Location"]
    assert User.objects.filter(email="alice@example.com").count() == 1
    # The owner of the address is told by e-mail instead.
    assert any("alice@example.com" in m.to for m in mail.outbox)


def test_login_answers_alike_for_unknown_email_and_wrong_password(
    client: Client, alice: User
) -> None:
    unknown = client.post("/accounts/login/", {"login": "nobody@example.com", "password": PASSWORD})
    wrong = client.post(
        "/accounts/login/", {"login": "alice@example.com", "password": "wrong-pass-1"}
    )
    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].errors == wrong.context["form"].errors


def test_password_reset_answers_alike_for_known_and_unknown_email(alice: User) -> None:
    known = Client().post("/accounts/password/reset/", {"email": "alice@example.com"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_password_reset_link_sets_a_new_password(client: Client, alice: User) -> None:
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    reset_mail = next(m for m in mail.outbox if "alice@example.com" in m.to)
    response = client.get(link_in(reset_mail), follow=True)
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else link_in(reset_mail)
    new_password = "another-horse-staple-7"
    response = client.post(form_path, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new_password)


def test_session_key_rotates_on_login(client: Client, alice: User) -> None:
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/accounts/login/", {"login": "alice@example.com", "password": PASSWORD})
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_logout_ends_the_session(client: Client, alice: User) -> None:
    client.post("/accounts/login/", {"login": "alice@example.com", "password": PASSWORD})
    assert client.get("/me/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/me/").status_code == 302


class FakeClock:
    """Stands in for the `time` module inside allauth's rate limiter."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr("allauth.core.internal.ratelimit.time", fake)
    return fake


def test_failed_logins_are_rate_limited_per_account(
    client: Client, alice: User, clock: FakeClock
) -> None:
    for _ in range(5):
        client.post("/accounts/login/", {"login": "alice@example.com", "password": "wrong-pass-1"})
    # Even the right password is refused while the limit holds ...
    blocked = client.post("/accounts/login/", {"login": "alice@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert blocked.status_code in (200, 429)
    # ... and accepted once the five-minute window has passed.
    clock.now += 5 * 60 + 1
    client.post("/accounts/login/", {"login": "alice@example.com", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_signups_are_rate_limited_per_ip(clock: FakeClock) -> None:
    client = Client()
    for number in range(20):
        client.post("/accounts/signup/", {**SIGNUP, "email": f"n{number}@example.com"})
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "n99@example.com"})
    assert response.status_code == 429
    assert not User.objects.filter(email="n99@example.com").exists()
    clock.now += 61
    assert (
        client.post("/accounts/signup/", {**SIGNUP, "email": "n99@example.com"}).status_code == 302
    )


def test_password_reset_is_rate_limited(clock: FakeClock, alice: User) -> None:
    client = Client()
    statuses = [
        client.post("/accounts/password/reset/", {"email": "alice@example.com"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429


def test_admin_login_goes_through_allauth(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_reach_the_admin_after_the_site_login(client: Client, staff_sam: User) -> None:
    client.post("/accounts/login/", {"login": "sam@example.com", "password": PASSWORD})
    assert client.get("/admin/").status_code == 200
