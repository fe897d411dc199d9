"""Invitations: staff invite one person (or many: `csv_import`); the invited person follows a
signed, expiring link to sign up (verified by that link) or to join with an existing account.

Services here are the only way invitations change; views, tasks and the admin call them.
E-mails are enqueued after commit (`pilots.tasks.send_invitation`), so a rolled-back
transaction sends nothing. The views apply the rate limit (`mentoring.ratelimit`).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from mentoring.emails import build_email
from mentoring.errors import UserError
from pilots.models import Invitation, Participation, Pilot, Role
from pilots.services import add_participant
from profiles.models import Profile, User
from profiles.services import create_user

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

SALT = "pilots.invitation"
NAME_MAX = 80
EMAIL_MAX = 254

# The kind of profile a new account made from an invitation starts with.
PROFILE_KIND = {
    Role.ACTOR: Profile.Kind.STUDENT,
    Role.MENTOR: Profile.Kind.PROFESSIONAL,
    Role.STAFF: Profile.Kind.PROFESSIONAL,
}


def max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


# --- Errors -------------------------------------------------------------------------------


class InvitationError(UserError):
    """A refused invitation action; `message` tells the person why, in their language."""


class AlreadyParticipant(InvitationError):
    pass


class AlreadyInvited(InvitationError):
    def __init__(self, message: StrOrPromise, invitation: Invitation) -> None:
        super().__init__(message)
        self.invitation = invitation


class AccountExists(InvitationError):
    """Sign-up through a link for an address that already has an account: sign in instead."""


class LinkProblem(StrEnum):
    TAMPERED = "tampered"  # not a link we made, or altered: 404
    UNKNOWN = "unknown"  # a genuine link whose invitation is gone: 404
    EXPIRED = "expired"  # 410 from here on
    REVOKED = "revoked"
    USED = "used"
    CLOSED = "closed"  # the pilot has ended

    @property
    def status(self) -> int:
        return 404 if self in (LinkProblem.TAMPERED, LinkProblem.UNKNOWN) else 410


class InvitationLinkError(Exception):
    def __init__(self, problem: LinkProblem, invitation: Invitation | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.invitation = invitation


def ensure_open(pilot: Pilot) -> None:
    if pilot.is_closed:
        raise InvitationError(
            _("%(pilot)s has ended: nobody can be invited to it or join it any more.")
            % {"pilot": pilot.name}
        )


# --- Status as staff see it ---------------------------------------------------------------


class Status(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return {
            Status.OPEN: _("Open"),
            Status.ACCEPTED: _("Accepted"),
            Status.REVOKED: _("Revoked"),
            Status.EXPIRED: _("Expired"),
        }[self]


def status_of(invitation: Invitation, *, now: datetime.datetime | None = None) -> Status:
    """An open invitation expires when its newest link does (links are made when sent)."""
    if invitation.accepted_at is not None:
        return Status.ACCEPTED
    if invitation.revoked_at is not None:
        return Status.REVOKED
    now = now or timezone.now()
    if invitation.sent_at is not None and invitation.sent_at + max_age() < now:
        return Status.EXPIRED
    return Status.OPEN


def status_condition(status: Status, *, now: datetime.datetime | None = None) -> Q:
    """The invitations in `status`, as a condition for filter() and aggregates."""
    cutoff = (now or timezone.now()) - max_age()
    open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    return {
        Status.ACCEPTED: Q(accepted_at__isnull=False),
        Status.REVOKED: Q(accepted_at__isnull=True, revoked_at__isnull=False),
        Status.EXPIRED: open_ & Q(sent_at__lt=cutoff),
        Status.OPEN: open_ & (Q(sent_at__isnull=True) | Q(sent_at__gte=cutoff)),
    }[status]


def role_word(pilot: Pilot, role: str) -> str:
    """The role as the pilot calls it (a pilot may call its actors e.g. "aktori")."""
    if role == Role.ACTOR and pilot.actor_term:
        return pilot.actor_term
    words: dict[str, str] = {
        Role.ACTOR: _("actor"),
        Role.MENTOR: _("mentor"),
        Role.STAFF: _("project staff"),
    }
    return words.get(role, role)


# --- Signed links -------------------------------------------------------------------------


def make_token(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=SALT)


def accept_url(invitation: Invitation) -> str:
    """The absolute link for the e-mail; each call makes a fresh, fully valid link."""
    return settings.SITE_URL + reverse("pilots:accept", args=[make_token(invitation)])


def invitation_from_token(token: str) -> Invitation:
    """The open invitation the link stands for, or InvitationLinkError saying what is wrong."""
    try:
        # A valid signature first (tampered: 404), the age second (expired: 410, and the page
        # can still name the pilot).
        pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise InvitationLinkError(LinkProblem.TAMPERED) from None
    if not isinstance(pk, int):
        raise InvitationLinkError(LinkProblem.TAMPERED)
    invitation = (
        Invitation.objects.select_related("pilot", "pilot__host", "accepted_by")
        .filter(pk=pk)
        .first()
    )
    if invitation is None:
        raise InvitationLinkError(LinkProblem.UNKNOWN)
    if invitation.accepted_at is not None:
        raise InvitationLinkError(LinkProblem.USED, invitation)
    if invitation.revoked_at is not None:
        raise InvitationLinkError(LinkProblem.REVOKED, invitation)
    try:
        signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise InvitationLinkError(LinkProblem.EXPIRED, invitation) from None
    if invitation.pilot.is_closed:
        raise InvitationLinkError(LinkProblem.CLOSED, invitation)
    return invitation


def existing_account(email: str) -> User | None:
    """The account that owns `email` (its login address or a confirmed other address)."""
    users = filter_users_by_email(email, prefer_verified=True)
    return users[0] if users else None


# --- Services -----------------------------------------------------------------------------


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def participant_emails(pilot: Pilot, emails: Iterable[str]) -> set[str]:
    return set(
        Participation.objects.filter(pilot=pilot)
        .annotate(lower_email=Lower("user__email"))
        .filter(lower_email__in=list(emails))
        .values_list("lower_email", flat=True)
    )


def open_invitation_emails(pilot: Pilot, emails: Iterable[str]) -> set[str]:
    return set(
        Invitation.objects.filter(pilot=pilot, accepted_at__isnull=True, revoked_at__isnull=True)
        .annotate(lower_email=Lower("email"))
        .filter(lower_email__in=list(emails))
        .values_list("lower_email", flat=True)
    )


def enqueue_sending(invitation_ids: Sequence[int]) -> None:
    """After commit, one task per invitation. A broker that is away leaves them unsent (staff
    see "not sent yet" and can resend); the request itself still succeeds."""
    from pilots.tasks import send_invitation as task  # tasks import this package

    def enqueue() -> None:
        for pk in invitation_ids:
            try:
                task.delay(pk)
            except (KombuOperationalError, OSError) as error:
                logger.warning("Broker unavailable, invitation %s not sent: %s", pk, error)
                return

    transaction.on_commit(enqueue, robust=True)


def invite(
    *,
    pilot: Pilot,
    email: str,
    name: str,
    role: str,
    invited_by: Any,
    earns_credits: bool = False,
) -> Invitation:
    """Invite one person and e-mail the link after commit.

    Raises AlreadyParticipant if the address belongs to someone in the pilot, and
    AlreadyInvited (carrying the open invitation) if one is open already: sending it again
    is the explicit `resend`, never a side effect of inviting twice.
    """
    ensure_open(pilot)
    email = _normalise_email(email)
    if participant_emails(pilot, [email]):
        raise AlreadyParticipant(
            _("%(email)s is already taking part in this pilot.") % {"email": email}
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                pilot=pilot,
                email=email,
                name=name.strip(),
                role=role,
                earns_credits=earns_credits and role == Role.ACTOR,
                invited_by=invited_by,
            )
            enqueue_sending([invitation.pk])
    except IntegrityError:  # the partial unique constraint: one open invitation per address
        existing = (
            Invitation.objects.filter(
                pilot=pilot, accepted_at__isnull=True, revoked_at__isnull=True
            )
            .filter(email__iexact=email)
            .first()
        )
        if existing is None:
            raise
        raise AlreadyInvited(
            _(
                "%(email)s already has an open invitation. "
                "Use “Resend” in the list to send it again."
            )
            % {"email": email},
            existing,
        ) from None
    return invitation


def _invitation_language(invitation: Invitation) -> str:
    """The invitee's language if they have an account, else the inviting staff member's."""
    account = User.objects.filter(email__iexact=invitation.email).first()
    if account is not None:
        return account.preferred_language
    if invitation.invited_by is not None:
        return invitation.invited_by.preferred_language
    return settings.LANGUAGE_CODE


def send_invitation(*, invitation: Invitation) -> bool:
    """E-mail the invitation with a fresh signed link; False if it is no longer open.

    Called by the `send_invitation` task; an SMTP error propagates for the task to retry.
    """
    if not invitation.is_open:
        return False
    pilot = invitation.pilot
    language = _invitation_language(invitation)
    with translation.override(language):
        context = {
            "invitation": invitation,
            "pilot": pilot,
            "role": role_word(pilot, invitation.role),
            "inviter": invitation.invited_by.display_name if invitation.invited_by else "",
            "url": accept_url(invitation),
            "valid_until": timezone.localdate(timezone.now() + max_age()),
        }
    build_email("invitation", invitation.email, context, language=language).send()
    now = timezone.now()
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=now, send_count=F("send_count") + 1)
    invitation.sent_at = now
    invitation.send_count += 1
    return True


def resend(*, invitation: Invitation) -> None:
    """E-mail an open (also an expired) invitation again, with a fresh link."""
    ensure_open(invitation.pilot)
    if not invitation.is_open:
        raise InvitationError(
            _("This invitation has been accepted or revoked; it cannot be sent again.")
        )
    enqueue_sending([invitation.pk])


def revoke(*, invitation: Invitation) -> bool:
    """Make the invitation's links stop working; False if it was not open any more."""
    now = timezone.now()
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    if revoked:
        invitation.revoked_at = now
    return bool(revoked)


