"""Gentle reminders in running pilots: a question waiting for its mentor's answer, an actor who
has not started a conversation by the second week. Each is sent once (its broadcast source is
unique), in its recipient's language."""

from __future__ import annotations

import datetime

from django.db.models import F, OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone, translation

from messaging import services as messaging
from messaging.models import Broadcast, Conversation, Kind, Message, Participant
from pilots.models import Participation, Pilot, Role
from profiles.models import preferred_language

ANSWER_NUDGE_AFTER = datetime.timedelta(days=3)
# Actors are nudged in the pilot's second week (its days 7-13 counted from 0), not later:
# the nudge speaks of the second week, and a pilot far along must not nudge everyone at once.
START_NUDGE_DAYS = range(7, 14)


def send_nudges(*, now: datetime.datetime | None = None) -> int:
    """Gentle reminders in running pilots, each once (the broadcast source is unique):
    a mentor who has not answered an actor's question in three days, and an actor who has not
    started any conversation by the second week (sent during that week). Returns how many
    were sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    for pilot in Pilot.objects.running().filter(starts_on__lte=today, ends_on__gte=today):
        rows = Participation.objects.filter(
            pilot=pilot, role__in=[Role.ACTOR, Role.MENTOR], user__is_active=True
        ).values_list("user_id", "role", "user__language")
        roles = {uid: role for uid, role, _language in rows}
        # Each nudge is written in its recipient's language.
        languages = {uid: preferred_language(language) for uid, _role, language in rows}
        sent += _nudge_mentors(pilot, roles, languages, now)
        if (today - pilot.starts_on).days in START_NUDGE_DAYS:
            sent += _nudge_actors(pilot, roles, languages)
    return sent


def _already_sent(sources: list[str]) -> set[str]:
    return set(Broadcast.objects.filter(source__in=sources).values_list("source", flat=True))


def _nudge_mentors(
    pilot: Pilot, roles: dict[int, str], languages: dict[int, str], now: datetime.datetime
) -> int:
    actors = [uid for uid, role in roles.items() if role == Role.ACTOR]
    last_sender = Message.objects.filter(conversation=OuterRef("pk")).order_by("-pk")
    waiting = (
        Conversation.objects.filter(
            kind=Conversation.Kind.DIRECT,
            context=pilot.context,
            read_only_since__isnull=True,
            created_by_id__in=actors,
            last_message_at__lte=now - ANSWER_NUDGE_AFTER,
        )
        .annotate(last_sender=Subquery(last_sender.values("sender_id")[:1]))
        .filter(last_sender=F("created_by_id"))
        .select_related("created_by")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.filter(left_at__isnull=True),
                to_attr="present",
            )
        )
        .order_by("pk")
    )
    conversations_by_source = {f"nudge:answer:{c.pk}": c for c in waiting}
    done = _already_sent(list(conversations_by_source))
    sent = 0
    for source, conversation in conversations_by_source.items():
        if source in done:
            continue
        mentors = [p.user_id for p in conversation.present if roles.get(p.user_id) == Role.MENTOR]
        if not mentors:
            continue
        # A direct conversation has one mentor; should there be more, the first one's language.
        with translation.override(languages[mentors[0]]):
            subject = translation.gettext("A question is waiting for your answer")
            body = translation.gettext(
                "%(name)s asked you something a few days ago: %(subject)s. "
                "A short answer helps, even if it is only where to look."
            ) % {"name": conversation.created_by, "subject": conversation}
        messaging.broadcast(
            kind=Kind.MESSAGE,
            source=source,
            subject=subject,
            body=body,
            url=conversation.get_absolute_url(),
            recipient_ids=mentors,
        )
        sent += 1
    return sent


def _nudge_actors(pilot: Pilot, roles: dict[int, str], languages: dict[int, str]) -> int:
    actors = [uid for uid, role in roles.items() if role == Role.ACTOR]
    started = set(
        Conversation.objects.filter(context=pilot.context, created_by_id__in=actors).values_list(
            "created_by_id", flat=True
        )
    )
    sources = {f"nudge:start:{pilot.pk}:{uid}": uid for uid in actors if uid not in started}
    done = _already_sent(list(sources))
    sent = 0
    for source, uid in sources.items():
        if source in done:
            continue
        with translation.override(languages[uid]):
            subject = translation.gettext("Ask a mentor your first question")
            body = translation.gettext(
                "The pilot %(pilot)s is in its second week. Pick a mentor and ask one concrete "
                "question: about studies, work or this week's theme."
            ) % {"pilot": pilot}
        messaging.broadcast(
            kind=Kind.MESSAGE,
            source=source,
            subject=subject,
            body=body,
            url=reverse("pilots:home", args=[pilot.slug]),
            recipient_ids=[uid],
        )
        sent += 1
    return sent
