"""Staff forming a pair or a group tells its members (in the app, and by e-mail as their
settings say) and opens its conversation with an introduction of them; adding someone to a
group tells them. People who join an open discussion group themselves hear nothing.
Delivery runs in this process (eager tasks, also on the main pass)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from groups import services
from groups.models import Group
from messaging import services as messaging
from messaging.models import Broadcast, Kind, Message, Notification, NotificationSetting
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def notices(user: User) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=Kind.GROUP).order_by("pk"))


def introduction(group: Group) -> Message:
    (message,) = group.conversation.messages.all()
    return message


def test_forming_a_pair_tells_both_and_introduces_them_from_their_profiles(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        pair = services.form_pair(
            pilot=pilot,
            mentor=mentor_maria,
            mentee=alice,
            mode=Group.Mode.INDIVIDUAL,
            created_by=staff_sam,
        )
    (for_alice,) = notices(alice)
    assert for_alice.subject == "You are in a pair with Maria Mentor"
    assert for_alice.url == f"/conversations/{pair.conversation_id}/"
    (for_maria,) = notices(mentor_maria)
    assert for_maria.subject == "You are in a pair with Alice Actor"
    # By e-mail too (the default setting is "now"), each in their own words.
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "maria@example.com"]
    to_alice = next(m for m in mail.outbox if m.to == ["alice@example.com"])
    assert to_alice.subject.endswith("You are in a pair with Maria Mentor")
    assert "a mentor from working life and a student talk one to one" in to_alice.body
    # The pilot's staff statistics count these deliveries.
    assert set(Broadcast.objects.filter(kind=Kind.GROUP).values_list("context", flat=True)) == {
        pilot.context
    }

    intro = introduction(pair)
    assert intro.sender == staff_sam  # who formed it, without taking part in it
    assert staff_sam.pk not in set(pair.conversation.participants.values_list("user_id", flat=True))
    body = intro.body
    assert body.startswith("Hello Maria Mentor and Alice Actor! Project staff of")
    assert str(Group.EXPLANATIONS["individual"]) in body
    assert "- Maria Mentor: Lead developer at Nordic Code Oy" in body
    assert "- Alice Actor: ICT" in body
    assert "Maria Mentor can share " in body
    assert "which Alice Actor wants to learn." in body
    assert "You both speak Finnish." in body
    # It waits for both as one unread message, and no "new message" notice doubles the one above.
    assert conversations.unread_counts(user=alice) == {pair.conversation_id: 1}
    assert conversations.unread_counts(user=mentor_maria) == {pair.conversation_id: 1}
    assert not Notification.objects.filter(kind=Kind.MESSAGE).exists()
    # Nor does a "new messages" e-mail follow about it.
    with django_capture_on_commit_callbacks(execute=True):
        assert messaging.send_message_emails(now=timezone.now() + datetime.timedelta(days=1)) == 0


def test_a_pair_without_a_shared_topic_is_told_to_start_from_their_hopes(
    pilot: Pilot, alice: User, bob: User, staff_sam: User
) -> None:
    peers = services.form_pair(
        pilot=pilot, mentor=alice, mentee=bob, mode=Group.Mode.PEER, created_by=staff_sam
    )
    body = introduction(peers).body
    assert str(Group.EXPLANATIONS["peer"]) in body
    assert "Your profiles do not yet name something one of you can share" in body
    assert "Why you two:" in body


def test_e_mail_follows_each_members_setting(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    messaging.set_email_choice(user=alice, kind=Kind.GROUP, email=NotificationSetting.Email.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        services.form_pair(
            pilot=pilot,
            mentor=mentor_maria,
            mentee=alice,
            mode=Group.Mode.INDIVIDUAL,
            created_by=staff_sam,
        )
    assert [m.to for m in mail.outbox] == [["maria@example.com"]]  # alice chose no e-mail
    assert len(notices(alice)) == 1  # but sees it in the app
    assert len(notices(mentor_maria)) == 1


def test_creating_a_group_tells_its_members_and_introduces_everyone(
    pilot: Pilot,
    alice: User,
    bob: User,
    mentor_maria: User,
    staff_sam: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        group = services.create_group(
            pilot=pilot,
            kind=Group.Kind.MENTORING,
            name="Cloud circle",
            created_by=staff_sam,
            member_ids=[alice.pk, bob.pk, mentor_maria.pk],
        )
    for member in (alice, bob, mentor_maria):
        assert [n.subject for n in notices(member)] == ["You are in the group Cloud circle"]
    assert len(mail.outbox) == 3
    body = introduction(group).body
    assert body.startswith("Welcome to Cloud circle! Project staff of")
    assert str(Group.EXPLANATIONS["group"]) in body
    assert "- Maria Mentor: Lead developer at Nordic Code Oy (can share " in body
    assert "- Alice Actor: ICT" in body
    assert "- Bob Actor" in body


def test_adding_a_member_tells_them_once_and_joining_by_oneself_tells_nobody(
    pilot: Pilot,
    it_field: Group,
    alice: User,
    bob: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.add_member(group=it_field, user=alice)
        services.add_member(group=it_field, user=alice)  # twice: once
    assert [n.subject for n in notices(alice)] == ["You are in the group IT field"]
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert str(Group.EXPLANATIONS["discussion"]) in Notification.objects.get(user=alice).body
    # Taken out and added again: told again.
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_member(group=it_field, user=alice)
        services.add_member(group=it_field, user=alice)
    assert len(notices(alice)) == 2
    # Joining an open discussion group oneself: no notice.
    with django_capture_on_commit_callbacks(execute=True):
        services.join_group(group=it_field, user=bob)
    assert notices(bob) == []
    # Maria was told when staff created the group with her in it; nothing more since.
    told = Broadcast.objects.filter(kind=Kind.GROUP, deliveries__recipient=mentor_maria)
    assert told.distinct().count() == 1


def test_no_introduction_without_someone_who_formed_the_group(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        pair = services.form_pair(
            pilot=pilot, mentor=mentor_maria, mentee=alice, mode="individual", created_by=None
        )
    assert not pair.conversation.messages.exists()
    assert len(notices(alice)) == 1  # still told
