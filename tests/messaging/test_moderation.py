"""The pilot staff's moderation queue: the reported message only, for the pilot's own staff,
each outcome (hide, dismiss, warn, remove), and closing or reopening the pilot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import Broadcast, Conversation, Delivery, Message, Report
from messaging.services import conversations, reports
from pilots import services as pilot_services
from pilots import signals as pilot_signals
from pilots.models import Participation, Pilot, Role
from profiles.models import User
from tests.support.conversations import many, message_item, page_url, say
from tests.support.html import Html

pytestmark = pytest.mark.django_db


def moderation_url(pilot: Pilot, action: str = "", pk: int | None = None) -> str:
    if not action:
        return reverse("pilots:moderation", args=[pilot.slug])
    return reverse(f"pilots:{action}", args=[pilot.slug, pk])


@pytest.fixture
def reported(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation]
) -> tuple[Conversation, Message, Report]:
    conversation = talk(alice, mentor_maria)
    say(alice, conversation, "A private question about my studies")
    rude = say(mentor_maria, conversation, "A rude answer")
    say(mentor_maria, conversation, "Another private line")
    report = reports.report(
        reporter=alice,
        reported_user=mentor_maria,
        message=rude,
        reason="harassment",
        details="This hurt.",
    )
    return conversation, rude, report


def test_moderation_shows_the_reported_message_only(
    staff_sam: User, pilot: Pilot, reported: tuple[Conversation, Message, Report], client_for: Any
) -> None:
    conversation, _rude, _report = reported

    html = client_for(staff_sam).get(moderation_url(pilot)).content.decode()

    assert "A rude answer" in html
    assert "This hurt." in html
    assert "Harassment or bullying" in html
    assert "A private question about my studies" not in html
    assert "Another private line" not in html
    assert conversation.subject not in html
    assert client_for(staff_sam).get(page_url(conversation)).status_code == 404


def test_moderation_is_for_the_pilots_own_staff_only(
    alice: User,
    other_staff: User,
    other_pilot: Pilot,
    pilot: Pilot,
    reported: tuple[Conversation, Message, Report],
    client_for: Any,
) -> None:
    _conversation, rude, report = reported
    assert client_for(alice).get(moderation_url(pilot)).status_code == 404
    assert client_for(other_staff).get(moderation_url(pilot)).status_code == 404
    # Their own pilot's queue does not reach another pilot's report either.
    outsider = client_for(other_staff)
    assert outsider.post(moderation_url(other_pilot, "hide_message", report.pk)).status_code == 404
    assert "A rude answer" not in outsider.get(moderation_url(other_pilot)).content.decode()
    rude.refresh_from_db()
    assert rude.hidden_at is None


@dataclass
class Handled:
    """A report the staff have just handled, and what the checks of each outcome need."""

    pilot: Pilot
    conversation: Conversation
    rude: Message
    report: Report
    alice: User
    maria: User
    staff: Client
    client_for: Callable[[User], Client]


def the_message_is_hidden(case: Handled) -> None:
    case.rude.refresh_from_db()
    assert case.rude.hidden_at is not None
    alices_page = case.client_for(case.alice).get(page_url(case.conversation)).content.decode()
    assert message_item(alices_page, case.rude).text(".chat-body") == "Hidden by a moderator"
    assert "A rude answer" not in alices_page


def the_message_stays(case: Handled) -> None:
    case.rude.refresh_from_db()
    assert case.rude.hidden_at is None


def maria_is_warned_once(case: Handled) -> None:
    case.staff.post(moderation_url(case.pilot, "warn", case.report.pk))  # again: already handled
    case.report.refresh_from_db()
    assert case.report.outcome == Report.Outcome.WARNED
    warning = Broadcast.objects.get(source=f"warning:{case.report.pk}")
    assert case.pilot.name in warning.subject
    assert "A rude answer" not in warning.body
    assert set(
        Delivery.objects.filter(broadcast=warning).values_list("recipient_id", flat=True)
    ) == {case.maria.pk}


def maria_is_out_of_the_pilot(case: Handled) -> None:
    case.conversation.refresh_from_db()
    assert not Participation.objects.filter(pilot=case.pilot, user=case.maria).exists()
    assert case.conversation.is_read_only
    assert case.client_for(case.maria).get(page_url(case.conversation)).status_code == 404
    alices_page = case.client_for(case.alice).get(page_url(case.conversation)).content.decode()
    assert "This conversation is read-only" in alices_page


@pytest.mark.parametrize(
    ("action", "outcome", "then"),
    [
        pytest.param("hide_message", Report.Outcome.HIDDEN, the_message_is_hidden, id="hide"),
        pytest.param("dismiss_report", Report.Outcome.DISMISSED, the_message_stays, id="dismiss"),
        pytest.param("warn", Report.Outcome.WARNED, maria_is_warned_once, id="warn"),
        pytest.param(
            "remove_participant", Report.Outcome.REMOVED, maria_is_out_of_the_pilot, id="remove"
        ),
    ],
)
def test_staff_handle_a_report(
    action: str,
    outcome: str,
    then: Callable[[Handled], None],
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    pilot: Pilot,
    reported: tuple[Conversation, Message, Report],
    client_for: Callable[[User], Client],
) -> None:
    """Each outcome closes the report with its name and takes it off the queue; then what it
    does to the message or the person."""
    conversation, rude, report = reported
    client = client_for(staff_sam)

    client.post(moderation_url(pilot, action, report.pk))

    report.refresh_from_db()
    assert report.outcome == outcome
    assert report.resolved_at is not None
    assert "A rude answer" not in client.get(moderation_url(pilot)).content.decode()
    then(Handled(pilot, conversation, rude, report, alice, mentor_maria, client, client_for))


def test_the_warning_is_written_in_the_warned_persons_language(
    mentor_maria: User,
    staff_sam: User,
    pilot: Pilot,
    reported: tuple[Conversation, Message, Report],
    client_for: Any,
) -> None:
    _conversation, _rude, report = reported
    User.objects.filter(pk=mentor_maria.pk).update(language="fi")
    client_for(staff_sam).post(moderation_url(pilot, "warn", report.pk))  # staff in English
    warning = Broadcast.objects.get(source=f"warning:{report.pk}")
    assert warning.subject == f"Viesti pilotin {pilot.name} henkilöstöltä"


@pytest.mark.parametrize("count", [3, 12])
def test_moderation_queue_makes_a_constant_number_of_queries(
    count: int,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    pilot: Pilot,
    talk: Callable[..., Conversation],
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    conversation = talk(alice, mentor_maria)
    for message in many(mentor_maria, conversation, count):
        reports.report(reporter=alice, reported_user=mentor_maria, message=message, reason="spam")
    client = client_for(staff_sam)

    with django_assert_max_num_queries(8):  # one of them: the Admin link checks permissions
        page = client.get(moderation_url(pilot))

    assert Html(page).count("li.report") == count


def test_reports_from_conversations_that_belong_to_the_pilot_reach_its_queue(
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    pilot: Pilot,
    client_for: Any,
    request: pytest.FixtureRequest,
) -> None:
    # An app built on pilots (groups) files a loop's conversation under its own context and
    # tells pilots it belongs to the pilot, answering its moderation_contexts signal.
    def loop_contexts(sender: Any, pilot: Pilot, **kwargs: Any) -> list[str]:
        return ["group:77"] if pilot.pk == pilot_pk else []

    pilot_pk = pilot.pk
    signal = pilot_signals.moderation_contexts
    signal.connect(loop_contexts, weak=False, dispatch_uid="test_loop_contexts")
    request.addfinalizer(lambda: signal.disconnect(dispatch_uid="test_loop_contexts"))
    loop = conversations.create_group_conversation(
        subject="Pair", context="group:77", member_ids=[alice.pk, mentor_maria.pk]
    )
    elsewhere = conversations.create_group_conversation(
        subject="Other", context="group:78", member_ids=[alice.pk, mentor_maria.pk]
    )
    in_loop = reports.report(
        reporter=alice,
        reported_user=mentor_maria,
        message=say(mentor_maria, loop, "Rude in the loop"),
        reason="spam",
    )
    reports.report(
        reporter=alice,
        reported_user=mentor_maria,
        message=say(mentor_maria, elsewhere, "Rude elsewhere"),
        reason="spam",
    )
    client = client_for(staff_sam)

    html = client.get(moderation_url(pilot)).content.decode()
    client.post(moderation_url(pilot, "dismiss_report", in_loop.pk))

    assert "Rude in the loop" in html
    assert "Rude elsewhere" not in html
    in_loop.refresh_from_db()
    assert in_loop.outcome == Report.Outcome.DISMISSED


def test_reopening_the_pilot_makes_its_conversations_writable_again(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    talk: Callable[..., Conversation],
    client_for: Any,
    make_user: Callable[..., User],
) -> None:
    bob = make_user("Bob Actor", email="bob@example.com")
    pilot_services.add_participant(pilot=pilot, user=bob, role=Role.ACTOR)
    conversation = talk(alice, mentor_maria)
    with_bob = talk(bob, mentor_maria)
    pilot_services.remove_participant(pilot=pilot, user=bob)  # his conversation stays locked
    pilot.status = Pilot.Status.CLOSED
    pilot_services.update_pilot(pilot=pilot)
    pilot.status = Pilot.Status.RUNNING
    pilot_services.update_pilot(pilot=pilot)

    conversation.refresh_from_db()
    with_bob.refresh_from_db()
    assert not conversation.is_read_only
    assert with_bob.is_read_only
    html = client_for(alice).get(page_url(conversation)).content.decode()
    assert 'id="send-form"' in html
    say(alice, conversation, "We can talk again")


def test_closing_the_pilot_makes_its_conversations_read_only(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    conversation = talk(alice, mentor_maria)
    outside = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Elsewhere")
    pilot.status = Pilot.Status.CLOSED

    pilot_services.update_pilot(pilot=pilot)

    conversation.refresh_from_db()
    outside.refresh_from_db()
    assert conversation.is_read_only
    assert not outside.is_read_only
    html = client_for(alice).get(page_url(conversation)).content.decode()
    assert 'id="send-form"' not in html
