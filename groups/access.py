"""The one way views reach a group. Missing and not-allowed both raise 404.

A group's page (its members) is for its members and the pilot's staff. Its conversation is a
messaging conversation that only its participants open (`messaging.access`): staff who are not
members see who is in a group, never what they write.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from groups.models import Group, GroupMember
from pilots.access import get_pilot_row_for_staff
from pilots.models import Participation, Pilot, Role
from profiles.models import User


def get_group_for_member(user: User, pk: int) -> Group:
    """The group `pk` if `user` is in it or runs its pilot (superusers too); else 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such group.")
    groups = Group.objects.select_related("pilot", "pilot__host", "conversation")
    if not user.is_superuser:
        member = GroupMember.objects.filter(group=OuterRef("pk"), user=user)
        staff = Participation.objects.filter(pilot=OuterRef("pilot_id"), user=user, role=Role.STAFF)
        groups = groups.filter(Q(Exists(member)) | Q(Exists(staff)))
    try:
        return groups.get(pk=pk)
    except Group.DoesNotExist:
        raise Http404("No such group.") from None


def open_groups_for(user: User) -> Any:
    """The open, active discussion groups of the pilots `user` takes part in as an actor or a
    mentor (the ones they may join), closed pilots left out."""
    pilots = Participation.objects.filter(user=user, role__in=[Role.ACTOR, Role.MENTOR]).values(
        "pilot_id"
    )
    return (
        Group.objects.active()
        .filter(kind=Group.Kind.DISCUSSION, is_open=True, pilot_id__in=pilots)
        .exclude(pilot__status__in=[Pilot.Status.CLOSED, Pilot.Status.ARCHIVED])
    )


def get_open_group(user: User, pk: int) -> Group:
    """An open discussion group `user` may join; 404 for every other group."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such group.")
    try:
        return open_groups_for(user).select_related("pilot", "conversation").get(pk=pk)
    except Group.DoesNotExist:
        raise Http404("No such group.") from None


def get_group_for_staff(user: User, slug: str, pk: int) -> Group:
    """A group of the pilot `slug`, for that pilot's staff (and superusers)."""
    group: Group = get_pilot_row_for_staff(user, slug, "groups", select=("conversation",), pk=pk)
    return group
