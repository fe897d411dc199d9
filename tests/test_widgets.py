"""LeanSelect renders what Django's Select renders, without a template per option."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from mentoring.widgets import LeanSelect
from profiles.forms import DirectoryFilterForm
from profiles.models import Organisation

CHOICES = [("", "Any"), ("a", "Plain"), ("b&c", 'Tricky <b> & "quotes"'), ("d", "Dee")]


def render_with(widget: type[forms.Select], value: str) -> str:
    class Form(forms.Form):
        pick = forms.ChoiceField(choices=CHOICES, required=False, help_text="Help", widget=widget)

    return str(Form({"pick": value})["pick"])


@pytest.mark.parametrize("value", ["", "a", "b&c", "nonsense"])
def test_same_html_as_djangos_select(value: str) -> None:
    assert parse_html(render_with(LeanSelect, value)) == parse_html(
        render_with(forms.Select, value)
    )


def test_escapes_labels_and_values() -> None:
    html = render_with(LeanSelect, "b&c")
    assert (
        '<option value="b&amp;c" selected>Tricky &lt;b&gt; &amp; &quot;quotes&quot;</option>'
        in html
    )
    assert 'aria-describedby="id_pick_helptext"' in html


@pytest.mark.django_db
def test_directory_filter_selects_keep_the_choice() -> None:
    Organisation.objects.create(name="Savo Secure", slug="savo-secure")
    form = DirectoryFilterForm({"organisation": "savo-secure", "kind": "student"})
    assert form.is_valid()
    assert '<option value="savo-secure" selected>Savo Secure</option>' in str(form["organisation"])
    assert '<option value="student" selected>' in str(form["kind"])
