"""A pilot's life: created, edited, closed and opened again."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mentoring.errors import UserError
from messaging.services import conversations
from pilots import signals
from pilots.models import Pilot, Role
from pilots.services.membership import add_participant
from pilots.services.schedule import plan_weeks
from profiles.models import User


class PilotClosed(UserError):
    """Nothing new can be posted in a closed or archived pilot."""

    code = "pilot_closed"


def ensure_open(pilot: Pilot) -> None:
    if pilot.is_closed:
        raise PilotClosed(
            _("%(pilot)s is closed: nothing new can be posted in it.") % {"pilot": pilot.name}
        )


@transaction.atomic
def create_pilot(*, pilot: Pilot, creator: User, logo: ContentFile | None = None) -> Pilot:
    """Save a new pilot (built, not saved, by the caller), make the creator its staff and plan
    its weeks from the dates."""
    if logo is not None:
        pilot.logo.save(logo.name or "logo.jpg", logo, save=False)
    pilot.save()
    add_participant(pilot=pilot, user=creator, role=Role.STAFF)
    plan_weeks(pilot=pilot)
    return pilot


@transaction.atomic
def update_pilot(
    *, pilot: Pilot, logo: ContentFile | None = None, remove_logo: bool = False
) -> Pilot:
    """Save the edited pilot. New dates re-plan the weeks; a replaced or removed logo file is
    deleted after commit. Closing the pilot locks its conversations and sends `pilot_closed`;
    opening a closed one again unlocks them and sends `pilot_reopened`."""
    # The stored row, not `pilot` (which the form has already changed), says what changed.
    before = (
        Pilot.objects.select_for_update()
        .values("starts_on", "ends_on", "logo", "status")
        .get(pk=pilot.pk)
    )
    if logo is not None:
        pilot.logo.save(logo.name or "logo.jpg", logo, save=False)
    elif remove_logo:
        pilot.logo = ""  # type: ignore[assignment]
    pilot.save()
    if (before["starts_on"], before["ends_on"]) != (pilot.starts_on, pilot.ends_on):
        plan_weeks(pilot=pilot)
    was_closed = before["status"] in (Pilot.Status.CLOSED, Pilot.Status.ARCHIVED)
    if pilot.is_closed and not was_closed:
        conversations.lock_context(context=pilot.context)
        signals.pilot_closed.send(sender=Pilot, pilot=pilot)
    elif was_closed and not pilot.is_closed:  # reopened, e.g. closed by mistake
        conversations.unlock_context(context=pilot.context)
        signals.pilot_reopened.send(sender=Pilot, pilot=pilot)
    old_logo = before["logo"]
    if old_logo and old_logo != pilot.logo.name:
        storage = pilot.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    return pilot
