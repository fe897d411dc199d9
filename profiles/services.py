"""State changes that touch several models or files. Views, the admin, allauth's adapter and
management commands all call these."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation

from profiles.models import Profile, User


@transaction.atomic
def create_user(
    *,
    email: str,
    display_name: str,
    password: str | None,
    kind: str = Profile.Kind.STUDENT,
    is_staff: bool = False,
) -> User:
    user = User.objects.create_user(
        email=email, password=password, display_name=display_name, is_staff=is_staff
    )
    create_profile(user=user, kind=kind)
    return user


def create_profile(*, user: User, kind: str = Profile.Kind.STUDENT) -> Profile:
    return Profile.objects.create(user=user, kind=kind)


def ensure_profile(*, user: User) -> Profile:
    """Users made outside sign-up (createsuperuser, the admin) get a profile on first use."""
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


def verify_superuser_address(*, user: User) -> None:
    """A superuser made with `createsuperuser` (or in code) can sign in: allauth wants a
    verified address, and nobody would be told to verify one. Whoever ran the command holds
    the server, which vouches for the address."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def set_avatar(*, profile: Profile, image: ContentFile | None) -> None:
    """Replace (or with None, remove) the profile photo; the old file is deleted after commit."""
    with transaction.atomic():
        # The file to delete is the one in the row now, not in `profile`, which may be stale:
        # of two uploads racing, the first one's file must not be left orphaned on disk.
        old = (
            Profile.objects.select_for_update().values_list("avatar", flat=True).get(pk=profile.pk)
        )
        if image is None:
            profile.avatar = None  # type: ignore[assignment]
        else:
            profile.avatar.save(image.name or "avatar.jpg", image, save=False)
        profile.save(update_fields=["avatar", "updated_at"])
        if old:
            storage = profile.avatar.storage
            transaction.on_commit(lambda: storage.delete(old))


def remember_language(*, user: User, language: str) -> None:
    """`user` uses the site in `language` (they chose it, or signed in with it): e-mails and
    notifications for them are written in it from now on. Unknown languages are ignored."""
    try:
        code = translation.get_supported_language_variant(language)
    except LookupError:
        return
    if code not in dict(settings.LANGUAGES) or user.language == code:
        return
    User.objects.filter(pk=user.pk).update(language=code)
    user.language = code


def set_availability(*, profile: Profile, is_available: bool) -> None:
    """Whether the person (a mentor) takes new conversations; untaken, nobody can start one
    with them (pilots' start rule)."""
    profile.is_available = is_available
    profile.save(update_fields=["is_available", "updated_at"])
