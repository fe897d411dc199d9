"""Conversation state changes: start, send, edit, delete, read, block, report.

Views, the WebSocket consumer and tasks all call these. Callers reach a conversation through
`messaging.access.get_conversation_for_participant` first; the services check again what they
need (membership, read-only, blocks, rate limits) so no caller can skip a rule.
Live events go out only after the database commit (messaging/events.py).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from messaging import events
from messaging.models import Block, Conversation, Message, Participant, Report


class MessagingError(Exception):
    """A refused action, with a message for the person who tried it."""

    code = "refused"

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


class NotAllowed(MessagingError):
    code = "not_allowed"


class ReadOnly(MessagingError):
    code = "read_only"


class RateLimited(MessagingError):
    code = "rate_limited"


# Who may start a conversation with whom is decided by the apps that group people (pilots):
# each registered rule returns None to allow, or the reason to refuse.
StartRule = Callable[[Any, Any], "str | Promise | None"]
_start_rules: list[StartRule] = []


def register_start_rule(rule: StartRule) -> None:
    if rule not in _start_rules:
        _start_rules.append(rule)


def is_blocked_between(first: Any, second: Any) -> bool:
    return Block.objects.filter(
        Q(blocker=first, blocked=second) | Q(blocker=second, blocked=first)
    ).exists()


def check_may_start(*, sender: Any, recipient: Any) -> None:
    if sender.pk == recipient.pk:
        raise NotAllowed(_("You cannot start a conversation with yourself."))
    if not recipient.is_active:
        raise NotAllowed(_("This person is no longer in the service."))
    if is_blocked_between(sender, recipient):
        raise NotAllowed(_("You cannot write to this person."))
    if not _start_rules:
        raise NotAllowed(_("You can write to people who take part in the same pilot as you."))
    for rule in _start_rules:
        reason = rule(sender, recipient)
        if reason is not None:
            raise NotAllowed(reason)


@transaction.atomic
def start_direct(
    *, sender: Any, recipient: Any, subject: str, tag: str = "", context: str = ""
) -> Conversation:
    """A new one-to-one conversation about one concrete question."""
    check_may_start(sender=sender, recipient=recipient)
    conversation = Conversation.objects.create(
        kind=Conversation.Kind.DIRECT, subject=subject, tag=tag, context=context, created_by=sender
    )
    Participant.objects.bulk_create(
        [
            Participant(conversation=conversation, user=sender),
            Participant(conversation=conversation, user=recipient),
        ]
    )
    events.joined(conversation_id=conversation.pk, user_ids=[sender.pk, recipient.pk])
    return conversation


@transaction.atomic
def create_group_conversation(
    *, subject: str, context: str, member_ids: Iterable[int]
) -> Conversation:
    conversation = Conversation.objects.create(
        kind=Conversation.Kind.GROUP, subject=subject, context=context
    )
    set_participants(conversation=conversation, user_ids=member_ids)
    return conversation


@transaction.atomic
def set_participants(*, conversation: Conversation, user_ids: Iterable[int]) -> None:
    """Make exactly `user_ids` the active participants; removals take effect on open sockets."""
    wanted = set(user_ids)
    links = {
        p.user_id: p
        for p in Participant.objects.select_for_update().filter(conversation=conversation)
    }
    now = timezone.now()
    joined = [uid for uid in wanted if uid not in links or links[uid].left_at is not None]
    left = [uid for uid, link in links.items() if uid not in wanted and link.left_at is None]
    Participant.objects.bulk_create(
        [Participant(conversation=conversation, user_id=uid) for uid in joined if uid not in links]
    )
    Participant.objects.filter(
        conversation=conversation, user_id__in=[uid for uid in joined if uid in links]
    ).update(left_at=None, joined_at=now)
    Participant.objects.filter(conversation=conversation, user_id__in=left).update(left_at=now)
    if joined:
        events.joined(conversation_id=conversation.pk, user_ids=joined)
    if left:
        events.left(conversation_id=conversation.pk, user_ids=left)


def lock(*, conversation: Conversation) -> None:
    """Read-only from now on (a closed pilot, an archived group)."""
    Conversation.objects.filter(pk=conversation.pk, read_only_since__isnull=True).update(
        read_only_since=timezone.now()
    )


def _check_rate(user: Any) -> None:
    """A fixed window per user in the shared cache: at most N messages per window."""
    window = settings.MESSAGE_RATE_WINDOW
    key = f"msg-rate:{user.pk}:{int(timezone.now().timestamp() // window)}"
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window * 2)
        count = 1
    if count > settings.MESSAGE_RATE_LIMIT:
        raise RateLimited(_("You are sending messages too fast. Wait a moment and try again."))


def _active_participant(conversation: Conversation, user: Any) -> Participant:
    link = Participant.objects.filter(
        conversation=conversation, user=user, left_at__isnull=True
    ).first()
    if link is None:
        raise NotAllowed(_("You are not in this conversation."))
    return link


def _check_may_write(conversation: Conversation, sender: Any) -> None:
    if conversation.is_read_only:
        raise ReadOnly(_("This conversation is read-only now."))
    if conversation.kind == Conversation.Kind.DIRECT:
        others = Participant.objects.filter(conversation=conversation).exclude(user=sender)
        if Block.objects.filter(
            Q(blocker=sender, blocked__in=others.values("user"))
            | Q(blocker__in=others.values("user"), blocked=sender)
        ).exists():
            raise NotAllowed(_("You cannot write to this person."))


def send_message(
    *, sender: Any, conversation: Conversation, body: str, client_id: uuid.UUID
) -> tuple[Message, bool]:
    """Store a message once per (sender, client_id); returns it and whether it is new."""
    existing = Message.objects.filter(sender=sender, client_id=client_id).first()
    if existing is not None:
        if existing.conversation_id != conversation.pk:
            raise NotAllowed(_("This message id was already used."))
        return existing, False
    _active_participant(conversation, sender)
    _check_may_write(conversation, sender)
    _check_rate(sender)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation, sender=sender, body=body, client_id=client_id
            )
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message_at=message.created_at
            )
            Participant.objects.filter(conversation=conversation, user=sender).update(
                last_read_id=message.pk
            )
            events.message_created(message)
    except IntegrityError:
        # The same client id raced in from another socket or tab: the first one won.
        return Message.objects.get(sender=sender, client_id=client_id), False
    return message, True


def _own_recent_message(user: Any, message: Message) -> None:
    if message.sender_id != user.pk or not message.is_visible:
        raise NotAllowed(_("You can only change your own messages."))
    window = datetime.timedelta(seconds=settings.MESSAGE_EDIT_WINDOW)
    if timezone.now() - message.created_at > window:
        raise NotAllowed(_("Messages can be changed only for a while after sending."))
    if message.conversation.is_read_only:
        raise ReadOnly(_("This conversation is read-only now."))


@transaction.atomic
def edit_message(*, user: Any, message: Message, body: str) -> Message:
    _own_recent_message(user, message)
    message.body = body
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "edited_at"])
    events.message_changed(message)
    return message


@transaction.atomic
def delete_message(*, user: Any, message: Message) -> Message:
    _own_recent_message(user, message)
    message.deleted_at = timezone.now()
    message.save(update_fields=["deleted_at"])
    events.message_changed(message)
    return message


def mark_read(*, user: Any, conversation: Conversation, up_to_id: int | None = None) -> int:
    """Move the user's read marker forward (never back); returns the new marker."""
    latest = conversation.messages.order_by("-pk").values_list("pk", flat=True).first() or 0
    target = latest if up_to_id is None else min(up_to_id, latest)
    updated = Participant.objects.filter(
        conversation=conversation, user=user, last_read_id__lt=target
    ).update(last_read_id=target)
    if updated:
        events.read(user_id=user.pk, conversation_id=conversation.pk, last_read_id=target)
    return target


