"""Profile cards (templates/profiles/card.html): what a card shows, loaded in one query, and
rendered once per content and language.

A card's cache key is a digest of everything the card shows (plus the language, the template
and the translations), so an edit anywhere (the profile, the display name, an organisation's
name, a competence's name in the admin, a bulk update) makes a new key: a stale card is never
served, and nothing has to be invalidated. Only the HTML is cached; who may see which profile
is decided by the query, on every request. The fragment is rendered without a request, so it
cannot hold anything of the viewer's.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, QuerySet
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from profiles.models import Competence, Profile, ProfileCompetence

logger = logging.getLogger(__name__)

TEMPLATE = "profiles/card.html"
# The card's template and what it includes: their source is part of every key.
TEMPLATES = (TEMPLATE, "includes/avatar.html")
SHOWN_COMPETENCES = 6  # per direction
# Keys change with the content, so this only bounds how long an unused card takes up memory.
CACHE_SECONDS = 60 * 60 * 24


@dataclass(frozen=True, slots=True)
class Card:
    """Everything a profile card shows, in the active language."""

    pk: int
    url: str
    display_name: str
    kind_label: str
    is_professional: bool
    job_title: str
    organisation: str | None  # its name
    degree_programme: str
    headline: str
    is_available: bool
    avatar_url: str  # empty without a photo
    shares: tuple[str, ...]  # competence names, best first, at most SHOWN_COMPETENCES
    learns: tuple[str, ...]

    @classmethod
    def from_profile(cls, profile: Profile) -> Card:
        """The card of a profile loaded with ProfileQuerySet.for_cards()."""
        return cls(
            pk=profile.pk,
            url=profile.get_absolute_url(),
            display_name=profile.user.display_name,
            kind_label=profile.get_kind_display(),
            is_professional=profile.is_professional,
            job_title=profile.job_title,
            organisation=profile.organisation.name if profile.organisation else None,
            degree_programme=profile.degree_programme,
            headline=profile.headline,
            is_available=profile.is_available,
            avatar_url=profile.avatar_url,
            shares=tuple(link.competence.name for link in profile.shares()[:SHOWN_COMPETENCES]),
            learns=tuple(link.competence.name for link in profile.learns()[:SHOWN_COMPETENCES]),
        )


def load_cards(profiles: QuerySet[Profile], pks: Sequence[int]) -> list[Card]:
    """The cards of the profiles `pks` among `profiles`, in the order of `pks`: one query.

    Pass the viewer's visible profiles as `profiles`: a profile hidden since `pks` were chosen
    is left out. One row per competence link, the profile's columns repeated, instead of model
    instances of the profiles, users, organisations, links and competences.
    """
    if not pks:
        return []
    rows = (
        profiles.filter(pk__in=pks)
        .order_by("pk", "-competence_links__level", "competence_links__competence__name_en")
        .annotate(
            display_name=F("user__display_name"),
            organisation_name=F("organisation__name"),
            direction=F("competence_links__direction"),
            competence=F(f"competence_links__competence__{Competence.name_field()}"),
        )
        .values_list(
            "pk",
            "kind",
            "job_title",
            "organisation_id",
            "organisation_name",
            "degree_programme",
            "headline",
            "is_available",
            "avatar",
            "display_name",
            "direction",
            "competence",
            named=True,
        )
    )
    kinds = dict(Profile.Kind.choices)
    storage = Profile._meta.get_field("avatar").storage  # type: ignore[attr-defined]
    first: dict[int, Any] = {}
    shares: dict[int, list[str]] = {}
    learns: dict[int, list[str]] = {}
    for row in rows:
        if row.pk not in first:
            first[row.pk], shares[row.pk], learns[row.pk] = row, [], []
        if row.direction == ProfileCompetence.Direction.SHARE:
            shares[row.pk].append(row.competence)
        elif row.direction == ProfileCompetence.Direction.LEARN:
            learns[row.pk].append(row.competence)
    return [
        Card(
            pk=row.pk,
            url=reverse("profiles:detail", args=[row.pk]),
            display_name=row.display_name,
            kind_label=str(kinds.get(row.kind, row.kind)),
            is_professional=row.kind == Profile.Kind.PROFESSIONAL,
            job_title=row.job_title,
            organisation=None if row.organisation_id is None else row.organisation_name,
            degree_programme=row.degree_programme,
            headline=row.headline,
            is_available=row.is_available,
            avatar_url=storage.url(row.avatar) if row.avatar else "",
            shares=tuple(shares[row.pk][:SHOWN_COMPETENCES]),
            learns=tuple(learns[row.pk][:SHOWN_COMPETENCES]),
        )
        for row in (first[pk] for pk in pks if pk in first)
    ]


# Where a card's fragment takes the viewer's own footer (a "Start a conversation" button): the
# cached HTML holds this marker, replaced per request. Escaped user text cannot contain it.
FOOTER_SLOT = mark_safe("<!--card-footer-->")


def start_footer(card: Card) -> SafeString:
    """The footer of a card whose person the viewer may start a conversation with."""
    return format_html(
        '<p class="card-action"><a href="{}" role="button" class="secondary" aria-label="{}">'
        "{}</a></p>",
        reverse("pilots:start_conversation", args=[card.pk]),
        _("Start a conversation with %(name)s") % {"name": card.display_name},
        _("Start a conversation"),
    )


def render_cards(
    cards: Iterable[Card], footers: Mapping[int, SafeString] | None = None
) -> list[SafeString]:
    """Each card's HTML, from the cache where it is there, rendered (and cached) where not,
    with the viewer's `footers` (by profile id) put in."""
    cards = list(cards)
    footers = footers or {}
    prefix = f"profiles:card:{_fingerprint()}:{get_language()}"
    keys = [f"{prefix}:{card.pk}:{_digest(card)}" for card in cards]
    cached = _get_many(keys)
    template = get_template(TEMPLATE)
    fresh: dict[str, str] = {}
    html = []
    for card, key in zip(cards, keys, strict=True):
        fragment = cached.get(key)
        if not isinstance(fragment, str):
            fragment = fresh[key] = template.render({"card": card, "footer": FOOTER_SLOT})
        fragment = fragment.replace(FOOTER_SLOT, footers.get(card.pk, ""), 1)
        # Our own template's autoescaped output, stored by the line above, and format_html's.
        html.append(mark_safe(fragment))  # noqa: S308
    if fresh:
        _set_many(fresh)
    return html


