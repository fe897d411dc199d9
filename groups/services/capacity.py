"""Capacity: how many pairs and mentoring groups a professional is in, and the refusals of
groups' services."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from groups.models import Group, GroupMember
from mentoring.errors import UserError
from pilots.models import Pilot
from profiles.models import Profile, User

# A professional's pairs and mentoring groups count against their capacity while the pilot is
# not closed: staff form pairs while recruiting, before the pilot runs.
OPEN_PILOT_STATUSES = (Pilot.Status.DRAFT, Pilot.Status.RECRUITING, Pilot.Status.RUNNING)


class GroupError(UserError):
    """A refused change to a group."""


class MentorUnavailable(GroupError):
    """The professional is unavailable or full; staff may form the pair anyway (`force`)."""


# Loads and capacity ------------------------------------------------------------------------


def _professional_side() -> Q:
    """Memberships in which the member is the professional of a pair or a mentoring group:
    the mentor of an individual pair or a mentoring group, the mentee of a reverse pair."""
    return Q(
        role=GroupMember.Role.MENTOR, group__mode__in=[Group.Mode.INDIVIDUAL, Group.Mode.GROUP]
    ) | Q(role=GroupMember.Role.MENTEE, group__mode=Group.Mode.REVERSE)


def mentor_loads(*, user_ids: Iterable[int]) -> dict[int, int]:
    """How many active pairs and mentoring groups each professional is in, across the pilots
    that are not closed. One query."""
    rows = (
        GroupMember.objects.filter(
            _professional_side(),
            user_id__in=list(user_ids),
            group__archived_at__isnull=True,
            group__pilot__status__in=OPEN_PILOT_STATUSES,
        )
        .order_by()
        .values_list("user_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)  # type: ignore[arg-type]


def professional_contexts(*, user_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(person, the group's conversation context) for each active pair and mentoring group in
    which they are the professional, across the pilots that are not closed: what pilots counts
    against a mentor's capacity besides direct conversations. One query."""
    rows = GroupMember.objects.filter(
        _professional_side(),
        user_id__in=list(user_ids),
        group__archived_at__isnull=True,
        group__pilot__status__in=OPEN_PILOT_STATUSES,
    ).values_list("user_id", "group_id")
    return [(user_id, Group(pk=group_id).context) for user_id, group_id in rows]


def check_capacity(*, professional: User) -> None:
    """Raise MentorUnavailable if the professional is not taking new mentees or is full.

    Locks the profile row, so two staff members forming pairs at once cannot both take the
    last place (PostgreSQL; SQLite serialises writers anyway)."""
    profile = Profile.objects.select_for_update().filter(pk=professional.pk).first()
    if profile is None:
        return
    name = professional.display_name or professional.email
    if not profile.is_available:
        raise MentorUnavailable(
            _("%(name)s is not taking on new mentees right now.") % {"name": name}
        )
    load = mentor_loads(user_ids=[professional.pk]).get(professional.pk, 0)
    if load >= profile.capacity:
        raise MentorUnavailable(
            _("%(name)s is full: %(load)d of %(capacity)d places are taken.")
            % {"name": name, "load": load, "capacity": profile.capacity}
        )
