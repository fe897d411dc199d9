"""Staff's Today: each pilot they staff with people active this week, quiet people, open
reports and failed deliveries, each linking to the staff pages; nothing of other pilots."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from groups import services as group_services
from groups.models import Group
from messaging.models import Broadcast, Delivery, Kind, Report
from pilots.models import Participation, Pilot
from profiles.models import User
from tests.support.today import section, today_page

pytestmark = pytest.mark.django_db


def failed_delivery(pilot: Pilot, recipient: User, source: str) -> None:
    broadcast = Broadcast.objects.create(
        kind=Kind.ANNOUNCEMENT, source=source, context=pilot.context, subject="News", body="x"
    )
    Delivery.objects.create(
        broadcast=broadcast,
        recipient=recipient,
        channel=Delivery.Channel.EMAIL,
        status=Delivery.Status.FAILED,
    )


def test_pilot_health_with_links_to_the_staff_pages(
    staff_sam: User,
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    other_pilot: Pilot,
    actor: Callable[..., User],
    client_for: Any,
) -> None:
    now = timezone.now()
    long_ago = now - datetime.timedelta(days=30)
    Participation.objects.filter(pilot=pilot).update(joined_at=long_ago, last_seen_at=long_ago)
    Participation.objects.filter(pilot=pilot, user=alice).update(last_seen_at=now)
    group = group_services.create_group(
        pilot=pilot,
        kind=Group.Kind.DISCUSSION,
        name="IT field",
        description="",
        is_open=True,
        created_by=staff_sam,
        member_ids=[alice.pk],
    )
    Report.objects.create(
        reporter=alice, reported_user=mentor_maria, context=pilot.context, reason="spam"
    )
    Report.objects.create(
        reporter=alice, reported_user=mentor_maria, context=group.context, reason="other"
    )
    Report.objects.create(
        reporter=alice,
        reported_user=mentor_maria,
        context=pilot.context,
        reason="spam",
        outcome=Report.Outcome.DISMISSED,
    )
    failed_delivery(pilot, alice, "announcement:1")
    failed_delivery(other_pilot, alice, "announcement:2")  # another pilot's: not counted

    page = today_page(client_for(staff_sam))

    health = section(page, f'section[aria-labelledby="health-{pilot.pk}-heading"]')
    # sam's own visit to Today counts as activity: alice and sam are active.
    assert health.texts(".today-stats strong") == ["2", "1", "2", "1"]
    assert health.texts(".today-stats a") == [
        "2 active this week",
        "1 quiet for 7 days or more",
        "2 open reports",
        "1 failed delivery",
    ]
    links = [a.get("href") for a in health.select(".today-stats a")]
    assert links == [
        f"/pilots/{pilot.slug}/staff/participants/",
        f"/pilots/{pilot.slug}/staff/participants/?quiet=on",
        f"/pilots/{pilot.slug}/staff/moderation/",
        f"/pilots/{pilot.slug}/staff/announcements/",
    ]
    assert page.count(f'section[aria-labelledby="health-{other_pilot.pk}-heading"]') == 0
    assert page.count("#suggestions, #waiting, #availability") == 0  # sam is staff only
