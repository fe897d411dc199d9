"""Today reads a fixed number of queries, however many pilots, groups and conversations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from groups import services as group_services
from groups.models import Group
from messaging.models import Conversation, Report
from pilots import services as pilot_services
from pilots.models import Material, Pilot, Role
from profiles.models import Profile, User
from tests.support.conversations import say

pytestmark = pytest.mark.django_db

# Session and user, the base page (unread badges), Today's own reads (participations, weeks,
# groups and unread counts, orientation, asked, the profile, suggestions and their start rule,
# waiting, capacity, staff health), and the activity update.
BUDGET = 35


def grow(
    *,
    times: int,
    make_pilot: Callable[..., Pilot],
    make_user: Callable[..., User],
    person: User,
    staff_sam: User,
    ask: Callable[..., Conversation],
) -> None:
    """`times` more pilots in which `person` is an actor, a mentor and staff, with their
    mentors, questions both ways, pairs, groups, materials and reports."""
    for n in range(times):
        suffix = f"{n}-{make_user().pk}"
        for role in (Role.ACTOR, Role.MENTOR, Role.STAFF):
            pilot = make_pilot(f"p-{role}-{suffix}")
            pilot_services.add_participant(pilot=pilot, user=person, role=role)
            pilot_services.add_participant(pilot=pilot, user=staff_sam, role=Role.STAFF)
            other_mentor = make_user(kind=Profile.Kind.PROFESSIONAL, shares=("programming-python",))
            other_actor = make_user(learns=("programming-python",))
            pilot_services.add_participant(pilot=pilot, user=other_mentor, role=Role.MENTOR)
            pilot_services.add_participant(pilot=pilot, user=other_actor, role=Role.ACTOR)
            Material.objects.create(
                pilot=pilot, title="M", body="x", required=True, is_published=True
            )
            Report.objects.create(
                reporter=other_actor,
                reported_user=other_mentor,
                context=pilot.context,
                reason="spam",
            )
            if role == Role.ACTOR:
                pair = group_services.form_pair(
                    pilot=pilot,
                    mentor=other_mentor,
                    mentee=person,
                    mode=Group.Mode.INDIVIDUAL,
                    created_by=staff_sam,
                )
                say(other_mentor, pair.conversation, "Hello")
                for _ in range(3):  # people to suggest besides the pair's mentor
                    free = make_user(kind=Profile.Kind.PROFESSIONAL, shares=("programming-python",))
                    pilot_services.add_participant(pilot=pilot, user=free, role=Role.MENTOR)
            if role == Role.MENTOR:
                ask(other_actor, person, f"Question {suffix}")


@pytest.mark.parametrize("times", [1, 3])
def test_today_query_count_does_not_grow(
    times: int,
    make_pilot: Callable[..., Pilot],
    make_user: Callable[..., User],
    staff_sam: User,
    ask: Callable[..., Conversation],
    client_for: Any,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    person = make_user("Everything", kind=Profile.Kind.PROFESSIONAL, learns=("programming-python",))
    grow(
        times=times,
        make_pilot=make_pilot,
        make_user=make_user,
        person=person,
        staff_sam=staff_sam,
        ask=ask,
    )
    client = client_for(person)
    client.get("/")  # caches warm, as on every visit but the first

    with django_assert_max_num_queries(BUDGET):
        response = client.get("/")

    assert response.status_code == 200
    assert response.content.count(b'class="today-section today-health"') == times
    assert response.content.count(b'class="today-suggestion"') == 3
