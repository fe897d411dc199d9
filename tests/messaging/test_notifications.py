"""The notification list, the unread count in the navigation, mark-read, mark-all-read and the
notification settings."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from messaging import services as messaging
from messaging.models import Delivery, Kind, Notification, NotificationSetting
from profiles.models import User
from tests.support.html import Html

_sources = itertools.count(1)


@pytest.fixture
def notify(db: None) -> Callable[..., Notification]:
    def make(
        user: User, subject: str = "News", url: str = "/pilots/", **fields: Any
    ) -> Notification:
        return Notification.objects.create(
            user=user,
            kind=fields.pop("kind", Kind.ANNOUNCEMENT),
            source=f"test:{next(_sources)}",
            subject=subject,
            body=fields.pop("body", "Something happened."),
            url=url,
            **fields,
        )

    return make


def checked(content: bytes) -> dict[str, str]:
    """The chosen radio button of each group on a page."""
    return {
        str(radio.get("name")): str(radio.get("value"))
        for radio in Html(content).select("input[type=radio][checked]")
    }


def badge(content: bytes) -> str:
    """The Notifications link of the navigation as a reader hears it (with its unread count)."""
    return Html(content).text("a#nav-notifications")


def test_list_shows_own_notifications_newest_first(
    alice: User,
    mentor_maria: User,
    notify: Callable[..., Notification],
    client_for: Callable[[User], Client],
) -> None:
    notify(alice, "Week 1: expectations")
    notify(alice, "Kick-off on Monday")
    notify(mentor_maria, "For Maria only")

    page = client_for(alice).get(reverse("messaging:notifications"))

    assert page.status_code == 200
    subjects = Html(page).texts("li.notification button")
    assert subjects.index("New Kick-off on Monday") < subjects.index("New Week 1: expectations")
    assert "For Maria only" not in page.content.decode()


def test_list_needs_a_signed_in_user(client: Client) -> None:
    page = client.get(reverse("messaging:notifications"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("count", [3, 45])
def test_list_page_makes_a_constant_number_of_queries(
    count: int,
    alice: User,
    notify: Callable[..., Notification],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    for number in range(count):
        notify(alice, f"Item {number}")
    client = client_for(alice)

    with django_assert_max_num_queries(5):
        page = client.get(reverse("messaging:notifications"))

    assert page.status_code == 200
    assert Html(page).count("li.notification") == min(count, 30)
    assert badge(page.content) == f"Notifications {count} unread"


def test_unread_count_in_the_navigation_is_right_on_every_page(
    alice: User,
    mentor_maria: User,
    notify: Callable[..., Notification],
    client_for: Callable[[User], Client],
) -> None:
    first = notify(alice)
    notify(alice)
    notify(mentor_maria)
    client = client_for(alice)
    pages = [
        reverse("profiles:me"),
        reverse("profiles:directory"),
        reverse("pilots:list"),
        reverse("messaging:notifications"),
    ]

    for path in pages:
        assert badge(client.get(path).content) == "Notifications 2 unread", path

    messaging.mark_notifications_read(user=alice, notification_id=first.pk)
    for path in pages:
        assert badge(client.get(path).content) == "Notifications 1 unread", path

    messaging.mark_notifications_read(user=alice)
    for path in pages:
        assert b"badge-new" not in client.get(path).content, path


def test_mark_read_marks_it_and_follows_its_link(
    alice: User, notify: Callable[..., Notification], client_for: Callable[[User], Client]
) -> None:
    item = notify(alice, url=reverse("pilots:list"))
    other = notify(alice)

    response = client_for(alice).post(reverse("messaging:read", args=[item.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("pilots:list")
    item.refresh_from_db()
    other.refresh_from_db()
    assert item.read_at is not None
    assert other.read_at is None


def test_mark_read_does_not_follow_a_link_to_another_site(
    alice: User, notify: Callable[..., Notification], client_for: Callable[[User], Client]
) -> None:
    item = notify(alice, url="https://evil.example/phish")

    response = client_for(alice).post(reverse("messaging:read", args=[item.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:notifications")


def test_mark_read_needs_post(
    alice: User, notify: Callable[..., Notification], client_for: Callable[[User], Client]
) -> None:
    item = notify(alice)

    assert client_for(alice).get(reverse("messaging:read", args=[item.pk])).status_code == 405
    item.refresh_from_db()
    assert item.read_at is None


def test_another_users_notification_is_404_like_a_missing_one(
    alice: User,
    mentor_maria: User,
    notify: Callable[..., Notification],
    client_for: Callable[[User], Client],
) -> None:
    marias = notify(mentor_maria, url="/pilots/")
    client = client_for(alice)

    assert client.post(reverse("messaging:read", args=[marias.pk])).status_code == 404
    assert client.post(reverse("messaging:read", args=[marias.pk + 1000])).status_code == 404
    marias.refresh_from_db()
    assert marias.read_at is None


def test_mark_all_read_marks_only_own_notifications(
    alice: User,
    mentor_maria: User,
    notify: Callable[..., Notification],
    client_for: Callable[[User], Client],
) -> None:
    for _ in range(3):
        notify(alice)
    marias = notify(mentor_maria)

    response = client_for(alice).post(reverse("messaging:read_all"), follow=True)

    assert response.redirect_chain == [(reverse("messaging:notifications"), 302)]
    assert not Notification.objects.filter(user=alice).unread().exists()
    assert b'badge-new">' not in response.content
    marias.refresh_from_db()
    assert marias.read_at is None


def test_mark_all_read_needs_post(
    alice: User, notify: Callable[..., Notification], client_for: Callable[[User], Client]
) -> None:
    notify(alice)
    assert client_for(alice).get(reverse("messaging:read_all")).status_code == 405
    assert Notification.objects.filter(user=alice).unread().count() == 1


def test_settings_page_saves_a_choice_per_kind(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(alice)
    url = reverse("messaging:settings")
    page = client.get(url)
    assert page.status_code == 200
    # E-mail right away until the user chooses otherwise.
    assert checked(page.content) == {kind: "now" for kind in Kind.values}

    response = client.post(
        url,
        {
            "announcement": "off",
            "week": "digest",
            "invitation": "now",
            "message": "digest",
            "group": "off",
        },
    )

    assert response.status_code == 302
    chosen = dict(NotificationSetting.objects.filter(user=alice).values_list("kind", "email"))
    assert chosen == {
        "announcement": "off",
        "week": "digest",
        "invitation": "now",
        "message": "digest",
        "group": "off",
    }
    assert checked(client.get(url).content) == chosen


def test_settings_page_refuses_an_unknown_choice(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(alice).post(
        reverse("messaging:settings"),
        {"announcement": "sms", "week": "digest", "invitation": "now"},
    )

    assert response.status_code == 200
    assert not NotificationSetting.objects.exists()


def test_chosen_settings_decide_which_email_rows_a_broadcast_queues(
    alice: User, mentor_maria: User, staff_sam: User, client_for: Callable[[User], Client]
) -> None:
    client_for(alice).post(
        reverse("messaging:settings"),
        {
            "announcement": "off",
            "week": "now",
            "invitation": "now",
            "message": "now",
            "group": "now",
        },
    )
    client_for(mentor_maria).post(
        reverse("messaging:settings"),
        {
            "announcement": "digest",
            "week": "now",
            "invitation": "now",
            "message": "now",
            "group": "now",
        },
    )

    item = messaging.broadcast(
        kind=Kind.ANNOUNCEMENT,
        source="test:settings",
        subject="Hello",
        body="Hi.",
        url="",
        recipient_ids=[alice.pk, mentor_maria.pk, staff_sam.pk],
    )

    email = dict(
        Delivery.objects.filter(broadcast=item, channel=Delivery.Channel.EMAIL).values_list(
            "recipient_id", "status"
        )
    )
    assert email == {mentor_maria.pk: Delivery.Status.DIGEST, staff_sam.pk: Delivery.Status.PENDING}
    assert Delivery.objects.filter(broadcast=item, channel=Delivery.Channel.IN_APP).count() == 3
