from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mentoring.validators import validate_clean_text
from messaging import services
from messaging.models import Conversation, Kind, Message, NotificationSetting, Report


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


# --- Conversations ------------------------------------------------------------------------


def body_field() -> forms.CharField:
    """The message text as every form (and the socket's send frame) cleans it."""
    return forms.CharField(
        label=_("Your message"),
        max_length=Message._meta.get_field("body").max_length,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MessageForm(forms.Form):
    """A message, with the id the page chose for it: posting it twice stores it once."""

    body = body_field()
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_id", uuid.uuid4())
        super().__init__(*args, **kwargs)


class EditMessageForm(forms.Form):
    body = body_field()


class StartConversationForm(MessageForm):
    """A new conversation: the concrete question, optionally this week's theme, and the first
    message. `themes` are the (context, label) pairs the two people's shared pilots offer."""

    subject = forms.CharField(
        label=_("Your question"),
        max_length=Conversation._meta.get_field("subject").max_length,
        validators=[validate_clean_text],
        help_text=_("One concrete question, e.g. “How did you find your first job in IT?”"),
    )
    theme_of = forms.ChoiceField(
        label=_("About this week's theme?"), required=False, widget=forms.RadioSelect
    )

    field_order = ["subject", "theme_of", "body", "client_id"]

    def __init__(self, *args: Any, themes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Your first message")
        theme_of = self.fields["theme_of"]
        if themes and isinstance(theme_of, forms.ChoiceField):
            theme_of.choices = [("", _("No, something else")), *themes]
        else:
            del self.fields["theme_of"]


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=Report.Reason.choices, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=Report._meta.get_field("details").max_length,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only the staff of your pilot see your report."),
    )