@transaction.atomic
def accept(*, invitation: Invitation, user: Any) -> Participation:
    """Join the pilot through the invitation. Accepting again as the same person returns the
    same participation; someone already in the pilot keeps their role."""
    locked = Invitation.objects.select_for_update().select_related("pilot").get(pk=invitation.pk)
    pilot = locked.pilot
    if locked.accepted_at is not None:
        mine = Participation.objects.filter(pilot=pilot, user=user).first()
        if locked.accepted_by_id == user.pk and mine is not None:
            return mine
        raise InvitationLinkError(LinkProblem.USED, locked)
    if locked.revoked_at is not None:
        raise InvitationLinkError(LinkProblem.REVOKED, locked)
    if pilot.is_closed:
        raise InvitationLinkError(LinkProblem.CLOSED, locked)
    participation = Participation.objects.filter(pilot=pilot, user=user).first()
    if participation is None:
        participation = add_participant(
            pilot=pilot, user=user, role=locked.role, earns_credits=locked.earns_credits
        )
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    invitation.accepted_at, invitation.accepted_by = locked.accepted_at, user
    return participation


@transaction.atomic
def sign_up_and_accept(
    *, invitation: Invitation, display_name: str, password: str
) -> Participation:
    """A new account for the invited address, verified by the link itself, joined to the pilot.

    Raises AccountExists if the address has an account already (also one made a moment ago).
    """
    if existing_account(invitation.email) is not None:
        raise AccountExists(
            _("This address already has an account. Sign in to accept the invitation.")
        )
    try:
        user = create_user(
            email=invitation.email,
            display_name=display_name,
            password=password,
            kind=PROFILE_KIND.get(Role(invitation.role), Profile.Kind.STUDENT),
        )
    except IntegrityError:
        raise AccountExists(
            _("This address already has an account. Sign in to accept the invitation.")
        ) from None
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return accept(invitation=invitation, user=user)
