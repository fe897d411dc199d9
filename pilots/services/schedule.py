"""The weekly plan: weeks follow the pilot's dates, and each week's theme goes out once."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from messaging import services as messaging
from messaging.models import Kind
from pilots.models import Pilot, Week
from pilots.services.membership import recipient_ids
from pilots.texts import broadcast_texts

WEEK = datetime.timedelta(days=7)


@transaction.atomic
def plan_weeks(*, pilot: Pilot) -> list[Week]:
    """Make the weeks follow the pilot's dates: week 1 starts on the first day, each week has
    seven days, the last one ends on the last day. Themes already written are kept by number;
    weeks past the new end are removed unless their theme has been sent."""
    wanted = []
    start = pilot.starts_on
    number = 1
    while start <= pilot.ends_on:
        wanted.append(
            (number, start, min(start + WEEK - datetime.timedelta(days=1), pilot.ends_on))
        )
        start += WEEK
        number += 1
    existing = {week.number: week for week in pilot.weeks.select_for_update()}
    for number, starts_on, ends_on in wanted:
        week = existing.pop(number, None)
        if week is None:
            Week.objects.create(pilot=pilot, number=number, starts_on=starts_on, ends_on=ends_on)
        elif (week.starts_on, week.ends_on) != (starts_on, ends_on):
            week.starts_on, week.ends_on = starts_on, ends_on
            week.save(update_fields=["starts_on", "ends_on"])
    for week in existing.values():
        if week.broadcast_at is None:
            week.delete()
    return list(pilot.weeks.order_by("number"))


def publish_week(*, week: Week, now: datetime.datetime | None = None) -> bool:
    """Send the week's theme to every participant once; True if this call sent it."""
    now = now or timezone.now()
    with transaction.atomic():
        won = Week.objects.filter(pk=week.pk, broadcast_at__isnull=True).update(broadcast_at=now)
        if not won:
            return False
        pilot = week.pilot
        messaging.broadcast(
            kind=Kind.WEEK,
            source=week.source,
            context=pilot.context,
            # In each recipient's language, as far as staff wrote it (else the fallback).
            **broadcast_texts(lambda: _week_text(week)),
            url=reverse("pilots:home", args=[pilot.slug]),
            recipient_ids=recipient_ids(pilot=pilot),
        )
    week.broadcast_at = now
    return True


def _week_text(week: Week) -> tuple[str, str]:
    """The subject and text of a week's theme, in the active language."""
    body = week.description
    if week.prompt_list:
        body += "\n\n" + "\n".join(f"- {prompt}" for prompt in week.prompt_list)
    subject = f"{week.number}. {week.theme}" if week.theme else f"{week.pilot}: {week.number}"
    return subject, body.strip()


def current_themes(pilot_ids: list[int]) -> dict[int, str]:
    """This week's theme of each of the given pilots that has one written."""
    if not pilot_ids:
        return {}
    today = timezone.localdate()
    weeks = Week.objects.filter(pilot_id__in=pilot_ids, starts_on__lte=today, ends_on__gte=today)
    # In the active language, else the fallback (modeltranslation's values_list).
    return {pilot_id: theme for pilot_id, theme in weeks.values_list("pilot_id", "theme") if theme}
