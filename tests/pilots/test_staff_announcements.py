"""Announcements on the staff pages: sent now or scheduled, to everyone or one role, through
the outbox; previews; delivery counts and failures; the dashboard.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from messaging.models import Broadcast, Delivery
from pilots import services
from pilots.models import (
    Announcement,
    Material,
    Pilot,
)
from profiles.models import User
from tests.support.html import Html, markup
from tests.support.pages import count_queries
from tests.support.pilots import local_input, preview_of, staff_url

pytestmark = pytest.mark.django_db


def announcement_form(**changes: Any) -> dict[str, Any]:
    data = {
        "title_en": "Welcome to the pilot",
        "body_en": "The first week starts **Monday**.",
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
        ({"title_en": ""}, "title_en"),
        ({"body_en": ""}, "body_en"),
        ({"body_en": "b" * 10_001}, "body_en"),
        ({"title_en": "Null\x00byte"}, "title_en"),
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
        announcement_form(body_en="*Soon* <img src=x onerror=alert(1)>", preview="1"),
    )
    preview = preview_of(response.content.decode())
    assert preview.texts("em") == ["Soon"]
    assert not preview.select("[onerror]")
    assert "onerror" not in markup(preview.root)
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
    page = Html(response)
    (row,) = page.table()
    assert (row["Sent"], row["Pending"], row["Failed"]) == ("3", "2", "1")
    assert page.text("td a.badge.badge-failed") == "1"


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
