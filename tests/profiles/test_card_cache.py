"""Profile cards come from a cache (profiles/cards.py): never stale, never someone else's.

The cache is keyed by everything a card shows, so each edit below (through the page, the admin
or a bulk update) must show at once; the visibility filter still runs on every request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from profiles import cards, views
from profiles.models import Competence, Organisation, Profile, ProfileCompetence, User
from tests.support.html import Html, markup
from tests.support.profiles import form_data

pytestmark = pytest.mark.django_db


def card_of(html: bytes, user: User) -> str:
    """The card of `user` on a page (its HTML), or "" when it is not there."""
    found = [
        card
        for card in Html(html).select("article.profile-card")
        if card.cssselect(f'a[href="/people/{user.pk}/"]')
    ]
    assert len(found) <= 1, f"{len(found)} cards of {user}"
    return markup(found[0]) if found else ""


def card_templates_rendered(response: Any) -> int:
    return sum(template.name == cards.TEMPLATE for template in response.templates)


def test_the_second_view_serves_cards_from_the_cache(
    mentor_maria: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    first = client.get("/people/")
    assert card_templates_rendered(first) == 2
    again = client.get("/people/")
    assert card_templates_rendered(again) == 0
    assert card_of(again.content, mentor_maria) == card_of(first.content, mentor_maria) != ""


def test_card_changes_when_the_profile_is_edited(
    mentor_maria: User,
    alice: User,
    competence: Callable[[str], Competence],
    client_for: Callable[[User], Client],
) -> None:
    viewer = client_for(alice)
    assert "Lead developer" in card_of(viewer.get("/people/").content, mentor_maria)
    profile = mentor_maria.profile
    response = client_for(mentor_maria).post(
        "/me/edit/",
        form_data(
            profile,
            ((competence("databases"), "share", 4),),
            display_name="Maria Mentor-Virtanen",
            job_title="CTO",
            headline="Ask me <anything>",
            is_available="",
        ),
    )
    assert response.status_code == 302
    card = card_of(viewer.get("/people/").content, mentor_maria)
    assert "Maria Mentor-Virtanen" in card
    assert "CTO, Nordic Code Oy" in card
    assert "Lead developer" not in card
    assert "Ask me &lt;anything&gt;" in card
    assert "Not taking new conversations" in card
    assert 'tag-share">Databases and SQL</span><span class="tag tag-share">Python' in card


def test_card_changes_when_the_organisation_is_renamed(
    mentor_maria: User,
    alice: User,
    organisation: Organisation,
    superuser: User,
    client_for: Callable[[User], Client],
) -> None:
    viewer = client_for(alice)
    assert "Nordic Code Oy" in card_of(viewer.get("/people/").content, mentor_maria)
    response = client_for(superuser).post(
        f"/admin/profiles/organisation/{organisation.pk}/change/",
        {"name": "Nordic Code & Co", "slug": organisation.slug, "kind": "company"},
    )
    assert response.status_code == 302
    card = card_of(viewer.get("/people/").content, mentor_maria)
    assert "Nordic Code &amp; Co" in card
    assert "Nordic Code Oy" not in card
    page = viewer.get(f"/organisations/{organisation.slug}/")
    assert "Nordic Code &amp; Co" in card_of(page.content, mentor_maria)


def test_card_changes_when_staff_rename_a_competence_in_the_admin(
    mentor_maria: User,
    alice: User,
    superuser: User,
    competence: Callable[[str], Competence],
    client_for: Callable[[User], Client],
) -> None:
    viewer = client_for(alice)
    assert "Python programming" in card_of(viewer.get("/people/").content, mentor_maria)
    python = competence("programming-python")
    response = client_for(superuser).post(
        f"/admin/profiles/competence/{python.pk}/change/",
        {
            "name_en": "Python <3",
            "name_fi": "Python-koodaus",
            "name_sv": "Python-kodning",
            "slug": python.slug,
            "category": python.category,
        },
    )
    assert response.status_code == 302
    card = card_of(viewer.get("/people/").content, mentor_maria)
    assert "Python &lt;3" in card
    assert "Python programming" not in card


def test_card_changes_when_the_display_name_is_changed_in_the_admin(
    mentor_maria: User, alice: User, superuser: User, client_for: Callable[[User], Client]
) -> None:
    viewer = client_for(alice)
    assert "Maria Mentor" in card_of(viewer.get("/people/").content, mentor_maria)
    response = client_for(superuser).post(
        f"/admin/profiles/user/{mentor_maria.pk}/change/",
        {
            "email": mentor_maria.email,
            "display_name": "Mirja Mentor",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    card = card_of(viewer.get("/people/").content, mentor_maria)
    assert "Mirja Mentor" in card
    assert ">M</span>" in card  # the initial in place of a photo


def test_card_changes_after_a_bulk_update_and_a_new_photo(
    mentor_maria: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    viewer = client_for(alice)
    assert "<img" not in card_of(viewer.get("/people/").content, mentor_maria)
    # No save(), no signal, no updated_at: the card's key changes all the same.
    Profile.objects.filter(pk=mentor_maria.pk).update(headline="Bulk-edited")
    ProfileCompetence.objects.filter(profile_id=mentor_maria.pk).delete()
    card = card_of(viewer.get("/people/").content, mentor_maria)
    assert "Bulk-edited" in card
    assert "Can share" not in card
    photo = SimpleUploadedFile("me.png", _png(), content_type="image/png")
    client_for(mentor_maria).post(reverse("profiles:avatar"), {"avatar": photo})
    card = card_of(viewer.get("/people/").content, mentor_maria)
    assert re.fullmatch(r"/media/avatars/[^\"]+", Html(card).attr("img.avatar", "src"))


def test_cards_show_the_viewers_language(
    mentor_maria: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    for _ in range(2):  # rendered, then from the cache
        english = card_of(client.get("/people/", HTTP_ACCEPT_LANGUAGE="en").content, mentor_maria)
        finnish = card_of(client.get("/people/", HTTP_ACCEPT_LANGUAGE="fi").content, mentor_maria)
        assert "Python programming" in english
        assert "Can share:" in english
        assert "Python-ohjelmointi" in finnish
        assert "Python programming" not in finnish
        assert "Can share:" not in finnish


def test_a_hidden_profile_is_never_served_from_the_cache(
    oscar: User,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    client_for: Callable[[User], Client],
) -> None:
    staff = client_for(staff_sam)
    assert card_of(staff.get("/people/?q=oscar").content, oscar)  # cached now
    viewer = client_for(alice)
    for url in ("/people/", "/people/?q=oscar"):
        assert card_of(viewer.get(url).content, oscar) == ""
    # Hidden after its card was cached: gone for others, still there for staff.
    assert card_of(viewer.get("/people/").content, mentor_maria)
    Profile.objects.filter(pk=mentor_maria.pk).update(visibility=Profile.Visibility.STAFF)
    assert card_of(viewer.get("/people/").content, mentor_maria) == ""
    assert card_of(viewer.get("/organisations/nordic-code/").content, mentor_maria) == ""
    assert card_of(staff.get("/people/").content, mentor_maria)


def test_a_profile_hidden_while_the_page_loads_is_left_out(
    mentor_maria: User,
    alice: User,
    client_for: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    viewer = client_for(alice)
    assert card_of(viewer.get("/people/").content, mentor_maria)  # cached
    load_cards = views.load_cards

    def hide_then_load(visible: Any, pks: list[int]) -> list[cards.Card]:
        assert mentor_maria.pk in pks  # the page's keys were chosen before
        Profile.objects.filter(pk=mentor_maria.pk).update(visibility=Profile.Visibility.STAFF)
        return load_cards(visible, pks)

    monkeypatch.setattr(views, "load_cards", hide_then_load)
    assert card_of(viewer.get("/people/").content, mentor_maria) == ""


def test_cached_cards_hold_nothing_of_the_viewer(
    mentor_maria: User,
    alice: User,
    client_for: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored: dict[str, str] = {}
    set_many = cards._set_many

    def spy(fragments: dict[str, str]) -> None:
        stored.update(fragments)
        set_many(fragments)

    monkeypatch.setattr(cards, "_set_many", spy)
    client = client_for(alice)
    client.get("/people/")
    assert len(stored) == 2
    template = get_template(cards.TEMPLATE)
    visible = Profile.objects.all()
    for user in (alice, mentor_maria):
        (card,) = cards.load_cards(visible, [user.pk])
        # The viewer's own footer (a start button) is put in later, at the marked place.
        assert template.render({"card": card, "footer": cards.FOOTER_SLOT}) in stored.values()
    for fragment in stored.values():
        assert "csrf" not in fragment
        assert alice.email not in fragment


def test_the_directory_works_without_the_cache(
    mentor_maria: User,
    alice: User,
    client_for: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cards.cache, "get_many", down)
    monkeypatch.setattr(cards.cache, "set_many", down)
    response = client_for(alice).get("/people/")
    assert response.status_code == 200
    assert "Python programming" in card_of(response.content, mentor_maria)


def test_query_count_is_the_same_with_a_cold_and_a_warm_cache(
    mentor_maria: User,
    alice: User,
    client_for: Callable[[User], Client],
    django_assert_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    client = client_for(alice)
    client.get("/people/?q=a")  # the session
    cards.cache.clear()
    with django_assert_num_queries(7):
        cold = client.get("/people/?q=python")
    with django_assert_num_queries(7):
        warm = client.get("/people/?q=python")
    assert card_templates_rendered(cold) == 2
    assert card_templates_rendered(warm) == 0


@pytest.mark.parametrize("language", ["en", "fi"])
def test_a_card_shows_the_same_on_every_page(
    make_user: Callable[..., User], organisation: Organisation, language: str
) -> None:
    """The directory's cards come from rows; suggestions' from model instances: same card."""
    from django.utils import translation

    user = make_user(
        "Pia <Pro>",
        kind=Profile.Kind.PROFESSIONAL,
        organisation=organisation,
        job_title="",
        headline="Data & cloud",
        is_available=False,
        avatar="avatars/pia pic.jpg",
        shares=(
            "programming-python",
            "cloud-services",
            "databases",
            "devops",
            "web-development",
            "software-testing",
            "cybersecurity",
        ),
        learns=("leadership",),
    )
    student = make_user("Sam Student", degree_programme="ICT <3")
    with translation.override(language):
        for person in (user, student):
            profile = Profile.objects.for_cards().get(pk=person.pk)
            (loaded,) = cards.load_cards(Profile.objects.all(), [person.pk])
            assert loaded == cards.Card.from_profile(profile)
    assert len(loaded.shares) == 0
    (pia,) = cards.load_cards(Profile.objects.all(), [user.pk])
    assert len(pia.shares) == cards.SHOWN_COMPETENCES


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 64), "white").save(out, format="PNG")
    return out.getvalue()
