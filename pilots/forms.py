"""Forms of the staff pages: a pilot, its weeks, materials and announcements."""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from mentoring.validators import validate_clean_text
from pilots.invitations.services import EMAIL_MAX, NAME_MAX
from pilots.models import Announcement, Invitation, Material, Pilot, Role, Week
from pilots.texts import localized_names
from profiles.avatars import AvatarError, process_avatar
from profiles.models import Organisation, User

# A pilot runs for weeks or months; a typo in a year must not plan thousands of weeks.
MAX_PILOT_DAYS = 366
# Slugs that would collide with the pilots app's own URLs (/pilots/new/).
RESERVED_SLUGS = {"new", "calendar", "join"}
MARKDOWN_HELP = _("Markdown: **bold**, *italic*, lists with “-”, links as [text](https://…).")
MAX_PROMPTS = 20
MAX_PROMPT_LENGTH = 300

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def per_language(widgets: dict[str, forms.Widget]) -> dict[str, forms.Widget]:
    """The same widget for every language version of each field."""
    return {
        localized: widget
        for field, widget in widgets.items()
        for localized in localized_names(field)
    }


def mine(field: str) -> str:
    """The version of `field` in the active language (the staff member's), which a missing
    text's error goes on: the one they would write."""
    names = localized_names(field)
    name = build_localized_fieldname(field, get_language() or "")
    return name if name in names else names[0]


class TranslatedText(NamedTuple):
    legend: str
    fields: list[forms.BoundField]


