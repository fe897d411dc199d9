"""Who sees which sections: someone in no pilot gets a next step, someone with two roles gets
both roles' sections, and nothing of a pilot one is not in shows up; the front page for
visitors explains the three steps, in Finnish for Finnish browsers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from messaging.models import Conversation
from pilots import services as pilot_services
from pilots.models import Pilot, Role, Week
from profiles.models import Profile, User
from tests.support.html import Html
from tests.support.today import today_page

pytestmark = pytest.mark.django_db


def test_someone_in_no_pilot_gets_a_next_step(oscar: User, client_for: Any) -> None:
    page = today_page(client_for(oscar))

    assert page.text("#start-heading") == "Get started: join a pilot"
    # The join-with-a-code page where it exists, otherwise the list of one's pilots.
    assert page.attr("a.today-join", "href") in (
        "/pilots/join/",
        "/pilots/",
    )
    assert page.count("#suggestions, #waiting, #groups, .today-health") == 0


def test_actor_in_one_pilot_and_mentor_in_another_sees_both(
    make_pilot: Callable[..., Pilot],
    make_user: Callable[..., User],
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    client_for: Any,
) -> None:
    both = make_user("Both Ways", kind=Profile.Kind.PROFESSIONAL, learns=("programming-python",))
    pilot_services.add_participant(pilot=pilot, user=both, role=Role.ACTOR)
    second = make_pilot("evening-pilot")
    pilot_services.add_participant(pilot=second, user=both, role=Role.MENTOR)
    Week.objects.filter(pilot=second).update(theme="Evening theme")
    Week.objects.filter(pilot=pilot).update(theme="Spring theme")

    page = today_page(client_for(both))

    assert page.count("#suggestions") == 1  # as an actor in `pilot`
    assert page.texts("#suggestions .profile-card h3") == ["Maria Mentor"]
    assert page.count("#waiting") == 1  # as a mentor in `second`
    assert page.count("#availability") == 1
    themes = page.texts(".today-week h2")
    assert len(themes) == 2
    assert any("Spring theme" in t for t in themes)
    assert any("Evening theme" in t for t in themes)


def test_nothing_of_a_pilot_one_is_not_in(
    make_pilot: Callable[..., Pilot],
    make_user: Callable[..., User],
    pilot: Pilot,
    alice: User,
    client_for: Any,
) -> None:
    elsewhere = make_pilot("elsewhere")
    Week.objects.filter(pilot=elsewhere).update(theme="Secret theme")
    stranger = make_user("Stranger Mentor", kind="professional", shares=("programming-python",))
    pilot_services.add_participant(pilot=elsewhere, user=stranger, role=Role.MENTOR)
    closed = make_pilot("closed-one", status=Pilot.Status.CLOSED)
    pilot_services.add_participant(pilot=closed, user=alice, role=Role.ACTOR)
    Week.objects.filter(pilot=closed).update(theme="Closed theme")

    text = today_page(client_for(alice)).root.text_content()

    assert "Secret theme" not in text
    assert "Closed theme" not in text
    assert "Stranger Mentor" not in text


def test_questions_of_others_do_not_show(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    make_user: Callable[..., User],
    ask: Callable[..., Conversation],
    client_for: Any,
) -> None:
    bea = make_user("Bea")
    pilot_services.add_participant(pilot=pilot, user=bea, role=Role.ACTOR)
    ask(bea, mentor_maria, "Bea's private question")

    page = today_page(client_for(alice))

    assert "Bea's private question" not in page.root.text_content()


def test_visitors_get_the_three_steps_and_a_way_in(client: Client) -> None:
    page = Html(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))

    assert page.texts(".landing-steps li h3") == [
        "Join your pilot",
        "Tell what you know and want to learn",
        "Ask one concrete question",
    ]
    assert page.attr('.hero a[href="/accounts/signup/"]', "role") == "button"
    assert page.count('.hero a[href="/accounts/login/"]') == 1


def test_front_page_is_finnish_for_a_finnish_browser(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fi-FI,fi;q=0.9,en;q=0.5")

    page = Html(response)
    assert page.root.get("lang") == "fi"
    assert page.text("h1") == "Lyhyitä, tiiviitä keskusteluja työelämän kanssa"
    assert page.texts("nav a")[-2:] == ["Kirjaudu sisään", "Rekisteröidy"]
    assert response["Content-Language"] == "fi"
