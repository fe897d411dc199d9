"""The conversation pages without JavaScript: the list, a conversation with its history, sending
by form POST, edit and delete, the resync API, starting a conversation, block and report, and
the pilot staff's moderation queue."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging import conversations
from messaging.models import Block, Broadcast, Conversation, Delivery, Message, Participant, Report
from pilots import services as pilot_services
from pilots import signals as pilot_signals
from pilots.models import Material, Participation, Pilot, Role, Week
from profiles.models import Profile, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def talk(pilot: Pilot) -> Callable[..., Conversation]:
    """A direct conversation in `pilot` between two of its people."""

    def make(sender: User, recipient: User, subject: str = "How did you start?") -> Conversation:
        return conversations.start_direct(
            sender=sender, recipient=recipient, subject=subject, context=f"pilot:{pilot.pk}"
        )

    return make


def say(sender: User, conversation: Conversation, body: str = "Hello") -> Message:
    message, _created = conversations.send_message(
        sender=sender, conversation=conversation, body=body, client_id=uuid.uuid4()
    )
    return message


def many(sender: User, conversation: Conversation, count: int) -> list[Message]:
    """`count` messages at once, past the per-user rate limit that send_message applies."""
    rows = Message.objects.bulk_create(
        [
            Message(conversation=conversation, sender=sender, body=f"m{n}", client_id=uuid.uuid4())
            for n in range(count)
        ]
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
    return sorted(rows, key=lambda m: m.pk)


def page_url(conversation: Conversation) -> str:
    return reverse("messaging:conversation", args=[conversation.pk])


def message_item(html: str, message: Message) -> str:
    """The <li> of one message on a page."""
    start = html.index(f'<li id="message-{message.pk}"')
    return html[start : html.index("</li>", start) + len("</li>")]


def list_row(html: str, conversation: Conversation) -> str:
    """The <li> of one conversation on the list page."""
    start = html.rindex("<li", 0, html.index(f'data-conversation="{conversation.pk}"'))
    return html[start : html.index("</li>", start)]


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- Access ---------------------------------------------------------------------------------


def test_participants_see_the_conversation_and_its_messages(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria, "What does a lead developer do?")
    say(alice, conversation, "Hi Maria!")
    say(mentor_maria, conversation, "Hi Alice, happy to tell.")

    page = client_for(mentor_maria).get(page_url(conversation))

    assert page.status_code == 200
    html = page.content.decode()
    assert "What does a lead developer do?" in html
    assert html.index("Hi Maria!") < html.index("Hi Alice, happy to tell.")
    assert 'id="send-form"' in html


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("messaging:conversation", "get"),
        ("messaging:history_json", "get"),
        ("messaging:fragments", "get"),
        ("messaging:send", "post"),
    ],
)
def test_outsiders_and_staff_get_404_the_same_as_for_a_missing_conversation(
    name: str,
    method: str,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    oscar: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    conversation = talk(alice, mentor_maria)
    say(alice, conversation, "Private question")
    data = {"body": "Let me in", "client_id": str(uuid.uuid4())}

    def fetch(user: User, pk: int) -> Any:
        url = reverse(name, args=[pk]) + ("?after=0" if method == "get" else "")
        client = client_for(user)
        return client.post(url, data) if method == "post" else client.get(url)

    missing = fetch(alice, conversation.pk + 1000)
    by_staff = fetch(staff_sam, conversation.pk)  # the pilot's own staff: still private
    by_outsider = fetch(oscar, conversation.pk)

    assert missing.status_code == by_staff.status_code == by_outsider.status_code == 404
    assert b"Private question" not in by_staff.content
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_pages_need_a_signed_in_user(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client: Client
) -> None:
    conversation = talk(alice, mentor_maria)
    for url in (reverse("messaging:conversations"), page_url(conversation)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- Sending --------------------------------------------------------------------------------


def test_sending_by_form_post_stores_the_message_once_per_client_id(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    client = client_for(alice)
    form = client.get(page_url(conversation)).content.decode()
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', form)
    assert client_id is not None
    data = {"body": "My question is about Python.", "client_id": client_id.group(1)}

    first = client.post(reverse("messaging:send", args=[conversation.pk]), data)
    again = client.post(reverse("messaging:send", args=[conversation.pk]), data)  # double click

    message = Message.objects.get(conversation=conversation)
    assert message.body == "My question is about Python."
    assert first.status_code == again.status_code == 302
    assert (
        first["Location"] == again["Location"] == f"{page_url(conversation)}#message-{message.pk}"
    )


def test_each_page_render_offers_a_new_client_id(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    client = client_for(alice)
    pattern = r'name="client_id" value="([0-9a-f-]{36})"'
    first = re.findall(pattern, client.get(page_url(conversation)).content.decode())
    second = re.findall(pattern, client.get(page_url(conversation)).content.decode())
    assert len(first) == len(second) == 1
    assert first != second


def test_a_refused_message_shows_the_reason_and_keeps_the_text(
    alice: User,
    mentor_maria: User,
    talk: Callable[..., Conversation],
    client_for: Any,
    settings: Any,
) -> None:
    settings.MESSAGE_RATE_LIMIT = 0
    conversation = talk(alice, mentor_maria)

    response = client_for(alice).post(
        reverse("messaging:send", args=[conversation.pk]),
        {"body": "Typed with care", "client_id": str(uuid.uuid4())},
    )

    assert response.status_code == 400
    assert "You are sending messages too fast" in response.content.decode()
    assert "Typed with care</textarea>" in response.content.decode()
    assert not Message.objects.exists()


def test_a_message_over_the_limit_or_with_control_characters_is_refused(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    client = client_for(alice)
    url = reverse("messaging:send", args=[conversation.pk])
    for body in ("x" * 4001, "null\x00byte"):
        response = client.post(url, {"body": body, "client_id": str(uuid.uuid4())})
        assert response.status_code == 400
    assert not Message.objects.exists()


# --- Rendering ------------------------------------------------------------------------------


def test_message_text_is_escaped_and_its_links_clickable(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    say(
        alice,
        conversation,
        '<script>alert("x")</script> <b>bold</b> see https://example.com/a?b=1&c=2',
    )

    html = client_for(mentor_maria).get(page_url(conversation)).content.decode()

    assert "<script>alert" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow">' in html


def test_deleted_hidden_and_deleted_account_messages_show_as_such(
    alice: User,
    mentor_maria: User,
    make_user: Callable[..., User],
    pilot: Pilot,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    leaver = make_user("Leaving Lea")
    pilot_services.add_participant(pilot=pilot, user=leaver, role=Role.ACTOR)
    group = conversations.create_group_conversation(
        subject="IT field", context=f"pilot:{pilot.pk}", member_ids=[alice.pk, leaver.pk]
    )
    deleted = say(alice, group, "Oops, wrong chat")
    conversations.delete_message(user=alice, message=deleted)
    hidden = say(leaver, group, "Something rude")
    conversations.hide_message(message=hidden)
    say(leaver, group, "A fine message")
    leaver.delete()

    html = client_for(alice).get(page_url(group)).content.decode()

    assert "Oops, wrong chat" not in html
    assert "Something rude" not in html
    assert "This message was deleted" in message_item(html, deleted)
    assert "Hidden by a moderator" in message_item(html, hidden)
    last = Message.objects.get(body="A fine message")
    assert "Deleted user" in message_item(html, last)
    assert "A fine message" in message_item(html, last)


def test_the_live_fragment_is_the_same_markup_as_the_page(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    first = say(alice, conversation, "One https://example.com")
    second = say(alice, conversation, "Two <i>")
    client = client_for(alice)
    page = client.get(page_url(conversation)).content.decode()
    url = reverse("messaging:fragments", args=[conversation.pk])

    after = client.get(url, {"after": first.pk}).content.decode()
    one = client.get(url, {"id": first.pk}).content.decode()

    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

    def same(html: str) -> str:
        return csrf.sub("", html)

    assert same(after.strip()) == same(message_item(page, second))
    assert same(one.strip()) == same(message_item(page, first))
    assert 'id="message-' not in client.get(url, {"after": second.pk}).content.decode()


def test_fragment_of_a_message_in_another_conversation_is_404(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    mine = talk(alice, mentor_maria, "First")
    other = talk(alice, mentor_maria, "Second")
    message = say(alice, other)
    url = reverse("messaging:fragments", args=[mine.pk])
    assert client_for(alice).get(url, {"id": message.pk}).status_code == 404


# --- History --------------------------------------------------------------------------------


def test_history_shows_the_latest_fifty_and_loads_older_ones(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    sent = many(alice, conversation, 60)
    client = client_for(mentor_maria)

    latest = client.get(page_url(conversation)).content.decode()
    older_link = f"{page_url(conversation)}?before={sent[10].pk}"
    older = client.get(older_link).content.decode()

    assert latest.count('<li id="message-') == 50
    assert f'id="message-{sent[9].pk}"' not in latest
    assert f'id="message-{sent[10].pk}"' in latest
    assert older_link in latest
    assert older.count('<li id="message-') == 10
    assert f'id="message-{sent[0].pk}"' in older
    assert 'rel="prev"' not in older  # nothing older than that


def test_history_api_returns_what_came_after_an_id(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    sent = [say(alice, conversation, f"m{n}") for n in range(4)]
    conversations.mark_read(user=mentor_maria, conversation=conversation, up_to_id=sent[1].pk)
    url = reverse("messaging:history_json", args=[conversation.pk])

    data = client_for(mentor_maria).get(url, {"after": sent[1].pk}).json()

    assert [m["id"] for m in data["messages"]] == [sent[2].pk, sent[3].pk]
    assert data["messages"][0]["body"] == "m2"
    assert data["messages"][0]["sender_name"] == "Alice Actor"
    assert data["last_read_id"] == sent[1].pk
    for bad in ("x", "-1", "²", "9" * 40):
        assert client_for(mentor_maria).get(url, {"after": bad}).status_code == 400, bad


# --- Edit and delete ------------------------------------------------------------------------


def test_author_edits_and_deletes_within_the_window(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Tpyo")
    client = client_for(alice)
    html = client.get(page_url(conversation)).content.decode()
    edit_url = reverse("messaging:edit", args=[conversation.pk, message.pk])
    delete_url = reverse("messaging:delete", args=[conversation.pk, message.pk])
    assert edit_url in message_item(html, message)
    assert delete_url in message_item(html, message)

    client.post(edit_url, {"body": "Typo fixed"})
    message.refresh_from_db()
    assert (message.body, message.edited_at is not None) == ("Typo fixed", True)
    assert "edited" in message_item(client.get(page_url(conversation)).content.decode(), message)

    client.post(delete_url)
    message.refresh_from_db()
    assert message.deleted_at is not None
    after = client.get(page_url(conversation)).content.decode()
    assert "This message was deleted" in message_item(after, message)
    assert "Typo fixed" not in after


def test_after_the_window_the_author_can_no_longer_change_a_message(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Written long ago")
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client = client_for(alice)
    html = client.get(page_url(conversation)).content.decode()
    edit_url = reverse("messaging:edit", args=[conversation.pk, message.pk])
    delete_url = reverse("messaging:delete", args=[conversation.pk, message.pk])

    assert edit_url not in html
    assert delete_url not in html
    response = client.post(edit_url, {"body": "Rewritten"}, follow=True)
    assert "only for a while after sending" in response.content.decode()
    client.post(delete_url)
    message.refresh_from_db()
    assert (message.body, message.deleted_at) == ("Written long ago", None)


def test_nobody_edits_or_deletes_someone_elses_message(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Mine")
    client = client_for(mentor_maria)

    assert reverse("messaging:edit", args=[conversation.pk, message.pk]) not in (
        client.get(page_url(conversation)).content.decode()
    )
    client.post(reverse("messaging:edit", args=[conversation.pk, message.pk]), {"body": "Hers"})
    client.post(reverse("messaging:delete", args=[conversation.pk, message.pk]))
    message.refresh_from_db()
    assert (message.body, message.deleted_at) == ("Mine", None)


# --- Read state and the list ----------------------------------------------------------------


def test_viewing_a_conversation_moves_the_read_marker(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    sent = [say(alice, conversation, f"Question {n}") for n in range(3)]
    assert conversations.unread_counts(user=mentor_maria) == {conversation.pk: 3}
    client = client_for(mentor_maria)

    first_visit = client.get(page_url(conversation)).content.decode()
    second_visit = client.get(page_url(conversation)).content.decode()

    assert conversations.unread_counts(user=mentor_maria) == {}
    link = Participant.objects.get(conversation=conversation, user=mentor_maria)
    assert link.last_read_id == sent[-1].pk
    assert all('badge-new">New' in message_item(first_visit, m) for m in sent)
    assert 'badge-new">New' not in second_visit


def test_list_orders_by_latest_activity_with_unread_counts(
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    quiet = talk(alice, mentor_maria, "An old question")
    say(alice, quiet, "Hello")
    busy = talk(staff_sam, mentor_maria, "Welcome to the pilot")
    many(staff_sam, busy, 2)
    conversations.mark_read(user=mentor_maria, conversation=quiet)
    conversations.lock(conversation=quiet)

    html = client_for(mentor_maria).get(reverse("messaging:conversations")).content.decode()

    assert html.index("Welcome to the pilot") < html.index("An old question")
    busy_row, quiet_row = list_row(html, busy), list_row(html, quiet)
    assert "conversation-unread" in busy_row
    assert "conversation-unread" not in quiet_row
    assert "<span data-count>2</span>" in busy_row
    assert "Sam Staff" in busy_row
    assert "Alice Actor" in quiet_row
    assert "Read-only" in quiet_row
    assert "Read-only" not in busy_row


def test_navigation_shows_the_unread_total_on_every_page(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    first = talk(alice, mentor_maria, "One")
    second = talk(alice, mentor_maria, "Two")
    many(alice, first, 2)
    many(alice, second, 1)
    client = client_for(mentor_maria)

    def badges(url: str) -> tuple[str | None, str | None]:
        """The counts on the Conversations and Notifications links (None: no badge)."""
        html = client.get(url).content.decode()
        found = []
        for link_id in ("nav-conversations", "nav-notifications"):
            link = re.search(rf'<a id="{link_id}"[^>]*>(.*?)</a>', html, re.S)
            assert link is not None, (url, link_id)
            count = re.search(r"<span data-count>(\d+)</span>", link.group(1))
            found.append(count.group(1) if count else None)
        return found[0], found[1]

    for url in (reverse("profiles:me"), reverse("pilots:list"), reverse("messaging:notifications")):
        assert badges(url) == ("3", None), url  # (`many` stores messages without notifying)

    client.get(page_url(first))
    assert badges(reverse("profiles:me")) == ("1", None)
    client.get(page_url(second))
    assert badges(reverse("profiles:me")) == (None, None)


@pytest.mark.parametrize("count", [5, 30])
def test_list_makes_a_constant_number_of_queries(
    count: int,
    make_user: Callable[..., User],
    pilot: Pilot,
    mentor_maria: User,
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(count):
        actor = make_user(f"Actor {n}")
        pilot_services.add_participant(pilot=pilot, user=actor, role=Role.ACTOR)
        conversation = conversations.start_direct(
            sender=actor, recipient=mentor_maria, subject=f"Question {n}"
        )
        many(actor, conversation, 2)
    client = client_for(mentor_maria)

    with django_assert_max_num_queries(7):
        page = client.get(reverse("messaging:conversations"))

    assert page.content.decode().count('class="conversation-item') == count


def test_list_and_conversation_query_counts_do_not_grow(
    make_user: Callable[..., User],
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    client = client_for(mentor_maria)
    conversation = talk(alice, mentor_maria)
    many(alice, conversation, 5)
    small_page = count_queries(client, page_url(conversation))
    many(alice, conversation, 60)
    large_page = count_queries(client, page_url(conversation))
    small_list = count_queries(client, reverse("messaging:conversations"))
    for n in range(25):
        actor = make_user(f"Actor {n}")
        pilot_services.add_participant(pilot=pilot, user=actor, role=Role.ACTOR)
        many(actor, talk(actor, mentor_maria, f"Q{n}"), 1)
    large_list = count_queries(client, reverse("messaging:conversations"))

    # 11: reading the page also marks the conversation's "new messages" notification read.
    assert small_page == large_page <= 11
    assert small_list == large_list <= 7


# --- Read-only and blocks -------------------------------------------------------------------


def test_a_read_only_conversation_has_no_form_and_says_why(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    say(alice, conversation, "Before the end")
    conversations.lock(conversation=conversation)

    html = client_for(alice).get(page_url(conversation)).content.decode()

    assert 'id="send-form"' not in html
    assert "This conversation is read-only" in html
    assert "Before the end" in html
    response = client_for(alice).post(
        reverse("messaging:send", args=[conversation.pk]),
        {"body": "After the end", "client_id": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_blocking_from_the_conversation_stops_messages_both_ways_until_unblocked(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    maria = client_for(mentor_maria)
    alice_client = client_for(alice)

    response = maria.post(
        reverse("messaging:block", args=[alice.pk]), {"next": page_url(conversation)}
    )

    assert response["Location"] == page_url(conversation)
    assert Block.objects.filter(blocker=mentor_maria, blocked=alice).exists()
    marias_page = maria.get(page_url(conversation)).content.decode()
    assert "You have blocked this person" in marias_page
    assert reverse("messaging:unblock", args=[alice.pk]) in marias_page
    alices_page = alice_client.get(page_url(conversation)).content.decode()
    assert "You cannot write to this person." in alices_page
    assert 'id="send-form"' not in alices_page

    maria.post(reverse("messaging:unblock", args=[alice.pk]))
    assert not Block.objects.exists()
    assert 'id="send-form"' in alice_client.get(page_url(conversation)).content.decode()


def test_block_ignores_a_next_address_on_another_site(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    talk(alice, mentor_maria)
    response = client_for(mentor_maria).post(
        reverse("messaging:block", args=[alice.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("messaging:conversations")


def test_nobody_can_block_a_person_they_cannot_see(
    alice: User, oscar: User, client_for: Any, make_user: Callable[..., User]
) -> None:
    client = client_for(alice)
    hidden = client.post(reverse("messaging:block", args=[oscar.pk]))
    missing = client.post(reverse("messaging:block", args=[oscar.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404
    assert not Block.objects.exists()


def test_profile_page_offers_conversation_block_and_report(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    client = client_for(alice)
    profile_url = reverse("profiles:detail", args=[mentor_maria.pk])

    html = client.get(profile_url).content.decode()
    assert reverse("pilots:start_conversation", args=[mentor_maria.pk]) in html
    assert reverse("pilots:report_person", args=[mentor_maria.pk]) in html

    client.post(reverse("messaging:block", args=[mentor_maria.pk]), {"next": profile_url})
    blocked = client.get(profile_url).content.decode()
    assert reverse("messaging:unblock", args=[mentor_maria.pk]) in blocked
    assert reverse("pilots:start_conversation", args=[mentor_maria.pk]) not in blocked
    own = client.get(reverse("profiles:detail", args=[alice.pk])).content.decode()
    assert reverse("pilots:start_conversation", args=[alice.pk]) not in own


def test_suggestion_cards_offer_to_start_a_conversation(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    html = client_for(alice).get(reverse("profiles:me")).content.decode()
    assert reverse("pilots:start_conversation", args=[mentor_maria.pk]) in html


# --- Starting a conversation ----------------------------------------------------------------


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
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', form)
    assert client_id is not None
    data = {
        "subject": "Which future skills matter in your team?",
        "theme_of": f"pilot:{pilot.pk}",
        "body": "Hi Maria, I would like to hear your view.",
        "client_id": client_id.group(1),
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


# --- Reports --------------------------------------------------------------------------------


def test_participant_reports_a_message_with_a_reason(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    conversation = talk(mentor_maria, alice)
    message = say(mentor_maria, conversation, "Something inappropriate")
    client = client_for(alice)
    url = reverse("messaging:report_message", args=[conversation.pk, message.pk])
    assert url in client.get(page_url(conversation)).content.decode()

    form = client.get(url)
    response = client.post(url, {"reason": "inappropriate", "details": "Not OK."})

    assert "Something inappropriate" in form.content.decode()
    assert response["Location"] == f"{page_url(conversation)}#message-{message.pk}"
    report = Report.objects.get()
    assert (report.reporter, report.reported_user, report.message) == (alice, mentor_maria, message)
    assert (report.reason, report.details, report.context) == (
        "inappropriate",
        "Not OK.",
        f"pilot:{pilot.pk}",
    )


def test_nobody_reports_their_own_message_or_one_they_cannot_see(
    alice: User,
    mentor_maria: User,
    oscar: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Mine")
    url = reverse("messaging:report_message", args=[conversation.pk, message.pk])
    assert client_for(alice).get(url).status_code == 404
    assert client_for(oscar).post(url, {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_reporting_a_person_files_it_under_the_shared_pilot(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    url = reverse("pilots:report_person", args=[mentor_maria.pk])
    client_for(alice).post(url, {"reason": "harassment", "details": ""})
    report = Report.objects.get()
    assert (report.reported_user, report.message, report.context) == (
        mentor_maria,
        None,
        f"pilot:{pilot.pk}",
    )


# --- Moderation -----------------------------------------------------------------------------


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
    report = conversations.report(
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


def test_staff_hide_a_reported_message(
    alice: User,
    staff_sam: User,
    pilot: Pilot,
    reported: tuple[Conversation, Message, Report],
    client_for: Any,
) -> None:
    conversation, rude, report = reported
    client = client_for(staff_sam)

    client.post(moderation_url(pilot, "hide_message", report.pk))

    rude.refresh_from_db()
    report.refresh_from_db()
    assert rude.hidden_at is not None
    assert report.outcome == Report.Outcome.HIDDEN
    assert "A rude answer" not in client.get(moderation_url(pilot)).content.decode()
    alices_page = client_for(alice).get(page_url(conversation)).content.decode()
    assert "Hidden by a moderator" in message_item(alices_page, rude)
    assert "A rude answer" not in alices_page


def test_staff_dismiss_a_report(
    staff_sam: User, pilot: Pilot, reported: tuple[Conversation, Message, Report], client_for: Any
) -> None:
    _conversation, rude, report = reported
    client_for(staff_sam).post(moderation_url(pilot, "dismiss_report", report.pk))
    report.refresh_from_db()
    rude.refresh_from_db()
    assert report.outcome == Report.Outcome.DISMISSED
    assert rude.hidden_at is None


def test_staff_warn_the_reported_person_once(
    mentor_maria: User,
    staff_sam: User,
    pilot: Pilot,
    reported: tuple[Conversation, Message, Report],
    client_for: Any,
) -> None:
    _conversation, _rude, report = reported
    client = client_for(staff_sam)

    client.post(moderation_url(pilot, "warn", report.pk))
    client.post(moderation_url(pilot, "warn", report.pk))  # again: already handled

    report.refresh_from_db()
    assert report.outcome == Report.Outcome.WARNED
    warning = Broadcast.objects.get(source=f"warning:{report.pk}")
    assert pilot.name in warning.subject
    assert "A rude answer" not in warning.body
    assert set(
        Delivery.objects.filter(broadcast=warning).values_list("recipient_id", flat=True)
    ) == {mentor_maria.pk}


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


def test_staff_remove_the_reported_person_from_the_pilot(
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    pilot: Pilot,
    reported: tuple[Conversation, Message, Report],
    client_for: Any,
) -> None:
    conversation, _rude, report = reported

    client_for(staff_sam).post(moderation_url(pilot, "remove_participant", report.pk))

    report.refresh_from_db()
    conversation.refresh_from_db()
    assert report.outcome == Report.Outcome.REMOVED
    assert not Participation.objects.filter(pilot=pilot, user=mentor_maria).exists()
    assert conversation.is_read_only
    assert client_for(mentor_maria).get(page_url(conversation)).status_code == 404
    alices_page = client_for(alice).get(page_url(conversation)).content.decode()
    assert "This conversation is read-only" in alices_page


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
        conversations.report(
            reporter=alice, reported_user=mentor_maria, message=message, reason="spam"
        )
    client = client_for(staff_sam)

    with django_assert_max_num_queries(7):
        page = client.get(moderation_url(pilot))

    assert page.content.decode().count('class="report"') == count


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
    in_loop = conversations.report(
        reporter=alice,
        reported_user=mentor_maria,
        message=say(mentor_maria, loop, "Rude in the loop"),
        reason="spam",
    )
    conversations.report(
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
