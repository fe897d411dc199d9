"""A superuser made with `createsuperuser` can sign in at once: allauth's mandatory
verification finds its address verified."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client

from profiles.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-admin-passphrase"


def test_createsuperuser_noinput_then_signing_in_works(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Ada@Example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_DISPLAY_NAME", "Admin Ada")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", verbosity=0)

    ada = User.objects.get(email="ada@example.org")
    assert ada.is_superuser
    address = EmailAddress.objects.get(user=ada)
    assert (address.email, address.verified, address.primary) == ("ada@example.org", True, True)

    response = client.post("/accounts/login/", {"login": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] != "/accounts/confirm-email/"
    assert client.session["_auth_user_id"] == str(ada.pk)
    assert client.get("/admin/").status_code == 200


def test_an_ordinary_new_user_still_has_to_verify(client: Client) -> None:
    User.objects.create_user(email="nina@example.com", password=PASSWORD, display_name="Nina")
    assert not EmailAddress.objects.filter(email="nina@example.com", verified=True).exists()
    response = client.post("/accounts/login/", {"login": "nina@example.com", "password": PASSWORD})
    assert response["Location"] == "/accounts/confirm-email/"
