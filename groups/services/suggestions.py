"""Suggested pairs for a pilot's staff: each actor without a pair, the best-matching mentor
with a place left."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from groups.models import Group, GroupMember
from groups.services.capacity import mentor_loads
from pilots.models import Participation, Pilot, Role
from profiles.matching import Suggestion, join_words, suggest_matches
from profiles.models import Profile, User

# How many ranked mentors suggest_pairs looks at per actor before giving up on them.
SUGGESTION_DEPTH = 5

# Suggestions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairSuggestion:
    mentor: User
    actor: User
    reason: str
    places_left: int  # the mentor's free places now, before any suggested pair is formed


def _staff_reason(suggestion: Suggestion, actor: User) -> str:
    """Why the match, told to staff (Suggestion.reason speaks to the actor)."""
    reason = gettext("%(mentor)s can share %(names)s, which %(actor)s wants to learn.") % {
        "mentor": suggestion.profile.user.display_name,
        "names": join_words([c.name for c in suggestion.competences]),
        "actor": actor.display_name,
    }
    if suggestion.languages:
        reason += " " + gettext("Both speak %(languages)s.") % {
            "languages": join_words([lang.name for lang in suggestion.languages])
        }
    return reason


def suggest_pairs(*, pilot: Pilot, limit: int | None = None) -> list[PairSuggestion]:
    """For each actor of the pilot without an individual pair (by name, up to `limit` actors),
    the best-matching mentor of the pilot who is available and has a place left, as
    `profiles.matching.suggest_matches` ranks them for that actor. A mentor is suggested at
    most as many times as they have places left, so the whole list can be formed.

    Cost: four queries up front, then suggest_matches' six per actor (ranking, languages,
    wants, the profiles and their prefetches): 28 actors take about 170 queries, so staff pages
    pass `limit`.
    """
    mentor_ids = list(
        Participation.objects.filter(
            pilot=pilot,
            role=Role.MENTOR,
            user__is_active=True,
            user__profile__is_available=True,
        ).values_list("user_id", flat=True)
    )
    loads = mentor_loads(user_ids=mentor_ids)
    capacities = dict(Profile.objects.filter(pk__in=mentor_ids).values_list("pk", "capacity"))
    places = {uid: capacities[uid] - loads.get(uid, 0) for uid in mentor_ids}
    free = {uid: left for uid, left in places.items() if left > 0}
    if not free:
        return []
    paired = GroupMember.objects.filter(
        group__pilot=pilot,
        group__kind=Group.Kind.PAIR,
        group__mode=Group.Mode.INDIVIDUAL,
        group__archived_at__isnull=True,
        role=GroupMember.Role.MENTEE,
    ).values("user_id")
    actors = (
        Participation.objects.filter(pilot=pilot, role=Role.ACTOR, user__is_active=True)
        .exclude(user_id__in=paired)
        .select_related("user", "user__profile")
        .order_by("user__display_name", "user_id")
    )
    if limit is not None:
        actors = actors[:limit]
    suggestions = []
    for participation in actors:
        actor = participation.user
        if not free:
            break
        ranked = suggest_matches(
            profile=actor.profile, viewer=actor, limit=SUGGESTION_DEPTH, among=list(free)
        )
        best = next((s for s in ranked if free.get(s.profile.pk, 0) > 0), None)
        if best is None:
            continue
        mentor_id = best.profile.pk
        suggestions.append(
            PairSuggestion(
                mentor=best.profile.user,
                actor=actor,
                reason=_staff_reason(best, actor),
                places_left=places[mentor_id],
            )
        )
        free[mentor_id] -= 1
        if not free[mentor_id]:
            del free[mentor_id]
    return suggestions
