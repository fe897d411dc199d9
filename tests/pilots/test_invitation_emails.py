"""The invitation e-mail from `build_email`: the text part as before, and an HTML version with
the same link, in the language the invitation is written in."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from pilots import invitations as service
from pilots.models import Invitation, Pilot, Role
from profiles.models import User
from tests.support.html import Html

pytestmark = pytest.mark.django_db


def sent_mail(invitation: Invitation) -> Any:
    assert service.send_invitation(invitation=invitation) is True
    (message,) = mail.outbox
    return message


def html_of(message: Any) -> Html:
    (html,) = [content for content, kind in message.alternatives if kind == "text/html"]
    return Html(html)


def test_the_html_version_carries_the_same_link_in_the_inviters_language(
    pilot: Pilot, staff_sam: User
) -> None:
    User.objects.filter(pk=staff_sam.pk).update(language="fi")
    invitation = Invitation.objects.create(
        pilot=pilot,
        email="nina@example.com",
        name="Nina <b>New</b>",
        role=Role.ACTOR,
        invited_by=User.objects.get(pk=staff_sam.pk),
    )

    message = sent_mail(invitation)

    page = html_of(message)
    assert page.attr("html", "lang") == "fi"
    assert message.subject == f"[Mentorointi] Sinut on kutsuttu pilottiin {pilot.name}"
    hrefs = [str(anchor.get("href")) for anchor in page.select("a")]
    (link,) = [href for href in hrefs if "/pilots/invitations/" in href]
    assert link in message.body
    assert pilot.name in page.text("body")
    assert "Nina <b>New</b>" in page.text("body")  # shown as written, not as markup
    assert page.count("b") == 0


def test_an_invitation_without_an_inviter_is_in_the_sites_language(pilot: Pilot) -> None:
    invitation = Invitation.objects.create(pilot=pilot, email="nina@example.com", role=Role.MENTOR)

    message = sent_mail(invitation)

    assert message.subject == f"[Mentoring] You are invited to {pilot.name}"
    page = html_of(message)
    assert page.attr("html", "lang") == "en"
    assert "You are invited to take part in" in page.text("body")
