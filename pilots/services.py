"""Pilot state changes: the weekly plan, participants, materials, announcements and the
"do what is due" run. Views, tasks, the admin and management commands call these.

A pilot decides what to say and to whom; `messaging.services.broadcast` delivers it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from messaging import conversations
from messaging import services as messaging
from messaging.conversations import SharedContext
from messaging.models import Broadcast, Conversation, Kind, Message, Participant, Report
from pilots.models import (
    Announcement,
    Material,
    MaterialCompletion,
    Participation,
    Pilot,
    Role,
    Week,
)
from profiles.models import preferred_language

logger = logging.getLogger(__name__)

WEEK = datetime.timedelta(days=7)


class PilotClosed(Exception):
    """Nothing new can be posted in a closed or archived pilot."""


def ensure_open(pilot: Pilot) -> None:
    if pilot.is_closed:
        raise PilotClosed(pilot.slug)


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


def add_participant(
    *, pilot: Pilot, user: Any, role: str, earns_credits: bool = False
) -> Participation:
    participation, created = Participation.objects.get_or_create(
        pilot=pilot, user=user, defaults={"role": role, "earns_credits": earns_credits}
    )
    if not created and (participation.role, participation.earns_credits) != (role, earns_credits):
        participation.role, participation.earns_credits = role, earns_credits
        participation.save(update_fields=["role", "earns_credits"])
    return participation


def recipient_ids(*, pilot: Pilot, audience: str = Announcement.Audience.EVERYONE) -> list[int]:
    participants = Participation.objects.filter(pilot=pilot, user__is_active=True)
    if audience != Announcement.Audience.EVERYONE:
        participants = participants.filter(role=audience)
    return list(participants.values_list("user_id", flat=True))


def send_announcement(*, announcement: Announcement, now: datetime.datetime | None = None) -> bool:
    """Send the announcement if it is due and not sent yet; True if this call sent it."""
    now = now or timezone.now()
    if announcement.send_at and announcement.send_at > now:
        return False
    ensure_open(announcement.pilot)
    with transaction.atomic():
        # The conditional update is the lock: of two concurrent callers, one wins.
        unsent = Announcement.objects.filter(pk=announcement.pk, sent_at__isnull=True)
        won = unsent.update(sent_at=now)
        if not won:
            return False
        messaging.broadcast(
            kind=Kind.ANNOUNCEMENT,
            source=f"announcement:{announcement.pk}",
            subject=announcement.title,
            body=announcement.body,
            url=announcement.get_absolute_url(),
            recipient_ids=recipient_ids(pilot=announcement.pilot, audience=announcement.audience),
        )
    announcement.sent_at = now
    return True


def publish_week(*, week: Week, now: datetime.datetime | None = None) -> bool:
    """Send the week's theme to every participant once; True if this call sent it."""
    now = now or timezone.now()
    with transaction.atomic():
        won = Week.objects.filter(pk=week.pk, broadcast_at__isnull=True).update(broadcast_at=now)
        if not won:
            return False
        pilot = week.pilot
        body = week.description
        if week.prompt_list:
            body += "\n\n" + "\n".join(f"- {prompt}" for prompt in week.prompt_list)
        messaging.broadcast(
            kind=Kind.WEEK,
            source=f"week:{week.pk}",
            subject=f"{week.number}. {week.theme}" if week.theme else f"{pilot}: {week.number}",
            body=body.strip(),
            url=reverse("pilots:home", args=[pilot.slug]),
            recipient_ids=recipient_ids(pilot=pilot),
        )
    week.broadcast_at = now
    return True


@dataclass
class DueReport:
    weeks: int = 0
    announcements: int = 0
    requeued: int = 0
    digests: int = 0
    message_emails: int = 0
    nudges: int = 0


