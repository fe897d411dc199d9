"""Groups: the pairs, mentoring groups and discussion groups of a pilot, each with one
conversation (a messaging Conversation of kind GROUP, context "group:<id>")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentoring.validators import validate_clean_text
from messaging.models import Conversation
from pilots.models import Pilot

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class GroupQuerySet(models.QuerySet["Group"]):
    def active(self) -> GroupQuerySet:
        return self.filter(archived_at__isnull=True)


class Group(models.Model):
    """A group: a pair, a mentoring group or a discussion group inside one pilot."""

    class Kind(models.TextChoices):
        PAIR = "pair", _("Pair")
        MENTORING = "mentoring", _("Mentoring group")
        DISCUSSION = "discussion", _("Discussion group")

    class Mode(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual: a mentor with an actor")
        REVERSE = "reverse", _("Reverse: the actor mentors the professional")
        PEER = "peer", _("Peer: two actors")
        GROUP = "group", _("Group: mentors with several actors")

    PAIR_MODES = (Mode.INDIVIDUAL, Mode.REVERSE, Mode.PEER)

    # Each mode, and the discussion group (which has none), in one sentence for participants:
    # wherever a group's kind or mode shows, `explanation` says what it means.
    EXPLANATIONS: dict[str, StrOrPromise] = {
        Mode.INDIVIDUAL: _(
            "An individual pair: a mentor from working life and a student talk one to one "
            "about the student's questions."
        ),
        Mode.REVERSE: _(
            "A reverse pair: the student mentors the professional on something the student "
            "knows well, such as digital tools."
        ),
        Mode.PEER: _("A peer pair: two students mentor each other as equals."),
        Mode.GROUP: _(
            "A mentoring group: one or more mentors with several students, around shared questions."
        ),
        Kind.DISCUSSION: _(
            "A discussion group: a topic space of the pilot where everyone in it may ask and "
            "answer."
        ),
    }

    pilot = models.ForeignKey(
        Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="groups"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode, blank=True)
    name = models.CharField(_("name"), max_length=120, validators=[validate_clean_text])
    description = models.TextField(
        _("description"), max_length=2000, blank=True, validators=[validate_clean_text]
    )
    is_open = models.BooleanField(
        _("open to join"),
        default=False,
        help_text=_("Discussion groups only: anyone in the pilot may join."),
    )
    conversation = models.OneToOneField(
        Conversation,
        verbose_name=_("conversation"),
        on_delete=models.PROTECT,
        related_name="group",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["pilot", "kind", "name", "pk"]
        constraints = [
            # Pairs have one of the three pair modes, mentoring groups the group mode,
            # discussion groups none.
            models.CheckConstraint(
                condition=Q(kind="pair", mode__in=["individual", "reverse", "peer"])
                | Q(kind="mentoring", mode="group")
                | Q(kind="discussion", mode=""),
                name="group_mode_fits_kind",
            ),
            models.CheckConstraint(
                condition=Q(is_open=False) | Q(kind="discussion"),
                name="group_only_discussions_open",
            ),
        ]
        indexes = [models.Index(fields=["pilot", "kind"], name="group_pilot_kind")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", args=[self.pk])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_pair(self) -> bool:
        return self.kind == self.Kind.PAIR

    @property
    def is_discussion(self) -> bool:
        return self.kind == self.Kind.DISCUSSION

    @property
    def context(self) -> str:
        """The label of the group's conversation in messaging."""
        return f"group:{self.pk}"

    @property
    def explanation(self) -> StrOrPromise:
        """What the group's mode (or a discussion group) means, in one sentence."""
        return self.EXPLANATIONS[self.mode or self.kind]


class GroupMemberQuerySet(models.QuerySet["GroupMember"]):
    def in_role_order(self) -> GroupMemberQuerySet:
        """Mentors first, then mentees, members and moderators, each by name."""
        order = models.Case(
            *(
                models.When(role=role, then=models.Value(rank))
                for rank, role in enumerate(["mentor", "mentee", "member", "moderator"])
            ),
            output_field=models.IntegerField(),
        )
        return self.order_by(order, "user__display_name", "pk")


class GroupMember(models.Model):
    class Role(models.TextChoices):
        MENTOR = "mentor", _("Mentor")
        MENTEE = "mentee", _("Mentee")
        MEMBER = "member", _("Member")
        MODERATOR = "moderator", _("Moderator")

    group = models.ForeignKey(
        Group, verbose_name=_("group"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="group_memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)

    objects = GroupMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["group", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_member_unique"),
        ]
        indexes = [models.Index(fields=["user", "group"], name="group_member_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role})"

    @property
    def notice_source(self) -> str:
        """The broadcast source of the notice that tells the member they are in the group:
        once per membership (someone taken out and added again hears of it again)."""
        return f"group-member:{self.pk}"
