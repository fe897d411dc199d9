"""Reports about messages in a group reach the moderation queue of the group's pilot only."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client

from groups import services
from groups.models import Group
from messaging.services import conversations, reports
from pilots.models import Pilot
from profiles.models import User

pytestmark = pytest.mark.django_db


def test_report_in_a_group_reaches_its_pilots_queue(
    pilot: Pilot,
    other_pilot: Pilot,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    other_staff: User,
    client_for: Callable[[User], Client],
) -> None:
    pair = services.form_pair(
        pilot=pilot,
        mentor=mentor_maria,
        mentee=alice,
        mode=Group.Mode.INDIVIDUAL,
        created_by=staff_sam,
    )
    message, _ = conversations.send_message(
        sender=mentor_maria,
        conversation=pair.conversation,
        body="Rude words",
        client_id=uuid.uuid4(),
    )
    reports.report(reporter=alice, reported_user=mentor_maria, message=message, reason="harassment")
    queue = client_for(staff_sam).get(f"/pilots/{pilot.slug}/staff/moderation/").content.decode()
    assert "Rude words" in queue
    other = client_for(other_staff).get(f"/pilots/{other_pilot.slug}/staff/moderation/")
    assert "Rude words" not in other.content.decode()
