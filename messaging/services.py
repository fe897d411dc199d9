"""Delivery: broadcasts become outbox rows, outbox rows become notifications and e-mails.

Guarantees (tested in tests/messaging/):
- `broadcast()` writes the Broadcast and every Delivery row in the caller's transaction; the
  tasks are enqueued only after commit, so a rolled-back transaction sends nothing.
- A source is broadcast once (unique), a recipient gets one row per channel (unique), and an
  in-app notification is unique per user and source: retried or doubled work changes nothing.
- An e-mail row is claimed, sent and marked sent in one short transaction of its own: a second
  task holding the same row (a sweeper's copy, a redelivered message) waits for the first and
  then finds it sent; a worker killed in between rolls the claim back, so the row is sent again
  and that one in-flight mail is the only possible duplicate.
- Temporary SMTP failures are retried with backoff and jitter, a bounded number of times;
  permanent ones are marked failed with the server's answer. The sweeper leaves a row that
  waits for its retry alone until that retry is overdue.
"""

from __future__ import annotations

import binascii
import contextlib
import datetime
import email.utils
import functools
import logging
import smtplib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.header import Header
from email.message import Message
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import punycode
from kombu.exceptions import OperationalError as KombuOperationalError

from messaging import events
from messaging.models import (
    Broadcast,
    Conversation,
    Delivery,
    Kind,
    Notification,
    NotificationSetting,
    Participant,
)
from messaging.models import Message as ConversationMessage
from profiles.models import User, preferred_language

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
) -> Broadcast:
    """Queue `subject`/`body` for every recipient, in the app and by e-mail per their settings;
    `context` files it under what sent it (e.g. a pilot's), for that one's statistics.

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

    On PostgreSQL one INSERT from three arrays: for a broadcast to thousands it takes a
    fraction of the time of bulk_create, which spends most of it building and preparing model
    instances (benchmark W5); staff wait for this when they press "send now". It sets every
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


def _waited(since: datetime.datetime) -> Q:
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
    from messaging.tasks import deliver  # tasks import this module

    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    if broadcast_id is not None:
        pending = pending.filter(broadcast_id=broadcast_id)
    if older_than is not None:
        pending = pending.filter(_waited(older_than))
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
        pending.filter(channel=Delivery.Channel.IN_APP).select_related("broadcast").order_by("pk")
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


def _deliver_in_app(rows: list[Delivery]) -> None:
    now = timezone.now()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=row.recipient_id,
                    kind=row.broadcast.kind,
                    source=row.broadcast.source,
                    subject=row.broadcast.subject,
                    body=row.broadcast.body,
                    url=row.broadcast.url,
                )
                for row in rows
            ],
            ignore_conflicts=True,
        )
        Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=Delivery.Status.SENT, sent_at=now, updated_at=now, attempts=F("attempts") + 1
        )
        # Those with a page open see it arrive (one cache lookup; nobody online, nothing sent).
        by_broadcast: defaultdict[Broadcast, list[int]] = defaultdict(list)
        for row in rows:
            by_broadcast[row.broadcast].append(row.recipient_id)
        for broadcast, user_ids in by_broadcast.items():
            online = sorted(events.online_user_ids(user_ids))
            if online:
                events.notifications_changed(
                    online, new={"subject": broadcast.subject, "url": broadcast.url}
                )


def is_temporary(error: Exception) -> bool:
    """4xx answers, dropped connections and timeouts are worth retrying; 5xx answers are not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (smtplib.SMTPException, OSError))


