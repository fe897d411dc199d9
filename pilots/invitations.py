"""Invitations: staff invite one person or many from a CSV file; the invited person follows a
signed, expiring link to sign up (verified by that link) or to join with an existing account.

Services here are the only way invitations change; views, tasks and the admin call them.
E-mails are enqueued after commit (`pilots.tasks.send_invitation`), so a rolled-back
transaction sends nothing. The rate limit needs the request, so the views apply it.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any

from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from kombu.exceptions import OperationalError as KombuOperationalError

from mentoring.emails import build_email
from mentoring.validators import validate_clean_text
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
CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 2000

# The kind of profile a new account made from an invitation starts with.
PROFILE_KIND = {
    Role.ACTOR: Profile.Kind.STUDENT,
    Role.MENTOR: Profile.Kind.PROFESSIONAL,
    Role.STAFF: Profile.Kind.PROFESSIONAL,
}


def max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


# --- Errors -------------------------------------------------------------------------------


class InvitationError(Exception):
    """A refused invitation action; `message` tells the person why, in their language."""

    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(str(message))
        self.message = message


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


def _ensure_open(pilot: Pilot) -> None:
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


def _participant_emails(pilot: Pilot, emails: Iterable[str]) -> set[str]:
    return set(
        Participation.objects.filter(pilot=pilot)
        .annotate(lower_email=Lower("user__email"))
        .filter(lower_email__in=list(emails))
        .values_list("lower_email", flat=True)
    )


def _open_invitation_emails(pilot: Pilot, emails: Iterable[str]) -> set[str]:
    return set(
        Invitation.objects.filter(pilot=pilot, accepted_at__isnull=True, revoked_at__isnull=True)
        .annotate(lower_email=Lower("email"))
        .filter(lower_email__in=list(emails))
        .values_list("lower_email", flat=True)
    )


def _enqueue_sending(invitation_ids: Sequence[int]) -> None:
    """After commit, one task per invitation. A broker that is away leaves them unsent (staff
    see "not sent yet" and can resend); the request itself still succeeds."""
    from pilots.tasks import send_invitation as task  # tasks import this module

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
    _ensure_open(pilot)
    email = _normalise_email(email)
    if _participant_emails(pilot, [email]):
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
            _enqueue_sending([invitation.pk])
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
    _ensure_open(invitation.pilot)
    if not invitation.is_open:
        raise InvitationError(
            _("This invitation has been accepted or revoked; it cannot be sent again.")
        )
    _enqueue_sending([invitation.pk])


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


# --- CSV import ---------------------------------------------------------------------------

ROLE_WORDS: dict[str, str] = {
    "actor": Role.ACTOR,
    "aktori": Role.ACTOR,
    "student": Role.ACTOR,
    "opiskelija": Role.ACTOR,
    "mentor": Role.MENTOR,
    "mentori": Role.MENTOR,
    "staff": Role.STAFF,
    "henkilökunta": Role.STAFF,
}
COLUMN_WORDS = {
    "email": "email",
    "e-mail": "email",
    "sähköposti": "email",
    "name": "name",
    "nimi": "name",
    "role": "role",
    "rooli": "role",
    "earns_credits": "earns_credits",
    "opintopisteet": "earns_credits",
}
REQUIRED_COLUMNS = ("email", "name", "role")
YES = {"yes", "y", "true", "1", "x", "kyllä", "k"}
NO = {"", "no", "n", "false", "0", "ei", "e"}
# Control characters (C0, DEL, C1), line breaks and tabs included: none belongs in an address,
# a name or a role.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _word(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip().casefold()


@dataclass
class CsvRow:
    line: int
    email: str
    name: str
    role: str
    earns_credits: bool = False

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)

    def as_list(self) -> list[Any]:
        return [self.line, self.email, self.name, self.role, self.earns_credits]

    @classmethod
    def from_list(cls, values: Sequence[Any]) -> CsvRow:
        line, email, name, role, earns_credits = values
        return cls(int(line), str(email), str(name), Role(role).value, bool(earns_credits))


@dataclass
class CsvProblem:
    line: int
    email: str
    reasons: list[str]


@dataclass
class CsvReport:
    """What a CSV file would do: rows to invite, bad rows (errors), rows skipped, or the
    reason the whole file was refused."""

    rows: list[CsvRow] = field(default_factory=list)
    errors: list[CsvProblem] = field(default_factory=list)
    skipped: list[CsvProblem] = field(default_factory=list)
    refused: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    delimiter: str = ","

    @property
    def can_import(self) -> bool:
        return not self.refused and not self.errors and bool(self.rows)

    def refuse(self, reason: str) -> CsvReport:
        self.refused = reason
        self.rows, self.errors, self.skipped = [], [], []
        return self


def _too_big() -> str:
    return _(
        "The file is too large: at most 1 MB and %(rows)s rows can be imported at once. "
        "Split it into smaller files."
    ) % {"rows": f"{CSV_MAX_ROWS:,}".replace(",", "\u00a0")}


def parse_invitation_csv(file: IO[bytes] | Any, pilot: Pilot) -> CsvReport:
    """Validate every row of an uploaded CSV file (columns email, name, role and optionally
    earns_credits; separated by ; or ,; UTF-8 with or without BOM). Reads at most 1 MB."""
    report = CsvReport()
    size = getattr(file, "size", None)
    if size is not None and size > CSV_MAX_BYTES:
        return report.refuse(_too_big())
    data = file.read(CSV_MAX_BYTES + 1)
    if len(data) > CSV_MAX_BYTES:
        return report.refuse(_too_big())
    if not isinstance(data, bytes):  # a text stream: encode it the way a file would be
        data = data.encode("utf-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return report.refuse(
            _(
                "The file is not in UTF-8 (the first unreadable character is on line %(line)s), "
                "so letters such as ä and ö would be lost. In Excel, choose “Save as” and the "
                "type “CSV UTF-8”, then upload the new file."
            )
            % {"line": line}
        )
    if not text.strip():
        return report.refuse(_("The file is empty."))

    first_line = text.lstrip().split("\n", 1)[0]
    report.delimiter = max((";", ",", "\t"), key=first_line.count)
    if not first_line.count(report.delimiter):
        report.delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter)
    try:
        return _read_rows(reader, pilot, report)
    except csv.Error as error:
        return report.refuse(
            _("The file could not be read as CSV near line %(line)s: %(error)s")
            % {"line": reader.line_num, "error": error}
        )


def _read_rows(reader: Any, pilot: Pilot, report: CsvReport) -> CsvReport:
    header: list[str] = []
    for cells in reader:
        if any(cell.strip() for cell in cells):
            header = cells
            break
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = COLUMN_WORDS.get(_word(cell))
        if column is None:
            if cell.strip():
                report.ignored_columns.append(cell.strip()[:40])
        elif column in columns:
            return report.refuse(
                _("The column “%(column)s” appears twice in the first line.")
                % {"column": cell.strip()}
            )
        else:
            columns[column] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        return report.refuse(
            _(
                "The first line must name the columns: email, name, role (and optionally "
                "earns_credits). Missing: %(missing)s."
            )
            % {"missing": ", ".join(missing)}
        )

    roles = dict(ROLE_WORDS)
    if pilot.actor_term:
        roles.setdefault(_word(pilot.actor_term), Role.ACTOR)
    seen: dict[str, int] = {}
    candidates: list[CsvRow] = []
    count = 0
    previous_line = reader.line_num
    for cells in reader:
        line, previous_line = previous_line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and the ;;; rows Excel leaves at the end
        count += 1
        if count > CSV_MAX_ROWS:
            return report.refuse(_too_big())
        row, reasons, comparable = _check_row(cells, len(header), columns, roles, line)
        if comparable:
            if row.email in seen:
                reasons.append(
                    _("The same e-mail address is already on line %(line)s.")
                    % {"line": seen[row.email]}
                )
            else:
                seen[row.email] = line
        if reasons:
            report.errors.append(CsvProblem(line, row.email[:EMAIL_MAX], reasons))
        else:
            candidates.append(row)
    if count == 0:
        return report.refuse(_("The file has only the header line and no one to invite."))

    emails = [row.email for row in candidates]
    members = _participant_emails(pilot, emails)
    invited = _open_invitation_emails(pilot, emails)
    for row in candidates:
        if row.email in members:
            report.skipped.append(
                CsvProblem(row.line, row.email, [_("Already taking part in this pilot.")])
            )
        elif row.email in invited:
            report.skipped.append(
                CsvProblem(
                    row.line, row.email, [_("Already invited (the invitation is still open).")]
                )
            )
        else:
            report.rows.append(row)
    return report


def _check_row(
    cells: list[str], width: int, columns: dict[str, int], roles: dict[str, str], line: int
) -> tuple[CsvRow, list[str], bool]:
    """One row's values, what is wrong with them, and whether its e-mail address is sound
    enough to compare with other rows'."""

    def cell(column: str) -> str:
        index = columns.get(column)
        value = cells[index] if index is not None and index < len(cells) else ""
        return unicodedata.normalize("NFC", value).strip()

    reasons: list[str] = []
    if any(value.strip() for value in cells[width:]):
        reasons.append(
            _(
                "The line has more fields than the first line has columns. Put a name that "
                "contains the separator in quotes."
            )
        )
    email, name, role_value, credits_value = (
        cell("email").lower(),
        cell("name"),
        cell("role"),
        cell("earns_credits"),
    )
    broken = {
        column
        for column, value in (
            ("email", email),
            ("name", name),
            ("role", role_value),
            ("earns_credits", credits_value),
        )
        if _CONTROL.search(value)
    }
    broken_messages = {
        "email": _("The e-mail address contains control characters or a line break."),
        "name": _("The name contains control characters or a line break."),
        "role": _("The role contains control characters or a line break."),
        "earns_credits": _("earns_credits contains control characters or a line break."),
    }
    reasons += [message for column, message in broken_messages.items() if column in broken]

    comparable = False
    if not email:
        reasons.append(_("The e-mail address is missing."))
    elif len(email) > EMAIL_MAX:
        reasons.append(
            _("The e-mail address is longer than %(max)s characters.") % {"max": EMAIL_MAX}
        )
    elif "email" not in broken:
        try:
            validate_email(email)
            comparable = True
        except ValidationError:
            reasons.append(_("“%(email)s” is not a valid e-mail address.") % {"email": email[:80]})

    if len(name) > NAME_MAX:
        reasons.append(_("The name is longer than %(max)s characters.") % {"max": NAME_MAX})

    role = roles.get(role_value.casefold(), "")
    if not role_value:
        reasons.append(_("The role is missing."))
    elif not role and "role" not in broken:
        reasons.append(
            _(
                "Unknown role “%(role)s”. Use actor (aktori, student, opiskelija), mentor "
                "(mentori) or staff (henkilökunta)."
            )
            % {"role": role_value[:40]}
        )

    earns_credits = credits_value.casefold() in YES
    if credits_value.casefold() not in YES | NO and "earns_credits" not in broken:
        reasons.append(
            _("earns_credits must be yes or no (kyllä or ei), not “%(value)s”.")
            % {"value": credits_value[:20]}
        )
    elif earns_credits and role and role != Role.ACTOR:
        reasons.append(
            _("Only actors earn study credits; leave earns_credits empty for this role.")
        )
    return CsvRow(line, email, name[:NAME_MAX], role, earns_credits), reasons, comparable


