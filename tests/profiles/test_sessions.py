"""Changing the password or deactivating an account ends the sessions that were open."""

from __future__ import annotations

import pytest
from django.test import Client

from profiles.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(email: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200
    return client


def test_password_change_ends_the_other_sessions_and_keeps_this_one(alice: User) -> None:
    phone = signed_in("alice@example.com")
    laptop = signed_in("alice@example.com")
    new_password = "a-new-horse-staple-42"
    response = laptop.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    assert laptop.get("/me/").status_code == 200
    assert phone.get("/me/").status_code == 302  # back to the login page


def test_deactivation_ends_open_sessions(alice: User) -> None:
    client = signed_in("alice@example.com")
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert client.get("/me/").status_code == 302
    relogin = Client().post(
        "/accounts/login/", {"login": "alice@example.com", "password": PASSWORD}
    )
    assert "_auth_user_id" not in relogin.client.session


def test_logout_needs_a_post(alice: User) -> None:
    client = signed_in("alice@example.com")
    client.get("/accounts/logout/")  # shows a confirmation page, does not log out
    assert client.get("/me/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/me/").status_code == 302