def _connection_lost(error: Exception) -> bool:
    """After these the connection is unusable (smtplib closes it itself on a 421 answer)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, (smtplib.SMTPServerDisconnected, OSError))


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for code, message in error.recipients.values()
        )[:500]
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{error.smtp_code} {text}"[:500]
    return f"{type(error).__name__}: {error}"[:500]


@dataclass(frozen=True)
class _ReadyHeader:
    """A header value already encoded (RFC 2047) and folded: the legacy email API takes any
    object with `encode()` as it is, instead of folding the value again for every mail."""

    text: str
    encoded: str

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None) -> str:
        return self.encoded.replace("\n", linesep)

    def __str__(self) -> str:
        return self.text


def _ready(name: str, value: str) -> _ReadyHeader:
    # One line, whatever the value holds: a header cannot carry a line break.
    text = " ".join(value.split())
    if text.isascii() and len(name) + len(text) < 76:
        return _ReadyHeader(text, text)
    charset = "us-ascii" if text.isascii() else "utf-8"
    return _ReadyHeader(text, Header(text, charset, header_name=name).encode())


_ready_once = functools.lru_cache(maxsize=256)(_ready)


def _header_address(address: str) -> str:
    if address.isascii() and "<" not in address:
        return address  # a bare address, the usual recipient
    name, addr = email.utils.parseaddr(address)
    local, _at, domain = addr.rpartition("@")
    if domain and not domain.isascii():
        addr = f"{local}@{punycode(domain)}"
    return email.utils.formataddr((name, addr), charset="utf-8")


_TEXT_HEADERS = [
    ("Content-Type", _ready("Content-Type", 'text/plain; charset="utf-8"')),
    ("MIME-Version", _ready("MIME-Version", "1.0")),
    ("Content-Transfer-Encoding", _ready("Content-Transfer-Encoding", "quoted-printable")),
]


class BroadcastEmail(EmailMessage):
    """A broadcast's plain-text mail, with what `EmailMessage.message()` gives it (subject,
    from, to, date, message id, quoted-printable UTF-8 text), built with the standard
    library's legacy email API, the headers encoded once per broadcast where they can be.
    The modern header registry that Django uses costs most of the CPU time of sending a
    large broadcast (benchmark W5); a one-part text mail does not need it. Every mail backend
    sends it as it sends any EmailMessage."""

    def message(self, *, policy: Any = None) -> Message:  # type: ignore[override]
        msg = Message()
        date = email.utils.formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        headers = [
            *_TEXT_HEADERS,
            ("Subject", _ready_once("Subject", str(self.subject))),
            ("From", _ready_once("From", _header_address(self.from_email))),
            ("To", _ready("To", ", ".join(_header_address(address) for address in self.to))),
            ("Date", _ready("Date", date)),
            ("Message-ID", _ready("Message-ID", email.utils.make_msgid(domain=DNS_NAME))),
        ]
        for name, value in headers:
            msg[name] = value  # type: ignore[assignment]
        msg.set_payload(binascii.b2a_qp(self.body.encode(), istext=True).decode("ascii"))
        return msg


def render_email(*, recipient: Any, subject: str, body: str, url: str) -> EmailMessage:
    """The e-mail of one notification, its frame in the recipient's language (the subject and
    text were written for them, or by staff)."""
    context = {"recipient": recipient, "body": body, "url": url, "site_url": settings.SITE_URL}
    with translation.override(recipient.preferred_language):
        return BroadcastEmail(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
            body=render_to_string("emails/broadcast.txt", context),
            to=[recipient.email],
        )


class _SendFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@functools.cache
def _claim_sql() -> str:
    quote = connection.ops.quote_name
    column = {field.name: quote(str(field.column)) for field in Delivery._meta.concrete_fields}
    return (
        f"UPDATE {quote(Delivery._meta.db_table)} SET {column['status']} = %s, "  # noqa: S608
        f"{column['sent_at']} = %s, {column['updated_at']} = %s, "
        f"{column['attempts']} = {column['attempts']} + 1, {column['last_error']} = '' "
        f"WHERE {column['id']} = %s AND {column['status']} = %s"
    )


def _claim_one(pk: int, status: str) -> int:
    """Mark one row sent if it still has `status`; 1 if it did. Plain SQL: it runs once per
    mail, and building the ORM's UPDATE costs as much as running it (benchmark W5)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(), [Delivery.Status.SENT.value, now, now, pk, status])
        return int(cursor.rowcount)


def _claim_all(rows: QuerySet[Delivery]) -> int:
    now = timezone.now()
    return rows.update(
        status=Delivery.Status.SENT,
        sent_at=now,
        updated_at=now,
        attempts=F("attempts") + 1,
        last_error="",
    )


def _send_claimed(
    mailer: BaseEmailBackend, message: EmailMessage, claim: Callable[[], int], expected: int
) -> bool:
    """Claim the rows of `message` (`claim()` marks them sent), send, commit. False, and
    nothing sent, when fewer than `expected` rows were there to claim: another task has
    them, and waited here for this one's commit. A failed send rolls the claim back and
    raises `_SendFailed`; so does a process killed in the middle of the send."""
    with transaction.atomic():
        if claim() != expected:
            transaction.set_rollback(True)
            return False
        try:
            mailer.send_messages([message])
        except Exception as error:  # classified by the caller, never swallowed
            raise _SendFailed(error) from error
    return True


