"""A tour of every page an actor, a mentor and a staff member use, on the demo pilot, in
Finnish, English and Swedish, at a phone's 390 px: each page is in the language asked for,
passes axe-core (no serious or critical violation) and does not scroll sideways.

The journeys elsewhere in this folder show that things work; this one shows that every page
they pass through reads and fits in every language the site offers.
"""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import Browser, Page

from groups.models import Group, GroupMember
from messaging.models import Conversation
from pilots.demo import SLUG
from pilots.models import Material, Pilot
from profiles import demo as profiles_demo
from profiles import taxonomy
from profiles.models import Competence, Language, User
from tests.e2e.conftest import PHONE, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def actor_pages(pilot: Pilot, actor: User) -> list[str]:
    conversation = Conversation.objects.filter(participants__user=actor).order_by("pk").first()
    group = Group.objects.filter(memberships__user=actor).order_by("pk").first()
    material = Material.objects.filter(pilot=pilot, is_published=True).order_by("pk").first()
    mentor = GroupMember.objects.filter(group=group).exclude(user=actor).first()
    assert conversation is not None
    assert group is not None
    assert material is not None
    assert mentor is not None
    return [
        "/",
        "/me/",
        "/me/edit/",
        "/people/",
        f"/people/{mentor.user_id}/",
        "/groups/",
        f"/groups/{group.pk}/",
        "/groups/discussions/",
        "/pilots/",
        "/pilots/join/",
        f"/pilots/{pilot.slug}/",
        f"/pilots/{pilot.slug}/materials/{material.pk}/",
        "/conversations/",
        f"/conversations/{conversation.pk}/",
        "/notifications/",
        "/settings/notifications/",
    ]


def mentor_pages(pilot: Pilot, mentor: User) -> list[str]:
    conversation = Conversation.objects.filter(participants__user=mentor).order_by("pk").first()
    assert conversation is not None
    return [
        "/",
        "/groups/",
        f"/pilots/{pilot.slug}/",
        "/conversations/",
        f"/conversations/{conversation.pk}/",
    ]


def staff_pages(pilot: Pilot) -> list[str]:
    group = Group.objects.filter(pilot=pilot).order_by("pk").first()
    assert group is not None
    staff = f"/pilots/{pilot.slug}/staff/"
    return [
        "/",
        staff,
        f"{staff}edit/",
        f"{staff}participants/",
        f"{staff}weeks/",
        f"{staff}weeks/1/",
        f"{staff}materials/",
        f"{staff}materials/new/",
        f"{staff}announcements/",
        f"{staff}invitations/",
        f"{staff}invitations/import/",
        f"{staff}moderation/",
        f"{staff}groups/",
        f"{staff}groups/pair/",
        f"{staff}groups/new/",
        f"{staff}groups/{group.pk}/",
    ]


VISITOR_PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


def session_cookie(user: User | None) -> list[dict[str, str]]:
    """A signed-in session for `user`, stored in the test database that the server reads."""
    if user is None:
        return []
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value}]


def tour(
    browser: Browser, url: Callable[[str], str], user: User | None, paths: list[str], name: str
) -> list[str]:
    """Visit `paths` in every language; the problems found, one line each."""
    problems: list[str] = []
    for language in LANGUAGES:
        context = browser.new_context(viewport=PHONE, locale=language)
        cookies = [
            *session_cookie(user),
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language},
        ]
        context.add_cookies(
            [
                {"name": cookie["name"], "value": cookie["value"], "url": url("/")}
                for cookie in cookies
            ]
        )
        page: Page = context.new_page()
        for path in paths:
            response = page.goto(url(path))
            where = f"{name} {language} {path}"
            if response is None or response.status != 200:
                problems.append(f"{where}: status {response.status if response else None}")
                continue
            lang = page.evaluate("document.documentElement.lang")
            if lang != language:
                problems.append(f"{where}: <html lang={lang!r}>")
            if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
                problems.append(f"{where}: scrolls sideways at 390 px")
            try:
                assert_accessible(page)
            except AssertionError as error:
                problems.append(f"{where}: {error}")
        context.close()
    return problems


@pytest.fixture
def demo(server_hashers: None) -> Pilot:
    # The vocabularies a migration loaded are gone: transactional tests empty every table.
    taxonomy.load(Competence, Language)
    call_command("seed_demo", stdout=StringIO())
    return Pilot.objects.get(slug=SLUG)


def test_every_page_reads_and_fits_in_every_language(
    demo: Pilot, browser: Browser, live_site: Callable[[str], str], tmp_path: Path
) -> None:
    actor = User.objects.get(email="student1@demo.example")
    mentor = User.objects.get(email="mentor1@demo.example")
    staff = User.objects.get(email=profiles_demo.STAFF_EMAIL)

    problems = (
        tour(browser, live_site, None, VISITOR_PAGES, "visitor")
        + tour(browser, live_site, actor, actor_pages(demo, actor), "actor")
        + tour(browser, live_site, mentor, mentor_pages(demo, mentor), "mentor")
        + tour(browser, live_site, staff, staff_pages(demo), "staff")
    )

    assert not problems, "\n".join(problems)
