"""allauth's forms with the site's field labels (ACCOUNT_FORMS).

allauth labels its fields "Email", "Remember Me", "New Password": other words and Title Case
than the rest of the site. Only the labels change; the fields and their checks stay allauth's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from allauth.account import forms as allauth_forms
from django import forms
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

EMAIL_ADDRESS = _("E-mail address")
NEW_PASSWORD = _("New password")
NEW_PASSWORD_AGAIN = _("New password (again)")


class SiteLabels(forms.Form):
    labels: ClassVar[dict[str, StrPromise]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in self.labels.items():
            if name in self.fields:
                self.fields[name].label = label
                placeholder = self.fields[name].widget.attrs.get("placeholder")
                if placeholder:
                    self.fields[name].widget.attrs["placeholder"] = label


class LoginForm(SiteLabels, allauth_forms.LoginForm):
    labels = {"login": EMAIL_ADDRESS, "remember": _("Keep me signed in")}


class SignupForm(SiteLabels, allauth_forms.SignupForm):
    labels = {"email": EMAIL_ADDRESS}


class AddEmailForm(SiteLabels, allauth_forms.AddEmailForm):
    labels = {"email": EMAIL_ADDRESS}


class ChangePasswordForm(SiteLabels, allauth_forms.ChangePasswordForm):
    labels = {
        "oldpassword": _("Current password"),
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD_AGAIN,
    }


class ResetPasswordForm(SiteLabels, allauth_forms.ResetPasswordForm):
    labels = {"email": EMAIL_ADDRESS}


class ResetPasswordKeyForm(SiteLabels, allauth_forms.ResetPasswordKeyForm):
    labels = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD_AGAIN}
