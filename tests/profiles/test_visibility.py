"""Who may see which profile. A hidden profile is a 404, the same as a missing one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from profiles.models import Organisation, Profile, User
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("viewer", "visibility", "status"),
    [
        ("stranger", Profile.Visibility.SIGNED_IN, 200),
        ("stranger", Profile.Visibility.STAFF, 404),
        ("staff", Profile.Visibility.STAFF, 200),
        ("owner", Profile.Visibility.STAFF, 200),
        ("anonymous", Profile.Visibility.SIGNED_IN, 302),
    ],
)
def test_visibility_matrix(
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    viewer: str,
    visibility: str,
    status: int,
) -> None:
    owner = make_user("Owner", visibility=visibility)
    clients = {
        "stranger": lambda: client_for(make_user("Stranger")),
        "staff": lambda: client_for(make_user("Staff", is_staff=True)),
        "owner": lambda: client_for(owner),
        "anonymous": Client,
    }
    assert clients[viewer]().get(f"/people/{owner.pk}/").status_code == status


def test_hidden_and_missing_profiles_look_the_same(
    alice: User, oscar: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    hidden = client.get(f"/people/{oscar.pk}/")
    missing = client.get("/people/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert page_text(hidden) == page_text(missing)
    assert "Not found" in page_text(hidden)


def test_hidden_profiles_are_left_out_of_the_directory_and_organisation_page(
    alice: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    organisation: Organisation,
) -> None:
    make_user(
        "Hidden Henry",
        kind=Profile.Kind.PROFESSIONAL,
        organisation=organisation,
        visibility=Profile.Visibility.STAFF,
    )
    make_user("Open Olga", kind=Profile.Kind.PROFESSIONAL, organisation=organisation)
    client = client_for(alice)
    directory = client.get("/people/").content.decode()
    org_page = client.get(f"/organisations/{organisation.slug}/").content.decode()
    for html in (directory, org_page):
        assert "Open Olga" in html
        assert "Hidden Henry" not in html
    staff = client_for(make_user("Staff", is_staff=True))
    assert "Hidden Henry" in staff.get("/people/").content.decode()


def test_deactivated_users_disappear(
    alice: User, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    gone = make_user("Gone Gary")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    client = client_for(alice)
    assert client.get(f"/people/{gone.pk}/").status_code == 404
    assert "Gone Gary" not in client.get("/people/").content.decode()
