"""Reports and what moderators do with them: file a report, close it, hide a message.

The app that moderates (pilots, for its own contexts) decides who may act; these only change
the rows and tell the open sockets."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from messaging import events
from messaging.models import Message, Report
from profiles.models import User


def report(
    *,
    reporter: User,
    reported_user: User,
    reason: str,
    details: str = "",
    message: Message | None = None,
    context: str = "",
) -> Report:
    return Report.objects.create(
        reporter=reporter,
        reported_user=reported_user,
        message=message,
        reason=reason,
        details=details,
        context=context or (message.conversation.context if message else ""),
    )


def resolve_report(*, report: Report, outcome: str) -> bool:
    """Close an open report with its outcome; False if it was already closed."""
    if outcome == Report.Outcome.OPEN or outcome not in Report.Outcome.values:
        raise ValueError(f"Not a closing outcome: {outcome}")
    closed = Report.objects.filter(pk=report.pk, outcome=Report.Outcome.OPEN).update(
        outcome=outcome, resolved_at=timezone.now()
    )
    report.refresh_from_db(fields=["outcome", "resolved_at"])
    return bool(closed)


@transaction.atomic
def hide_message(*, message: Message, report: Report | None = None) -> None:
    """A moderator hides a reported message from everyone."""
    Message.objects.filter(pk=message.pk, hidden_at__isnull=True).update(hidden_at=timezone.now())
    message.refresh_from_db()
    if report is not None:
        Report.objects.filter(pk=report.pk).update(
            outcome=Report.Outcome.HIDDEN, resolved_at=timezone.now()
        )
    events.message_changed(message)
