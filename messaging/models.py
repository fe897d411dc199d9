"""What reaches people: in-app notifications, the delivery outbox and notification settings.

Plus conversations: direct and group conversations, their participants and messages, blocks
and reports.

Messaging delivers; it does not decide. Another app (pilots) writes a Broadcast (what to say)
and asks `services.broadcast()` to deliver it to a list of users: one Delivery row per recipient
and channel, unique, created in the caller's transaction, worked off by Celery tasks.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentoring.validators import validate_clean_text


class Kind(models.TextChoices):
    """What a notification is about; notification settings are chosen per kind."""

    ANNOUNCEMENT = "announcement", _("Announcements from project staff")
    WEEK = "week", _("The weekly theme")
    INVITATION = "invitation", _("Invitations")
    MESSAGE = "message", _("New messages in conversations")
    GROUP = "group", _("Pairs and groups you are added to")


class Broadcast(models.Model):
    """One thing to tell many people, e.g. an announcement or a week's theme."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    # Who asked for it, e.g. "announcement:12": the same source is never broadcast twice.
    source = models.CharField(_("source"), max_length=100, unique=True)
    # What it is filed under, e.g. "pilot:3" for a pilot's announcements and weekly themes:
    # that pilot's staff statistics count its deliveries.
    context = models.CharField(_("context"), max_length=100, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=200, validators=[validate_clean_text])
    body = models.TextField(_("text"), max_length=10_000, validators=[validate_clean_text])
    url = models.CharField(_("link"), max_length=300, blank=True)
    # The subject and text in other languages, {"fi": {"subject": …, "body": …}}: each
    # recipient gets their language's version, else `subject` and `body`.
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject

    def in_language(self, language: str) -> Text:
        """The subject and text to send to a reader of `language`."""
        version = self.translations.get(language)
        if isinstance(version, dict) and version.get("subject"):
            return Text(str(version["subject"]), str(version.get("body", "")), self.url)
        return Text(self.subject, self.body, self.url)


class Text(NamedTuple):
    """What a broadcast says to one reader (as e-mails and digests list it)."""

    subject: str
    body: str
    url: str


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def counts(self) -> dict[str, int]:
        rows = self.values_list("status").annotate(n=models.Count("pk"))
        counts = {status: 0 for status in Delivery.Status.values}
        counts.update(dict(rows))  # type: ignore[arg-type]
        return counts


class Delivery(models.Model):
    """The outbox: one row per recipient and channel of a broadcast."""

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the app")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DIGEST = "digest", _("Waiting for the daily digest")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # No index of its own: the unique constraint below starts with the broadcast and serves
    # its lookups (one index fewer to write per row of a 10,000-person broadcast).
    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "recipient", "channel"], name="delivery_once_per_channel"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "updated_at"],
                name="delivery_open",
                condition=Q(status__in=["pending", "digest"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.broadcast} → {self.recipient} ({self.channel}, {self.status})"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notification; unique per user and source, so a redelivery changes nothing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    source = models.CharField(_("source"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), max_length=10_000, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "source"], name="notification_once_per_source"),
        ]
        indexes = [
            models.Index(
                fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class NotificationSetting(models.Model):
    """How a user wants e-mail about one kind of notification. No row means e-mail now."""

    class Email(models.TextChoices):
        NOW = "now", _("E-mail me right away")
        DIGEST = "digest", _("One e-mail a day (digest)")
        OFF = "off", _("No e-mail, in the app only")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    email = models.CharField(_("e-mail"), max_length=10, choices=Email, default=Email.NOW)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} → {self.email}"


# --- Conversations ------------------------------------------------------------------------


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def of_user(self, user: Any) -> ConversationQuerySet:
        return self.filter(participants__user=user, participants__left_at__isnull=True)


class Conversation(models.Model):
    """A direct conversation between people, or the conversation of a group (a mentoring pair,
    a mentoring group or a discussion group).

    Messaging knows nothing about pilots or groups: whoever creates a conversation decides who
    takes part (Participant rows) and may lock it (`read_only_since`) when its context closes.
    """

    class Kind(models.TextChoices):
        DIRECT = "direct", _("Direct")
        GROUP = "group", _("Group")
        # Two people whom someone else brought together (a mentoring pair): listed as the two,
        # without the blocks and the person actions of a direct conversation.
        PAIR = "pair", _("Pair")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.DIRECT)
    subject = models.CharField(
        _("question or topic"), max_length=200, blank=True, validators=[validate_clean_text]
    )
    tag = models.CharField(_("theme"), max_length=200, blank=True, validators=[validate_clean_text])
    # An opaque label of what the conversation belongs to, e.g. "pilot:3" or "group:12".
    context = models.CharField(_("context"), max_length=100, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("latest message"), null=True, blank=True)
    read_only_since = models.DateTimeField(_("read-only since"), null=True, blank=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-pk"]

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:conversation", args=[self.pk])

    @property
    def is_read_only(self) -> bool:
        return self.read_only_since is not None


class Participant(models.Model):
    """A person in a conversation, with how far they have read."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_links"
    )
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    last_read_id = models.BigIntegerField(_("last message read"), default=0)
    # Messages up to this id have been in a "new messages" e-mail (services.send_message_emails).
    emailed_up_to_id = models.BigIntegerField(_("last message e-mailed about"), default=0)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique"),
        ]
        indexes = [
            models.Index(
                fields=["user", "conversation"],
                name="participant_active",
                condition=Q(left_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.conversation}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # SET_NULL: the messages of a deleted account stay, shown as from "deleted user".
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("message"), max_length=4000, validators=[validate_clean_text])
    # Chosen by the sending client; a resend after a reconnect finds the first message.
    client_id = models.UUIDField(_("client id"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    hidden_at = models.DateTimeField(_("hidden by a moderator"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_id"], name="message_client_id_once"),
        ]
        indexes = [models.Index(fields=["conversation", "id"], name="message_history")]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.conversation_id}"

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class BlockQuerySet(models.QuerySet["Block"]):
    def between(self, first: Any, second: Any) -> BlockQuerySet:
        """Blocks either way between two people (users, ids or `OuterRef`s)."""
        return self.filter(Q(blocker=first, blocked=second) | Q(blocker=second, blocked=first))


class Block(models.Model):
    """`blocker` does not want to hear from `blocked`: no new conversations, no messages."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by"
    )
    created_at = models.DateTimeField(_("blocked"), auto_now_add=True)

    objects = BlockQuerySet.as_manager()

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique"),
            models.CheckConstraint(
                condition=~Q(blocker=models.F("blocked")), name="block_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


class Report(models.Model):
    """A report of a message or a person, for the moderators; it shows that message only."""

    class Reason(models.TextChoices):
        HARASSMENT = "harassment", _("Harassment or bullying")
        INAPPROPRIATE = "inappropriate", _("Inappropriate content")
        SPAM = "spam", _("Spam or advertising")
        OTHER = "other", _("Something else")

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        HIDDEN = "hidden", _("Message hidden")
        WARNED = "warned", _("Person warned")
        REMOVED = "removed", _("Person removed")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reported_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_against"
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    context = models.CharField(_("context"), max_length=100, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason)
    details = models.TextField(
        _("details"), max_length=1000, blank=True, validators=[validate_clean_text]
    )
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome, default=Outcome.OPEN)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.reported_user}"

    @property
    def warning_source(self) -> str:
        """The label of the warning broadcast to the reported person (sent once per report)."""
        return f"warning:{self.pk}"
