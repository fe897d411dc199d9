"""Staff and the Django admin: the "Pilot staff" group gives the demo staff what they need
there; staff without any admin permission see no Admin link that would only refuse them."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group as PermissionGroup
from django.core.management import call_command
from django.test import Client

from mentoring.admin_access import (
    PILOT_STAFF_GROUP,
    PILOT_STAFF_PERMISSIONS,
    ensure_pilot_staff_group,
    grant_pilot_staff,
)
from pilots.models import Pilot
from profiles.models import User
from tests.support.html import Html

pytestmark = pytest.mark.django_db


def _admin_links(client: Client) -> int:
    return Html(client.get("/people/")).count('header nav a[href="/admin/"]')


def test_the_group_holds_exactly_the_listed_permissions() -> None:
    group = ensure_pilot_staff_group()
    expected = {
        f"{app}.{action}_{model}"
        for app, models in PILOT_STAFF_PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    }
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert granted == expected  # every codename exists: a renamed model fails here
    assert ensure_pilot_staff_group() == group  # idempotent
    assert PermissionGroup.objects.filter(name=PILOT_STAFF_GROUP).count() == 1


def test_staff_without_admin_permissions_see_no_admin_link(
    staff_sam: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(staff_sam)
    assert _admin_links(client) == 0
    assert client.get("/admin/").status_code == 200  # Django's own "no permission" index


def test_pilot_staff_see_the_admin_link_and_can_work_there(
    pilot: Pilot, staff_sam: User, client_for: Callable[[User], Client]
) -> None:
    grant_pilot_staff(user=staff_sam)
    client = client_for(staff_sam)
    assert _admin_links(client) == 1
    index = Html(client.get("/admin/"))
    assert index.count('a[href="/admin/pilots/pilot/"]') >= 1
    assert index.count('a[href="/admin/messaging/report/"]') >= 1
    assert index.count('a[href="/admin/profiles/user/"]') == 0  # accounts stay the superuser's
    assert client.get(f"/admin/pilots/pilot/{pilot.pk}/change/").status_code == 200
    assert client.get("/admin/pilots/pilot/add/").status_code == 403


def test_non_staff_never_see_the_admin_link(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    assert _admin_links(client_for(alice)) == 0


def test_superusers_see_the_admin_link(
    superuser: User, client_for: Callable[[User], Client]
) -> None:
    assert _admin_links(client_for(superuser)) == 1


def test_seed_demo_puts_the_demo_staff_in_the_group(client: Client) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    staff = User.objects.get(email="staff@demo.example")
    assert staff.groups.filter(name=PILOT_STAFF_GROUP).exists()
    assert client.login(email="staff@demo.example", password="demo-mentoring")
    assert _admin_links(client) == 1
