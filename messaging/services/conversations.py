"""Conversation state changes: start, send, edit, delete, read, block (reports and hiding a
message: `reports.py`).

Views, the WebSocket consumer and tasks all call these. Callers reach a conversation through
`messaging.access.get_conversation_for_participant` first; the services check again what they
need (membership, read-only, blocks, rate limits) so no caller can skip a rule.
Live events go out only after the database commit (messaging/events.py).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Value
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from mentoring import ratelimit
from mentoring.errors import UserError
from messaging import events
from messaging.models import (
    Block,
    Conversation,
    Kind,
    Message,
    Notification,
    Participant,
)
from profiles.models import User, preferred_language

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class MessagingError(UserError):
    """A refused action in a conversation."""


class NotAllowed(MessagingError):
    code = "not_allowed"


class ReadOnly(MessagingError):
    code = "read_only"


class RateLimited(MessagingError):
    code = "rate_limited"


def is_blocked_between(first: User, second: User) -> bool:
    return Block.objects.between(first, second).exists()


def check_may_start(*, sender: User, recipient: User) -> None:
    """Messaging's own rules for a new conversation; who may talk to whom at all is decided by
    the app that starts it (pilots) before it calls `start_conversation`."""
    if sender.pk == recipient.pk:
        raise NotAllowed(_("You cannot start a conversation with yourself."))
    if not recipient.is_active:
        raise NotAllowed(_("This person is no longer in the service."))
    if is_blocked_between(sender, recipient):
        raise NotAllowed(_("You cannot write to this person."))


def start_refusals(*, sender: User, recipient_ids: Iterable[int]) -> dict[int, StrOrPromise]:
    """`check_may_start` for many people at once, in one query (a page of profile cards): the
    ones messaging refuses, each with why."""
    ids = set(recipient_ids)
    refused: dict[int, StrOrPromise] = {}
    if sender.pk in ids:
        refused[sender.pk] = _("You cannot start a conversation with yourself.")
        ids.discard(sender.pk)
    if not ids:
        return refused
    blocked = Exists(Block.objects.between(sender, OuterRef("pk")))
    rows = (
        User.objects.filter(pk__in=ids)
        .filter(Q(is_active=False) | blocked)
        .values_list("pk", "is_active")
    )
    for pk, is_active in rows:
        refused[pk] = (
            _("You cannot write to this person.")
            if is_active
            else _("This person is no longer in the service.")
        )
    return refused


@transaction.atomic
def start_direct(
    *, sender: User, recipient: User, subject: str, tag: str = "", context: str = ""
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


def started_with(*, starter: User, client_id: uuid.UUID) -> Conversation | None:
    """The conversation `starter` already started with this client id (a form posted again)."""
    first = Message.objects.filter(sender=starter, client_id=client_id).first()
    return first.conversation if first is not None else None


def start_conversation(
    *,
    starter: User,
    recipient: User,
    subject: str,
    body: str,
    client_id: uuid.UUID,
    context: str = "",
    tag: str = "",
) -> Conversation:
    """Start a direct conversation about `subject` with its first message, filed under
    `context` (whose staff moderate it) and tagged with `tag` (e.g. the week's theme). The
    caller has decided that the two may talk; messaging checks its own rules (blocks, an
    active recipient, rate limits).

    Idempotent per (starter, client_id): a form posted twice starts one conversation.
    """
    started = started_with(starter=starter, client_id=client_id)
    if started is not None:
        return started
    try:
        with transaction.atomic():
            conversation = start_direct(
                sender=starter, recipient=recipient, subject=subject, tag=tag, context=context
            )
            send_message(sender=starter, conversation=conversation, body=body, client_id=client_id)
            return conversation
    except NotAllowed:
        # The same form posted twice at once: the other request stored the first message
        # (in a conversation of its own), this one rolled back. Both lead to that one.
        started = started_with(starter=starter, client_id=client_id)
        if started is None:
            raise
        return started


@transaction.atomic
def create_group_conversation(
    *,
    subject: str,
    context: str,
    member_ids: Iterable[int],
    kind: str = Conversation.Kind.GROUP,
) -> Conversation:
    """A conversation whose participants the caller sets (a group's, or with kind PAIR a pair's
    that someone formed for its two)."""
    if kind == Conversation.Kind.DIRECT:
        raise ValueError("Direct conversations are started with start_direct.")
    conversation = Conversation.objects.create(kind=kind, subject=subject, context=context)
    set_participants(conversation=conversation, user_ids=member_ids)
    return conversation


@transaction.atomic
def post_introduction(*, conversation: Conversation, author: User, body: str) -> Message:
    """The first message of a group's conversation, written by whoever formed the group (its
    project staff), who need not take part in it. No notification of its own, nor a "new
    messages" e-mail: the caller tells the members that they are in the group."""
    check_writable(conversation)
    now = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    message = Message.objects.create(
        conversation=conversation,
        sender=author,
        body=body[: Message._meta.get_field("body").max_length],
        client_id=uuid.uuid4(),
        created_at=now,
    )
    Participant.objects.filter(conversation=conversation, emailed_up_to_id__lt=message.pk).update(
        emailed_up_to_id=message.pk
    )
    events.message_created(message)
    return message


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


