"""The migration from loops to groups: pairs made before it get pair conversations and are
called by their two as new pairs are ("A \N{EN DASH} B" becomes "A & B", its conversation too)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

# Every other app as it is now (a state without its later columns could not insert rows).
BEFORE = [
    ("groups", "0001_initial"),
    ("messaging", "0006_broadcast_translations"),
    ("pilots", "0005_copy_staff_texts_to_default_language"),
    ("profiles", "0006_swedish"),
]
AFTER = [("groups", "0002_rename_loops_to_groups")]


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        yield executor
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def make(apps: Any, kind: str, name: str, mode: str) -> Any:
    Conversation = apps.get_model("messaging", "Conversation")
    Group = apps.get_model("groups", "Group")
    Pilot = apps.get_model("pilots", "Pilot")
    Organisation = apps.get_model("profiles", "Organisation")
    pilot = Pilot.objects.first() or Pilot.objects.create(
        name="Spring",
        slug="spring",
        host=Organisation.objects.create(name="Uni", slug="uni"),
        starts_on="2026-02-01",
        ends_on="2026-03-31",
    )
    conversation = Conversation.objects.create(kind="group", subject=name)
    return Group.objects.create(
        pilot=pilot, kind=kind, mode=mode, name=name, conversation=conversation
    )


def test_old_pairs_become_pairs_by_their_two_and_groups_stay_as_they_were(
    executor: MigrationExecutor,
) -> None:
    old = executor.loader.project_state(BEFORE).apps
    pair = make(old, "pair", "Maria Mentor \N{EN DASH} Alice Actor", "individual")
    group = make(old, "discussion", "IT \N{EN DASH} the field", "")

    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Group = new.get_model("groups", "Group")
    pair = Group.objects.select_related("conversation").get(pk=pair.pk)
    assert pair.name == pair.conversation.subject == "Maria Mentor & Alice Actor"
    assert pair.conversation.kind == "pair"
    group = Group.objects.select_related("conversation").get(pk=group.pk)
    assert group.name == "IT \N{EN DASH} the field"
    assert group.conversation.kind == "group"
