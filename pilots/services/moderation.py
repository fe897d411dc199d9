"""Moderation by a pilot's staff: which reports they see, and warning someone."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from messaging import services as messaging
from messaging.models import Kind, Report
from messaging.services import reports
from pilots import signals
from pilots.models import Pilot


def moderated_contexts(pilot: Pilot) -> list[str]:
    """The contexts of the reports the pilot's staff moderate: the pilot's own, and those the
    apps built on pilots file under it (groups: its groups), as `moderation_contexts` answers."""
    answers = signals.moderation_contexts.send(sender=Pilot, pilot=pilot)
    return [pilot.context, *(found for _receiver, contexts in answers for found in contexts or ())]


def warn(*, pilot: Pilot, report: Report) -> bool:
    """Close the report and tell the reported person, in the app (and by e-mail as they chose),
    that the pilot's staff have looked into a report about them. False if it was closed."""
    with transaction.atomic():
        if not reports.resolve_report(report=report, outcome=Report.Outcome.WARNED):
            return False
        with translation.override(report.reported_user.preferred_language):
            subject = str(_("A note from the staff of %(pilot)s") % {"pilot": pilot.name})
            body = str(
                _(
                    "Someone in %(pilot)s reported your behaviour (%(reason)s), and the staff "
                    "have looked into it. Please keep every conversation respectful and follow "
                    "the pilot's guidelines. If you think this is a mistake, contact the staff."
                )
                % {"pilot": pilot.name, "reason": report.get_reason_display()}
            )
        messaging.broadcast(
            kind=Kind.ANNOUNCEMENT,
            source=report.warning_source,
            subject=subject,
            body=body,
            url=pilot.get_absolute_url(),
            recipient_ids=[report.reported_user_id],
        )
    return True
