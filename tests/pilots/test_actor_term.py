"""A pilot's own word for its actors (Pilot.actor_term, itself written per language) names
them wherever the pilot is in context: its staff pages, invitations, announcement audiences."""

from __future__ import annotations

import pytest
from django.test import Client

from pilots.models import Pilot, Role
from pilots.texts import set_versions
from tests.support.html import Html
from tests.support.pilots import staff_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def aktori(pilot: Pilot) -> Pilot:
    set_versions(pilot, actor_term={"fi": "aktori", "en": "agent"})
    pilot.save()
    return pilot


def in_finnish(client: Client) -> Client:
    client.cookies["django_language"] = "fi"
    return client


def test_without_a_word_of_its_own_actors_are_actors(pilot: Pilot) -> None:
    assert pilot.role_label(Role.ACTOR) == "Actor (student)"
    assert pilot.role_label(Role.MENTOR) == "Mentor"


def test_the_participants_page_and_its_filter_use_the_pilots_word(
    aktori: Pilot, sam: Client
) -> None:
    page = Html(sam.get(staff_url(aktori, "participants/")))
    assert "Agent" in page.texts("tbody td")
    assert "Actor (student)" not in page.texts("tbody td")
    assert "Agent" in page.texts("select[name=role] option")
    finnish = Html(in_finnish(sam).get(staff_url(aktori, "participants/")))
    assert "Aktori" in finnish.texts("tbody td")


def test_the_invitation_form_offers_the_pilots_word(aktori: Pilot, sam: Client) -> None:
    page = Html(sam.get(staff_url(aktori, "invitations/")))
    assert page.texts("select[name=role] option")[0] == "Agent"


def test_announcements_can_go_to_the_pilots_word(aktori: Pilot, sam: Client) -> None:
    page = Html(sam.get(staff_url(aktori, "announcements/new/")))
    assert "Agent" in page.texts("select[name=audience] option")


def test_the_dashboard_counts_them_by_the_pilots_word(aktori: Pilot, sam: Client) -> None:
    page = Html(sam.get(staff_url(aktori)))
    assert page.texts("#people-heading + ul li")[0].startswith("Agent: 1 ")
