"""A pilot's logo and accent colour on its pages: a band with the logo and name, and the
accent on buttons and links through CSP-nonced custom properties, shaded for contrast."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from pilots.models import Announcement, Material, Pilot
from profiles.models import User
from tests.support.html import Html, text

pytestmark = pytest.mark.django_db


def _style(response: object) -> str:
    return Html(response).one("style[nonce]").text_content()


def test_staff_pages_carry_the_band_and_a_readable_shade_of_a_light_accent(
    pilot: Pilot, sam: Client
) -> None:
    Pilot.objects.filter(pk=pilot.pk).update(accent_colour="#ffcc00")
    for url in (f"/pilots/{pilot.slug}/staff/", f"/pilots/{pilot.slug}/staff/weeks/"):
        response = sam.get(url)
        assert response.status_code == 200
        page = Html(response)
        assert text(page.one(".pilot-band .pilot-band-name")) == pilot.name
        assert page.one(".pilot-band .pilot-band-name").get("href") == f"/pilots/{pilot.slug}/"
        style = _style(response)
        assert "--pilot-accent: #ffcc00;" in style
        # Yellow under white button text is 1.6:1; the page gets its 4.5:1 shade instead.
        assert "--pilot-button: #8f7200;" in style
        assert "--pilot-text: #8f7200;" in style
        assert page.count('link[href$="css/brand.css"]') == 1


def test_material_and_announcement_pages_show_the_logo_band(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    pilot.logo.save("logo.png", ContentFile(b"not read here"), save=True)
    material = Material.objects.create(pilot=pilot, title="Start", body="x", is_published=True)
    announcement = Announcement.objects.create(pilot=pilot, title="Hello", body="x")
    Announcement.objects.filter(pk=announcement.pk).update(sent_at=pilot.created_at)
    client = client_for(alice)
    for url in (
        f"/pilots/{pilot.slug}/materials/{material.pk}/",
        f"/pilots/{pilot.slug}/announcements/{announcement.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = Html(response)
        assert page.one(".pilot-band img.pilot-band-logo").get("src") == pilot.logo.url
        assert page.one(".pilot-band img").get("alt") == ""  # the name follows as text
        assert "--pilot-button: #0b3d91;" in _style(response)


def test_the_pilot_home_shows_its_own_heading_instead_of_the_band(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    page = Html(client_for(alice).get(f"/pilots/{pilot.slug}/"))
    assert page.count(".pilot-band") == 0
    assert text(page.one(".pilot-head h1")) == pilot.name


def test_pages_outside_a_pilot_are_not_branded(
    staff_sam: User, client_for: Callable[[User], Client]
) -> None:
    page = Html(client_for(staff_sam).get("/pilots/new/"))
    assert page.count(".pilot-band") == 0
    assert page.count("style[nonce]") == 0


def test_the_pilots_list_shows_each_pilots_logo(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    pilot.logo.save("logo.png", ContentFile(b"not read here"), save=True)
    page = Html(client_for(alice).get("/pilots/"))
    card = page.one("main .cards article")
    assert card.cssselect("img.pilot-logo")[0].get("src") == pilot.logo.url
    assert text(card.cssselect("h2")[0]) == pilot.name
