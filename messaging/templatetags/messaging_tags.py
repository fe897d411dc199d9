"""What a profile page offers about the person: start a conversation (where the page's view says
one may), block or unblock, report.

A template tag, so that profiles (which knows nothing about messaging) renders it unchanged.
"""

from __future__ import annotations

from typing import Any

from django import template

from messaging.models import Block

register = template.Library()


@register.inclusion_tag("messaging/person_actions.html", takes_context=True)
def person_actions(context: template.Context, person: Any, offer: Any = None) -> dict[str, Any]:
    """`offer` (profiles.offers.Offer, from the page's view) says whether to offer "Start a
    conversation", or why not and what to do; without one, no start is offered."""
    viewer = context.get("user")
    is_self = viewer is None or not viewer.is_authenticated or viewer.pk == person.pk
    blocked = not is_self and Block.objects.filter(blocker=viewer, blocked=person).exists()
    request = context.get("request")
    return {
        "person": person,
        "is_self": is_self,
        "blocked": blocked,
        "offer": offer,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
