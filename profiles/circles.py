"""Who shares a circle with whom, for profile visibility, without profiles knowing about pilots.

An app that groups people (pilots) registers two functions at start-up:
- `members(user)`: a query of the user ids who share a group with `user` (they may see profiles
  shown to "members of my pilots");
- `managed(user)`: a query of the user ids `user` runs a group for as its staff (they may see
  profiles shown to "project staff only").
With nothing registered, both are empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q

UserIds = Any  # a QuerySet of user ids (values_list/values), used inside __in
_members: list[Callable[[Any], UserIds]] = []
_managed: list[Callable[[Any], UserIds]] = []


def register(*, members: Callable[[Any], UserIds], managed: Callable[[Any], UserIds]) -> None:
    if members not in _members:
        _members.append(members)
    if managed not in _managed:
        _managed.append(managed)


def members_q(user: Any, field: str = "user") -> Q:
    query = Q(pk__in=[])
    for provider in _members:
        query |= Q(**{f"{field}__in": provider(user)})
    return query


def managed_q(user: Any, field: str = "user") -> Q:
    query = Q(pk__in=[])
    for provider in _managed:
        query |= Q(**{f"{field}__in": provider(user)})
    return query
