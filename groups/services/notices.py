"""Telling people they are in a group: a notice to each new member (in the app, and by e-mail
as their notification settings say) and the introduction that opens the group's conversation:
who its members are and why they were matched, from their profiles.

Project staff form pairs and groups and add members (`membership`); people who join an open
discussion group themselves are not told what they just did.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from groups.models import Group, GroupMember
from messaging import services as messaging
from messaging.models import Kind
from messaging.services.conversations import post_introduction
from profiles.matching import join_words
from profiles.models import Profile, User, preferred_language

# The introduction of a big group names this many members; the conversation shows the rest.
INTRODUCED_MEMBERS = 30


def tell_members(*, group: Group, memberships: Sequence[GroupMember]) -> None:
    """Each of these new members hears that they are in `group`, in their own language, once
    per membership; the link opens the group's conversation."""
    partner = {m.user_id: m.user for m in memberships} if group.is_pair else {}
    for membership in memberships:
        user = membership.user
        with translation.override(user.preferred_language):
            if group.is_pair:
                other = next((u for uid, u in partner.items() if uid != user.pk), None)
                name = _name(other) if other is not None else group.name
                subject = gettext("You are in a pair with %(name)s") % {"name": name}
                body = gettext(
                    "%(pilot)s: project staff paired you with %(name)s. %(explanation)s "
                    "An introduction of you both is waiting in your pair's conversation."
                ) % {"pilot": group.pilot.name, "name": name, "explanation": group.explanation}
            else:
                subject = gettext("You are in the group %(name)s") % {"name": group.name}
                body = gettext(
                    "%(pilot)s: project staff added you to the group %(name)s. "
                    "%(explanation)s Say hello in its conversation."
                ) % {
                    "pilot": group.pilot.name,
                    "name": group.name,
                    "explanation": group.explanation,
                }
        messaging.broadcast(
            kind=Kind.GROUP,
            source=membership.notice_source,
            subject=subject[:200],
            body=body,
            url=group.conversation.get_absolute_url(),
            recipient_ids=[user.pk],
            context=group.pilot.context,
        )


def introduce(*, group: Group, author: User | None, members: Sequence[User]) -> None:
    """Open the new group's conversation with an introduction of its members, written by the
    staff member who formed it (`author`; nothing without one, nor without members), in the
    members' language when they share one, else the site's."""
    if author is None or not members:
        return
    languages = {preferred_language(member.language) for member in members}
    language = languages.pop() if len(languages) == 1 else settings.LANGUAGE_CODE
    profiles = {
        p.pk: p
        for p in Profile.objects.filter(pk__in=[m.pk for m in members])
        .select_related("organisation")
        .prefetch_related("competence_links__competence", "languages")
    }
    with translation.override(language):
        if group.is_pair and len(members) == 2:
            body = _pair_introduction(group, members, profiles)
        else:
            body = _group_introduction(group, members, profiles)
    post_introduction(conversation=group.conversation, author=author, body=body)


def _name(user: User | None) -> str:
    return (user.display_name if user is not None else "") or gettext("a member")


def _about(profile: Profile | None) -> str:
    """What someone does, from their profile: "Architect at Acme", "ICT student, year 2"."""
    if profile is None:
        return ""
    if profile.is_professional:
        title, organisation = profile.job_title, profile.organisation
        if title and organisation:
            return gettext("%(title)s at %(organisation)s") % {
                "title": title,
                "organisation": organisation.name,
            }
        return title or (organisation.name if organisation else "") or profile.headline
    programme = profile.degree_programme or (
        profile.get_study_field_display() if profile.study_field else ""
    )
    if programme and profile.study_year:
        return gettext("%(programme)s, year %(year)d") % {
            "programme": programme,
            "year": profile.study_year,
        }
    return programme or profile.headline


def _names(links: Sequence[object]) -> list[str]:
    return [link.competence.name for link in links]  # type: ignore[attr-defined]


def _who(user: User, profiles: dict[int, Profile]) -> str:
    about = _about(profiles.get(user.pk))
    return f"{_name(user)}: {about}" if about else _name(user)


def _pair_introduction(group: Group, members: Sequence[User], profiles: dict[int, Profile]) -> str:
    first, second = members
    lines = [
        gettext("Hello %(first)s and %(second)s! Project staff of %(pilot)s formed this pair.")
        % {"first": _name(first), "second": _name(second), "pilot": group.pilot.name},
        str(group.explanation),
        "",
        gettext("Who you are:"),
        f"- {_who(first, profiles)}",
        f"- {_who(second, profiles)}",
        "",
    ]
    reasons = []
    one, other = profiles.get(first.pk), profiles.get(second.pk)
    if one is not None and other is not None:
        for sharer, learner, who_shares, who_learns in (
            (one, other, first, second),
            (other, one, second, first),
        ):
            wanted = {link.competence_id for link in learner.learns()}
            shared = [link for link in sharer.shares() if link.competence_id in wanted]
            if shared:
                reasons.append(
                    gettext("%(sharer)s can share %(names)s, which %(learner)s wants to learn.")
                    % {
                        "sharer": _name(who_shares),
                        "names": join_words(_names(shared)),
                        "learner": _name(who_learns),
                    }
                )
    if not reasons:
        reasons.append(
            gettext(
                "Your profiles do not yet name something one of you can share and the other "
                "wants to learn: tell each other what you hope to get from this pair."
            )
        )
    if one is not None and other is not None:
        common = [lang.name for lang in one.languages.all() if lang in other.languages.all()]
        if common:
            reasons.append(
                gettext("You both speak %(languages)s.") % {"languages": join_words(common)}
            )
    lines += [gettext("Why you two:"), *reasons]
    lines += ["", gettext("A good start: say hello and agree on a first question to talk about.")]
    return "\n".join(lines)


def _group_introduction(group: Group, members: Sequence[User], profiles: dict[int, Profile]) -> str:
    lines = [
        gettext("Welcome to %(group)s! Project staff of %(pilot)s formed this group.")
        % {"group": group.name, "pilot": group.pilot.name},
        str(group.explanation),
        "",
        gettext("Who is here:"),
    ]
    for member in members[:INTRODUCED_MEMBERS]:
        line = f"- {_who(member, profiles)}"
        profile = profiles.get(member.pk)
        shares = _names(profile.shares()) if profile is not None else []
        if shares:
            line += " " + gettext("(can share %(names)s)") % {"names": join_words(shares)}
        lines.append(line)
    if len(members) > INTRODUCED_MEMBERS:
        lines.append(
            gettext("… and %(count)d more.") % {"count": len(members) - INTRODUCED_MEMBERS}
        )
    lines += [
        "",
        gettext("A good start: everyone says hello and one thing they would like to talk about."),
    ]
    return "\n".join(lines)
