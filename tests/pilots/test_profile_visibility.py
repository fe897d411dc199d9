"""Profile visibility "members of my pilots", and pilot staff seeing their members' profiles."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from pilots import services
from pilots.models import Pilot, Role
from profiles.models import Profile, User

pytestmark = pytest.mark.django_db


def test_pilot_members_see_a_members_only_profile_and_others_do_not(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    oscar: User,
    other_staff: User,
    client_for: Callable[[User], Client],
) -> None:
    Profile.objects.filter(pk=alice.pk).update(visibility=Profile.Visibility.PILOT_MEMBERS)
    url = f"/people/{alice.pk}/"
    assert client_for(mentor_maria).get(url).status_code == 200
    assert client_for(oscar).get(url).status_code == 404
    assert client_for(other_staff).get(url).status_code == 404
    assert "Alice Actor" in client_for(mentor_maria).get("/people/").content.decode()
    assert "Alice Actor" not in client_for(oscar).get("/people/").content.decode()


def test_a_pilots_staff_see_staff_only_profiles_of_its_members_only(
    pilot: Pilot,
    alice: User,
    oscar: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    coordinator = make_user("Pilot Coordinator")  # not site staff: staff of this pilot only
    services.add_participant(pilot=pilot, user=coordinator, role=Role.STAFF)
    Profile.objects.filter(pk=alice.pk).update(visibility=Profile.Visibility.STAFF)
    client = client_for(coordinator)
    assert client.get(f"/people/{alice.pk}/").status_code == 200
    assert client.get(f"/people/{oscar.pk}/").status_code == 404  # staff-only, not in the pilot


def test_leaving_the_pilot_hides_the_profile_again(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    client_for: Callable[[User], Client],
) -> None:
    Profile.objects.filter(pk=alice.pk).update(visibility=Profile.Visibility.PILOT_MEMBERS)
    mentor_maria.participations.filter(pilot=pilot).delete()
    assert client_for(mentor_maria).get(f"/people/{alice.pk}/").status_code == 404


def test_directory_query_count_with_pilot_visibility_is_constant(
    pilot: Pilot,
    alice: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    for _ in range(20):
        user = make_user(visibility=Profile.Visibility.PILOT_MEMBERS)
        services.add_participant(pilot=pilot, user=user, role=Role.ACTOR)
    client = client_for(alice)
    with django_assert_max_num_queries(13):
        response = client.get("/people/")
    assert response.context["page"].paginator.count >= 20
