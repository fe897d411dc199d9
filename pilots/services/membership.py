"""Who takes part in a pilot: joining (also with the pilot's invitation code), orientation,
activity and removal."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentoring.errors import UserError
from messaging.models import Report
from messaging.services import conversations, reports
from pilots import signals
from pilots.models import (
    Announcement,
    Material,
    MaterialCompletion,
    Participation,
    Pilot,
    Role,
    new_join_code,
)
from profiles.models import User

QUIET_AFTER = datetime.timedelta(days=7)


# What a person may type around a code: spaces, dashes, lower case ("abcd-efgh").
CODE_NOISE = re.compile(r"[\s\-\u2013\u2014]+")


class JoinRefused(UserError):
    """A code that joins no pilot (unknown, or its pilot is a draft or has ended)."""

    code = "join_refused"


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
    tells the apps built on pilots (groups take them out of its groups). Closes `report`."""
    Participation.objects.filter(pilot=pilot, user=user).delete()
    conversations.leave_context(user=user, context=pilot.context)
    signals.participant_removed.send(sender=Pilot, pilot=pilot, user=user)
    if report is not None:
        reports.resolve_report(report=report, outcome=Report.Outcome.REMOVED)


def normalise_join_code(typed: str) -> str:
    return CODE_NOISE.sub("", typed).upper()


@transaction.atomic
def join_with_code(*, user: User, code: str) -> tuple[Participation, bool]:
    """Join the pilot whose invitation code `code` is, as an actor: the code is for students;
    mentors and staff are invited one by one. Joining again changes nothing (someone already
    in the pilot keeps their role). Returns the participation and whether it is new.

    Raises JoinRefused for a code of no pilot, of a draft pilot, or of one that has ended.
    """
    pilot = Pilot.objects.filter(join_code=normalise_join_code(code)).first()
    if pilot is None:
        raise JoinRefused(_("No pilot has this code. Check it and try again."))
    existing = Participation.objects.filter(pilot=pilot, user=user).first()
    if existing is not None:
        return existing, False
    if pilot.is_closed:
        raise JoinRefused(
            _("%(pilot)s has ended: nobody can join it any more.") % {"pilot": pilot.name}
        )
    if not pilot.accepts_joining:
        raise JoinRefused(
            _("%(pilot)s is not open for joining yet. Try again when it starts.")
            % {"pilot": pilot.name}
        )
    return add_participant(pilot=pilot, user=user, role=Role.ACTOR), True


def rotate_join_code(*, pilot: Pilot) -> str:
    """Give the pilot a new invitation code; the old one stops working at once."""
    for _attempt in range(5):
        code = new_join_code()
        try:
            with transaction.atomic():
                Pilot.objects.filter(pk=pilot.pk).update(join_code=code)
        except IntegrityError:  # another pilot has it (1 in 2^40 per pilot): draw again
            continue
        pilot.join_code = code
        return code
    raise RuntimeError("No free invitation code found")


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


def touch_all(*, user: User) -> None:
    """Record activity in every pilot `user` takes part in (their Today page shows them all),
    at most once a minute per participation, in one query."""
    now = timezone.now()
    Participation.objects.filter(user=user).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - datetime.timedelta(minutes=1))
    ).update(last_seen_at=now)


def fellow_member_ids(user: User) -> QuerySet[Participation, Any]:
    """The ids of everyone who takes part in a pilot with `user` (as `values("user_id")`)."""
    mine = Participation.objects.filter(user=user).values("pilot_id")
    return Participation.objects.filter(pilot_id__in=mine).values("user_id")


def managed_member_ids(user: User) -> QuerySet[Participation, Any]:
    """The ids of everyone in the pilots `user` runs as staff (as `values("user_id")`)."""
    runs = Participation.objects.filter(user=user, role=Role.STAFF).values("pilot_id")
    return Participation.objects.filter(pilot_id__in=runs).values("user_id")


def quiet(now: datetime.datetime) -> Q:
    """Participations with no activity for QUIET_AFTER: last seen before then, or never seen
    and joined before then."""
    cutoff = now - QUIET_AFTER
    return Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, joined_at__lt=cutoff)