def run_due(*, now: datetime.datetime | None = None) -> DueReport:
    """Do what is due now. Idempotent: a second run, also a concurrent one, sends nothing new.

    Weeks of running pilots whose theme is written go out on their first day (or later that
    week, once staff write the theme); scheduled announcements go out at their time. One item
    that fails is logged and does not hold back the others: the next run tries it again.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = DueReport()
    due_weeks = (
        Week.objects.filter(
            pilot__status=Pilot.Status.RUNNING,
            broadcast_at__isnull=True,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .exclude(theme="")
        .select_related("pilot")
    )
    for week in due_weeks:
        try:
            report.weeks += publish_week(week=week, now=now)
        except Exception:
            logger.exception("Week %s not published; the next run tries again", week.pk)
    due_announcements = (
        Announcement.objects.filter(sent_at__isnull=True, send_at__lte=now)
        .exclude(pilot__status__in=[Pilot.Status.CLOSED, Pilot.Status.ARCHIVED])
        .select_related("pilot")
    )
    for announcement in due_announcements:
        try:
            report.announcements += send_announcement(announcement=announcement, now=now)
        except Exception:
            logger.exception("Announcement %s not sent; the next run tries again", announcement.pk)
    report.requeued = messaging.enqueue(
        older_than=now - datetime.timedelta(seconds=settings.DELIVERY_SWEEP_AFTER)
    )
    report.digests = messaging.send_digests(now=now)
    try:
        report.message_emails = messaging.send_message_emails(now=now)
    except Exception:
        logger.exception("Message e-mails not queued; the next run tries again")
    try:
        report.nudges = send_nudges(now=now)
    except Exception:
        logger.exception("Nudges not sent; the next run tries again")
    return report


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
            context=pilot_context(pilot),
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
        Conversation.objects.filter(
            context=pilot_context(pilot), created_by_id__in=actors
        ).values_list("created_by_id", flat=True)
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


def complete_material(*, material: Material, user: Any, done: bool = True) -> None:
    if done:
        MaterialCompletion.objects.get_or_create(material=material, user=user)
    else:
        MaterialCompletion.objects.filter(material=material, user=user).delete()


def orientation_done(*, pilot: Pilot, user: Any) -> bool:
    """Has the user finished every required, published material of the pilot?"""
    required = Material.objects.filter(pilot=pilot, required=True, is_published=True)
    return not required.exclude(completions__user=user).exists()


def may_start_conversations(*, pilot: Pilot, user: Any) -> bool:
    """Used by messaging: actors of a pilot that requires orientation must finish it first."""
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


# Staff pages -------------------------------------------------------------------------------


@transaction.atomic
def create_pilot(*, pilot: Pilot, creator: Any, logo: ContentFile | None = None) -> Pilot:
    """Save a new pilot (built, not saved, by the caller), make the creator its staff and plan
    its weeks from the dates."""
    if logo is not None:
        pilot.logo.save(logo.name or "logo.jpg", logo, save=False)
    pilot.save()
    add_participant(pilot=pilot, user=creator, role=Role.STAFF)
    plan_weeks(pilot=pilot)
    return pilot


# Apps built on pilots (groups) act when a pilot closes or someone leaves it, e.g. to make
# their conversations read-only. Imports point to pilots, not from it, so they register hooks
# at start-up.
CloseHook = Callable[..., object]
_close_hooks: list[CloseHook] = []


def register_close_hook(hook: CloseHook) -> None:
    """`hook(pilot=...)` runs inside the transaction that closes (or archives) a pilot."""
    if hook not in _close_hooks:
        _close_hooks.append(hook)


_reopen_hooks: list[CloseHook] = []


def register_reopen_hook(hook: CloseHook) -> None:
    """`hook(pilot=...)` runs inside the transaction that opens a closed (or archived) pilot
    again: what the close hooks locked may be unlocked."""
    if hook not in _reopen_hooks:
        _reopen_hooks.append(hook)


RemovalHook = Callable[..., object]
_removal_hooks: list[RemovalHook] = []


def register_removal_hook(hook: RemovalHook) -> None:
    """`hook(pilot=..., user=...)` runs inside the transaction that takes someone out of a
    pilot (remove_participant)."""
    if hook not in _removal_hooks:
        _removal_hooks.append(hook)


@transaction.atomic
def update_pilot(
    *, pilot: Pilot, logo: ContentFile | None = None, remove_logo: bool = False
) -> Pilot:
    """Save the edited pilot. New dates re-plan the weeks; a replaced or removed logo file is
    deleted after commit; closing the pilot runs the registered close hooks, opening a closed
    one again the reopen hooks."""
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
        conversations.lock_context(context=pilot_context(pilot))
        for hook in _close_hooks:
            hook(pilot=pilot)
    elif was_closed and not pilot.is_closed:  # reopened, e.g. closed by mistake
        conversations.unlock_context(context=pilot_context(pilot))
        for hook in _reopen_hooks:
            hook(pilot=pilot)
    old_logo = before["logo"]
    if old_logo and old_logo != pilot.logo.name:
        storage = pilot.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    return pilot


def post_announcement(
    *,
    pilot: Pilot,
    author: Any,
    title: str,
    body: str,
    audience: str,
    send_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Announcement:
    """Save an announcement and send it now unless `send_at` is later (`run_due` sends it then).

    Raises PilotClosed for a closed or archived pilot.
    """
    ensure_open(pilot)
    now = now or timezone.now()
    with transaction.atomic():
        announcement = Announcement.objects.create(
            pilot=pilot, author=author, title=title, body=body, audience=audience, send_at=send_at
        )
        if send_at is None or send_at <= now:
            send_announcement(announcement=announcement, now=now)
    return announcement


# Conversations --------------------------------------------------------------------------------

ALLOWED_PAIRS = {
    frozenset({Role.ACTOR, Role.MENTOR}),
    frozenset({Role.ACTOR}),  # peers
    frozenset({Role.STAFF, Role.ACTOR}),
    frozenset({Role.STAFF, Role.MENTOR}),
    frozenset({Role.STAFF}),
}


def pilot_context(pilot: Pilot) -> str:
    """The label of the pilot's conversations and reports in messaging."""
    return f"pilot:{pilot.pk}"


