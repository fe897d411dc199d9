"""Starting a conversation from a profile: about this week's theme or without one, and each
rule that refuses a start (no shared pilot, orientation, closed pilot, a block, a hidden
profile, a theme not on offer).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from messaging.models import Conversation
from messaging.services import conversations
from pilots import services as pilot_services
from pilots.models import Material, Pilot, Week
from profiles.models import Profile, User
from tests.support.conversations import page_url
from tests.support.html import Html

pytestmark = pytest.mark.django_db


def start_url(user: User) -> str:
    return reverse("pilots:start_conversation", args=[user.pk])


def test_actor_starts_a_conversation_about_this_weeks_theme(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    week = pilot.current_week()
    assert week is not None
    Week.objects.filter(pk=week.pk).update(theme="Future skills and working life")
    client = client_for(alice)

    form = client.get(start_url(mentor_maria)).content.decode()
    assert "Future skills and working life" in form
    client_id = re.fullmatch(r"[0-9a-f-]{36}", Html(form).attr("input[name=client_id]", "value"))
    assert client_id is not None
    data = {
        "subject": "Which future skills matter in your team?",
        "theme_of": f"pilot:{pilot.pk}",
        "body": "Hi Maria, I would like to hear your view.",
        "client_id": client_id.group(0),
    }
    response = client.post(start_url(mentor_maria), data)
    again = client.post(start_url(mentor_maria), data)  # the form posted twice

    conversation = Conversation.objects.get()
    assert response["Location"] == again["Location"] == page_url(conversation)
    assert conversation.subject == "Which future skills matter in your team?"
    assert conversation.tag == "Future skills and working life"
    assert conversation.context == f"pilot:{pilot.pk}"
    assert set(conversation.participants.values_list("user_id", flat=True)) == {
        alice.pk,
        mentor_maria.pk,
    }
    assert list(conversation.messages.values_list("body", flat=True)) == [
        "Hi Maria, I would like to hear your view."
    ]
    assert conversations.unread_counts(user=mentor_maria) == {conversation.pk: 1}


def test_starting_without_a_theme_still_files_it_under_the_pilot(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    Week.objects.filter(pilot=pilot).update(theme="")
    client = client_for(alice)
    form = client.get(start_url(mentor_maria)).content.decode()
    assert 'name="theme_of"' not in form

    client.post(
        start_url(mentor_maria),
        {"subject": "A question", "body": "Hello", "client_id": str(uuid.uuid4())},
    )

    conversation = Conversation.objects.get()
    assert (conversation.tag, conversation.context) == ("", f"pilot:{pilot.pk}")


def test_subject_and_first_message_are_required(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    response = client_for(alice).post(
        start_url(mentor_maria), {"subject": "", "body": "", "client_id": str(uuid.uuid4())}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Conversation.objects.exists()


def test_people_without_a_shared_pilot_see_why_they_cannot_start(
    alice: User, make_user: Callable[..., User], pilot: Pilot, client_for: Any
) -> None:
    stranger = make_user("Visible Vera", visibility=Profile.Visibility.SIGNED_IN)
    client = client_for(alice)

    page = client.get(start_url(stranger))
    posted = client.post(
        start_url(stranger), {"subject": "Hi", "body": "Hi", "client_id": str(uuid.uuid4())}
    )

    for response in (page, posted):
        assert response.status_code == 200
        html = response.content.decode()
        assert "You can write to people who take part in the same pilot as you." in html
        assert 'name="subject"' not in html
    assert not Conversation.objects.exists()


def test_orientation_must_be_done_before_an_actor_starts(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    pilot.requires_orientation = True
    pilot.save()
    Material.objects.create(pilot=pilot, title="Welcome", required=True, is_published=True)

    html = client_for(alice).get(start_url(mentor_maria)).content.decode()

    assert f"Finish the orientation of {pilot.name} first." in html
    assert 'name="subject"' not in html


def test_a_closed_pilot_allows_no_new_conversations(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    pilot.status = Pilot.Status.CLOSED
    pilot.save()
    html = client_for(alice).get(start_url(mentor_maria)).content.decode()
    assert "You can write to people who take part in the same pilot as you." in html
    assert 'name="subject"' not in html


def test_a_blocked_person_cannot_be_written_to(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    conversations.block(blocker=mentor_maria, blocked=alice)
    html = client_for(alice).get(start_url(mentor_maria)).content.decode()
    assert "You cannot write to this person." in html
    assert 'name="subject"' not in html


def test_a_hidden_profile_is_404_like_a_missing_one(
    alice: User, oscar: User, client_for: Any
) -> None:
    client = client_for(alice)
    assert client.get(start_url(oscar)).status_code == 404
    assert (
        client.get(reverse("pilots:start_conversation", args=[oscar.pk + 1000])).status_code == 404
    )


def test_only_a_theme_on_offer_can_be_chosen(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    Week.objects.filter(pilot=pilot).update(theme="Career stories")
    response = client_for(alice).post(
        start_url(mentor_maria),
        {
            "subject": "Q",
            "theme_of": "pilot:999999",
            "body": "Hi",
            "client_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    with pytest.raises(conversations.NotAllowed):
        pilot_services.start_pilot_conversation(
            sender=alice,
            recipient=mentor_maria,
            subject="Q",
            body="Hi",
            client_id=uuid.uuid4(),
            theme_of="pilot:999999",
        )
    assert not Conversation.objects.exists()


def test_the_start_form_posted_again_leads_to_the_started_conversation_though_rules_changed(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    """Back and POST again after the pilot closed: the conversation started the first time,
    not a refusal (the client id says it is the same form)."""
    client_id = uuid.uuid4()

    def start() -> Conversation:
        return pilot_services.start_pilot_conversation(
            sender=alice, recipient=mentor_maria, subject="Q", body="Hi", client_id=client_id
        )

    first = start()
    Pilot.objects.filter(pk=pilot.pk).update(status=Pilot.Status.CLOSED)

    assert start() == first
    with pytest.raises(conversations.NotAllowed):
        pilot_services.start_pilot_conversation(
            sender=alice, recipient=mentor_maria, subject="Q", body="Hi", client_id=uuid.uuid4()
        )
    assert Conversation.objects.count() == 1


def test_the_old_addresses_of_the_start_and_report_pages_redirect(
    alice: User, mentor_maria: User, client_for: Any
) -> None:
    client = client_for(alice)
    talk = client.get(f"/people/{mentor_maria.pk}/talk/")
    report = client.get(f"/people/{mentor_maria.pk}/report/?next=/conversations/")

    assert talk.status_code == report.status_code == 301
    assert talk["Location"] == reverse("pilots:start_conversation", args=[mentor_maria.pk])
    assert report["Location"] == (
        reverse("pilots:report_person", args=[mentor_maria.pk]) + "?next=/conversations/"
    )
