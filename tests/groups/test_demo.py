"""The demo pilot's groups: every mode, the two discussion groups and a mentoring group, with
conversations in Finnish and English; seeding again creates nothing new."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from groups import demo
from groups.models import Group, GroupMember
from messaging.models import Conversation, Message, Participant
from pilots.models import Pilot

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int, int]:
    return (
        Group.objects.count(),
        GroupMember.objects.count(),
        Conversation.objects.count(),
        Participant.objects.count(),
        Message.objects.count(),
    )


def test_seeding_creates_groups_in_every_mode_once() -> None:
    call_command("seed_demo")
    pilot = Pilot.objects.get(slug="speed-mentoring-spring")
    groups = Group.objects.filter(pilot=pilot)
    assert set(groups.values_list("mode", flat=True)) == {
        Group.Mode.INDIVIDUAL,
        Group.Mode.REVERSE,
        Group.Mode.PEER,
        Group.Mode.GROUP,
        "",
    }
    assert set(
        groups.filter(kind=Group.Kind.DISCUSSION, is_open=True).values_list("name", flat=True)
    ) == {"IT field", "Future skills"}
    assert groups.filter(kind=Group.Kind.MENTORING).count() == 1
    for group in groups:
        assert group.conversation.context == f"group:{group.pk}"
        assert set(group.conversation.participants.values_list("user_id", flat=True)) == set(
            group.memberships.values_list("user_id", flat=True)
        )
        assert group.conversation.messages.exists()
    bodies = " ".join(Message.objects.values_list("body", flat=True))
    assert "Kiitos" in bodies  # Finnish
    assert "Welcome" in bodies  # and English
    before = counts()
    call_command("seed_demo")
    demo.seed(pilot)
    assert counts() == before
