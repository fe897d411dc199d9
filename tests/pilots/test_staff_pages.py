"""What the pilot's staff do on their pages: create and edit the pilot, plan the weeks, write
materials, follow participants, and send or schedule announcements and see their delivery."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from messaging.models import Broadcast, Delivery
from pilots import services
from pilots.models import (
    Announcement,
    Material,
    MaterialCompletion,
    Participation,
    Pilot,
    Role,
    Week,
)
from profiles.models import Organisation, User

pytestmark = pytest.mark.django_db


def staff_url(pilot: Pilot, rest: str = "") -> str:
    return f"/pilots/{pilot.slug}/staff/{rest}"


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def local_input(moment: datetime.datetime) -> str:
    """How a browser's datetime-local field sends a time: local, to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def preview_of(html: str) -> str:
    start = html.index('id="preview-heading"')
    return html[start : html.index("</section>", start)]


# Creating a pilot ---------------------------------------------------------------------------


def pilot_form(host: Organisation, **changes: Any) -> dict[str, Any]:
    data = {
        "host": host.pk,
        "name": "Spring 2026",
        "slug": "spring-2026",
        "description": "Digital speed mentoring for ICT and business students.",
        "starts_on": "2026-02-01",
        "ends_on": "2026-03-31",
        "status": Pilot.Status.RECRUITING,
        "accent_colour": "#aa3300",
        "actor_term": "aktori",
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
        ({"slug": "not a slug"}, "slug", "valid"),
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 121}, "name", "at most 120"),
        ({"name": "Bad\x00name"}, "name", "Null characters"),
        ({"name": "Bad\x07name"}, "name", "control characters"),
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
        "name": pilot.name,
        "description": pilot.description,
        "starts_on": pilot.starts_on.isoformat(),
        "ends_on": pilot.ends_on.isoformat(),
        "status": pilot.status,
        "accent_colour": pilot.accent_colour,
        "actor_term": pilot.actor_term,
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
    response = sam.post(staff_url(pilot, "edit/"), edit_form(pilot, name="Renamed pilot"))
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
    response = sam.post(staff_url(pilot, "edit/"), edit_form(pilot, name="Changed", ends_on=early))
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


# The weekly plan ----------------------------------------------------------------------------


def test_weekly_plan_marks_this_week_and_what_was_sent(pilot: Pilot, sam: Client) -> None:
    sent_at = timezone.now() - datetime.timedelta(weeks=1)
    Week.objects.filter(pilot=pilot, number=4).update(theme="Future skills", broadcast_at=sent_at)
    response = sam.get(staff_url(pilot, "weeks/"))
    html = response.content.decode()
    weeks = {week.number: week for week in response.context["weeks"]}
    assert weeks[5].is_current()
    assert '<tr aria-current="date" class="current-row">\n          <th scope="row">5 ' in html
    assert "Future skills" in html
    assert weeks[4].deliveries == {"sent": 0, "pending": 0, "failed": 0}
    assert weeks[5].deliveries is None  # not sent: nothing to count
    assert html.count("Not sent") == 7


def test_week_theme_description_and_prompts_are_saved(pilot: Pilot, sam: Client) -> None:
    response = sam.post(
        staff_url(pilot, "weeks/5/"),
        {
            "theme": "Future skills and working life",
            "description": "What will work look like?",
            "prompts": "  Which skill do you use most?\n\n\nWhat would you learn first?  \n",
        },
    )
    assert response.status_code == 302
    week = pilot.weeks.get(number=5)
    assert week.theme == "Future skills and working life"
    assert week.prompt_list == ["Which skill do you use most?", "What would you learn first?"]
    assert week.prompts == "Which skill do you use most?\nWhat would you learn first?"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"theme": "x" * 201}, "theme"),
        ({"theme": "Bad\x00theme"}, "theme"),
        ({"prompts": "\n".join(f"Prompt {n}" for n in range(21))}, "prompts"),
        ({"prompts": "y" * 301}, "prompts"),
    ],
)
def test_invalid_week_is_refused(
    pilot: Pilot, sam: Client, data: dict[str, str], field: str
) -> None:
    response = sam.post(staff_url(pilot, "weeks/5/"), {"theme": "", "prompts": "", **data})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert pilot.weeks.get(number=5).theme == ""