class TranslatedTextsMixin(forms.BaseForm):
    """Staff write a text in each language they can (labelled "Theme (Finnish)"…); readers
    get their language's version, else another one (MODELTRANSLATION_FALLBACK_LANGUAGES).

    `translated` names the texts this form has in every language; of those in
    `required_texts`, at least one language version must be written. The template shows
    each text's versions together (`form.texts`: {"theme": [bound fields]}).
    """

    translated: tuple[str, ...] = ()
    required_texts: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in localized_names(*self.translated):
            self.fields[name].required = False

    @property
    def texts(self) -> dict[str, TranslatedText]:
        model = self._meta.model  # type: ignore[attr-defined]
        return {
            field: TranslatedText(
                capfirst(model._meta.get_field(field).verbose_name),
                [self[name] for name in localized_names(field)],
            )
            for field in self.translated
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in self.required_texts:
            names = localized_names(field)
            if any(name in self.errors for name in names):
                continue  # one version is wrong already, and says why
            if not any(data.get(name) for name in names):
                self.add_error(mine(field), _("Write this in at least one language."))
        return data


class PilotForm(TranslatedTextsMixin, forms.ModelForm):
    """Edit a pilot. The link's short name (slug) is fixed once the pilot exists: links already
    sent in e-mails and notifications use it."""

    logo_upload = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_(
            "A JPEG, PNG or WebP image, at most 5 MB. It is cropped to a square, so use the "
            "square version of the logo."
        ),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    translated = ("name", "description", "actor_term")
    required_texts = ("name",)

    class Meta:
        model = Pilot
        fields = [
            "host",
            *localized_names("name", "description"),
            "starts_on",
            "ends_on",
            "status",
            "accent_colour",
            *localized_names("actor_term"),
            "requires_orientation",
        ]
        widgets = {
            **per_language({"description": forms.Textarea(attrs={"rows": 5})}),
            "starts_on": DATE_INPUT,
            "ends_on": DATE_INPUT,
            "accent_colour": forms.TextInput(attrs={"type": "color"}),
        }
        help_texts = {
            "ends_on": _("The weeks are planned from the first to the last day."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Pilots are hosted by universities and the like; companies take part through mentors.
        hosts = Q(kind__in=[Organisation.Kind.UNIVERSITY, Organisation.Kind.OTHER])
        if self.instance.host_id:
            hosts |= Q(pk=self.instance.host_id)
        host_field: forms.ModelChoiceField = self.fields["host"]  # type: ignore[assignment]
        host_field.queryset = Organisation.objects.filter(hosts).order_by("name")
        host_field.help_text = _("A university or other organisation (add new ones in the admin).")
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def clean_logo_upload(self) -> Any:
        upload: UploadedFile | None = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        try:
            return process_avatar(upload)
        except AvatarError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from error

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        starts_on: datetime.date | None = data.get("starts_on")
        ends_on: datetime.date | None = data.get("ends_on")
        if starts_on and ends_on:
            if ends_on < starts_on:
                self.add_error("ends_on", _("The last day cannot be before the first day."))
            elif (ends_on - starts_on).days >= MAX_PILOT_DAYS:
                self.add_error("ends_on", _("A pilot can last at most a year."))
        return data


class NewPilotForm(PilotForm):
    class Meta(PilotForm.Meta):
        fields = ["host", "slug", *PilotForm.Meta.fields[1:]]
        help_texts = {
            **PilotForm.Meta.help_texts,
            "slug": _(
                "Letters, numbers and hyphens, e.g. “spring-2026”. It appears in links and "
                "cannot be changed later."
            ),
        }

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"].lower()
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This short name is reserved. Please choose another."))
        if Pilot.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another pilot already uses this short name."))
        return slug


def _clean_prompts(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    prompts = [line for line in lines if line]
    if len(prompts) > MAX_PROMPTS:
        raise forms.ValidationError(
            _("At most %(count)d prompts, please.") % {"count": MAX_PROMPTS}
        )
    if any(len(prompt) > MAX_PROMPT_LENGTH for prompt in prompts):
        raise forms.ValidationError(
            _("Each prompt can be at most %(count)d characters long.")
            % {"count": MAX_PROMPT_LENGTH}
        )
    return "\n".join(prompts)


class WeekForm(TranslatedTextsMixin, forms.ModelForm):
    translated = ("theme", "description", "prompts")

    class Meta:
        model = Week
        fields = localized_names("theme", "description", "prompts")
        widgets = per_language(
            {
                "description": forms.Textarea(attrs={"rows": 4}),
                "prompts": forms.Textarea(attrs={"rows": 6}),
            }
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in localized_names("prompts"):
            if name in data and name not in self.errors:
                try:
                    data[name] = _clean_prompts(data[name] or "")
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return data


class MaterialForm(TranslatedTextsMixin, forms.ModelForm):
    video_url = forms.URLField(
        label=_("video link"),
        required=False,
        max_length=500,
        help_text=_("A link that starts with https://, e.g. to the university's video service."),
    )

    translated = ("title", "body")
    required_texts = ("title",)

    class Meta:
        model = Material
        fields = [
            *localized_names("title"),
            "kind",
            *localized_names("body"),
            "video_url",
            "required",
            "position",
            "is_published",
        ]
        widgets = per_language({"body": forms.Textarea(attrs={"rows": 14})})
        help_texts = {
            **{name: MARKDOWN_HELP for name in localized_names("body")},
            "position": _("Materials are listed from the smallest number up."),
        }

    def clean_video_url(self) -> str:
        url: str = self.cleaned_data["video_url"]
        if url and not url.lower().startswith("https://"):
            raise forms.ValidationError(_("Only https:// links, please."))
        return url

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        # A field that failed its own checks has no value here and already says why.
        if (
            kind == Material.Kind.VIDEO
            and not data.get("video_url")
            and "video_url" not in self.errors
        ):
            self.add_error("video_url", _("A video needs its link."))
        bodies = localized_names("body")
        if (
            kind == Material.Kind.TEXT
            and not any(data.get(name) for name in bodies)
            and not any(name in self.errors for name in bodies)
        ):
            self.add_error(mine("body"), _("Please write the text."))
        return data


class AnnouncementForm(TranslatedTextsMixin, forms.ModelForm):
    NOW = "now"
    LATER = "later"

    when = forms.ChoiceField(
        label=_("When"),
        choices=[(NOW, _("Send now")), (LATER, _("Send at a set time"))],
        initial=NOW,
        widget=forms.RadioSelect,
    )

    translated = ("title", "body")
    required_texts = ("title", "body")

    class Meta:
        model = Announcement
        fields = [*localized_names("title", "body"), "audience", "send_at"]
        widgets = {
            **per_language({"body": forms.Textarea(attrs={"rows": 10})}),
            "send_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        help_texts = {name: MARKDOWN_HELP for name in localized_names("body")}

    field_order = [*localized_names("title", "body"), "audience", "when", "send_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pilot: Pilot = self.instance.pilot
        if pilot.actor_term:  # "To: Aktori", in the pilot's own word
            audience: forms.ChoiceField = self.fields["audience"]  # type: ignore[assignment]
            audience.choices = [
                (value, pilot.role_label(value) if value == Role.ACTOR else label)
                for value, label in Announcement.Audience.choices
            ]
        self.fields["send_at"].help_text = _(
            "Only for “Send at a set time”. Time zone: %(zone)s."
        ) % {"zone": timezone.get_current_timezone_name()}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("when") == self.LATER:
            send_at: datetime.datetime | None = data.get("send_at")
            if send_at is None:
                if "send_at" not in self.errors:
                    self.add_error("send_at", _("Please choose the time to send it."))
            elif send_at <= timezone.now():
                self.add_error(
                    "send_at", _("This time has already passed. Choose a time in the future.")
                )
        else:
            data["send_at"] = None
        return data


class ParticipantFilterForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("Everyone")), *Role.choices], required=False
    )
    orientation_unfinished = forms.BooleanField(
        label=_("Has not finished the required orientation"), required=False
    )
    quiet = forms.BooleanField(label=_("Quiet for 7 days or more"), required=False)

    def __init__(self, *args: Any, pilot: Pilot, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role: forms.ChoiceField = self.fields["role"]  # type: ignore[assignment]
        role.choices = [("", _("Everyone")), *pilot.role_choices()]


# --- Invitations --------------------------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=EMAIL_MAX)
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX,
        required=False,
        validators=[validate_clean_text],
        help_text=_("Used to greet the person in the e-mail."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.ACTOR)
    earns_credits = forms.BooleanField(label=_("Earns study credits (actors only)"), required=False)

    def __init__(self, *args: Any, pilot: Pilot | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if pilot is not None:  # the roles as the pilot names them
            role: forms.ChoiceField = self.fields["role"]  # type: ignore[assignment]
            role.choices = pilot.role_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("earns_credits") and data.get("role") != Role.ACTOR:
            self.add_error("earns_credits", _("Only actors earn study credits."))
        return data


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=20,  # the 8 characters, with room for spaces and dashes typed around them
        help_text=_("8 letters and digits, e.g. ABCD-2345. Your pilot's staff give it to you."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: email, name, role, and optionally earns_credits (yes/no). Separated by "
            "semicolons or commas, saved as UTF-8 (in Excel: “CSV UTF-8”). At most 1 MB and "
            "2,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class AcceptSignupForm(forms.Form):
    """A new account for the invited address: the link has verified the address already."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX,
        validators=[validate_clean_text],
        help_text=_("Shown to other people in the network."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["display_name"].initial = invitation.name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif password1:
            candidate = User(email=self.invitation.email, display_name=data.get("display_name", ""))
            try:
                password_validation.validate_password(password1, user=candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return data
