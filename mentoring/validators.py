"""Validators shared by every app's text input."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 control characters other than tab, newline and carriage return; lone UTF-16 surrogates
# (PostgreSQL and psycopg refuse both, and neither belongs in text a person typed).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def validate_clean_text(value: str) -> None:
    if isinstance(value, str) and _FORBIDDEN.search(value):
        raise ValidationError(
            _("This text contains invisible control characters. Please remove them and try again."),
            code="control_characters",
        )
