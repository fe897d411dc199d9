"""Suggested matches: whose *can share* meets my *want to learn*, with the reason in words."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from pilots.models import Pilot
from profiles.matching import suggest_matches
from profiles.models import Profile, User

pytestmark = pytest.mark.django_db

PRO = Profile.Kind.PROFESSIONAL


def suggested(user: User) -> list[str]:
    return [s.profile.user.display_name for s in suggest_matches(profile=user.profile, viewer=user)]


def test_ranking_more_matches_then_languages_then_level_then_mentors_first(
    make_user: Callable[..., User],
) -> None:
    me = make_user(
        "Me", learns=("programming-python", "cloud-services", "leadership"), languages=("fi",)
    )
    make_user("Two matches", kind=PRO, shares=("programming-python", "cloud-services"))
    make_user("One match, Finnish", kind=PRO, shares=("leadership",), languages=("fi",))
    make_user("One match", kind=PRO, shares=("programming-python",))
    make_user("Peer, one match", shares=("programming-python",))
    make_user("No match", kind=PRO, shares=("accounting",))
    make_user(
        "Busy mentor",
        kind=PRO,
        shares=("programming-python", "cloud-services", "leadership"),
        is_available=False,
    )
    make_user(
        "Hidden", kind=PRO, shares=("programming-python",), visibility=Profile.Visibility.STAFF
    )
    assert suggested(me) == ["Two matches", "One match, Finnish", "One match", "Peer, one match"]


def test_suggestions_are_deterministic_for_ties(make_user: Callable[..., User]) -> None:
    me = make_user("Me", learns=("databases",))
    first = make_user("Zed", kind=PRO, shares=("databases",))
    make_user("Amy", kind=PRO, shares=("databases",))
    assert suggested(me)[0] == first.display_name  # equal rank: the earlier profile first
    assert suggested(me) == suggested(me)


def test_reason_names_competences_and_languages(make_user: Callable[..., User]) -> None:
    me = make_user("Me", learns=("programming-python", "cloud-services"), languages=("fi", "en"))
    make_user(
        "Mentor", kind=PRO, shares=("programming-python", "cloud-services"), languages=("en", "fi")
    )
    [suggestion] = suggest_matches(profile=me.profile, viewer=me)
    with translation.override("en"):
        assert suggestion.reason == (
            "Can share Cloud services and Python programming, which you want to learn. "
            "You both speak English and Finnish."
        )
    with translation.override("fi"):
        assert "Python-ohjelmointi" in suggestion.reason
        assert "Pilvipalvelut" in suggestion.reason


def test_nothing_to_learn_means_no_suggestions(make_user: Callable[..., User]) -> None:
    me = make_user("Me")
    make_user("Mentor", kind=PRO, shares=("programming-python",))
    assert suggested(me) == []


def test_today_shows_suggestions_with_reasons(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    client_for: Callable[[User], Client],
) -> None:
    page = client_for(alice).get("/").content.decode()
    assert "Maria Mentor" in page
    assert "Can share Python programming, which you want to learn." in page
    assert "You both speak Finnish." in page


def test_suggestion_query_count_is_constant(
    make_user: Callable[..., User],
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    me = make_user("Me", learns=("programming-python",), languages=("fi",))
    for _ in range(20):
        make_user(kind=PRO, shares=("programming-python",), languages=("fi",))
    profile = me.profile
    with django_assert_max_num_queries(6):
        assert len(suggest_matches(profile=profile, viewer=me, limit=10)) == 10
