"""Who shares a circle with whom, for profile visibility, without profiles knowing about pilots:
the apps that group people answer `profiles.signals.circle_members` and `circle_managed`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.dispatch import Signal

from profiles.signals import circle_managed, circle_members

if TYPE_CHECKING:
    from profiles.models import User


def _answers(signal: Signal, user: User, field: str) -> Q:
    query = Q(pk__in=[])
    for _receiver, user_ids in signal.send(sender=type(user), user=user):
        query |= Q(**{f"{field}__in": user_ids})
    return query


def members_q(user: User, field: str = "user") -> Q:
    return _answers(circle_members, user, field)


def managed_q(user: User, field: str = "user") -> Q:
    return _answers(circle_managed, user, field)