def test_sent_week_says_changes_are_not_resent_and_lists_failed_deliveries(
    pilot: Pilot, sam: Client, mentor_maria: User
) -> None:
    week = pilot.weeks.get(number=5)
    services.publish_week(week=week)
    Delivery.objects.filter(
        broadcast__source=f"week:{week.pk}", recipient=mentor_maria, channel="email"
    ).update(status=Delivery.Status.FAILED, last_error="550 Mailbox unavailable")
    html = sam.get(staff_url(pilot, "weeks/5/")).content.decode()
    assert "are not sent again" in html
    assert "maria@example.com" in html
    assert "550 Mailbox unavailable" in html


# Materials ----------------------------------------------------------------------------------


def material_form(**changes: Any) -> dict[str, Any]:
    data = {
        "title": "Welcome to speed mentoring",
        "kind": "text",
        "body": "Read this **first**.",
        "video_url": "",
        "required": "on",
        "position": "1",
        "is_published": "on",
    }
    data.update(changes)
    return data


def test_staff_add_a_required_published_material(pilot: Pilot, sam: Client) -> None:
    response = sam.post(staff_url(pilot, "materials/new/"), material_form())
    assert response.status_code == 302
    material = Material.objects.get(pilot=pilot)
    assert (material.title, material.required, material.is_published) == (
        "Welcome to speed mentoring",
        True,
        True,
    )