def _shared_pilots(sender: Any, recipient: Any) -> Iterator[tuple[Pilot, Any]]:
    """The open pilots `sender` shares with `recipient`, the latest first, each with the reason
    `sender` may not start a conversation through it (None: they may)."""
    mine = {
        p.pilot_id: p
        for p in Participation.objects.filter(user=sender).select_related("pilot")
        if not p.pilot.is_closed
    }
    theirs = (
        Participation.objects.filter(user=recipient, pilot_id__in=mine)
        .order_by("-pilot__starts_on", "pilot_id")
        .values_list("pilot_id", "role")
    )
    for pilot_id, their_role in theirs:
        participation = mine[pilot_id]
        pilot = participation.pilot
        if frozenset({participation.role, their_role}) not in ALLOWED_PAIRS:
            yield pilot, _("Mentors talk with actors in this pilot, not with each other.")
        elif (
            participation.role == Role.ACTOR
            and pilot.requires_orientation
            and not orientation_done(pilot=pilot, user=sender)
        ):
            yield pilot, _("Finish the orientation of %(pilot)s first.") % {"pilot": pilot.name}
        else:
            yield pilot, None


def conversation_refusal(sender: Any, recipient: Any) -> Any:
    """messaging's start rule: None if `sender` may start a conversation with `recipient`
    through a pilot they share, else the reason (the most helpful one found)."""
    reason: Any = _("You can write to people who take part in the same pilot as you.")
    for _pilot, refusal in _shared_pilots(sender, recipient):
        if refusal is None:
            return None
        reason = refusal
    return reason


def conversation_contexts(sender: Any, recipient: Any) -> list[SharedContext]:
    """messaging's context provider: the open pilots the two share, each with this week's theme
    if the pilot is running, and whether `sender` may start a conversation through it."""
    shared = list(_shared_pilots(sender, recipient))
    running = [pilot.pk for pilot, _refusal in shared if pilot.status == Pilot.Status.RUNNING]
    themes: dict[int, str] = {}
    if running:
        today = timezone.localdate()
        themes = dict(
            Week.objects.filter(pilot_id__in=running, starts_on__lte=today, ends_on__gte=today)
            .exclude(theme="")
            .values_list("pilot_id", "theme")
        )
    return [
        SharedContext(
            context=pilot_context(pilot),
            name=pilot.name,
            theme=themes.get(pilot.pk, ""),
            may_start=refusal is None,
        )
        for pilot, refusal in shared
    ]


# Moderation ----------------------------------------------------------------------------------

# Apps built on pilots file their own conversations under their own contexts (groups: a loop's
# "group:<id>"); they say which belong to a pilot, so that its staff see those reports too.
ModerationContexts = Callable[[Pilot], Iterable[str]]
_moderation_contexts: list[ModerationContexts] = []


def register_moderation_contexts(hook: ModerationContexts) -> None:
    """`hook(pilot)` returns the contexts of conversations that belong to the pilot."""
    if hook not in _moderation_contexts:
        _moderation_contexts.append(hook)


def moderated_contexts(pilot: Pilot) -> list[str]:
    """The contexts of the reports the pilot's staff moderate."""
    return [
        pilot_context(pilot),
        *(found for hook in _moderation_contexts for found in hook(pilot)),
    ]


def warn(*, pilot: Pilot, report: Report) -> bool:
    """Close the report and tell the reported person, in the app (and by e-mail as they chose),
    that the pilot's staff have looked into a report about them. False if it was closed."""
    with transaction.atomic():
        if not conversations.resolve_report(report=report, outcome=Report.Outcome.WARNED):
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
            source=f"warning:{report.pk}",
            subject=subject,
            body=body,
            url=pilot.get_absolute_url(),
            recipient_ids=[report.reported_user_id],
        )
    return True


@transaction.atomic
def remove_participant(*, pilot: Pilot, user: Any, report: Report | None = None) -> None:
    """Take `user` out of the pilot: the pilot disappears for them, and their direct
    conversations in it become read-only and leave their open sockets. Closes `report`."""
    Participation.objects.filter(pilot=pilot, user=user).delete()
    conversations.leave_context(user=user, context=pilot_context(pilot))
    for hook in _removal_hooks:
        hook(pilot=pilot, user=user)
    if report is not None:
        conversations.resolve_report(report=report, outcome=Report.Outcome.REMOVED)
