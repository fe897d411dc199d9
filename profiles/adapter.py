from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import transaction

from profiles.models import Profile
from profiles.services import create_profile


class AccountAdapter(DefaultAccountAdapter):
    @transaction.atomic
    def save_user(self, request: Any, user: Any, form: Any, commit: bool = True) -> Any:
        user.display_name = form.cleaned_data.get("display_name", "")
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            create_profile(user=user, kind=form.cleaned_data.get("kind") or Profile.Kind.STUDENT)
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth's own context names the host the request came in on (its RequestSite);
        # our account/email templates sign with the site's name and its configured address.
        super().send_mail(template_prefix, email, {"site_url": settings.SITE_URL, **context})
