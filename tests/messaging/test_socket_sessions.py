"""Sessions ending take effect on open sockets: logout, password change and deactivation
close them; a deactivation or password set behind the sockets' back is noticed.

Runs on the main pass (PostgreSQL, Redis channel layer and cache) and on SQLite with the
in-memory layer.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from profiles.models import User
from tests.conftest import PASSWORD
from tests.support.sockets import (
    FakeClock,
    Live,
    db,
    signed_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_logout_closes_the_sockets_of_that_session_only(live: Live, alice: User) -> None:
    laptop, laptop_cookie = await db(signed_in)(alice)
    _phone, phone_cookie = await db(signed_in)(alice)
    laptop_socket = await live.connect_with(laptop_cookie)
    phone_socket = await live.connect_with(phone_cookie)

    response = await db(laptop.post)(reverse("account_logout"))
    assert response.status_code == 302
    assert await laptop_socket.close_code() == 4000
    await phone_socket.ping()

    again, _accepted = await live.open(laptop_cookie)  # the client reconnects: signed out
    assert await again.close_code() == 4401


async def test_password_change_closes_open_sockets(live: Live, alice: User) -> None:
    client, cookie = await db(signed_in)(alice)
    _other, other_cookie = await db(signed_in)(alice)
    socket = await live.connect_with(cookie)
    other_socket = await live.connect_with(other_cookie)

    response = await db(client.post)(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-horse-77", "password2": "a-new-horse-77"},
    )
    assert response.status_code == 302
    assert await socket.close_code() == 4000
    assert await other_socket.close_code() == 4000
    again, _accepted = await live.open(other_cookie)  # that session no longer signs in
    assert await again.close_code() == 4401


async def test_deactivation_in_the_admin_closes_open_sockets(
    live: Live, alice: User, make_user: Callable[..., User]
) -> None:
    admin = await db(make_user)("Ada Admin", is_staff=True)
    admin.is_superuser = True
    await db(admin.save)()
    socket = await live.connect(alice)
    admin_client, _cookie = await db(signed_in)(admin)

    response = await db(admin_client.post)(
        reverse("admin:profiles_user_change", args=[alice.pk]),
        {
            "email": alice.email,
            "display_name": alice.display_name,
            "groups": [],
            "user_permissions": [],
            # "is_active" left out: the checkbox is cleared
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    await db(alice.refresh_from_db)()
    assert not alice.is_active
    assert await socket.close_code() == 4000


async def test_an_account_deactivated_behind_the_sockets_back_is_noticed_within_30_seconds(
    live: Live, alice: User, clock: FakeClock
) -> None:
    socket = await live.connect(alice)
    # An update() sends no signal: only the socket's own recheck can notice.
    await db(User.objects.filter(pk=alice.pk).update)(is_active=False)
    clock.advance(29)
    await socket.ping()
    clock.advance(2)
    await socket.send({"type": "ping"})
    assert await socket.close_code() == 4401


async def test_a_password_set_without_a_signal_is_noticed_within_30_seconds(
    live: Live, alice: User, clock: FakeClock
) -> None:
    socket = await live.connect(alice)

    def set_password() -> None:  # as the admin's password form or `changepassword` do
        alice.set_password("another-horse-88")
        alice.save()

    await db(set_password)()
    await socket.ping()
    clock.advance(31)
    await socket.send({"type": "ping"})
    assert await socket.close_code() == 4401