def _digest(card: Card) -> str:
    return hashlib.blake2b(repr(card).encode(), digest_size=16).hexdigest()


def _fingerprint() -> str:
    """Changes when the card's templates or the translations change (a deploy)."""
    if settings.DEBUG:  # templates and catalogues are reloaded without a restart
        return _compute_fingerprint()
    return _process_fingerprint()


@functools.cache
def _process_fingerprint() -> str:
    return _compute_fingerprint()


def _compute_fingerprint() -> str:
    digest = hashlib.blake2b(digest_size=8)
    for name in TEMPLATES:
        digest.update(get_template(name).template.source.encode())  # type: ignore[attr-defined]
    for folder in settings.LOCALE_PATHS:
        for catalogue in sorted(Path(folder).glob("*/LC_MESSAGES/django.mo")):
            digest.update(catalogue.read_bytes())
    return digest.hexdigest()


# The cache only saves work: when it fails (Redis down), every card is rendered.
def _get_many(keys: list[str]) -> dict[str, Any]:
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("Profile cards: cache read failed", exc_info=True)
        return {}


def _set_many(fragments: dict[str, str]) -> None:
    try:
        cache.set_many(fragments, CACHE_SECONDS)
    except Exception:
        logger.warning("Profile cards: cache write failed", exc_info=True)