class ImportConflict(InvitationError):
    pass


@dataclass
class ImportResult:
    created: list[Invitation]
    skipped: list[CsvRow]


def import_invitations(*, pilot: Pilot, rows: Sequence[CsvRow], invited_by: Any) -> ImportResult:
    """Create the invitations of a previewed CSV file, all in one transaction, and e-mail them
    after commit. People who joined or were invited since the preview are skipped; if another
    invitation to the same address is made at this very moment, nothing is created."""
    _ensure_open(pilot)
    emails = [row.email for row in rows]
    try:
        with transaction.atomic():
            members = _participant_emails(pilot, emails)
            invited = _open_invitation_emails(pilot, emails)
            skipped = [row for row in rows if row.email in members or row.email in invited]
            new = [
                Invitation(
                    pilot=pilot,
                    email=row.email,
                    name=row.name,
                    role=row.role,
                    earns_credits=row.earns_credits and row.role == Role.ACTOR,
                    invited_by=invited_by,
                )
                for row in rows
                if row.email not in members and row.email not in invited
            ]
            created = Invitation.objects.bulk_create(new, batch_size=500)
            _enqueue_sending([invitation.pk for invitation in created])
    except IntegrityError:
        raise ImportConflict(
            _(
                "Someone invited some of the same people at the same moment. Nothing was "
                "imported; upload the file again to see the current state."
            )
        ) from None
    return ImportResult(created=created, skipped=skipped)


# --- Forms --------------------------------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=EMAIL_MAX)
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=NAME_MAX,
        required=False,
        validators=[validate_clean_text],
        help_text=gettext_lazy("Used to greet the person in the e-mail."),
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, initial=Role.ACTOR)
    earns_credits = forms.BooleanField(
        label=gettext_lazy("Earns study credits (actors only)"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("earns_credits") and data.get("role") != Role.ACTOR:
            self.add_error("earns_credits", gettext_lazy("Only actors earn study credits."))
        return data


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Columns: email, name, role, and optionally earns_credits (yes/no). Separated by "
            "semicolons or commas, saved as UTF-8 (in Excel: “CSV UTF-8”). At most 1 MB and "
            "2,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class AcceptSignupForm(forms.Form):
    """A new account for the invited address: the link has verified the address already."""

    display_name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=NAME_MAX,
        validators=[validate_clean_text],
        help_text=gettext_lazy("Shown to other people in the network."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password (again)"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["display_name"].initial = invitation.name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", gettext_lazy("The two passwords are not the same."))
        elif password1:
            candidate = User(email=self.invitation.email, display_name=data.get("display_name", ""))
            try:
                password_validation.validate_password(password1, user=candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return data
