"""Delivery: broadcasts become outbox rows, outbox rows become notifications and e-mails.

Guarantees (tested in tests/messaging/):
- `broadcast()` writes the Broadcast and every Delivery row in the caller's transaction; the
  tasks are enqueued only after commit, so a rolled-back transaction sends nothing.
- A source is broadcast once (unique), a recipient gets one row per channel (unique), and an
  in-app notification is unique per user and source: retried or doubled work changes nothing.
- An e-mail row is claimed, sent and marked sent in one short transaction of its own
  (`sending.send_claimed`): a worker killed in between rolls the claim back, so that one
  in-flight mail is the only possible duplicate.
- Temporary SMTP failures are retried with backoff and jitter, a bounded number of times;
  permanent ones are marked failed with the server's answer. The sweeper leaves a row that
  waits for its retry alone until that retry is overdue.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import mailers
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from messaging import events
from messaging.models import Broadcast, Delivery, Notification, NotificationSetting
from messaging.services.emails import render_email
from messaging.services.sending import (
    SendFailed,
    claim_one,
    close_quietly,
    connection_lost,
    describe,
    is_temporary,
    send_claimed,
)
from profiles.models import preferred_language

logger = logging.getLogger(__name__)


def broadcast(
    *,
    kind: str,
    source: str,
    subject: str,
    body: str,
    url: str,
    recipient_ids: Iterable[int],
    context: str = "",
    translations: Mapping[str, tuple[str, str]] | None = None,
) -> Broadcast:
    """Queue `subject`/`body` for every recipient, in the app and by e-mail per their settings;
    `context` files it under what sent it (e.g. a pilot's), for that one's statistics.
    `translations` gives (subject, body) per language code: a recipient whose language has one
    gets it, the others `subject`/`body`.

    Calling it again with the same `source` returns the first broadcast and queues nothing.
    """
    with transaction.atomic():
        item, created = Broadcast.objects.get_or_create(
            source=source,
            defaults={
                "kind": kind,
                "context": context,
                "subject": subject,
                "body": body,
                "url": url,
                "translations": {
                    language: {"subject": text[0], "body": text[1]}
                    for language, text in (translations or {}).items()
                },
            },
        )
        if not created:
            return item
        ids = sorted(set(recipient_ids))
        email_choice = dict(
            NotificationSetting.objects.filter(user_id__in=ids, kind=kind).values_list(
                "user_id", "email"
            )
        )
        pending, digest = Delivery.Status.PENDING, Delivery.Status.DIGEST
        rows = [(uid, Delivery.Channel.IN_APP.value, pending.value) for uid in ids]
        for uid in ids:
            choice = email_choice.get(uid, NotificationSetting.Email.NOW)
            if choice == NotificationSetting.Email.OFF:
                continue
            status = digest if choice == NotificationSetting.Email.DIGEST else pending
            rows.append((uid, Delivery.Channel.EMAIL.value, status.value))
        _insert_deliveries(item, rows)
        # robust: the rows are committed whatever happens here; the sweeper is the safety net.
        transaction.on_commit(lambda: enqueue(broadcast_id=item.pk), robust=True)
    return item


def _insert_deliveries(item: Broadcast, rows: list[tuple[int, str, str]]) -> None:
    """The outbox rows (recipient, channel, status) of a new broadcast.

    On PostgreSQL one INSERT from three arrays, kept for speed (benchmark W5's broadcast: 10,000
    recipients, 20,000 rows): 0.56-0.95 s against 1.8-2.9 s for bulk_create, which spends most
    of it building and preparing model instances (same PostgreSQL, this 2-core machine, three
    runs each, December 2026). Staff wait for this when they press "send now". It sets every
    column: a new NOT NULL field of Delivery must be added here too.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_create(
            [
                Delivery(broadcast=item, recipient_id=uid, channel=channel, status=status)
                for uid, channel, status in rows
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        return
    quote = connection.ops.quote_name
    column = {field.name: str(field.column) for field in Delivery._meta.concrete_fields}
    names = ["broadcast", "recipient", "channel", "status"]
    names += ["attempts", "last_error", "created_at", "updated_at"]
    columns = ", ".join(quote(column[name]) for name in names)
    recipients, channels, statuses = (list(values) for values in zip(*rows, strict=True))
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Delivery._meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
            "SELECT %s, r.recipient, r.channel, r.status, 0, '', %s, %s "
            "FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[]) "
            "AS r(recipient, channel, status) ON CONFLICT DO NOTHING",
            [item.pk, now, now, recipients, channels, statuses],
        )


def retry_ceiling(retries: int) -> float:
    """The longest wait before retry number `retries` + 1: exponential, capped."""
    return float(
        min(settings.DELIVERY_RETRY_MAX_DELAY, settings.DELIVERY_RETRY_BASE_DELAY * 2**retries)
    )


def waited(since: datetime.datetime) -> Q:
    """Rows untouched since `since`; a row that has failed before must also have waited out
    the longest backoff before its next retry (that retry is then overdue, not just due)."""
    waited = Q(attempts=0, updated_at__lt=since)
    last = settings.DELIVERY_MAX_RETRIES + 1
    for attempts in range(1, last + 1):
        delay = datetime.timedelta(seconds=retry_ceiling(attempts - 1))
        waited |= Q(attempts=attempts, updated_at__lt=since - delay)
    delay = datetime.timedelta(seconds=settings.DELIVERY_RETRY_MAX_DELAY)
    return waited | Q(attempts__gt=last, updated_at__lt=since - delay)


def enqueue(*, broadcast_id: int | None = None, older_than: datetime.datetime | None = None) -> int:
    """Send pending rows to the workers in chunks, in-app ones first (they are quick and what
    people see first); returns how many rows were enqueued.

    With `older_than` (the sweeper), only rows left alone since then are taken, and each one
    taken is touched, so a row is re-enqueued at most once per sweep interval however long the
    queue in front of it is.
    """
    from messaging.tasks import deliver  # tasks import this package

    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    if broadcast_id is not None:
        pending = pending.filter(broadcast_id=broadcast_id)
    if older_than is not None:
        pending = pending.filter(waited(older_than))
    by_channel: dict[str, list[int]] = defaultdict(list)
    for pk, channel in pending.order_by("pk").values_list("pk", "channel"):
        by_channel[channel].append(pk)
    sizes = {
        Delivery.Channel.IN_APP: settings.DELIVERY_IN_APP_CHUNK_SIZE,
        Delivery.Channel.EMAIL: settings.DELIVERY_CHUNK_SIZE,
    }
    chunks = [
        ids[start : start + size]
        for channel, size in sizes.items()
        for ids in [by_channel[channel]]
        for start in range(0, len(ids), size)
    ]
    enqueued = 0
    for chunk in chunks:
        try:
            deliver.delay(chunk)
        except (KombuOperationalError, OSError) as error:
            # The broker is away. The rows stay pending and the sweeper enqueues them later.
            left = sum(len(ids) for ids in by_channel.values()) - enqueued
            logger.warning(
                "Broker unavailable, %d deliveries wait for the sweeper: %s", left, error
            )
            break
        if older_than is not None:
            Delivery.objects.filter(pk__in=chunk, status=Delivery.Status.PENDING).update(
                updated_at=timezone.now()
            )
        enqueued += len(chunk)
    return enqueued


@dataclass
class Outcome:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)


def deliver(*, delivery_ids: list[int]) -> Outcome:
    """Work off the given rows that are still pending."""
    pending = Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING)
    outcome = Outcome()
    in_app = list(
        pending.filter(channel=Delivery.Channel.IN_APP)
        .select_related("broadcast")
        .annotate(recipient_language=F("recipient__language"))
        .order_by("pk")
    )
    if in_app:
        _deliver_in_app(in_app)
        outcome.sent += [row.pk for row in in_app]
    email = list(
        pending.filter(channel=Delivery.Channel.EMAIL)
        .select_related("broadcast", "recipient")
        .order_by("pk")
    )
    if email:
        _deliver_email(email, outcome)
    return outcome


