"""What a participant sees of groups, on their groups page and on a pilot's page: their own
pairs and groups (with unread messages and the other person of a pair) and the open discussion
groups they may join. A handful of queries however many groups there are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Value,
    When,
)
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from groups.access import open_groups_for
from groups.models import Group, GroupMember
from messaging.services.conversations import unread_counts
from pilots.models import Participation, Pilot, Role
from profiles.models import User

# Pairs first, then mentoring groups, then discussion groups.
KIND_ORDER = Case(
    *(
        When(group__kind=kind, then=Value(rank))
        for rank, kind in enumerate([Group.Kind.PAIR, Group.Kind.MENTORING, Group.Kind.DISCUSSION])
    ),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class GroupRow:
    membership: GroupMember
    group: Group
    unread: int
    # A pair's other person (None in groups, or once they have left)
    partner: User | None


def my_groups(*, user: User, pilot: Pilot | None = None) -> list[GroupRow]:
    """The user's pairs and groups (in `pilot`, or in all their pilots), active ones first,
    then by pilot, kind (pairs first) and name. Three queries."""
    memberships = GroupMember.objects.filter(user=user)
    if pilot is not None:
        memberships = memberships.filter(group__pilot=pilot)
    memberships = (
        memberships.select_related("group", "group__pilot")
        .prefetch_related(
            Prefetch(
                "group__memberships",
                queryset=GroupMember.objects.filter(group__kind=Group.Kind.PAIR)
                .exclude(user=user)
                .select_related("user"),
                to_attr="partners",
            )
        )
        .order_by(
            F("group__archived_at").asc(nulls_first=True),
            "group__pilot__name",
            KIND_ORDER,
            "group__name",
        )
    )
    rows = list(memberships)
    unread = unread_counts(user=user) if rows else {}
    return [
        GroupRow(
            membership=m,
            group=m.group,
            unread=unread.get(m.group.conversation_id, 0),
            partner=next((p.user for p in getattr(m.group, "partners", [])), None),
        )
        for m in rows
    ]


def joinable_groups(*, user: User, pilot: Pilot | None = None) -> Any:
    """The open discussion groups of the user's pilots (or of `pilot`) they are not in yet,
    with their member counts. One query."""
    mine = GroupMember.objects.filter(group=OuterRef("pk"), user=user)
    groups = open_groups_for(user)
    if pilot is not None:
        groups = groups.filter(pilot=pilot)
    return (
        groups.exclude(Exists(mine))
        .select_related("pilot")
        .annotate(member_count=Count("memberships"))
        .order_by("pilot__name", "name", "pk")
    )


def pilot_section(*, participation: Participation, request: HttpRequest) -> SafeString:
    """The pilot page's block of the signed-in person's pairs and groups in the pilot of
    their `participation`, and its open discussion groups to join; empty for the pilot's
    staff (they run its groups)."""
    user: Any = request.user
    if participation.user_id != user.pk or participation.role not in (Role.ACTOR, Role.MENTOR):
        return SafeString("")
    pilot = participation.pilot
    return SafeString(
        render_to_string(
            "groups/pilot_section.html",
            {
                "pilot": pilot,
                "rows": my_groups(user=user, pilot=pilot),
                "joinable": list(joinable_groups(user=user, pilot=pilot)),
                "discussion_explanation": Group.EXPLANATIONS[Group.Kind.DISCUSSION],
            },
            request=request,
        )
    )
