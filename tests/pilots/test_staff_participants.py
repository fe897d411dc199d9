"""The participants page: role, orientation, credits and last activity, its filters, and a
query count that does not grow with the number of people.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pilots import services
from pilots.models import (
    Material,
    MaterialCompletion,
    Participation,
    Pilot,
    Role,
)
from profiles.models import User
from tests.support.pilots import staff_url

pytestmark = pytest.mark.django_db


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
    assert f'datetime="{timezone.localtime(seen).replace(microsecond=0).isoformat()}"' in html
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