def lock_all(conversations: QuerySet[Conversation]) -> int:
    """These conversations are read-only from now on (a closed pilot, an archived group);
    how many were not yet."""
    return conversations.filter(read_only_since__isnull=True).update(read_only_since=timezone.now())


def unlock_all(conversations: QuerySet[Conversation]) -> int:
    """Undo lock_all (the pilot is open again); how many."""
    return conversations.filter(read_only_since__isnull=False).update(read_only_since=None)


def lock(*, conversation: Conversation) -> None:
    lock_all(Conversation.objects.filter(pk=conversation.pk))


def lock_context(*, context: str) -> int:
    """Every conversation filed under `context` becomes read-only (its pilot has closed)."""
    return lock_all(Conversation.objects.filter(context=context))


def unlock_context(*, context: str) -> int:
    """Undo lock_context, except for the direct conversations someone has left (removed from
    the pilot: leave_context locked them for the other person)."""
    left = Participant.objects.filter(conversation=OuterRef("pk"), left_at__isnull=False)
    return unlock_all(Conversation.objects.filter(context=context).exclude(Exists(left)))


def _check_rate(user: User) -> None:
    """At most MESSAGE_RATE_LIMIT messages per MESSAGE_RATE_WINDOW seconds per person, counted
    in the shared cache; a cache that is down lets the message through (it is stored)."""
    taken = ratelimit.take(
        "message", user.pk, limit=settings.MESSAGE_RATE_LIMIT, window=settings.MESSAGE_RATE_WINDOW
    )
    if taken is None:
        raise RateLimited(_("You are sending messages too fast. Wait a moment and try again."))


def check_writable(conversation: Conversation) -> None:
    """Raises ReadOnly when nothing new may be written in the conversation (its pilot or group
    has closed, or someone has left it)."""
    if conversation.is_read_only:
        raise ReadOnly(_("This conversation is read-only now."))


def _recipients(conversation: Conversation, sender: User) -> dict[int, str]:
    """The other active participants, whom `sender` may write to now, with the language to
    notify each in, in one query. Raises ReadOnly, or NotAllowed when either of a direct
    conversation's two has blocked the other."""
    check_writable(conversation)
    others = Participant.objects.filter(conversation=conversation, left_at__isnull=True).exclude(
        user=sender
    )
    if conversation.kind == Conversation.Kind.DIRECT:
        blocked = Block.objects.between(sender, OuterRef("user"))
        others = others.annotate(blocked=Exists(blocked))
    else:
        others = others.annotate(blocked=Value(False))
    rows = list(others.values_list("user_id", "user__language", "blocked"))
    if any(blocked for _user_id, _language, blocked in rows):
        raise NotAllowed(_("You cannot write to this person."))
    return {user_id: preferred_language(language) for user_id, language, _b in rows}


def send_message(
    *, sender: User, conversation: Conversation, body: str, client_id: uuid.UUID
) -> tuple[Message, bool]:
    """Store a message once per (sender, client_id); returns it and whether it is new.

    Built for the socket's hot path: the checks cost one query and one cache round trip, the
    write one transaction; a resend (its client id is taken) is recognised only when the
    write or a check fails, and answered with the stored message.
    """
    try:
        recipients = _recipients(conversation, sender)
        _check_rate(sender)
        with transaction.atomic():
            # The conversation's row first: its lock makes concurrent senders take their
            # message ids in the order they commit, so a client that asks for what came
            # "after" the last id it saw never skips one.
            now = timezone.now()
            Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
            message = Message.objects.create(
                conversation=conversation,
                sender=sender,
                body=body,
                client_id=client_id,
                created_at=now,
            )
            # The sender has read their own message; no row to update: not (or no longer) in it.
            if not Participant.objects.filter(
                conversation=conversation, user=sender, left_at__isnull=True
            ).update(last_read_id=message.pk):
                raise NotAllowed(_("You are not in this conversation."))
            _notify_offline(conversation, sender, recipients)
            events.message_created(message)
    except (MessagingError, IntegrityError):
        # A resend of a message already stored: the same client id from this sender (also
        # one racing in from another socket or tab: the first one won).
        existing = Message.objects.filter(sender=sender, client_id=client_id).first()
        if existing is None:
            raise
        if existing.conversation_id != conversation.pk:
            raise NotAllowed(_("This message id was already used.")) from None
        return existing, False
    return message, True


def notification_source(conversation_id: int) -> str:
    """The source of a user's one "new messages" notification about a conversation."""
    return f"conversation:{conversation_id}"


