from __future__ import annotations

import datetime
import re
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from mentoring.colours import Brand
from mentoring.validators import validate_clean_text
from profiles.models import Organisation

ACCENT = re.compile(r"#[0-9a-fA-F]{6}\Z")

# A pilot's invitation code: read aloud, typed from a slide or a phone, so no 0/O or 1/I.
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    """A fresh random invitation code (40 bits: guessing is kept out by a rate limit)."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class Role(models.TextChoices):
    ACTOR = "actor", _("Actor (student)")
    MENTOR = "mentor", _("Mentor")
    STAFF = "staff", _("Project staff")


class PilotQuerySet(models.QuerySet["Pilot"]):
    def running(self) -> PilotQuerySet:
        return self.filter(status=Pilot.Status.RUNNING)

    def of_user(self, user: Any) -> PilotQuerySet:
        return self.filter(participations__user=user)


class Pilot(models.Model):
    """A time-boxed speed-mentoring cohort run by a host organisation."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RECRUITING = "recruiting", _("Recruiting")
        RUNNING = "running", _("Running")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    host = models.ForeignKey(
        Organisation,
        verbose_name=_("host organisation"),
        on_delete=models.PROTECT,
        related_name="pilots",
    )
    name = models.CharField(_("name"), max_length=120, validators=[validate_clean_text])
    slug = models.SlugField(_("short name in links"), max_length=60, unique=True)
    description = models.TextField(
        _("description"), max_length=5000, blank=True, validators=[validate_clean_text]
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.DRAFT)
    logo = models.ImageField(_("logo"), upload_to="pilots/", blank=True)
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        default="#0b3d91",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #0b3d91."))],
    )
    actor_term = models.CharField(
        _("word for actors"),
        max_length=40,
        blank=True,
        validators=[validate_clean_text],
        help_text=_("What this pilot calls its students, e.g. “aktori”. Empty: “actor”."),
    )
    requires_orientation = models.BooleanField(
        _("orientation required before conversations"),
        default=False,
        help_text=_("Actors can start conversations only after finishing the required materials."),
    )
    # Anyone signed in who has it joins as an actor (pilots.services.join_with_code); staff
    # rotate it (rotate_join_code) and the old one stops working.
    join_code = models.CharField(
        _("invitation code"),
        max_length=JOIN_CODE_LENGTH,
        unique=True,
        default=new_join_code,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PilotQuerySet.as_manager()

    class Meta:
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="pilot_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pilots:home", args=[self.slug])

    @property
    def accent(self) -> str:
        """The accent colour, safe to put in a style sheet (the default if the stored one isn't)."""
        colour = self.accent_colour or ""
        return colour if ACCENT.fullmatch(colour) else "#0b3d91"

    @property
    def brand(self) -> Brand:
        """The accent's shades with enough contrast for buttons and links (light and dark)."""
        return Brand.of(self.accent)

    @property
    def is_closed(self) -> bool:
        """Closed and archived pilots stay readable; nothing new can be posted in them."""
        return self.status in (self.Status.CLOSED, self.Status.ARCHIVED)

    @property
    def accepts_joining(self) -> bool:
        """People can join while the pilot recruits or runs, not while a draft or after it."""
        return self.status in (self.Status.RECRUITING, self.Status.RUNNING)

    @property
    def join_code_display(self) -> str:
        """The code in two halves, easier to read and type: "ABCD-EFGH"."""
        half = len(self.join_code) // 2
        return f"{self.join_code[:half]}-{self.join_code[half:]}"

    @property
    def context(self) -> str:
        """The label of the pilot's conversations, reports and broadcasts in messaging."""
        return f"pilot:{self.pk}"

    def role_label(self, role: str) -> str:
        """A role as this pilot names it: its own word for actors (e.g. "Aktori", in the
        reader's language as far as staff wrote it), else the usual name."""
        if role == Role.ACTOR and self.actor_term:
            return capfirst(self.actor_term)
        return str(Role(role).label) if role in Role.values else role

    def role_choices(self) -> list[tuple[str, str]]:
        return [(role, self.role_label(role)) for role in Role.values]

    def week_on(self, day: datetime.date) -> Week | None:
        return self.weeks.filter(starts_on__lte=day, ends_on__gte=day).first()

    def current_week(self) -> Week | None:
        return self.week_on(timezone.localdate())


