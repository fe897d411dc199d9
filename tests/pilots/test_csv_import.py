"""Inviting many people from a CSV file: every row is checked and each bad one reported with
its line number and reason before anything is sent; a file with any bad row imports nothing;
a good file imports in one transaction and sends one e-mail per person after commit."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pilots import invitation_views
from pilots import invitations as service
from pilots.invitations import CsvReport, parse_invitation_csv
from pilots.models import Invitation, Pilot, Role
from profiles.models import User
from tests.support.html import Html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

IMPORT = "/pilots/spring-pilot/staff/invitations/import/"
CONFIRM = "/pilots/spring-pilot/staff/invitations/import/confirm/"
HEADER = "email,name,role\n"


def upload(text: str | bytes, *, encoding: str = "utf-8", name: str = "people.csv") -> Any:
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return SimpleUploadedFile(name, data, content_type="text/csv")


def parse(pilot: Pilot, text: str | bytes, **kwargs: Any) -> CsvReport:
    return parse_invitation_csv(upload(text, **kwargs), pilot)


def errors(report: CsvReport) -> dict[int, str]:
    return {problem.line: " ".join(problem.reasons) for problem in report.errors}


# --- Each kind of bad row -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",Nina New,actor", "The e-mail address is missing."),
        ("nina.example.com,Nina New,actor", "“nina.example.com” is not a valid e-mail address."),
        ("nina@,Nina New,actor", "is not a valid e-mail address"),
        ("nina@example.com,Nina New,professor", "Unknown role “professor”"),
        ("nina@example.com,Nina New,", "The role is missing."),
        ("nina@example.com," + "N" * 81 + ",actor", "The name is longer than 80 characters."),
        (
            "n" * 64 + "@" + ("d" * 60 + ".") * 3 + "example.com,Nina,actor",
            "The e-mail address is longer than 254 characters.",
        ),
        ("nina@example.com,Nina\x07New,actor", "The name contains control characters"),
        ("nina@example.com\x00,Nina,actor", "The e-mail address contains control characters"),
        ("nina@example.com,Nina,act\x1bor", "The role contains control characters"),
        ("nina@example.com,Virtanen, Nina,actor", "more fields than the first line has columns"),
    ],
    ids=[
        "missing-email",
        "invalid-email",
        "invalid-email-no-domain",
        "unknown-role",
        "missing-role",
        "long-name",
        "long-email",
        "control-name",
        "control-email",
        "control-role",
        "too-many-fields",
    ],
)
def test_each_bad_row_is_reported_with_its_line_number_and_reason(
    pilot: Pilot, row: str, reason: str
) -> None:
    report = parse(pilot, HEADER + "ok@example.com,Okay,actor\n" + row + "\n")
    assert errors(report).keys() == {3}
    assert reason in errors(report)[3]
    assert not report.can_import


def test_a_duplicate_inside_the_file_names_the_first_line(pilot: Pilot) -> None:
    report = parse(
        pilot,
        HEADER
        + "nina@example.com,Nina,actor\nother@example.com,O,mentor\nNINA@example.com,N,actor\n",
    )
    assert errors(report) == {4: "The same e-mail address is already on line 2."}


def test_a_row_with_several_problems_lists_them_all(pilot: Pilot) -> None:
    report = parse(pilot, HEADER + "not-an-address," + "x" * 90 + ",boss\n")
    reasons = report.errors[0].reasons
    assert len(reasons) == 3
    assert report.errors[0].line == 2


def test_every_row_is_checked_not_only_the_first_bad_one(pilot: Pilot) -> None:
    rows = "".join(
        f"p{n}@example.com,P{n},{'actor' if n % 2 else 'nobody'}\n" for n in range(1, 11)
    )
    report = parse(pilot, HEADER + rows)
    assert sorted(errors(report)) == [3, 5, 7, 9, 11]
    assert len(report.rows) == 5


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(pilot: Pilot) -> None:
    text = (
        HEADER
        + "a@example.com,A,actor\n"
        + "\n"
        + ",,\n"
        + 'b@example.com,"Two\nlines",actor\n'
        + "c@example.com,C,nobody\n"
    )
    report = parse(pilot, text)
    assert errors(report).keys() == {5, 7}
    assert "line break" in errors(report)[5]


def test_someone_already_in_the_pilot_or_already_invited_is_skipped_not_an_error(
    pilot: Pilot, staff_sam: User
) -> None:
    Invitation.objects.create(pilot=pilot, email="Invited@Example.com", role=Role.ACTOR)
    report = parse(
        pilot,
        HEADER
        + "ALICE@example.com,Alice,actor\ninvited@example.com,I,actor\nnew@example.com,N,actor\n",
    )
    assert report.errors == []
    assert {p.line: p.reasons[0] for p in report.skipped} == {
        2: "Already taking part in this pilot.",
        3: "Already invited (the invitation is still open).",
    }
    assert [row.email for row in report.rows] == ["new@example.com"]
    assert report.can_import


def test_the_earns_credits_column_takes_yes_and_no_in_english_and_finnish(pilot: Pilot) -> None:
    report = parse(
        pilot,
        "email,name,role,earns_credits\n"
        "a@example.com,A,actor,yes\n"
        "b@example.com,B,actor,Kyllä\n"
        "c@example.com,C,actor,ei\n"
        "d@example.com,D,mentor,\n"
        "e@example.com,E,actor,maybe\n"
        "f@example.com,F,mentor,yes\n",
    )
    assert [(row.email, row.earns_credits) for row in report.rows] == [
        ("a@example.com", True),
        ("b@example.com", True),
        ("c@example.com", False),
        ("d@example.com", False),
    ]
    assert "must be yes or no" in errors(report)[6]
    assert "Only actors earn study credits" in errors(report)[7]


def test_unknown_columns_are_ignored_and_named(pilot: Pilot) -> None:
    report = parse(pilot, "email,name,role,student number\na@example.com,A,actor,123\n")
    assert report.ignored_columns == ["student number"]
    assert report.can_import


# --- Roles, delimiters, encodings ---------------------------------------------------------


def test_role_words_in_english_and_finnish_in_any_case(pilot: Pilot) -> None:
    words = {
        "actor": Role.ACTOR,
        "AKTORI": Role.ACTOR,
        "Student": Role.ACTOR,
        "opiskelija": Role.ACTOR,
        "Mentor": Role.MENTOR,
        "mentori": Role.MENTOR,
        "staff": Role.STAFF,
        "Henkilökunta": Role.STAFF,
        "henkilo\u0308kunta": Role.STAFF,  # ö written as o + combining diaeresis (macOS)
    }
    rows = "".join(f"p{n}@example.com,P,{word}\n" for n, word in enumerate(words))
    report = parse(pilot, HEADER + rows)
    assert report.errors == []
    assert [row.role for row in report.rows] == list(words.values())


def test_the_pilots_own_word_for_actors_is_a_role_word(pilot: Pilot) -> None:
    pilot.actor_term = "Toimija"
    pilot.save(update_fields=["actor_term"])
    report = parse(pilot, HEADER + "a@example.com,A,toimija\n")
    assert [row.role for row in report.rows] == [Role.ACTOR]


def test_semicolons_finnish_headers_and_a_bom_as_excel_in_finland_saves_them(pilot: Pilot) -> None:
    text = (
        "\ufeffSähköposti;Nimi;Rooli;Opintopisteet\r\n"
        "aino@example.fi;Virtanen, Aino;aktori;kyllä\r\n"
    )
    report = parse(pilot, text)
    assert report.delimiter == ";"
    assert report.errors == []
    assert [(r.email, r.name, r.role, r.earns_credits) for r in report.rows] == [
        ("aino@example.fi", "Virtanen, Aino", Role.ACTOR, True)
    ]


def test_a_utf8_file_with_a_bom_and_commas_reads_the_first_column(pilot: Pilot) -> None:
    report = parse(pilot, "\ufeffemail,name,role\naino@example.fi,Äijä Öljy,mentor\n")
    assert report.refused == ""
    assert [(r.email, r.name) for r in report.rows] == [("aino@example.fi", "Äijä Öljy")]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16"])
def test_a_file_not_in_utf8_is_refused_with_a_clear_message(
    sam: Client, pilot: Pilot, encoding: str
) -> None:
    text = HEADER + "aino@example.fi,Äijälä,aktori\n"
    report = parse(pilot, text, encoding=encoding)
    assert "not in UTF-8" in report.refused
    assert "CSV UTF-8" in report.refused
    assert report.rows == []

    response = sam.post(IMPORT, {"file": upload(text, encoding=encoding)})
    page = response.content.decode()
    assert "not in UTF-8" in page
    assert 'name="batch"' not in page
    assert invitation_views.SESSION_KEY not in sam.session


def test_the_line_of_the_first_non_utf8_byte_is_named(pilot: Pilot) -> None:
    text = HEADER + "a@example.com,A,actor\nb@example.com,Bj\xf6rn,actor\n"
    assert "line 3" in parse(pilot, text, encoding="latin-1").refused


# --- Whole-file refusals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        ("  \n\r\n ", "The file is empty."),
        ("\ufeff", "The file is empty."),
        ("email,name,role\n", "only the header line"),
        ("email;name;role\r\n;;\r\n;;\r\n", "only the header line"),
        ("email,role\na@example.com,actor\n", "Missing: name."),
        ("a@example.com,A,actor\n", "Missing: email, name, role."),
        ("email,email,name,role\n", "appears twice"),
    ],
    ids=[
        "empty",
        "blank",
        "bom-only",
        "header-only",
        "header-and-excel-blanks",
        "no-name",
        "no-header",
        "twice",
    ],
)
def test_a_file_with_nothing_to_read_is_refused(pilot: Pilot, text: str, message: str) -> None:
    report = parse(pilot, text)
    assert message in report.refused
    assert not report.can_import


def test_a_file_over_1_mb_is_refused_without_being_read(pilot: Pilot) -> None:
    class Huge(io.BytesIO):
        size = 50 * 1024 * 1024

        def read(self, *args: Any) -> bytes:
            raise AssertionError("a refused file must not be read")

    report = parse_invitation_csv(Huge(), pilot)
    assert "too large" in report.refused


def test_a_stream_without_a_size_is_read_only_up_to_the_limit(pilot: Pilot) -> None:
    class Endless(io.RawIOBase):
        asked: list[int] = []

        def read(self, size: int = -1) -> bytes:
            self.asked.append(size)
            assert size != -1, "must not read everything"
            return b"x" * size

    report = parse_invitation_csv(Endless(), pilot)
    assert "too large" in report.refused
    assert Endless.asked == [service.CSV_MAX_BYTES + 1]


def test_a_file_over_2000_rows_is_refused(pilot: Pilot) -> None:
    rows = "".join(f"p{n}@example.com,P,actor\n" for n in range(2001))
    assert len(rows.encode()) < service.CSV_MAX_BYTES
    report = parse(pilot, HEADER + rows)
    assert "too large" in report.refused
    assert report.rows == []

    exactly = parse(pilot, HEADER + rows[: rows.index("p2000@")])
    assert exactly.refused == ""
    assert len(exactly.rows) == 2000


def test_an_oversized_upload_is_refused_on_the_page(sam: Client) -> None:
    big = HEADER + "a@example.com," + "x" * (service.CSV_MAX_BYTES) + ",actor\n"
    response = sam.post(IMPORT, {"file": upload(big)})
    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert not Invitation.objects.exists()


# --- Preview and confirm through the pages ------------------------------------------------

GOOD = (
    "email;name;role;earns_credits\n"
    "aino@example.fi;Aino Virtanen;aktori;kyllä\n"
    "matti@example.com;Matti Mentor;mentori;\n"
    "sanna@example.fi;Sanna Staff;henkilökunta;\n"
)


def test_a_good_file_is_previewed_then_imported_in_one_go_with_one_email_each(
    sam: Client,
    pilot: Pilot,
    staff_sam: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert sam.get(IMPORT).status_code == 200
    preview = sam.post(IMPORT, {"file": upload(GOOD)})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "3 people to invite" in page
    assert "Send 3 invitations" in page
    assert not Invitation.objects.exists()
    assert mailoutbox == []

    batch = preview.context["batch"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sam.post(CONFIRM, {"batch": batch})
    assert response.status_code == 302
    assert response["Location"] == "/pilots/spring-pilot/staff/invitations/"
    assert len(callbacks) == 1  # one commit, one enqueueing of all three
    invitations = {i.email: i for i in Invitation.objects.filter(pilot=pilot)}
    assert {e: (i.role, i.earns_credits, i.name) for e, i in invitations.items()} == {
        "aino@example.fi": (Role.ACTOR, True, "Aino Virtanen"),
        "matti@example.com": (Role.MENTOR, False, "Matti Mentor"),
        "sanna@example.fi": (Role.STAFF, False, "Sanna Staff"),
    }
    assert {i.invited_by_id for i in invitations.values()} == {staff_sam.pk}
    assert sorted(m.to[0] for m in mailoutbox) == sorted(invitations)
    for message in mailoutbox:
        assert pilot.name in message.body
        assert "/pilots/invitations/" in message.body
    assert invitation_views.SESSION_KEY not in sam.session

    # The same confirm again (a double click) imports nothing more.
    again = sam.post(CONFIRM, {"batch": batch}, follow=True)
    assert "Upload the file again" in again.content.decode()
    assert Invitation.objects.count() == 3
    assert len(mailoutbox) == 3


def test_a_file_with_any_bad_row_offers_no_confirm_and_imports_nothing(
    sam: Client, mailoutbox: list[Any]
) -> None:
    text = GOOD + "bad-address;Bad;aktori\nlast@example.com;Last;opiskelija\n"
    response = sam.post(IMPORT, {"file": upload(text)})
    page = response.content.decode()
    assert "Fix these lines and upload the file again" in page
    assert "“bad-address” is not a valid e-mail address." in page
    assert "5" in Html(page).texts('tbody th[scope="row"]')
    assert 'name="batch"' not in page
    assert "Send " not in page
    assert invitation_views.SESSION_KEY not in sam.session

    # A confirm posted anyway finds nothing to import.
    response = sam.post(CONFIRM, {"batch": "anything"})
    assert response.status_code == 302
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_newer_upload_replaces_the_preview_and_a_stale_confirm_is_refused(
    sam: Client, mailoutbox: list[Any]
) -> None:
    first = sam.post(IMPORT, {"file": upload(GOOD)}).context["batch"]
    second = sam.post(IMPORT, {"file": upload(HEADER + "z@example.com,Z,actor\n")}).context["batch"]
    response = sam.post(CONFIRM, {"batch": first}, follow=True)
    assert "no longer available" in response.content.decode()
    assert not Invitation.objects.exists()

    sam.post(CONFIRM, {"batch": second})
    assert list(Invitation.objects.values_list("email", flat=True)) == ["z@example.com"]


def test_a_preview_for_one_pilot_cannot_be_confirmed_in_another(
    sam: Client, staff_sam: User, make_pilot: Callable[..., Pilot]
) -> None:
    from pilots.services import add_participant

    second = make_pilot("second-pilot")
    add_participant(pilot=second, user=staff_sam, role=Role.STAFF)
    batch = sam.post(IMPORT, {"file": upload(GOOD)}).context["batch"]
    response = sam.post("/pilots/second-pilot/staff/invitations/import/confirm/", {"batch": batch})
    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_people_who_joined_after_the_preview_are_skipped_at_confirm(
    sam: Client, pilot: Pilot, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    batch = sam.post(IMPORT, {"file": upload(GOOD)}).context["batch"]
    Invitation.objects.create(pilot=pilot, email="matti@example.com", role=Role.MENTOR)
    with django_capture_on_commit_callbacks(execute=True):
        response = sam.post(CONFIRM, {"batch": batch}, follow=True)
    assert "1 person was skipped" in response.content.decode()
    assert Invitation.objects.count() == 3
    assert sorted(m.to[0] for m in mailoutbox) == ["aino@example.fi", "sanna@example.fi"]


def test_a_conflict_during_the_import_rolls_back_every_row(
    sam: Client,
    pilot: Pilot,
    mailoutbox: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    batch = sam.post(IMPORT, {"file": upload(GOOD)}).context["batch"]
    # Another staff member invites one of them between the check and the insert.
    Invitation.objects.create(pilot=pilot, email="sanna@example.fi", role=Role.STAFF)
    monkeypatch.setattr(
        "pilots.invitations.csv_import.open_invitation_emails", lambda pilot, emails: set()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = sam.post(CONFIRM, {"batch": batch}, follow=True)
    assert "Nothing was imported" in response.content.decode()
    assert list(Invitation.objects.values_list("email", flat=True)) == ["sanna@example.fi"]
    assert mailoutbox == []


def test_the_rate_limit_counts_every_row_and_refuses_the_whole_file(
    sam: Client,
    settings: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.INVITATION_RATE_LIMIT = 4
    sam.post(CONFIRM, {"batch": sam.post(IMPORT, {"file": upload(GOOD)}).context["batch"]})
    assert Invitation.objects.count() == 3

    two = HEADER + "x@example.com,X,actor\ny@example.com,Y,actor\n"
    batch = sam.post(IMPORT, {"file": upload(two)}).context["batch"]
    with django_capture_on_commit_callbacks(execute=True):
        response = sam.post(CONFIRM, {"batch": batch}, follow=True)
    assert "too many invitations" in response.content.decode()
    assert Invitation.objects.count() == 3
    # Nothing of the refused file was counted: one more invitation still fits.
    one = HEADER + "x@example.com,X,actor\n"
    sam.post(CONFIRM, {"batch": sam.post(IMPORT, {"file": upload(one)}).context["batch"]})
    assert Invitation.objects.count() == 4


def test_a_closed_pilot_imports_nothing(sam: Client, pilot: Pilot) -> None:
    batch = sam.post(IMPORT, {"file": upload(GOOD)}).context["batch"]
    pilot.status = Pilot.Status.CLOSED
    pilot.save(update_fields=["status"])
    response = sam.post(CONFIRM, {"batch": batch}, follow=True)
    assert "has ended" in response.content.decode()
    assert not Invitation.objects.exists()


def test_uploading_no_file_shows_the_form_again(sam: Client) -> None:
    response = sam.post(IMPORT, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_the_preview_escapes_what_the_file_says(sam: Client) -> None:
    response = sam.post(IMPORT, {"file": upload(HEADER + "<script>x</script>@a.fi,<b>N</b>,x\n")})
    page = response.content.decode()
    assert "<script>x" not in page
    assert "&lt;script&gt;" in page