def _notify_offline(conversation: Conversation, sender: User, recipients: dict[int, str]) -> None:
    """Recipients without an open socket get one in-app notification per conversation, in
    their own language: a new message updates the unread one (or brings back a read one)
    instead of adding rows. Online participants get nothing more, their socket shows the
    message. No message text."""
    offline = sorted(set(recipients) - events.online_user_ids(recipients))
    if not offline:
        return
    subjects: dict[str, str] = {}
    for language in {recipients[uid] for uid in offline}:
        with translation.override(language):
            if conversation.kind == Conversation.Kind.GROUP:
                subject = _("New messages in %(conversation)s") % {"conversation": conversation}
            else:
                subject = _("New message from %(name)s") % {"name": sender.display_name}
            subjects[language] = str(subject)[:200]
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                kind=Kind.MESSAGE,
                source=notification_source(conversation.pk),
                subject=subjects[recipients[uid]],
                url=conversation.get_absolute_url(),
                created_at=now,
            )
            for uid in offline
        ],
        update_conflicts=True,
        unique_fields=["user", "source"],
        update_fields=["subject", "url", "created_at", "read_at"],
    )


def check_may_change(*, user: User, message: Message) -> None:
    """Raises NotAllowed or ReadOnly unless `user` may still edit or delete `message`."""
    if message.sender_id != user.pk or not message.is_visible:
        raise NotAllowed(_("You can only change your own messages."))
    window = datetime.timedelta(seconds=settings.MESSAGE_EDIT_WINDOW)
    if timezone.now() - message.created_at > window:
        raise NotAllowed(_("Messages can be changed only for a while after sending."))
    check_writable(message.conversation)


@transaction.atomic
def edit_message(*, user: User, message: Message, body: str) -> Message:
    check_may_change(user=user, message=message)
    message.body = body
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "edited_at"])
    events.message_changed(message)
    return message


@transaction.atomic
def delete_message(*, user: User, message: Message) -> Message:
    check_may_change(user=user, message=message)
    message.deleted_at = timezone.now()
    message.save(update_fields=["deleted_at"])
    events.message_changed(message)
    return message


def mark_read(*, user: User, conversation: Conversation, up_to_id: int | None = None) -> int:
    """Move the user's read marker forward (never back); returns the new marker."""
    latest = conversation.messages.order_by("-pk").values_list("pk", flat=True).first() or 0
    target = latest if up_to_id is None else min(up_to_id, latest)
    updated = Participant.objects.filter(
        conversation=conversation, user=user, last_read_id__lt=target
    ).update(last_read_id=target)
    if updated:
        events.read(user_id=user.pk, conversation_id=conversation.pk, last_read_id=target)
    # The notification came with a message after the marker: all read now, so it is read too.
    if (
        updated
        and target >= latest
        and Notification.objects.filter(
            user=user, source=notification_source(conversation.pk), read_at__isnull=True
        ).update(read_at=timezone.now())
    ):
        events.notifications_changed([user.pk])
    return target


def unread_messages(*, user: User) -> QuerySet[Message]:
    """The user's unread messages: in their conversations, after their read marker, from
    someone else, neither deleted nor hidden."""
    return Message.objects.filter(
        conversation__participants__user=user,
        conversation__participants__left_at__isnull=True,
        id__gt=F("conversation__participants__last_read_id"),
        deleted_at__isnull=True,
        hidden_at__isnull=True,
    ).exclude(sender=user)


def unread_counts(*, user: User) -> dict[int, int]:
    """Unread messages per conversation of the user, in one query."""
    return {pk: n for pk, (n, _latest) in unread_state(user=user).items()}


def unread_state(*, user: User) -> dict[int, tuple[int, int]]:
    """Per conversation of the user: (unread messages, the id of the newest of them), in one
    query. The socket sends both, so a client can tell whether a "message.new" it gets next
    is already counted (a new conversation's first message arrives right after a snapshot)."""
    rows = (
        unread_messages(user=user)
        .values("conversation_id")
        .annotate(n=Count("pk"), latest=Max("pk"))
        .order_by()
    )
    return {row["conversation_id"]: (row["n"], row["latest"]) for row in rows}


def history(
    *,
    conversation: Conversation,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Message]:
    """Messages after `after_id` (a reconnecting client resyncs), or the `limit` before
    `before_id` (loading older ones), oldest first."""
    messages = conversation.messages.select_related("sender__profile")
    if after_id is not None:
        return list(messages.filter(pk__gt=after_id).order_by("pk")[:limit])
    if before_id is not None:
        messages = messages.filter(pk__lt=before_id)
    return list(reversed(messages.order_by("-pk")[:limit]))


def block(*, blocker: User, blocked: User) -> None:
    if blocker.pk == blocked.pk:
        raise NotAllowed(_("You cannot block yourself."))
    Block.objects.get_or_create(blocker=blocker, blocked=blocked)


def unblock(*, blocker: User, blocked: User) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


@transaction.atomic
def leave_context(*, user: User, context: str) -> None:
    """`user` is out of `context` (removed from a pilot): their direct conversations in it
    become read-only, and they leave them, which takes effect on their open sockets too."""
    direct = Conversation.objects.of_user(user).filter(
        context=context, kind=Conversation.Kind.DIRECT
    )
    ids = list(direct.values_list("pk", flat=True))
    if not ids:
        return
    lock_all(Conversation.objects.filter(pk__in=ids))
    Participant.objects.filter(conversation_id__in=ids, user=user).update(left_at=timezone.now())
    for conversation_id in ids:
        events.left(conversation_id=conversation_id, user_ids=[user.pk])
