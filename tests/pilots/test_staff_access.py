"""Only a pilot's own staff (and superusers) reach its staff pages. Actors, mentors, other
pilots' staff and strangers get the same 404 as for a pilot that does not exist; anonymous
visitors are sent to sign in. Creating a pilot is for site staff only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from pilots import services
from pilots.models import Announcement, Material, Pilot, Role, Week
from profiles.models import Organisation, User
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/pilots/{slug}/staff/",
    "/pilots/{slug}/staff/edit/",
    "/pilots/{slug}/staff/weeks/",
    "/pilots/{slug}/staff/weeks/1/",
    "/pilots/{slug}/staff/materials/",
    "/pilots/{slug}/staff/materials/new/",
    "/pilots/{slug}/staff/materials/{material}/",
    "/pilots/{slug}/staff/participants/",
    "/pilots/{slug}/staff/announcements/",
    "/pilots/{slug}/staff/announcements/new/",
    "/pilots/{slug}/staff/announcements/{announcement}/",
]

OUTSIDERS = ["alice", "mentor_maria", "other_staff", "oscar"]


@pytest.fixture
def objects(pilot: Pilot) -> dict[str, object]:
    material = Material.objects.create(pilot=pilot, title="Welcome", body="Hello")
    note = Announcement.objects.create(pilot=pilot, title="Kick-off", body="See you")
    return {"slug": pilot.slug, "material": material.pk, "announcement": note.pk}


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_non_staff_get_the_same_404_as_for_a_missing_pilot(
    request: pytest.FixtureRequest,
    objects: dict[str, object],
    client_for: Callable[[User], Client],
    persona: str,
    path: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    url = path.format(**objects)
    missing = path.format(**{**objects, "slug": "no-such-pilot"})
    response = client.get(url)
    assert response.status_code == 404
    assert page_text(response) == page_text(client.get(missing))


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/pilots/{slug}/staff/edit/", {"name_en": "Taken over"}),
        ("/pilots/{slug}/staff/weeks/1/", {"theme_en": "Taken over"}),
        ("/pilots/{slug}/staff/materials/new/", {"title_en": "Taken over", "body_en": "x"}),
        ("/pilots/{slug}/staff/materials/{material}/", {"title_en": "Taken over", "body_en": "x"}),
        (
            "/pilots/{slug}/staff/announcements/new/",
            {"title_en": "Taken over", "body_en": "x", "audience": "everyone", "when": "now"},
        ),
    ],
)
def test_non_staff_cannot_change_anything(
    request: pytest.FixtureRequest,
    pilot: Pilot,
    objects: dict[str, object],
    client_for: Callable[[User], Client],
    persona: str,
    path: str,
    data: dict[str, str],
) -> None:
    response = client_for(request.getfixturevalue(persona)).post(path.format(**objects), data)
    assert response.status_code == 404
    pilot.refresh_from_db()
    assert pilot.name != "Taken over"
    assert not Week.objects.filter(theme="Taken over").exists()
    assert not Material.objects.filter(title="Taken over").exists()
    assert not Announcement.objects.filter(title="Taken over").exists()


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(objects: dict[str, object], path: str) -> None:
    response = Client().get(path.format(**objects))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_the_pilots_staff_open_every_page(
    objects: dict[str, object], staff_sam: User, client_for: Callable[[User], Client], path: str
) -> None:
    assert client_for(staff_sam).get(path.format(**objects)).status_code == 200


def test_staff_role_in_the_pilot_is_enough_without_site_staff_flag(
    objects: dict[str, object],
    pilot: Pilot,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    coordinator = make_user("Coordinator", is_staff=False)
    services.add_participant(pilot=pilot, user=coordinator, role=Role.STAFF)
    for path in STAFF_PAGES:
        assert client_for(coordinator).get(path.format(**objects)).status_code == 200, path


def test_superuser_manages_any_pilot(
    objects: dict[str, object], make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    admin = make_user("Admin", is_staff=True)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    for path in STAFF_PAGES:
        assert client_for(admin).get(path.format(**objects)).status_code == 200, path


def test_another_pilots_objects_are_404_under_ones_own_pilot(
    pilot: Pilot, other_pilot: Pilot, staff_sam: User, client_for: Callable[[User], Client]
) -> None:
    material = Material.objects.create(pilot=other_pilot, title="Theirs", body="x")
    note = Announcement.objects.create(pilot=other_pilot, title="Theirs", body="x")
    client = client_for(staff_sam)
    base = f"/pilots/{pilot.slug}/staff"
    assert client.get(f"{base}/materials/{material.pk}/").status_code == 404
    assert client.get(f"{base}/announcements/{note.pk}/").status_code == 404
    assert client.get(f"{base}/weeks/99/").status_code == 404
    response = client.post(
        f"{base}/materials/{material.pk}/", {"title_en": "Mine now", "body_en": "x"}
    )
    assert response.status_code == 404
    material.refresh_from_db()
    assert material.title == "Theirs"


@pytest.mark.parametrize("persona", ["alice", "mentor_maria", "oscar"])
def test_only_site_staff_may_create_a_pilot(
    request: pytest.FixtureRequest,
    host: Organisation,
    client_for: Callable[[User], Client],
    persona: str,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/pilots/new/").status_code == 404
    response = client.post(
        "/pilots/new/",
        {
            "host": host.pk,
            "name_en": "Sneaky",
            "slug": "sneaky",
            "starts_on": "2026-02-01",
            "ends_on": "2026-03-31",
            "status": "draft",
            "accent_colour": "#0b3d91",
        },
    )
    assert response.status_code == 404
    assert not Pilot.objects.filter(slug="sneaky").exists()


def test_site_staff_open_the_new_pilot_form(
    staff_sam: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(staff_sam).get("/pilots/new/").status_code == 200


def test_anonymous_visitor_creating_a_pilot_is_sent_to_sign_in() -> None:
    response = Client().get("/pilots/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_pilot_list_offers_creating_a_pilot_to_site_staff_only(
    pilot: Pilot, staff_sam: User, alice: User, client_for: Callable[[User], Client]
) -> None:
    assert 'href="/pilots/new/"' in client_for(staff_sam).get("/pilots/").content.decode()
    assert 'href="/pilots/new/"' not in client_for(alice).get("/pilots/").content.decode()
