"""A running pilot shaped like the first one: host, dates, weeks, and one person per role.

`pilot` runs from four weeks ago to four weeks ahead (so "this week" exists), with alice as an
actor earning credits, mentor_maria as a mentor and staff_sam as its staff. `other_pilot` has
its own staff member, to check that staff of one pilot cannot manage another.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from pilots import services
from pilots.models import Participation, Pilot, Role
from profiles.models import Organisation, User


@pytest.fixture
def host(db: None) -> Organisation:
    return Organisation.objects.create(
        name="Demo University", slug="demo-university", kind=Organisation.Kind.UNIVERSITY
    )


@pytest.fixture
def make_pilot(host: Organisation) -> Callable[..., Pilot]:
    def make(
        slug: str = "spring-pilot", *, weeks_ago: int = 4, weeks: int = 8, **fields: Any
    ) -> Pilot:
        start = timezone.localdate() - datetime.timedelta(weeks=weeks_ago)
        pilot = Pilot.objects.create(
            host=host,
            name=fields.pop("name", f"Pilot {slug}"),
            slug=slug,
            starts_on=start,
            ends_on=start + datetime.timedelta(weeks=weeks, days=-1),
            status=fields.pop("status", Pilot.Status.RUNNING),
            **fields,
        )
        services.plan_weeks(pilot=pilot)
        return pilot

    return make


@pytest.fixture
def pilot(
    make_pilot: Callable[..., Pilot], alice: User, mentor_maria: User, staff_sam: User
) -> Pilot:
    pilot = make_pilot()
    services.add_participant(pilot=pilot, user=alice, role=Role.ACTOR, earns_credits=True)
    services.add_participant(pilot=pilot, user=mentor_maria, role=Role.MENTOR)
    services.add_participant(pilot=pilot, user=staff_sam, role=Role.STAFF)
    return pilot


@pytest.fixture
def other_pilot(make_pilot: Callable[..., Pilot], make_user: Callable[..., User]) -> Pilot:
    pilot = make_pilot("autumn-pilot")
    services.add_participant(pilot=pilot, user=make_user("Other Staff"), role=Role.STAFF)
    return pilot


@pytest.fixture
def other_staff(other_pilot: Pilot) -> User:
    return Participation.objects.get(pilot=other_pilot, role=Role.STAFF).user
