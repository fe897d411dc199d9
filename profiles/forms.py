from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from mentoring.validators import validate_clean_text
from mentoring.widgets import LeanSelect
from profiles.avatars import AvatarError, process_avatar
from profiles.models import Competence, Language, Organisation, Profile, ProfileCompetence

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Django 6.1 labels an empty choice "- Select an option -" but ships no Finnish for it yet.
# Naming the string here puts it in our catalogue, whose translation Django's lazy label uses.
gettext_noop("- Select an option -")


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=80,
        validators=[validate_clean_text],
        help_text=_("Shown to other people in the network."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    kind = forms.ChoiceField(
        label=_("I am a"), choices=Profile.Kind.choices, initial=Profile.Kind.STUDENT
    )
    field_order = ["display_name", "email", "kind", "password1", "password2"]

    def signup(self, request: Any, user: Any) -> None:
        # The adapter has already created the user and profile from cleaned_data.
        pass


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = [
            "kind",
            "headline",
            "bio",
            "degree_programme",
            "study_field",
            "study_year",
            "organisation",
            "job_title",
            "career_story",
            "languages",
            "interests",
            "website",
            "linkedin",
            "is_available",
            "capacity",
            "visibility",
        ]
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 5}),
            "career_story": forms.Textarea(attrs={"rows": 6}),
            "languages": forms.CheckboxSelectMultiple,
            "visibility": forms.RadioSelect,
        }

    display_name = forms.CharField(
        label=_("Your name"), max_length=80, validators=[validate_clean_text]
    )

    field_order = ["display_name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].initial = self.instance.user.display_name

    def save(self, commit: bool = True) -> Profile:
        profile = super().save(commit=commit)
        if commit:
            user = profile.user
            user.display_name = self.cleaned_data["display_name"]
            user.save(update_fields=["display_name"])
        return profile


class CompetenceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class ProfileCompetenceForm(forms.ModelForm):
    competence = CompetenceChoiceField(
        label=_("Competence"), queryset=Competence.objects.order_by("name_en")
    )

    class Meta:
        model = ProfileCompetence
        fields = ["competence", "direction", "level"]


class BaseCompetenceFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.has_changed() or form.cleaned_data.get("DELETE"):
                continue
            key = (form.cleaned_data.get("competence"), form.cleaned_data.get("direction"))
            if key in seen:
                form.add_error(
                    "competence", _("This competence is already listed in the same direction.")
                )
            seen.add(key)


CompetenceFormSet = inlineformset_factory(
    Profile,
    ProfileCompetence,
    form=ProfileCompetenceForm,
    formset=BaseCompetenceFormSet,
    extra=3,
    max_num=30,
    validate_max=True,
    can_delete=True,
)


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        label=_("Photo"),
        help_text=_("A JPEG, PNG or WebP image. It is cropped to a square."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_avatar(self) -> Any:
        upload: UploadedFile = self.cleaned_data["avatar"]
        try:
            return process_avatar(upload)
        except AvatarError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from error


@dataclass(frozen=True)
class FilterOptions:
    """The directory's choice lists, as (id, value in the URL, label) in the order shown."""

    competences: list[tuple[int, str, str]]
    organisations: list[tuple[int, str, str]]
    languages: list[tuple[int, str, str]]

    @classmethod
    def load(cls) -> FilterOptions:
        """All three lists in one query, labelled in the active language."""
        name = Competence.name_field()

        def part(model: Any, number: int, key: Any, label: str, sort: str) -> Any:
            return (
                model.objects.order_by()
                .annotate(list=Value(number), key=key, label=F(label), sort=F(sort))
                .values_list("list", "pk", "key", "label", "sort")
            )

        rows = (
            part(Competence, 0, Cast("pk", CharField()), name, "name_en")
            .union(
                part(Organisation, 1, F("slug"), "name", "name"),
                part(Language, 2, F("code"), name, "name_en"),
                all=True,
            )
            .order_by("list", "sort")
        )
        lists: tuple[list[tuple[int, str, str]], ...] = ([], [], [])
        for number, pk, key, label, _sort in rows:
            lists[number].append((pk, key, label))
        return cls(*lists)


class OptionField(forms.TypedChoiceField):
    """One of the directory's lists; cleans to the chosen row's id (None when empty)."""

    default_error_messages = {
        # A ModelChoiceField's words, as these lists had: the value is not worth repeating.
        "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"],
    }

    def __init__(self, *, empty_label: StrOrPromise, **kwargs: Any) -> None:
        super().__init__(required=False, empty_value=None, widget=LeanSelect, **kwargs)
        self.empty_label = empty_label

    def set_options(self, options: list[tuple[int, str, str]]) -> None:
        self.choices = [("", self.empty_label), *((key, label) for _pk, key, label in options)]
        self.coerce = {key: pk for pk, key, _label in options}.__getitem__


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        validators=[validate_clean_text],
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, skill, company…")}),
    )
    kind = forms.ChoiceField(
        label=_("Who"),
        required=False,
        choices=[("", _("Everyone")), *Profile.Kind.choices],
        widget=LeanSelect,
    )
    competence = OptionField(label=_("Competence"), empty_label=_("Any competence"))
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("Either")), *ProfileCompetence.Direction.choices],
        widget=LeanSelect,
    )
    organisation = OptionField(label=_("Organisation"), empty_label=_("Any organisation"))
    language = OptionField(label=_("Language"), empty_label=_("Any language"))
    available = forms.BooleanField(label=_("Open to new conversations now"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = FilterOptions.load()
        for name, rows in (
            ("competence", options.competences),
            ("organisation", options.organisations),
            ("language", options.languages),
        ):
            cast(OptionField, self.fields[name]).set_options(rows)