def unread_counts(*, user: Any) -> dict[int, int]:
    """Unread messages per conversation of the user, in one query."""
    rows = (
        Message.objects.filter(
            conversation__participants__user=user,
            conversation__participants__left_at__isnull=True,
            id__gt=F("conversation__participants__last_read_id"),
            deleted_at__isnull=True,
            hidden_at__isnull=True,
        )
        .exclude(sender=user)
        .values("conversation_id")
        .annotate(n=Count("pk"))
    )
    return {row["conversation_id"]: row["n"] for row in rows}


def history(
    *,
    conversation: Conversation,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Message]:
    """Messages after `after_id` (a reconnecting client resyncs), or the `limit` before
    `before_id` (loading older ones), oldest first."""
    messages = conversation.messages.select_related("sender")
    if after_id is not None:
        return list(messages.filter(pk__gt=after_id).order_by("pk")[:limit])
    if before_id is not None:
        messages = messages.filter(pk__lt=before_id)
    return list(reversed(messages.order_by("-pk")[:limit]))


def block(*, blocker: Any, blocked: Any) -> None:
    if blocker.pk == blocked.pk:
        raise NotAllowed(_("You cannot block yourself."))
    Block.objects.get_or_create(blocker=blocker, blocked=blocked)


def unblock(*, blocker: Any, blocked: Any) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


def report(
    *,
    reporter: Any,
    reported_user: Any,
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
