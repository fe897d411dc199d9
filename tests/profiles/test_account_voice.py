"""allauth's pages and e-mails speak like the rest of the site, in Finnish, English and Swedish:
sentence-case headings, the site's own words, and e-mails signed with the site's name instead of
the host the request came in on."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from profiles.models import User
from tests.conftest import PASSWORD
from tests.support.html import Html, text

pytestmark = pytest.mark.django_db

LANGUAGES = ["fi", "en", "sv"]
HOST = "testserver"  # the host of the test requests: never in the words of an e-mail

# The product's name, as base.html and the e-mails write it.
SITE_NAME = {"fi": "Pikamentorointi", "en": "Speed mentoring", "sv": "Snabbmentorskap"}
PREFIX = {"fi": "[Mentorointi] ", "en": "[Mentoring] ", "sv": "[Mentorskap] "}
GREETING = {"fi": "Hei,", "en": "Hello,", "sv": "Hej,"}

PAGES: dict[str, dict[str, str]] = {
    "/accounts/login/": {"fi": "Kirjaudu sisään", "en": "Sign in", "sv": "Logga in"},
    "/accounts/signup/": {"fi": "Luo tili", "en": "Create an account", "sv": "Skapa ett konto"},
    "/accounts/password/reset/": {
        "fi": "Palauta salasanasi",
        "en": "Reset your password",
        "sv": "Återställ ditt lösenord",
    },
    "/accounts/password/reset/done/": {
        "fi": "Tarkista sähköpostisi",
        "en": "Check your e-mail",
        "sv": "Kolla din e-post",
    },
    "/accounts/confirm-email/": {
        "fi": "Vahvista sähköpostiosoitteesi",
        "en": "Confirm your e-mail address",
        "sv": "Bekräfta din e-postadress",
    },
    "/accounts/confirm-email/not-a-key/": {
        "fi": "Tämä linkki ei toimi",
        "en": "This link does not work",
        "sv": "Länken fungerar inte",
    },
    "/accounts/password/reset/key/1-not-a-key/": {
        "fi": "Tämä linkki ei toimi",
        "en": "This link does not work",
        "sv": "Länken fungerar inte",
    },
}
EMAIL_LABEL = {"fi": "Sähköpostiosoite", "en": "E-mail address", "sv": "E-postadress"}
# allauth's own wording, which our templates replace.
ALLAUTH_WORDS = ["Sign In", "Sign Up", "Password Reset", "Verify Your", "Remember Me", "Email:"]


def client_in(lang: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=lang)


def is_sentence_case(heading: str) -> bool:
    """Only the first word starts with a capital letter (these headings name no one)."""
    first, *rest = heading.split()
    return first[0].isupper() and not any(word[0].isupper() for word in rest)


def words_of(message: Any) -> str:
    """Subject and body of a mail without its links: what it says in words."""
    return re.sub(r"https?://\S+", "<link>", f"{message.subject}\n{message.body}")


def link_in(message: Any, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", list(PAGES))
def test_account_pages_have_sentence_case_headings_in_the_language(path: str, lang: str) -> None:
    response = client_in(lang).get(path)
    assert response.status_code == 200
    page = Html(response)
    assert page.root.get("lang") == lang
    [heading] = page.select("main h1")
    assert text(heading) == PAGES[path][lang]
    assert is_sentence_case(text(heading))
    assert text(page.one("title")).startswith(PAGES[path][lang])
    words = text(page.one("main"))
    for generic in ALLAUTH_WORDS:
        assert generic not in words


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sign_in_and_sign_up_forms_use_the_sites_labels(lang: str) -> None:
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page = Html(client_in(lang).get(path))
        labels = [text(label).rstrip(":") for label in page.select("main label")]
        assert EMAIL_LABEL[lang] in labels, (path, labels)
    login = Html(client_in(lang).get("/accounts/login/"))
    remember = {
        "fi": "Pidä minut kirjautuneena",
        "en": "Keep me signed in",
        "sv": "Håll mig inloggad",
    }
    assert remember[lang] in [text(label).rstrip(":") for label in login.select("main label")]


def test_sign_in_page_links_to_sign_up_and_back() -> None:
    login = Html(client_in("en").get("/accounts/login/"))
    assert "/accounts/signup/" in [a.get("href") for a in login.select("main p a")]
    signup = Html(client_in("en").get("/accounts/signup/"))
    assert "/accounts/login/" in [a.get("href") for a in signup.select("main p a")]


def test_email_addresses_and_password_pages_speak_the_sites_words(alice: User) -> None:
    client = client_in("sv")
    client.force_login(alice)
    emails = Html(client.get("/accounts/email/"))
    assert text(emails.one("main h1")) == "E-postadresser"
    assert "Bekräftad" in text(emails.one("main"))
    assert text(emails.one("main h2")) == "Lägg till en e-postadress"
    password = Html(client.get("/accounts/password/change/"))
    assert text(password.one("main h1")) == "Byt lösenord"
    labels = [text(label).rstrip(":") for label in password.select("main label")]
    assert labels == ["Nuvarande lösenord", "Nytt lösenord", "Nytt lösenord (igen)"]


SIGNUP = {
    "display_name": "Nina New",
    "email": "nina@example.com",
    "kind": "student",
    "password1": PASSWORD,
    "password2": PASSWORD,
}
VERIFICATION_SUBJECT = {
    "fi": "Tervetuloa palveluun Pikamentorointi: vahvista sähköpostiosoitteesi",
    "en": "Welcome to Speed mentoring: confirm your e-mail address",
    "sv": "Välkommen till Snabbmentorskap: bekräfta din e-postadress",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_verification_email_names_the_site_not_the_host(lang: str) -> None:
    client = client_in(lang)
    assert client.post("/accounts/signup/", SIGNUP).status_code == 302
    [message] = mail.outbox
    assert message.subject == PREFIX[lang] + VERIFICATION_SUBJECT[lang]
    assert message.body.splitlines()[0] == GREETING[lang]
    words = words_of(message)
    assert SITE_NAME[lang] in words
    assert HOST not in words
    assert "Hello from" not in words
    assert message.body.rstrip().endswith(f"{SITE_NAME[lang]}\n{settings.SITE_URL}")
    # The link in it still confirms the address.
    confirm = link_in(message, "/accounts/confirm-email/")
    page = Html(client.get(confirm))
    assert text(page.one("main h1")) == PAGES["/accounts/confirm-email/"][lang]
    assert client.post(confirm).status_code == 302


RESET_SUBJECT = {
    "fi": "Valitse uusi salasana",
    "en": "Choose a new password",
    "sv": "Välj ett nytt lösenord",
}
UNKNOWN_SUBJECT = {
    "fi": "Tällä osoitteella ei ole käyttäjätiliä",
    "en": "No account uses this address",
    "sv": "Inget konto använder den här adressen",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_password_reset_email_names_the_site_not_the_host(lang: str, alice: User) -> None:
    client = client_in(lang)
    response = client.post("/accounts/password/reset/", {"email": alice.email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [alice.email]
    assert message.subject == PREFIX[lang] + RESET_SUBJECT[lang]
    assert message.body.splitlines()[0] == GREETING[lang]
    words = words_of(message)
    assert SITE_NAME[lang] in words
    assert HOST not in words
    # The link leads to the form for a new password, in the same words.
    key_page = client.get(link_in(message, "/accounts/password/reset/key/"), follow=True)
    assert (
        text(Html(key_page).one("main h1"))
        == {
            "fi": "Valitse uusi salasana",
            "en": "Choose a new password",
            "sv": "Välj ett nytt lösenord",
        }[lang]
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_password_reset_for_an_unknown_address_says_so_in_the_language(lang: str) -> None:
    client_in(lang).post("/accounts/password/reset/", {"email": "nobody@example.com"})
    [message] = mail.outbox
    assert message.subject == PREFIX[lang] + UNKNOWN_SUBJECT[lang]
    words = words_of(message)
    assert SITE_NAME[lang] in words
    assert "nobody@example.com" in words
    assert HOST not in words


@pytest.mark.parametrize("lang", LANGUAGES)
def test_signing_up_again_with_a_taken_address_mails_its_owner_in_the_language(
    lang: str, alice: User
) -> None:
    client_in(lang).post("/accounts/signup/", {**SIGNUP, "email": alice.email})
    [message] = mail.outbox
    assert (
        message.subject
        == PREFIX[lang]
        + {
            "fi": "Sinulla on jo käyttäjätili",
            "en": "You already have an account",
            "sv": "Du har redan ett konto",
        }[lang]
    )
    words = words_of(message)
    assert SITE_NAME[lang] in words
    assert HOST not in words


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_closed_account_is_told_so_in_the_language(lang: str, alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = client_in(lang).post(
        "/accounts/login/", {"login": alice.email, "password": PASSWORD}, follow=True
    )
    heading = text(Html(response).one("main h1"))
    assert (
        heading
        == {
            "fi": "Tämä käyttäjätili on suljettu",
            "en": "This account is closed",
            "sv": "Det här kontot är stängt",
        }[lang]
    )
    assert is_sentence_case(heading)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_signing_in_is_confirmed_in_the_sites_words(lang: str, alice: User) -> None:
    response = client_in(lang).post(
        "/accounts/login/", {"login": alice.email, "password": PASSWORD}, follow=True
    )
    notices = [text(notice) for notice in Html(response).select(".messages .message")]
    signed_in_as = {
        "fi": "Olet kirjautunut sisään käyttäjänä",
        "en": "You are signed in as",
        "sv": "Du är inloggad som",
    }[lang]
    assert [notice for notice in notices if notice.startswith(signed_in_as)], notices
