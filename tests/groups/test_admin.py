"""The admin lists and searches groups and members; archiving from it goes through the same
service (the conversation becomes read-only), and nothing there bypasses the services."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils.html import escape
from pytest_django import DjangoAssertNumQueries

from groups.models import Group
from profiles.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user: Callable[..., User], client_for: Callable[[User], Client]) -> Client:
    user = make_user("Admin Ada", is_staff=True)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    user.refresh_from_db()
    return client_for(user)


def test_groups_and_members_are_listed_filtered_and_searched(
    admin_client: Client,
    pair: Group,
    it_field: Group,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    with django_assert_max_num_queries(12):
        html = admin_client.get("/admin/groups/group/").content.decode()
    assert escape(pair.name) in html
    assert "IT field" in html
    html = admin_client.get("/admin/groups/group/", {"kind__exact": "discussion"}).content.decode()
    assert "IT field" in html
    assert escape(pair.name) not in html
    html = admin_client.get("/admin/groups/group/", {"q": "Alice"}).content.decode()
    assert escape(pair.name) in html
    assert "IT field" not in html
    page = admin_client.get(f"/admin/groups/group/{pair.pk}/change/")
    assert page.status_code == 200
    assert "Alice Actor" in page.content.decode()
    with django_assert_max_num_queries(12):
        members = admin_client.get("/admin/groups/groupmember/", {"q": "maria"})
    assert "IT field" in members.content.decode()


def test_archiving_from_the_admin_locks_the_conversation(admin_client: Client, pair: Group) -> None:
    admin_client.post("/admin/groups/group/", {"action": "archive", "_selected_action": [pair.pk]})
    pair.refresh_from_db()
    pair.conversation.refresh_from_db()
    assert pair.is_archived
    assert pair.conversation.is_read_only


def test_groups_are_not_added_or_deleted_in_the_admin(admin_client: Client, pair: Group) -> None:
    assert admin_client.get("/admin/groups/group/add/").status_code == 403
    assert admin_client.get(f"/admin/groups/group/{pair.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/groups/groupmember/add/").status_code == 403