def _close_quietly(mailer: BaseEmailBackend) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        mailer.close()


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
                message = render_email(
                    recipient=row.recipient,
                    subject=row.broadcast.subject,
                    body=row.broadcast.body,
                    url=row.broadcast.url,
                )
            except Exception as error:
                _record_failure(row, error, outcome, temporary=False)
                continue
            try:
                sent = _send_claimed(
                    mailer, message, functools.partial(_claim_one, row.pk, pending), 1
                )
            except _SendFailed as failed:
                _record_failure(row, failed.error, outcome)
                if _connection_lost(failed.error):
                    _close_quietly(mailer)
                    is_open = False
                continue
            if sent:
                outcome.sent.append(row.pk)
    finally:
        _close_quietly(mailer)


def _record_failure(
    row: Delivery, error: Exception, outcome: Outcome, *, temporary: bool | None = None
) -> None:
    """Count the attempt; a temporary failure stays pending until its retries run out."""
    if temporary is None:
        temporary = is_temporary(error)
    retry = temporary and row.attempts + 1 <= settings.DELIVERY_MAX_RETRIES
    Delivery.objects.filter(pk=row.pk, status=Delivery.Status.PENDING).update(
        attempts=F("attempts") + 1,
        last_error=_describe(error),
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
        .filter(Q(attempts=0) | _waited(now))  # failed before: after its backoff
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
            recipient = rows[0].recipient
            context = {
                "recipient": recipient,
                "items": [row.broadcast for row in rows],
                "site_url": settings.SITE_URL,
            }
            with translation.override(recipient.preferred_language):
                title = translation.gettext("Your daily digest")
                message = EmailMessage(
                    subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{title}",
                    body=render_to_string("emails/digest.txt", context),
                    to=[recipient.email],
                )
            ids = [row.pk for row in rows]
            mine = Delivery.objects.filter(pk__in=ids, status=Delivery.Status.DIGEST)
            try:
                sent += _send_claimed(
                    mailer, message, functools.partial(_claim_all, mine), len(ids)
                )
            except _SendFailed as failed:
                _record_digest_failure(rows, failed.error)
                if _connection_lost(failed.error):
                    _close_quietly(mailer)
    finally:
        _close_quietly(mailer)
    return sent


def _record_digest_failure(rows: list[Delivery], error: Exception) -> None:
    retry = is_temporary(error) and rows[0].attempts + 1 <= settings.DELIVERY_MAX_RETRIES
    Delivery.objects.filter(pk__in=[row.pk for row in rows], status=Delivery.Status.DIGEST).update(
        attempts=F("attempts") + 1,
        last_error=_describe(error),
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


def mark_read(*, user: Any, notification_id: int | None = None) -> int:
    """Mark one notification, or with None all of the user's, as read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    with transaction.atomic():
        count = unread.update(read_at=timezone.now())
        if count:  # the user's other tabs update their badge
            events.notifications_changed([user.pk])
    return count


def set_email_choice(*, user: Any, kind: str, email: str) -> None:
    if kind not in Kind.values or email not in NotificationSetting.Email.values:
        raise ValueError(f"Unknown notification setting {kind}={email}")
    NotificationSetting.objects.update_or_create(user=user, kind=kind, defaults={"email": email})


@dataclass
class DueReport:
    requeued: int = 0
    digests: int = 0
    message_emails: int = 0


def run_due(*, now: datetime.datetime | None = None) -> DueReport:
    """Messaging's scheduled work: the outbox sweeper (rows pending longer than
    DELIVERY_SWEEP_AFTER go to the workers again), the daily digests and the new-message
    e-mails. Idempotent; one part that fails is logged and does not hold back the others."""
    now = now or timezone.now()
    report = DueReport()
    try:
        report.requeued = enqueue(
            older_than=now - datetime.timedelta(seconds=settings.DELIVERY_SWEEP_AFTER)
        )
    except Exception:
        logger.exception("Outbox not swept; the next run tries again")
    try:
        report.digests = send_digests(now=now)
    except Exception:
        logger.exception("Digests not sent; the next run tries again")
    try:
        report.message_emails = send_message_emails(now=now)
    except Exception:
        logger.exception("Message e-mails not queued; the next run tries again")
    return report