class Participation(models.Model):
    """A person's role in one pilot. A person can take part in several pilots."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role)
    earns_credits = models.BooleanField(_("earns study credits"), default=False)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last active"), null=True, blank=True)
    # The secret in the user's private calendar feed URL; rotating it revokes the old URL.
    calendar_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["pilot", "user"], name="participation_unique"),
        ]
        indexes = [models.Index(fields=["pilot", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.pilot} ({self.role})"


class Invitation(models.Model):
    """An invitation to take part in a pilot, answered through a signed, expiring link."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"), max_length=254)
    name = models.CharField(_("name"), max_length=80, blank=True, validators=[validate_clean_text])
    role = models.CharField(_("role"), max_length=10, choices=Role)
    earns_credits = models.BooleanField(_("earns study credits"), default=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=0)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per person and pilot.
            models.UniqueConstraint(
                "pilot",
                Lower("email"),
                name="invitation_open_unique",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.pilot}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class Week(models.Model):
    """One week of a pilot's plan, with its theme and suggested discussion prompts."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField(_("week"))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    theme = models.CharField(
        _("theme"), max_length=200, blank=True, validators=[validate_clean_text]
    )
    description = models.TextField(
        _("description"), max_length=5000, blank=True, validators=[validate_clean_text]
    )
    prompts = models.TextField(
        _("discussion prompts"),
        max_length=3000,
        blank=True,
        validators=[validate_clean_text],
        help_text=_("One prompt a line."),
    )
    broadcast_at = models.DateTimeField(_("theme sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("week")
        verbose_name_plural = _("weeks")
        ordering = ["pilot", "number"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "number"], name="week_number_unique"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="week_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pilot}: {self.number}. {self.theme}"

    @property
    def prompt_list(self) -> list[str]:
        return [line.strip() for line in self.prompts.splitlines() if line.strip()]

    def is_current(self) -> bool:
        return self.starts_on <= timezone.localdate() <= self.ends_on

    @property
    def source(self) -> str:
        """The label of the week's theme broadcast in messaging (sent once per source)."""
        return f"week:{self.pk}"


class Material(models.Model):
    """Orientation and other material: Markdown text or a video."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        VIDEO = "video", _("Video")

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=200, validators=[validate_clean_text])
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.TEXT)
    body = models.TextField(
        _("text (Markdown)"), max_length=20_000, blank=True, validators=[validate_clean_text]
    )
    video_url = models.URLField(_("video link"), max_length=500, blank=True)
    required = models.BooleanField(_("required before the pilot starts"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["pilot", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class MaterialCompletion(models.Model):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="completions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="material_completions"
    )
    completed_at = models.DateTimeField(_("completed"), default=timezone.now)

    class Meta:
        verbose_name = _("completed material")
        verbose_name_plural = _("completed materials")
        constraints = [
            models.UniqueConstraint(fields=["material", "user"], name="material_completion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ✓ {self.material}"


class Announcement(models.Model):
    """A message from staff to everyone in a pilot or to one role, now or at a set time."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Everyone in the pilot")
        ACTORS = "actor", _("Actors")
        MENTORS = "mentor", _("Mentors")
        STAFF = "staff", _("Project staff")

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="announcements")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_clean_text])
    body = models.TextField(
        _("text (Markdown)"), max_length=10_000, validators=[validate_clean_text]
    )
    audience = models.CharField(_("to"), max_length=10, choices=Audience, default=Audience.EVERYONE)
    send_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("Empty: send now.")
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["send_at"], name="announcement_due", condition=Q(sent_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pilots:announcement", args=[self.pilot.slug, self.pk])

    @property
    def source(self) -> str:
        """The label of the announcement's broadcast in messaging (sent once per source)."""
        return f"announcement:{self.pk}"
