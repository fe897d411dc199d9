"""The weekly plan on the staff pages: this week marked, themes and prompts saved, a sent
week's failed deliveries listed.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from messaging.models import Delivery
from pilots import services
from pilots.models import (
    Pilot,
    Week,
)
from profiles.models import User
from tests.support.html import Html
from tests.support.pilots import staff_url

pytestmark = pytest.mark.django_db


def test_weekly_plan_marks_this_week_and_what_was_sent(pilot: Pilot, sam: Client) -> None:
    sent_at = timezone.now() - datetime.timedelta(weeks=1)
    Week.objects.filter(pilot=pilot, number=4).update(theme="Future skills", broadcast_at=sent_at)
    response = sam.get(staff_url(pilot, "weeks/"))
    html = response.content.decode()
    weeks = {week.number: week for week in response.context["weeks"]}
    assert weeks[5].is_current()
    page = Html(html)
    assert page.text('tr[aria-current="date"].current-row th[scope="row"]').startswith("5 ")
    assert "Future skills" in html
    assert weeks[4].deliveries == {"sent": 0, "pending": 0, "failed": 0}
    assert weeks[5].deliveries is None  # not sent: nothing to count
    rows = page.texts("tbody tr")
    assert len(rows) == 8
    assert sum("Not sent" in row for row in rows) == 7
    assert "Not sent" not in next(row for row in rows if row.startswith("4 "))


def test_week_theme_description_and_prompts_are_saved(pilot: Pilot, sam: Client) -> None:
    response = sam.post(
        staff_url(pilot, "weeks/5/"),
        {
            "theme_en": "Future skills and working life",
            "description_en": "What will work look like?",
            "prompts_en": "  Which skill do you use most?\n\n\nWhat would you learn first?  \n",
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
        ({"theme_en": "x" * 201}, "theme_en"),
        ({"theme_en": "Bad\x00theme"}, "theme_en"),
        ({"prompts_en": "\n".join(f"Prompt {n}" for n in range(21))}, "prompts_en"),
        ({"prompts_en": "y" * 301}, "prompts_en"),
    ],
)
def test_invalid_week_is_refused(
    pilot: Pilot, sam: Client, data: dict[str, str], field: str
) -> None:
    response = sam.post(staff_url(pilot, "weeks/5/"), {"theme_en": "", "prompts_en": "", **data})
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
