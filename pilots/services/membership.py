"""Who takes part in a pilot: joining, orientation, activity and removal."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from messaging.models import Report
from messaging.services import conversations
from pilots import signals
from pilots.models import (
    Announcement,
    Material,
    MaterialCompletion,
    Participation,
    Pilot,
    Role,
)
from profiles.models import User


def add_participant(
    *, pilot: Pilot, user: User, role: str, earns_credits: bool = False
) -> Participation:
    participation, created = Participation.objects.get_or_create(
        pilot=pilot, user=user, defaults={"role": role, "earns_credits": earns_credits}
    )
    if not created and (participation.role, participation.earns_credits) != (role, earns_credits):
        participation.role, participation.earns_credits = role, earns_credits
        participation.save(update_fields=["role", "earns_credits"])
    return participation


@transaction.atomic
def remove_participant(*, pilot: Pilot, user: User, report: Report | None = None) -> None:
    """Take `user` out of the pilot: the pilot disappears for them, and their direct
    conversations in it become read-only and leave their open sockets; `participant_removed`
    tells the apps built on pilots (groups take them out of its loops). Closes `report`."""
    Participation.objects.filter(pilot=pilot, user=user).delete()
    conversations.leave_context(user=user, context=pilot.context)
    signals.participant_removed.send(sender=Pilot, pilot=pilot, user=user)
    if report is not None:
        conversations.resolve_report(report=report, outcome=Report.Outcome.REMOVED)


def recipient_ids(*, pilot: Pilot, audience: str = Announcement.Audience.EVERYONE) -> list[int]:
    participants = Participation.objects.filter(pilot=pilot, user__is_active=True)
    if audience != Announcement.Audience.EVERYONE:
        participants = participants.filter(role=audience)
    return list(participants.values_list("user_id", flat=True))


def complete_material(*, material: Material, user: User, done: bool = True) -> None:
    if done:
        MaterialCompletion.objects.get_or_create(material=material, user=user)
    else:
        MaterialCompletion.objects.filter(material=material, user=user).delete()


def orientation_done(*, pilot: Pilot, user: User) -> bool:
    """Has the user finished every required, published material of the pilot?"""
    required = Material.objects.filter(pilot=pilot, required=True, is_published=True)
    return not required.exclude(completions__user=user).exists()


def may_start_conversations(*, pilot: Pilot, user: User) -> bool:
    """Actors of a pilot that requires orientation must finish it first."""
    if pilot.is_closed:
        return False
    participation = Participation.objects.filter(pilot=pilot, user=user).first()
    if participation is None:
        return False
    if participation.role == Role.ACTOR and pilot.requires_orientation:
        return orientation_done(pilot=pilot, user=user)
    return True


def touch(*, participation: Participation) -> None:
    """Record activity, at most once a minute per participation (it is written on page views)."""
    now = timezone.now()
    if participation.last_seen_at and now - participation.last_seen_at < datetime.timedelta(
        minutes=1
    ):
        return
    Participation.objects.filter(pk=participation.pk).update(last_seen_at=now)
    participation.last_seen_at = now


def fellow_member_ids(user: User) -> QuerySet[Participation, Any]:
    """The ids of everyone who takes part in a pilot with `user` (as `values("user_id")`)."""
    mine = Participation.objects.filter(user=user).values("pilot_id")
    return Participation.objects.filter(pilot_id__in=mine).values("user_id")


def managed_member_ids(user: User) -> QuerySet[Participation, Any]:
    """The ids of everyone in the pilots `user` runs as staff (as `values("user_id")`)."""
    runs = Participation.objects.filter(user=user, role=Role.STAFF).values("pilot_id")
    return Participation.objects.filter(pilot_id__in=runs).values("user_id")
