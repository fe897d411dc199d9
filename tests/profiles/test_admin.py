"""The admin is the back office: its lists open for staff, with a bounded number of queries."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from profiles.models import Organisation, Profile, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/profiles/user/",
        "/admin/profiles/profile/",
        "/admin/profiles/organisation/",
        "/admin/profiles/competence/",
        "/admin/profiles/language/",
        "/admin/profiles/profile/?kind__exact=professional&q=python",
        "/admin/profiles/competence/?category__exact=ict&q=data",
    ],
)
def test_admin_lists_open_with_a_query_budget(
    superuser: User,
    make_user: Callable[..., User],
    organisation: Organisation,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
    path: str,
) -> None:
    for _ in range(15):
        make_user(kind=Profile.Kind.PROFESSIONAL, organisation=organisation, shares=("databases",))
    client = client_for(superuser)
    with django_assert_max_num_queries(20):
        assert client.get(path).status_code == 200


def test_admin_profile_page_edits_competences_inline(
    superuser: User, mentor_maria: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(superuser).get(f"/admin/profiles/profile/{mentor_maria.pk}/change/")
    assert page.status_code == 200
    assert "competence_links-TOTAL_FORMS" in page.content.decode()


def test_students_and_mentors_cannot_open_the_admin(
    alice: User, mentor_maria: User, client_for: Callable[[User], Client]
) -> None:
    for user in (alice, mentor_maria):
        response = client_for(user).get("/admin/profiles/profile/")
        assert response.status_code == 302
        assert "/login/" in response["Location"]
