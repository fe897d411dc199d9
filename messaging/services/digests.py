"""E-mails that gather several things: the daily digest of what waited for it, and the
"new messages" e-mail that says who wrote in which conversations, never what."""

from __future__ import annotations

import datetime
import functools
import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone, translation

from mentoring.emails import build_email
from messaging import events
from messaging.models import (
    Broadcast,
    Conversation,
    Delivery,
    Kind,
    NotificationSetting,
    Participant,
)
from messaging.models import Message as ConversationMessage
from messaging.services.delivery import enqueue, waited
from messaging.services.sending import (
    SendFailed,
    claim_all,
    close_quietly,
    connection_lost,
    describe,
    is_temporary,
    send_claimed,
)
from profiles.models import User, preferred_language

logger = logging.getLogger(__name__)


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """One e-mail per user with everything waiting for the daily digest (items queued before
    today's DIGEST_HOUR). Returns mails sent. Concurrent runs send each digest once; a failed
    digest is retried by later runs with the deliveries' backoff, a bounded number of times."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    cutoff = local.replace(hour=settings.DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if local < cutoff:
        cutoff -= datetime.timedelta(days=1)
    waiting = (
        Delivery.objects.filter(status=Delivery.Status.DIGEST, created_at__lt=cutoff)
        .filter(Q(attempts=0) | waited(now))  # failed before: after its backoff
        .select_related("broadcast", "recipient")
        .order_by("recipient_id", "pk")
    )
    by_user: dict[int, list[Delivery]] = defaultdict(list)
    for row in waiting:
        by_user[row.recipient_id].append(row)
    if not by_user:
        return 0
    sent = 0
    mailer = mailers.default
    try:
        for rows in by_user.values():
            language = rows[0].recipient.preferred_language
            items = [row.broadcast.in_language(language) for row in rows]
            message = build_email("digest", rows[0].recipient, {"items": items})
            ids = [row.pk for row in rows]
            mine = Delivery.objects.filter(pk__in=ids, status=Delivery.Status.DIGEST)
            try:
                sent += send_claimed(mailer, message, functools.partial(claim_all, mine), len(ids))
            except SendFailed as failed:
                _record_digest_failure(rows, failed.error)
                if connection_lost(failed.error):
                    close_quietly(mailer)
    finally:
        close_quietly(mailer)
    return sent


def _record_digest_failure(rows: list[Delivery], error: Exception) -> None:
    retry = is_temporary(error) and rows[0].attempts + 1 <= settings.DELIVERY_MAX_RETRIES
    Delivery.objects.filter(pk__in=[row.pk for row in rows], status=Delivery.Status.DIGEST).update(
        attempts=F("attempts") + 1,
        last_error=describe(error),
        status=Delivery.Status.DIGEST if retry else Delivery.Status.FAILED,
        updated_at=timezone.now(),
    )
    logger.warning(
        "Digest to %s %s: %s", rows[0].recipient_id, "will be retried" if retry else "failed", error
    )


def _not_emailed() -> QuerySet[ConversationMessage]:
    """Messages of the outer Participant's conversation that they have neither read nor been
    e-mailed about, from someone else, still visible."""
    return ConversationMessage.objects.filter(
        conversation=OuterRef("conversation"),
        id__gt=Greatest(OuterRef("last_read_id"), OuterRef("emailed_up_to_id")),
        deleted_at__isnull=True,
        hidden_at__isnull=True,
    ).exclude(sender=OuterRef("user"))


def send_message_emails(*, now: datetime.datetime | None = None) -> int:
    """Queue one "new messages" e-mail per user whose oldest unread message, not yet in such
    an e-mail, is MESSAGE_EMAIL_DELAY old: who wrote and in which conversations, never what.

    A busy conversation gives one e-mail, not one per message. At most one per user per
    MESSAGE_EMAIL_INTERVAL (per day for digest users, whose e-mail waits for the digest); none
    for users who chose "off" or have a socket open now. The Broadcast's source names the user
    and the interval, so two runs, also concurrent ones, queue it once; the participants'
    `emailed_up_to_id` moves in the same transaction. Returns how many were queued.
    """

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.MESSAGE_EMAIL_DELAY)
    choices = dict(
        NotificationSetting.objects.filter(kind=Kind.MESSAGE).values_list("user_id", "email")
    )
    off = [uid for uid, choice in choices.items() if choice == NotificationSetting.Email.OFF]
    due = (
        Participant.objects.filter(left_at__isnull=True, user__is_active=True)
        .exclude(user_id__in=off)
        .filter(Exists(_not_emailed().filter(created_at__lte=cutoff)))
        .values_list("user_id", flat=True)
        .distinct()
    )
    user_ids = set(due)
    user_ids -= events.online_user_ids(user_ids)
    languages = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "language"))
    queued = 0
    for uid in sorted(user_ids):
        digest = choices.get(uid) == NotificationSetting.Email.DIGEST
        try:
            # Written in the recipient's language: the subject and the lines are stored.
            with translation.override(preferred_language(languages.get(uid, ""))):
                queued += _queue_message_email(uid, now=now, digest=digest)
        except Exception:
            logger.exception("Message e-mail to user %s not queued; the next run tries", uid)
    return queued


def _interval_label(now: datetime.datetime, *, digest: bool) -> str:
    if digest:
        return timezone.localdate(now).strftime("%Y%m%d")
    interval = max(1, settings.MESSAGE_EMAIL_INTERVAL)
    start = int(now.timestamp()) // interval * interval
    return datetime.datetime.fromtimestamp(start, tz=datetime.UTC).strftime("%Y%m%d%H%M")


def _queue_message_email(uid: int, *, now: datetime.datetime, digest: bool) -> bool:
    source = f"messages:{uid}:{_interval_label(now, digest=digest)}"
    if Broadcast.objects.filter(source=source).exists():
        return False  # this interval's e-mail has gone out; the rest waits for the next one
    links = list(
        Participant.objects.filter(user_id=uid, left_at__isnull=True)
        .filter(Exists(_not_emailed()))
        .select_related("conversation")
        .order_by("conversation_id")
    )
    if not links:
        return False
    senders: dict[int, list[str]] = {}
    up_to: dict[int, int] = {}
    for link in links:
        floor = max(link.last_read_id, link.emailed_up_to_id)
        rows = (
            ConversationMessage.objects.filter(
                conversation_id=link.conversation_id,
                pk__gt=floor,
                deleted_at__isnull=True,
                hidden_at__isnull=True,
            )
            .exclude(sender_id=uid)
            .order_by("pk")
            .values_list("pk", "sender__display_name")
        )
        names: list[str] = []
        for pk, name in rows:
            up_to[link.pk] = pk
            name = name or translation.gettext("a deleted user")
            if name not in names:
                names.append(name)
        senders[link.pk] = names
    links = [link for link in links if link.pk in up_to]  # read in the meantime
    if not links:
        return False
    everyone = list(dict.fromkeys(name for names in senders.values() for name in names))
    subject = _message_email_subject(everyone)
    lines = [translation.gettext("You have new messages in the mentoring service:"), ""]
    for link in links:
        conversation: Conversation = link.conversation
        if conversation.kind == Conversation.Kind.GROUP:
            lines.append(
                translation.gettext("- %(names)s in the group %(conversation)s")
                % {"names": ", ".join(senders[link.pk]), "conversation": conversation}
            )
        else:
            lines.append(
                translation.gettext("- %(names)s: %(conversation)s")
                % {"names": ", ".join(senders[link.pk]), "conversation": conversation}
            )
        lines.append(f"  {settings.SITE_URL}{conversation.get_absolute_url()}")
    lines += ["", translation.gettext("The messages themselves are only in the app.")]
    with transaction.atomic():
        item, created = Broadcast.objects.get_or_create(
            source=source,
            defaults={
                "kind": Kind.MESSAGE,
                "subject": subject[:200],
                "body": "\n".join(lines)[:10_000],
                "url": reverse("messaging:conversations"),
            },
        )
        if not created:
            return False  # a concurrent run queued it
        for link in links:
            Participant.objects.filter(pk=link.pk, emailed_up_to_id__lt=up_to[link.pk]).update(
                emailed_up_to_id=up_to[link.pk]
            )
        status = Delivery.Status.DIGEST if digest else Delivery.Status.PENDING
        Delivery.objects.create(
            broadcast=item, recipient_id=uid, channel=Delivery.Channel.EMAIL, status=status
        )
        if not digest:
            transaction.on_commit(lambda: enqueue(broadcast_id=item.pk), robust=True)
    return True


def _message_email_subject(names: list[str]) -> str:
    if len(names) == 1:
        return translation.gettext("New messages from %(name)s") % {"name": names[0]}
    if len(names) == 2:
        return translation.gettext("New messages from %(first)s and %(second)s") % {
            "first": names[0],
            "second": names[1],
        }
    count = len(names) - 1
    return translation.ngettext(
        "New messages from %(name)s and %(count)d other",
        "New messages from %(name)s and %(count)d others",
        count,
    ) % {"name": names[0], "count": count}
