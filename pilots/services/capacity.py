"""How much of a mentor's capacity is in use (README: "A mentor's capacity").

Each conversation counts once: every direct conversation someone else started with the mentor
in a running pilot that is still open to them (not read-only, not left), and the conversation of
every pair and mentoring group in which they are the professional. Pilots cannot see groups
(they are built on it): it asks through `signals.capacity_contexts`, which groups answers with
those conversations' contexts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.db.models import Count, F, Q

from messaging.models import Conversation, Participant
from pilots import signals
from pilots.models import Pilot
from profiles.models import User


def _group_contexts(user_ids: list[int]) -> dict[int, set[str]]:
    answers = signals.capacity_contexts.send(sender=Pilot, user_ids=user_ids)
    found: dict[int, set[str]] = {pk: set() for pk in user_ids}
    for _receiver, pairs in answers:
        answered = cast("list[tuple[int, str]]", pairs or [])
        for user_id, context in answered:
            found.setdefault(user_id, set()).add(context)
    return found


def capacity_used_by(user_ids: Iterable[int]) -> dict[int, int]:
    """The conversations counting against each given person's capacity, in a fixed handful of
    queries however many people are asked about."""
    ids = list(user_ids)
    if not ids:
        return {}
    running = [pilot.context for pilot in Pilot.objects.running().only("pk")]
    group_contexts = _group_contexts(ids)
    direct = Q(
        conversation__kind=Conversation.Kind.DIRECT,
        conversation__context__in=running,
        conversation__read_only_since__isnull=True,
        left_at__isnull=True,
    ) & ~Q(conversation__created_by=F("user_id"))
    rows = (
        Participant.objects.filter(direct, user_id__in=ids)
        .order_by()
        .values("user_id")
        .annotate(n=Count("conversation_id", distinct=True))
    )
    used = {pk: len(group_contexts.get(pk, ())) for pk in ids}
    for row in rows:
        used[row["user_id"]] += row["n"]
    return used


def capacity_used(*, mentor: User) -> int:
    return capacity_used_by([mentor.pk])[mentor.pk]
