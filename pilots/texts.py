"""Staff-written texts in every language of the site (the fields in pilots/translation.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from modeltranslation.utils import build_localized_fieldname

# Written by staff per language: {"fi": "Tervetuloa", "en": "Welcome"}; a bare string is the
# active language's version.
Versions = Mapping[str, str] | str


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def localized_names(*fields: str) -> list[str]:
    """The columns of `fields` in every language: name_fi, name_en, name_sv, description_fi…"""
    return [build_localized_fieldname(field, code) for field in fields for code in languages()]


def set_versions(instance: models.Model, **fields: Versions) -> None:
    """Give `instance` the versions of each of `fields`."""
    for field, versions in fields.items():
        if isinstance(versions, str):
            setattr(instance, field, versions)  # the active language's version
            continue
        for code in languages():
            setattr(instance, build_localized_fieldname(field, code), versions.get(code, ""))


def in_every_language[T](render: Callable[[], T]) -> dict[str, T]:
    """`render()` once per language, with that language active (and its fallbacks)."""
    rendered: dict[str, T] = {}
    for code in languages():
        with translation.override(code):
            rendered[code] = render()
    return rendered


def broadcast_texts(render: Callable[[], tuple[str, str]]) -> dict[str, Any]:
    """What `messaging.services.broadcast` needs to write (subject, body) in each reader's
    language: the default language's version and the translations."""
    versions = in_every_language(render)
    subject, body = versions.get(settings.LANGUAGE_CODE) or next(iter(versions.values()))
    return {"subject": subject, "body": body, "translations": versions}


def written(field: str) -> Q:
    """Rows whose `field` is written in at least one language."""
    condition = Q()
    for name in localized_names(field):
        condition |= Q(**{f"{name}__gt": ""})
    return condition
