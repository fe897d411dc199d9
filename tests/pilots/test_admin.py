"""The admin is the back office and calls the same services as the staff pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from messaging.models import Delivery
from pilots.models import Announcement, Participation, Pilot, Role
from profiles.models import Organisation, User

pytestmark = pytest.mark.django_db


def test_pilot_added_in_the_admin_gets_its_weeks_and_its_creator_as_staff(
    superuser: User, host: Organisation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(superuser).post(
        "/admin/pilots/pilot/add/",
        {
            "host": host.pk,
            "name_en": "Admin pilot",
            "slug": "admin-pilot",
            "description_en": "",
            "starts_on": "2027-02-01",
            "ends_on": "2027-03-31",
            "status": "draft",
            "accent_colour": "#0b3d91",
            "actor_term_en": "",
            "weeks-TOTAL_FORMS": "0",
            "weeks-INITIAL_FORMS": "0",
            "weeks-MIN_NUM_FORMS": "0",
            "weeks-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pilot = Pilot.objects.get(slug="admin-pilot")
    assert pilot.weeks.count() == 9
    assert Participation.objects.filter(pilot=pilot, user=superuser, role=Role.STAFF).exists()


def test_announcement_added_in_the_admin_is_sent(
    superuser: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    response = client_for(superuser).post(
        "/admin/pilots/announcement/add/",
        {
            "pilot": pilot.pk,
            "title_en": "From the admin",
            "body_en": "Hello",
            "audience": "everyone",
            "send_at_0": "",
            "send_at_1": "",
        },
    )
    assert response.status_code == 302
    announcement = Announcement.objects.get(title="From the admin")
    assert announcement.sent_at is not None
    assert Delivery.objects.filter(broadcast__source=f"announcement:{announcement.pk}").count() == 6


@pytest.mark.parametrize(
    "path",
    [
        "/admin/pilots/pilot/",
        "/admin/pilots/participation/",
        "/admin/pilots/invitation/",
        "/admin/pilots/week/",
        "/admin/pilots/material/",
        "/admin/pilots/announcement/",
        "/admin/messaging/delivery/",
        "/admin/messaging/notification/",
        "/admin/messaging/broadcast/",
    ],
)
def test_admin_lists_open(
    superuser: User,
    pilot: Pilot,
    client_for: Callable[[User], Client],
    path: str,
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    client = client_for(superuser)
    with django_assert_max_num_queries(25):
        assert client.get(path).status_code == 200
