"""Staff create a pilot (and become its staff, with its weeks planned) and edit it: dates
re-plan the weeks, the slug stays, the logo is re-encoded, replaced and removed.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from pilots.models import (
    Participation,
    Pilot,
    Role,
    Week,
)
from profiles.models import Organisation, User
from tests.support.pilots import staff_url

pytestmark = pytest.mark.django_db


# Creating a pilot ---------------------------------------------------------------------------


def pilot_form(host: Organisation, **changes: Any) -> dict[str, Any]:
    data = {
        "host": host.pk,
        "name_en": "Spring 2026",
        "slug": "spring-2026",
        "description_en": "Digital speed mentoring for ICT and business students.",
        "starts_on": "2026-02-01",
        "ends_on": "2026-03-31",
        "status": Pilot.Status.RECRUITING,
        "accent_colour": "#aa3300",
        "actor_term_en": "aktori",
        "requires_orientation": "on",
    }
    data.update(changes)
    return data


def png_upload(name: str = "logo.png", size: tuple[int, int] = (300, 200)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 255)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_site_staff_create_a_pilot_become_its_staff_and_get_its_weeks(
    staff_sam: User, host: Organisation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(staff_sam).post("/pilots/new/", pilot_form(host))
    pilot = Pilot.objects.get(slug="spring-2026")
    assert response.status_code == 302
    assert response["Location"] == "/pilots/spring-2026/staff/"
    assert (pilot.name, pilot.host, pilot.actor_term) == ("Spring 2026", host, "aktori")
    assert pilot.requires_orientation
    assert Participation.objects.get(pilot=pilot, user=staff_sam).role == Role.STAFF
    weeks = list(pilot.weeks.order_by("number"))
    # 1 Feb to 31 Mar: eight full weeks and three days.
    assert len(weeks) == 9
    assert weeks[0].starts_on == datetime.date(2026, 2, 1)
    assert weeks[-1].ends_on == datetime.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": "2026-01-31"}, "ends_on", "cannot be before the first day"),
        ({"ends_on": "2027-03-31"}, "ends_on", "at most a year"),
        ({"slug": "new"}, "slug", "reserved"),
        ({"slug": "join"}, "slug", "reserved"),  # /pilots/join/
        ({"slug": "not a slug"}, "slug", "valid"),
        ({"name_en": ""}, "name_en", "at least one language"),
        ({"name_en": "x" * 121}, "name_en", "at most 120"),
        ({"name_en": "Bad\x00name"}, "name_en", "Null characters"),
        ({"name_en": "Bad\x07name"}, "name_en", "control characters"),
        ({"accent_colour": "red"}, "accent_colour", "#0b3d91"),
    ],
)
def test_invalid_pilot_is_refused_with_a_reason(
    staff_sam: User,
    host: Organisation,
    client_for: Callable[[User], Client],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client_for(staff_sam).post("/pilots/new/", pilot_form(host, **changes))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert not Pilot.objects.exists()


def test_a_slug_in_use_is_refused(
    pilot: Pilot, staff_sam: User, host: Organisation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(staff_sam).post("/pilots/new/", pilot_form(host, slug=pilot.slug))
    assert "already uses" in " ".join(response.context["form"].errors["slug"])
    assert Pilot.objects.count() == 1


def test_a_company_cannot_host_a_pilot(
    staff_sam: User, organisation: Organisation, client_for: Callable[[User], Client]
) -> None:
    response = client_for(staff_sam).post("/pilots/new/", pilot_form(organisation))
    assert "host" in response.context["form"].errors
    assert not Pilot.objects.exists()


def test_logo_is_re_encoded_without_the_upload(
    staff_sam: User, host: Organisation, client_for: Callable[[User], Client]
) -> None:
    data = pilot_form(host, logo_upload=png_upload())
    assert client_for(staff_sam).post("/pilots/new/", data).status_code == 302
    logo = Pilot.objects.get(slug="spring-2026").logo
    assert str(logo.name).startswith("pilots/")
    assert str(logo.name).endswith(".jpg")
    with Image.open(logo.path) as image:
        assert image.format == "JPEG"


def test_svg_posing_as_a_logo_is_refused(
    staff_sam: User, host: Organisation, client_for: Callable[[User], Client]
) -> None:
    svg = SimpleUploadedFile(
        "logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    response = client_for(staff_sam).post("/pilots/new/", pilot_form(host, logo_upload=svg))
    assert response.status_code == 200
    assert "SVG" in " ".join(response.context["form"].errors["logo_upload"])
    assert not Pilot.objects.exists()


# Editing the pilot --------------------------------------------------------------------------


def edit_form(pilot: Pilot, **changes: Any) -> dict[str, Any]:
    data = {
        "host": pilot.host_id,
        "name_en": pilot.name,
        "description_en": pilot.description,
        "starts_on": pilot.starts_on.isoformat(),
        "ends_on": pilot.ends_on.isoformat(),
        "status": pilot.status,
        "accent_colour": pilot.accent_colour,
        "actor_term_en": pilot.actor_term,
    }
    data.update(changes)
    return data


def test_new_dates_re_plan_the_weeks_and_keep_written_themes(pilot: Pilot, sam: Client) -> None:
    Week.objects.filter(pilot=pilot, number=2).update(theme="A mentor's career story")
    later_end = pilot.ends_on + datetime.timedelta(weeks=2)
    response = sam.post(staff_url(pilot, "edit/"), edit_form(pilot, ends_on=later_end.isoformat()))
    assert response.status_code == 302
    weeks = list(pilot.weeks.order_by("number"))
    assert len(weeks) == 10
    assert weeks[-1].ends_on == later_end
    assert weeks[1].theme == "A mentor's career story"

    earlier_end = pilot.starts_on + datetime.timedelta(weeks=3, days=-1)
    sam.post(staff_url(pilot, "edit/"), edit_form(pilot, ends_on=earlier_end.isoformat()))
    assert pilot.weeks.count() == 3


def test_editing_other_fields_leaves_the_weeks_alone(pilot: Pilot, sam: Client) -> None:
    before = list(pilot.weeks.values_list("pk", "starts_on", "ends_on"))
    response = sam.post(staff_url(pilot, "edit/"), edit_form(pilot, name_en="Renamed pilot"))
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert pilot.name == "Renamed pilot"
    assert list(pilot.weeks.values_list("pk", "starts_on", "ends_on")) == before


def test_slug_cannot_be_changed_by_editing(pilot: Pilot, sam: Client) -> None:
    sam.post(staff_url(pilot, "edit/"), edit_form(pilot, slug="hijacked"))
    assert Pilot.objects.filter(slug=pilot.slug).exists()
    assert not Pilot.objects.filter(slug="hijacked").exists()


def test_edit_with_dates_in_the_wrong_order_changes_nothing(pilot: Pilot, sam: Client) -> None:
    early = (pilot.starts_on - datetime.timedelta(days=1)).isoformat()
    response = sam.post(
        staff_url(pilot, "edit/"), edit_form(pilot, name_en="Changed", ends_on=early)
    )
    assert response.status_code == 200
    assert "ends_on" in response.context["form"].errors
    assert "Pilot spring-pilot" in response.content.decode()  # the header keeps the stored name
    pilot.refresh_from_db()
    assert pilot.name != "Changed"
    assert pilot.weeks.count() == 8


def test_logo_can_be_replaced_and_removed_and_old_files_go(
    pilot: Pilot, sam: Client, django_capture_on_commit_callbacks: Any
) -> None:
    sam.post(staff_url(pilot, "edit/"), edit_form(pilot, logo_upload=png_upload()))
    pilot.refresh_from_db()
    first = Path(pilot.logo.path)
    assert first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sam.post(staff_url(pilot, "edit/"), edit_form(pilot, logo_upload=png_upload("new.png")))
    pilot.refresh_from_db()
    second = Path(pilot.logo.path)
    assert second.exists()
    assert not first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sam.post(staff_url(pilot, "edit/"), edit_form(pilot, remove_logo="on"))
    pilot.refresh_from_db()
    assert not pilot.logo
    assert not second.exists()
