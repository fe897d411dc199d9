"""The language a person uses the site in is remembered for what is written to them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from profiles.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_choosing_a_language_while_signed_in_remembers_it(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    response = client.post(reverse("set_language"), {"language": "fi", "next": "/me/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fi"
    alice.refresh_from_db()
    assert (alice.language, alice.preferred_language) == ("fi", "fi")

    client.post(reverse("set_language"), {"language": "en", "next": "/me/"})
    alice.refresh_from_db()
    assert alice.language == "en"


def test_an_unknown_language_changes_nothing(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client_for(alice).post(reverse("set_language"), {"language": "xx", "next": "/me/"})
    alice.refresh_from_db()
    assert (alice.language, alice.preferred_language) == ("", settings.LANGUAGE_CODE)


def test_the_switch_still_works_for_visitors() -> None:
    client = Client()
    response = client.post(reverse("set_language"), {"language": "fi", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fi"
    assert client.get(reverse("set_language")).status_code == 405


def test_signing_in_remembers_the_language_of_the_browser(alice: User) -> None:
    client = Client(headers={"accept-language": "fi-FI,fi;q=0.9"})
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == "fi"


def test_signing_in_keeps_a_chosen_language_unless_the_switch_says_otherwise(
    alice: User,
) -> None:
    User.objects.filter(pk=alice.pk).update(language="en")
    finnish_browser = Client(headers={"accept-language": "fi"})
    finnish_browser.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    alice.refresh_from_db()
    assert alice.language == "en"  # a browser's guess does not undo a choice

    switched = Client()
    switched.cookies[settings.LANGUAGE_COOKIE_NAME] = "fi"
    switched.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    alice.refresh_from_db()
    assert alice.language == "fi"
