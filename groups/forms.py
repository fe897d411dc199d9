"""Forms of the group pages: staff form pairs and groups, add members and filter the list.

People are chosen among the pilot's participants; the value sent is the user's id and the
cleaned value the Participation (so the label can say the role)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from groups.models import Group
from pilots.models import Participation, Pilot, Role


def participants_of(pilot: Pilot, roles: tuple[str, ...] = (Role.ACTOR, Role.MENTOR)) -> Any:
    return (
        Participation.objects.filter(pilot=pilot, role__in=roles, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__display_name", "user_id")
    )


class ParticipantChoiceField(forms.ModelChoiceField):
    def __init__(self, queryset: QuerySet[Participation], **kwargs: Any) -> None:
        super().__init__(queryset, to_field_name="user_id", **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name or obj.user.email} · {obj.get_role_display()}"


class ParticipantsField(forms.ModelMultipleChoiceField):
    def __init__(self, queryset: QuerySet[Participation], **kwargs: Any) -> None:
        super().__init__(queryset, to_field_name="user_id", **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name or obj.user.email} · {obj.get_role_display()}"


class PairForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[(mode.value, mode.label) for mode in Group.PAIR_MODES],
        initial=Group.Mode.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    mentor = ParticipantChoiceField(
        Participation.objects.none(),
        label=_("Mentor"),
        help_text=_("In reverse mode the actor is the mentor; in peer mode, one of the actors."),
    )
    mentee = ParticipantChoiceField(
        Participation.objects.none(),
        label=_("Mentee"),
        help_text=_("In reverse mode the professional is the mentee."),
    )
    force = forms.BooleanField(
        label=_("Form the pair even if the professional is unavailable or full"),
        required=False,
    )

    def __init__(self, *args: Any, pilot: Pilot, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = participants_of(pilot)
        for name in ("mentor", "mentee"):
            field: forms.ModelChoiceField = self.fields[name]  # type: ignore[assignment]
            field.queryset = people

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mentor, mentee = data.get("mentor"), data.get("mentee")
        if mentor and mentee and mentor.user_id == mentee.user_id:
            self.add_error("mentee", _("A pair is two different people."))
        return data


class GroupForm(forms.ModelForm):
    members = ParticipantsField(
        Participation.objects.none(),
        label=_("Members"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Project staff who are added moderate the group."),
    )

    class Meta:
        model = Group
        fields = ["kind", "name", "description", "is_open"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, pilot: Pilot, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind: forms.ChoiceField = self.fields["kind"]  # type: ignore[assignment]
        kind.choices = [
            (Group.Kind.MENTORING.value, _("Mentoring group: mentors with several actors")),
            (Group.Kind.DISCUSSION.value, _("Discussion group: a topic space")),
        ]
        members: forms.ModelMultipleChoiceField = self.fields["members"]  # type: ignore[assignment]
        members.queryset = participants_of(pilot, (Role.ACTOR, Role.MENTOR, Role.STAFF))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_open") and data.get("kind") != Group.Kind.DISCUSSION:
            self.add_error("is_open", _("Only discussion groups can be open to join."))
        return data


class AddMemberForm(forms.Form):
    user = ParticipantChoiceField(Participation.objects.none(), label=_("Person"))

    def __init__(self, *args: Any, group: Group, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField = self.fields["user"]  # type: ignore[assignment]
        field.queryset = participants_of(
            group.pilot, (Role.ACTOR, Role.MENTOR, Role.STAFF)
        ).exclude(user__group_memberships__group=group)


class GroupFilterForm(forms.Form):
    ACTIVE = "active"
    ARCHIVED = "archived"
    ALL = "all"

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *Group.Kind.choices], required=False
    )
    mode = forms.ChoiceField(
        label=_("Mode"), choices=[("", _("Any mode")), *Group.Mode.choices], required=False
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[(ACTIVE, _("Active")), (ARCHIVED, _("Archived")), (ALL, _("All"))],
        required=False,
    )
