"""What reaches people: in-app notifications, the delivery outbox and notification settings.

Messaging delivers; it does not decide. Another app (pilots) writes a Broadcast (what to say)
and asks `services.broadcast()` to deliver it to a list of users: one Delivery row per recipient
and channel, unique, created in the caller's transaction, worked off by Celery tasks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mentoring.validators import validate_clean_text


class Kind(models.TextChoices):
    """What a notification is about; notification settings are chosen per kind."""

    ANNOUNCEMENT = "announcement", _("Announcements from project staff")
    WEEK = "week", _("The weekly theme")
    INVITATION = "invitation", _("Invitations")


class Broadcast(models.Model):
    """One thing to tell many people, e.g. an announcement or a week's theme."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    # Who asked for it, e.g. "announcement:12": the same source is never broadcast twice.
    source = models.CharField(_("source"), max_length=100, unique=True)
    subject = models.CharField(_("subject"), max_length=200, validators=[validate_clean_text])
    body = models.TextField(_("text"), max_length=10_000, validators=[validate_clean_text])
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


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

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="deliveries")
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