def _deliver_in_app(rows: Sequence[Delivery]) -> None:
    now = timezone.now()
    # Each notification is stored in its reader's language (the one they last used the site in).
    texts = {
        row.pk: row.broadcast.in_language(preferred_language(row.recipient_language))  # type: ignore[attr-defined]
        for row in rows
    }
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=row.recipient_id,
                    kind=row.broadcast.kind,
                    source=row.broadcast.source,
                    subject=texts[row.pk].subject,
                    body=texts[row.pk].body,
                    url=row.broadcast.url,
                )
                for row in rows
            ],
            ignore_conflicts=True,
        )
        Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=Delivery.Status.SENT, sent_at=now, updated_at=now, attempts=F("attempts") + 1
        )
        # Those with a page open see it arrive (one cache lookup; nobody online, nothing sent),
        # one event per broadcast and language.
        by_text: defaultdict[tuple[int, str, str], list[int]] = defaultdict(list)
        for row in rows:
            text = texts[row.pk]
            by_text[(row.broadcast_id, text.subject, text.url)].append(row.recipient_id)
        for (_broadcast_id, subject, url), user_ids in by_text.items():
            online = sorted(events.online_user_ids(user_ids))
            if online:
                events.notifications_changed(online, new={"subject": subject, "url": url})


def _deliver_email(rows: list[Delivery], outcome: Outcome) -> None:
    mailer = mailers.default
    is_open = False
    pending = Delivery.Status.PENDING.value
    try:
        for index, row in enumerate(rows):
            if not is_open:
                try:
                    mailer.open()
                except Exception as error:
                    # The server cannot be reached: nothing is known about the recipients,
                    # so every row not yet handled waits for a retry.
                    for waiting in rows[index:]:
                        _record_failure(waiting, error, outcome, temporary=True)
                    return
                is_open = True
            try:
                text = row.broadcast.in_language(row.recipient.preferred_language)
                message = render_email(
                    recipient=row.recipient, subject=text.subject, body=text.body, url=text.url
                )
            except Exception as error:
                _record_failure(row, error, outcome, temporary=False)
                continue
            try:
                sent = send_claimed(
                    mailer, message, functools.partial(claim_one, row.pk, pending), 1
                )
            except SendFailed as failed:
                _record_failure(row, failed.error, outcome)
                if connection_lost(failed.error):
                    close_quietly(mailer)
                    is_open = False
                continue
            if sent:
                outcome.sent.append(row.pk)
    finally:
        close_quietly(mailer)


def _record_failure(
    row: Delivery, error: Exception, outcome: Outcome, *, temporary: bool | None = None
) -> None:
    """Count the attempt; a temporary failure stays pending until its retries run out."""
    if temporary is None:
        temporary = is_temporary(error)
    retry = temporary and row.attempts + 1 <= settings.DELIVERY_MAX_RETRIES
    Delivery.objects.filter(pk=row.pk, status=Delivery.Status.PENDING).update(
        attempts=F("attempts") + 1,
        last_error=describe(error),
        status=Delivery.Status.PENDING if retry else Delivery.Status.FAILED,
        updated_at=timezone.now(),
    )
    (outcome.retry if retry else outcome.failed).append(row.pk)
    logger.warning("Delivery %s %s: %s", row.pk, "will be retried" if retry else "failed", error)


def give_up(*, delivery_ids: list[int]) -> None:
    """Retries are exhausted: mark what is still pending as failed."""
    Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, updated_at=timezone.now()
    )
