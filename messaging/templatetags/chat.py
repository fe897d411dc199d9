"""What the conversation pages need of a person: the photo beside their messages."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist

from profiles.models import Profile

register = template.Library()


@register.filter
def chat_avatar_url(user: Any) -> str:
    """The sender's photo, or "" (their initial is shown): none for a deleted account, a
    person without a profile, or one who shows their profile to staff only. The markup is
    the same for every participant (a live message is rendered once for all of them)."""
    if user is None:
        return ""
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        return ""
    if profile.visibility == Profile.Visibility.STAFF:
        return ""
    return str(profile.avatar_url)
