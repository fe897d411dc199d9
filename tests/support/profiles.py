"""Helpers of the profile tests."""

from __future__ import annotations

from typing import Any

from profiles.models import Competence, Profile


def form_data(
    profile: Profile, competences: tuple[tuple[Competence, str, int], ...] = (), **changes: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "display_name": profile.user.display_name,
        "kind": profile.kind,
        "headline": profile.headline,
        "bio": profile.bio,
        "degree_programme": profile.degree_programme,
        "study_field": profile.study_field,
        "study_year": profile.study_year or "",
        "organisation": profile.organisation_id or "",
        "job_title": profile.job_title,
        "career_story": profile.career_story,
        "interests": profile.interests,
        "website": profile.website,
        "linkedin": profile.linkedin,
        "is_available": "on" if profile.is_available else "",
        "capacity": profile.capacity,
        "visibility": profile.visibility,
        "competences-TOTAL_FORMS": str(len(competences)),
        "competences-INITIAL_FORMS": "0",
        "competences-MIN_NUM_FORMS": "0",
        "competences-MAX_NUM_FORMS": "30",
    }
    for index, (competence, direction, level) in enumerate(competences):
        data[f"competences-{index}-competence"] = competence.pk
        data[f"competences-{index}-direction"] = direction
        data[f"competences-{index}-level"] = level
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
