"""Inviting many people at once from a CSV file: parse and check every row (a preview that
reports each bad row), then create the invitations of a previewed file in one transaction."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pilots.invitations.services import (
    EMAIL_MAX,
    NAME_MAX,
    InvitationError,
    enqueue_sending,
    ensure_open,
    open_invitation_emails,
    participant_emails,
)
from pilots.models import Invitation, Pilot, Role

CSV_MAX_BYTES = 1024 * 1024
CSV_MAX_ROWS = 2000


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
    members = participant_emails(pilot, emails)
    invited = open_invitation_emails(pilot, emails)
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
    ensure_open(pilot)
    emails = [row.email for row in rows]
    try:
        with transaction.atomic():
            members = participant_emails(pilot, emails)
            invited = open_invitation_emails(pilot, emails)
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
            enqueue_sending([invitation.pk for invitation in created])
    except IntegrityError:
        raise ImportConflict(
            _(
                "Someone invited some of the same people at the same moment. Nothing was "
                "imported; upload the file again to see the current state."
            )
        ) from None
    return ImportResult(created=created, skipped=skipped)
