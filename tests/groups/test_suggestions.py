"""Suggested pairs: for each actor without an individual pair, the best-matching mentor of the
pilot who is available and has a place left, never more suggestions for a mentor than places."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups import services
from groups.models import Group
from pilots import services as pilot_services
from pilots.models import Pilot, Role
from profiles.models import Profile, User

pytestmark = pytest.mark.django_db

PYTHON = ("programming-python",)


def pairs(pilot: Pilot, **extra: object) -> list[tuple[str, str]]:
    return [
        (s.actor.display_name, s.mentor.display_name)
        for s in services.suggest_pairs(pilot=pilot, **extra)  # type: ignore[arg-type]
    ]


@pytest.fixture
def python_mentor(mentor: Callable[..., User]) -> Callable[..., User]:
    def make(name: str, **fields: object) -> User:
        return mentor(name, shares=PYTHON, languages=("fi",), **fields)

    return make


def test_an_actor_gets_the_best_matching_mentor_with_the_reason(
    pilot: Pilot, alice: User, mentor_maria: User, python_mentor: Callable[..., User]
) -> None:
    python_mentor("Cloud Mentor", email="cloud@example.com")
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=4)
    [suggestion] = services.suggest_pairs(pilot=pilot)
    # maria shares Python (alice wants it) and speaks Finnish with her; so does Cloud Mentor,
    # who is newer: the ranking is stable, maria first.
    assert (suggestion.actor, suggestion.mentor) == (alice, mentor_maria)
    assert suggestion.reason == (
        "Maria Mentor can share Python programming, which Alice Actor wants to learn. "
        "Both speak Finnish."
    )
    assert suggestion.places_left == 4


def test_mentors_are_not_suggested_beyond_their_places(
    pilot: Pilot,
    mentor_maria: User,
    actor: Callable[..., User],
    python_mentor: Callable[..., User],
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=1)
    python_mentor("Second Mentor", capacity=1)
    for name in ("Bea", "Cid"):
        actor(name, learns=PYTHON, languages=("fi",))
    suggested = pairs(pilot)
    # alice, Bea and Cid want Python; two places: the first two by name get them.
    assert suggested == [("Alice Actor", "Maria Mentor"), ("Bea", "Second Mentor")]


def test_unavailable_full_and_foreign_mentors_are_left_out(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    other_pilot: Pilot,
    make_user: Callable[..., User],
    actor: Callable[..., User],
) -> None:
    elsewhere = make_user("Elsewhere", kind=Profile.Kind.PROFESSIONAL, shares=PYTHON)
    pilot_services.add_participant(pilot=other_pilot, user=elsewhere, role=Role.MENTOR)
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=False)
    assert pairs(pilot) == []
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=True, capacity=1)
    services.form_pair(
        pilot=pilot,
        mentor=mentor_maria,
        mentee=actor(),
        mode=Group.Mode.INDIVIDUAL,
        created_by=None,
    )
    assert pairs(pilot) == []


def test_actors_with_an_individual_pair_get_no_suggestion(
    pilot: Pilot, alice: User, bob: User, mentor_maria: User
) -> None:
    services.form_pair(pilot=pilot, mentor=alice, mentee=bob, mode=Group.Mode.PEER, created_by=None)
    assert pairs(pilot) == [("Alice Actor", "Maria Mentor")]  # a peer pair is not a mentor
    services.form_pair(
        pilot=pilot,
        mentor=mentor_maria,
        mentee=alice,
        mode=Group.Mode.INDIVIDUAL,
        created_by=None,
    )
    assert pairs(pilot) == []


def test_suggestions_are_the_same_every_time_and_cost_a_fixed_handful_per_actor(
    pilot: Pilot, actor: Callable[..., User], python_mentor: Callable[..., User]
) -> None:
    for number in range(4):
        python_mentor(f"Mentor {number}", capacity=10)
    for number in range(10):
        actor(f"Actor {number:02}", learns=PYTHON, languages=("fi",))
    first = pairs(pilot)
    assert len(first) == 11  # alice and ten more
    assert pairs(pilot) == first
    with CaptureQueriesContext(connection) as queries:
        services.suggest_pairs(pilot=pilot)
    assert len(queries) <= 4 + 6 * 11
    assert len(pairs(pilot, limit=3)) == 3
