"""Groups were called loops until issue 9: the pages one could open under /loops/ (in
bookmarks and e-mails) redirect permanently to their /groups/ addresses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from groups.models import Group
from pilots.models import Pilot
from profiles.models import User

pytestmark = pytest.mark.django_db


def test_the_old_loop_pages_redirect_permanently_to_the_group_pages(
    pilot: Pilot, pair: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    for old, new in [
        ("/loops/", "/groups/"),
        ("/loops/discussions/", "/groups/discussions/"),
        (f"/loops/{pair.pk}/", f"/groups/{pair.pk}/"),
    ]:
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new)
        assert client.get(new).status_code == 200


def test_the_old_staff_pages_redirect_with_their_query(
    pilot: Pilot, pair: Group, sam: Client
) -> None:
    staff = f"/pilots/{pilot.slug}/staff"
    for old, new in [
        (f"{staff}/loops/?kind=pair", f"{staff}/groups/?kind=pair"),
        (f"{staff}/loops/pair/", f"{staff}/groups/pair/"),
        (f"{staff}/loops/new/", f"{staff}/groups/new/"),
        (f"{staff}/loops/{pair.pk}/", f"{staff}/groups/{pair.pk}/"),
    ]:
        response = sam.get(old)
        assert (response.status_code, response["Location"]) == (301, new)
        assert sam.get(new).status_code == 200


def test_a_redirect_reveals_nothing_the_new_page_would_not(
    pilot: Pilot, pair: Group, oscar: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(oscar)
    assert client.get(f"/loops/{pair.pk}/", follow=True).status_code == 404
    staff_page = f"/pilots/{pilot.slug}/staff/loops/{pair.pk}/"
    assert client.get(staff_page, follow=True).status_code == 404
