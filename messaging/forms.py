from __future__ import annotations

from typing import Any

from django import forms

from messaging import services
from messaging.models import Kind, NotificationSetting


class NotificationSettingsForm(forms.Form):
    """One choice per kind of notification: e-mail now, a daily digest, or no e-mail."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        chosen = dict(NotificationSetting.objects.filter(user=user).values_list("kind", "email"))
        for kind, label in Kind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=NotificationSetting.Email.choices,
                initial=chosen.get(kind, NotificationSetting.Email.NOW),
                widget=forms.RadioSelect,
            )

    def save(self) -> None:
        for kind in Kind.values:
            services.set_email_choice(user=self.user, kind=kind, email=self.cleaned_data[kind])
