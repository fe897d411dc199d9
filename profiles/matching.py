"""Suggested matches: people whose *can share* competences meet what a user wants to learn.

Ranking, best first: more matching competences, more languages in common, higher levels of
the matching competences, professionals before peers ("professional" sorts before "student"),
then the lower id. The same data always gives the same list, in a fixed handful of queries
however many profiles exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from profiles.cards import Card
from profiles.models import Competence, Language, Profile, ProfileCompetence


@dataclass(frozen=True)
class Suggestion:
    profile: Profile
    competences: list[Competence]
    languages: list[Language]

    @property
    def card(self) -> Card:
        return Card.from_profile(self.profile)

    @property
    def is_peer(self) -> bool:
        return self.profile.is_student

    @property
    def reason(self) -> str:
        names = join_words([c.name for c in self.competences])
        reason = ngettext(
            "Can share %(names)s, which you want to learn.",
            "Can share %(names)s, which you want to learn.",
            len(self.competences),
        ) % {"names": names}
        if self.languages:
            reason += " " + _("You both speak %(languages)s.") % {
                "languages": join_words([lang.name for lang in self.languages])
            }
        return reason


def join_words(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c', in the active language."""
    if len(words) <= 1:
        return "".join(words)
    return str(format_lazy("{} {} {}", ", ".join(words[:-1]), _("and"), words[-1]))


def suggest_matches(
    *, profile: Profile, viewer: Any, limit: int = 6, among: Any = None
) -> list[Suggestion]:
    """The best `limit` matches for `profile` that `viewer` may see; `among` (a query of
    profiles or their ids), if given, limits the candidates further (e.g. a pilot's mentors)."""
    # From what for_listing() prefetched, if it did (Today), else one query each.
    wants = {
        link.competence_id
        for link in profile.competence_links.all()
        if link.direction == ProfileCompetence.Direction.LEARN
    }
    if not wants:
        return []
    my_languages = {language.pk for language in profile.languages.all()}

    candidates = (
        Profile.objects.visible_to(viewer)
        .exclude(pk=profile.pk)
        .filter(Q(kind=Profile.Kind.STUDENT) | Q(is_available=True))
    )
    if among is not None:
        candidates = candidates.filter(pk__in=among)
    shared_languages = (
        Profile.languages.through.objects.filter(
            profile_id=OuterRef("profile_id"), language_id__in=my_languages
        )
        .values("profile_id")
        .annotate(n=Count("*"))  # type: ignore[misc]
        .values("n")
    )
    ranked = (
        ProfileCompetence.objects.filter(
            direction=ProfileCompetence.Direction.SHARE,
            competence_id__in=wants,
            profile__in=candidates,
        )
        .values("profile_id", "profile__kind")
        .annotate(
            matches=Count("id"),
            level=Sum("level"),
            common=Coalesce(Subquery(shared_languages, output_field=IntegerField()), Value(0)),
        )
        .order_by("-matches", "-common", "-level", "profile__kind", "profile_id")[:limit]
    )
    ids = [row["profile_id"] for row in ranked]
    by_id = {p.pk: p for p in Profile.objects.filter(pk__in=ids).for_listing()}
    suggestions = []
    for pk in ids:
        other = by_id[pk]
        competences = [
            link.competence
            for link in other.competence_links.all()
            if link.direction == ProfileCompetence.Direction.SHARE and link.competence_id in wants
        ]
        languages = [lang for lang in other.languages.all() if lang.pk in my_languages]
        suggestions.append(Suggestion(profile=other, competences=competences, languages=languages))
    return suggestions