def test_staff_edit_a_material(pilot: Pilot, sam: Client) -> None:
    material = Material.objects.create(pilot=pilot, title="Old", body="Old text")
    response = sam.post(
        staff_url(pilot, f"materials/{material.pk}/"), material_form(title="New title")
    )
    assert response.status_code == 302
    material.refresh_from_db()
    assert material.title == "New title"
    assert material.pilot == pilot


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "video", "video_url": "http://video.example.com/intro"}, "video_url"),
        ({"kind": "video", "video_url": "javascript:alert(1)"}, "video_url"),
        ({"kind": "video", "video_url": ""}, "video_url"),
        ({"kind": "text", "body": ""}, "body"),
        ({"title": ""}, "title"),
        ({"body": "z" * 20_001}, "body"),
        ({"body": "bad \x1b[31m escape"}, "body"),
    ],
)
def test_invalid_material_is_refused(
    pilot: Pilot, sam: Client, changes: dict[str, str], field: str
) -> None:
    response = sam.post(staff_url(pilot, "materials/new/"), material_form(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Material.objects.exists()


def test_video_material_with_an_https_link_is_saved(pilot: Pilot, sam: Client) -> None:
    url = "https://video.example.com/intro"
    sam.post(
        staff_url(pilot, "materials/new/"), material_form(kind="video", body="", video_url=url)
    )
    assert Material.objects.get(pilot=pilot).video_url == url


def test_preview_shows_sanitised_markdown_and_saves_nothing(pilot: Pilot, sam: Client) -> None:
    body = "**Bold** move\n\n<script>alert('x')</script>\n\n[link](javascript:alert(1))"
    response = sam.post(staff_url(pilot, "materials/new/"), material_form(body=body, preview="1"))
    preview = preview_of(response.content.decode())
    assert response.status_code == 200
    assert "<strong>Bold</strong> move" in preview
    assert "<script" not in preview
    assert "javascript:" not in preview
    assert not Material.objects.exists()


def test_materials_list_shows_drafts_and_completions(
    pilot: Pilot, sam: Client, alice: User
) -> None:
    done = Material.objects.create(pilot=pilot, title="Read me", body="x", is_published=True)
    Material.objects.create(pilot=pilot, title="Unfinished draft", body="x")
    MaterialCompletion.objects.create(material=done, user=alice)
    html = sam.get(staff_url(pilot, "materials/")).content.decode()
    assert "Unfinished draft" in html
    assert "Draft" in html
    assert "1 person" in html


def test_materials_list_has_a_constant_query_count(pilot: Pilot, sam: Client) -> None:
    Material.objects.bulk_create([Material(pilot=pilot, title=f"M{n}", body="x") for n in range(2)])
    few = count_queries(sam, staff_url(pilot, "materials/"))
    Material.objects.bulk_create(
        [Material(pilot=pilot, title=f"N{n}", body="x") for n in range(20)]
    )
    assert count_queries(sam, staff_url(pilot, "materials/")) == few


# Participants -------------------------------------------------------------------------------


@pytest.fixture
def orientation(pilot: Pilot, alice: User, mentor_maria: User) -> list[Material]:
    """Two required published materials (and an unpublished required one that does not count):
    alice has done one, maria both."""
    first, second = (
        Material.objects.create(pilot=pilot, title=t, body="x", required=True, is_published=True)
        for t in ("First", "Second")
    )
    Material.objects.create(pilot=pilot, title="Draft", body="x", required=True)
    Material.objects.create(pilot=pilot, title="Extra", body="x", is_published=True)
    MaterialCompletion.objects.create(material=first, user=alice)
    MaterialCompletion.objects.create(material=first, user=mentor_maria)
    MaterialCompletion.objects.create(material=second, user=mentor_maria)
    return [first, second]


def rows_by_email(response: Any) -> dict[str, Any]:
    return {row.user.email: row for row in response.context["page"]}


def test_participants_show_role_orientation_credits_and_last_activity(
    pilot: Pilot, sam: Client, orientation: list[Material], alice: User
) -> None:
    seen = timezone.now() - datetime.timedelta(days=2)
    Participation.objects.filter(pilot=pilot, user=alice).update(last_seen_at=seen)
    response = sam.get(staff_url(pilot, "participants/"))
    rows = rows_by_email(response)
    html = response.content.decode()
    assert response.context["required_total"] == 2
    assert rows["alice@example.com"].orientation_done == 1
    assert rows["maria@example.com"].orientation_done == 2
    assert rows["alice@example.com"].earns_credits
    assert "1 of 2" in html
    assert f'datetime="{timezone.localtime(seen).isoformat()}"' in html
    assert "Never" in html  # maria and sam have not opened the pilot


def test_filter_by_role(pilot: Pilot, sam: Client) -> None:
    rows = rows_by_email(sam.get(staff_url(pilot, "participants/?role=mentor")))
    assert list(rows) == ["maria@example.com"]


def test_filter_not_finished_orientation(
    pilot: Pilot, sam: Client, orientation: list[Material]
) -> None:
    rows = rows_by_email(sam.get(staff_url(pilot, "participants/?orientation_unfinished=on")))
    # maria has finished; sam is staff and writes the orientation.
    assert list(rows) == ["alice@example.com"]


def test_filter_quiet_for_seven_days(
    pilot: Pilot, sam: Client, alice: User, mentor_maria: User, make_user: Callable[..., User]
) -> None:
    now = timezone.now()
    Participation.objects.filter(pilot=pilot, user=alice).update(
        last_seen_at=now - datetime.timedelta(days=8)
    )
    Participation.objects.filter(pilot=pilot, user=mentor_maria).update(last_seen_at=now)
    absent = make_user("Never Came", email="never@example.com")
    services.add_participant(pilot=pilot, user=absent, role=Role.ACTOR)
    Participation.objects.filter(user=absent).update(joined_at=now - datetime.timedelta(days=10))
    rows = rows_by_email(sam.get(staff_url(pilot, "participants/?quiet=on")))
    # sam joined just now and has not been seen: new, not quiet.
    assert sorted(rows) == ["alice@example.com", "never@example.com"]


def test_participants_page_has_the_same_query_count_for_5_and_40_people(
    pilot: Pilot,
    sam: Client,
    orientation: list[Material],
    make_user: Callable[..., User],
    django_assert_max_num_queries: Any,
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            user = make_user()
            services.add_participant(pilot=pilot, user=user, role=Role.ACTOR)
            MaterialCompletion.objects.create(material=orientation[0], user=user)

    add(2)  # with alice, maria and sam: 5
    url = staff_url(pilot, "participants/?orientation_unfinished=on&quiet=")
    with django_assert_max_num_queries(12) as five:
        assert len(sam.get(url).context["page"]) == 3
    add(35)  # 40
    with django_assert_max_num_queries(len(five.captured_queries)):
        assert len(sam.get(url).context["page"]) == 38


# Announcements ------------------------------------------------------------------------------


def announcement_form(**changes: Any) -> dict[str, Any]:
    data = {
        "title": "Welcome to the pilot",
        "body": "The first week starts **Monday**.",
        "audience": "everyone",
        "when": "now",
        "send_at": "",
    }
    data.update(changes)
    return data


def test_announcement_sent_now_reaches_everyone_through_the_outbox(
    pilot: Pilot, sam: Client, staff_sam: User
) -> None:
    response = sam.post(staff_url(pilot, "announcements/new/"), announcement_form())
    note = Announcement.objects.get(pilot=pilot)
    assert response.status_code == 302
    assert response["Location"] == staff_url(pilot, f"announcements/{note.pk}/")
    assert note.sent_at is not None
    assert note.author == staff_sam
    broadcast = Broadcast.objects.get(source=f"announcement:{note.pk}")
    # alice, maria and sam; in the app and by e-mail.
    assert broadcast.deliveries.count() == 6


def test_announcement_to_one_role_reaches_only_that_role(pilot: Pilot, sam: Client) -> None:
    sam.post(staff_url(pilot, "announcements/new/"), announcement_form(audience="mentor"))
    note = Announcement.objects.get(pilot=pilot)
    recipients = set(
        Delivery.objects.filter(broadcast__source=f"announcement:{note.pk}").values_list(
            "recipient__email", flat=True
        )
    )
    assert recipients == {"maria@example.com"}


def test_scheduled_announcement_waits_for_its_time(pilot: Pilot, sam: Client) -> None:
    when = (timezone.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
    response = sam.post(
        staff_url(pilot, "announcements/new/"),
        announcement_form(when="later", send_at=local_input(when)),
    )
    note = Announcement.objects.get(pilot=pilot)
    assert response.status_code == 302
    assert note.send_at == when
    assert note.sent_at is None
    assert not Broadcast.objects.exists()
    assert "Scheduled for" in sam.get(staff_url(pilot, "announcements/")).content.decode()

    services.run_due(now=when - datetime.timedelta(minutes=1))
    assert not Broadcast.objects.exists()
    services.run_due(now=when + datetime.timedelta(minutes=1))
    note.refresh_from_db()
    assert note.sent_at is not None
    assert Broadcast.objects.filter(source=f"announcement:{note.pk}").exists()


@pytest.mark.parametrize(
    ("send_at", "message"),
    [
        (lambda: local_input(timezone.now() - datetime.timedelta(hours=1)), "already passed"),
        (lambda: "", "choose the time"),
        (lambda: "not a time", "valid"),
    ],
)
def test_scheduling_needs_a_time_in_the_future(
    pilot: Pilot, sam: Client, send_at: Callable[[], str], message: str
) -> None:
    response = sam.post(
        staff_url(pilot, "announcements/new/"),
        announcement_form(when="later", send_at=send_at()),
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["send_at"])
    assert not Announcement.objects.exists()


def test_a_time_typed_in_but_send_now_chosen_sends_now(pilot: Pilot, sam: Client) -> None:
    later = local_input(timezone.now() + datetime.timedelta(days=1))
    sam.post(staff_url(pilot, "announcements/new/"), announcement_form(send_at=later))
    note = Announcement.objects.get(pilot=pilot)
    assert note.send_at is None
    assert note.sent_at is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": ""}, "body"),
        ({"body": "b" * 10_001}, "body"),
        ({"title": "Null\x00byte"}, "title"),
        ({"audience": "everybody-everywhere"}, "audience"),
    ],
)
def test_invalid_announcement_is_refused(
    pilot: Pilot, sam: Client, changes: dict[str, str], field: str
) -> None:
    response = sam.post(staff_url(pilot, "announcements/new/"), announcement_form(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Announcement.objects.exists()


def test_announcement_preview_renders_markdown_and_sends_nothing(pilot: Pilot, sam: Client) -> None:
    response = sam.post(
        staff_url(pilot, "announcements/new/"),
        announcement_form(body="*Soon* <img src=x onerror=alert(1)>", preview="1"),
    )
    preview = preview_of(response.content.decode())
    assert "<em>Soon</em>" in preview
    assert "onerror" not in preview
    assert not Announcement.objects.exists()


@pytest.mark.parametrize("status", [Pilot.Status.CLOSED, Pilot.Status.ARCHIVED])
def test_closed_pilot_refuses_new_announcements(pilot: Pilot, sam: Client, status: str) -> None:
    Pilot.objects.filter(pk=pilot.pk).update(status=status)
    url = staff_url(pilot, "announcements/new/")
    page = sam.get(url, follow=True)
    assert page.redirect_chain == [(staff_url(pilot, "announcements/"), 302)]
    assert "nothing new can be posted" in page.content.decode()
    assert 'href="/pilots/spring-pilot/staff/announcements/new/"' not in page.content.decode()
    response = sam.post(url, announcement_form())
    assert response.status_code == 302
    assert not Announcement.objects.exists()


def test_post_announcement_service_refuses_a_closed_pilot(pilot: Pilot, staff_sam: User) -> None:
    pilot.status = Pilot.Status.CLOSED
    with pytest.raises(services.PilotClosed):
        services.post_announcement(
            pilot=pilot, author=staff_sam, title="Late", body="x", audience="everyone"
        )
    assert not Announcement.objects.exists()


@pytest.fixture
def delivered(pilot: Pilot, staff_sam: User, alice: User, mentor_maria: User) -> Announcement:
    """Sent to alice, maria and sam: in-app all sent; e-mail failed for alice, waiting for
    the digest for maria, pending for sam."""
    note = services.post_announcement(
        pilot=pilot, author=staff_sam, title="Kick-off", body="Hello", audience="everyone"
    )
    rows = Delivery.objects.filter(broadcast__source=f"announcement:{note.pk}")
    rows.filter(channel=Delivery.Channel.IN_APP).update(status=Delivery.Status.SENT)
    email = rows.filter(channel=Delivery.Channel.EMAIL)
    email.filter(recipient=alice).update(
        status=Delivery.Status.FAILED, attempts=1, last_error="550 5.1.1 No such user"
    )
    email.filter(recipient=mentor_maria).update(status=Delivery.Status.DIGEST)
    return note


def test_announcement_list_shows_delivery_counts(
    pilot: Pilot, sam: Client, delivered: Announcement
) -> None:
    response = sam.get(staff_url(pilot, "announcements/"))
    (item,) = response.context["page"]
    assert item.deliveries == {"sent": 3, "pending": 2, "failed": 1}
    html = response.content.decode()
    assert "<td>3</td>" in html
    assert "<td>2</td>" in html
    assert 'class="badge badge-failed">1</a>' in html


def test_announcement_status_lists_failed_deliveries(
    pilot: Pilot, sam: Client, delivered: Announcement
) -> None:
    response = sam.get(staff_url(pilot, f"announcements/{delivered.pk}/"))
    html = response.content.decode()
    channels = dict(response.context["channels"])
    assert channels["E-mail"] == {"pending": 1, "digest": 1, "sent": 0, "failed": 1}
    assert channels["In the app"]["sent"] == 3
    assert "alice@example.com" in html
    assert "550 5.1.1 No such user" in html
    assert list(response.context["failed"]) == list(
        Delivery.objects.filter(status=Delivery.Status.FAILED)
    )


def test_dashboard_shows_people_and_delivery_summary(
    pilot: Pilot, sam: Client, delivered: Announcement, orientation: list[Material]
) -> None:
    response = sam.get(staff_url(pilot))
    html = response.content.decode()
    assert response.context["people"] == {
        "actor": 1,
        "mentor": 1,
        "staff": 1,
        "credits": 1,
        "quiet": 0,
        "unfinished": 1,
    }
    assert response.context["deliveries"] == {"sent": 3, "pending": 2, "failed": 1}
    for text in ("1 actor", "1 mentor", "1 staff member", "1 has not finished orientation"):
        assert text in html
    assert f'href="/pilots/{pilot.slug}/staff/invitations/"' in html


def test_announcement_list_has_a_constant_query_count(
    pilot: Pilot, sam: Client, staff_sam: User
) -> None:
    def add(count: int) -> None:
        for n in range(count):
            services.post_announcement(
                pilot=pilot, author=staff_sam, title=f"News {n}", body="x", audience="everyone"
            )

    add(2)
    few = count_queries(sam, staff_url(pilot, "announcements/"))
    add(10)
    assert count_queries(sam, staff_url(pilot, "announcements/")) == few


def test_dashboard_and_weeks_have_a_constant_query_count(
    pilot: Pilot, sam: Client, staff_sam: User, django_assert_max_num_queries: Any
) -> None:
    services.post_announcement(
        pilot=pilot, author=staff_sam, title="One", body="x", audience="everyone"
    )
    services.publish_week(week=pilot.weeks.get(number=4))
    dashboard = count_queries(sam, staff_url(pilot))
    weeks = count_queries(sam, staff_url(pilot, "weeks/"))
    for n in range(10):
        services.post_announcement(
            pilot=pilot, author=staff_sam, title=f"More {n}", body="x", audience="everyone"
        )
    services.publish_week(week=pilot.weeks.get(number=5))
    with django_assert_max_num_queries(dashboard):
        sam.get(staff_url(pilot))
    with django_assert_max_num_queries(weeks):
        sam.get(staff_url(pilot, "weeks/"))
