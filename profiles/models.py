from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mentoring.validators import validate_clean_text
from profiles import circles

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


def preferred_language(chosen: str) -> str:
    """The language to write to someone in: the one they chose (User.language), else the
    site's default. Also for rows read with values_list()."""
    return chosen or settings.LANGUAGE_CODE


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. E-mail is the only login identifier."""

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    display_name = models.CharField(
        _("display name"), max_length=80, validators=[validate_clean_text]
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Project staff: may use the admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "The language of e-mails and notifications: the one last chosen on the site "
            "(empty: the site's default)."
        ),
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    @property
    def preferred_language(self) -> str:
        """What to write e-mails and notifications to this person in."""
        return preferred_language(self.language)

    def get_short_name(self) -> str:
        return self.display_name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        UNIVERSITY = "university", _("University")
        OTHER = "other", _("Other organisation")

    name = models.CharField(_("name"), max_length=120, validators=[validate_clean_text])
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.COMPANY)
    website = models.URLField(_("website"), max_length=300, blank=True)
    description = models.TextField(
        _("description"), max_length=2000, blank=True, validators=[validate_clean_text]
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("profiles:organisation", args=[self.slug])


class BilingualName(models.Model):
    """A row of a shared vocabulary, named in Finnish, English and Swedish."""

    name_en = models.CharField(_("name in English"), max_length=80)
    name_fi = models.CharField(_("name in Finnish"), max_length=80)
    name_sv = models.CharField(_("name in Swedish"), max_length=80)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return str(getattr(self, self.name_field()))

    @staticmethod
    def name_field() -> str:
        """The column that holds the name in the active language."""
        return {"fi": "name_fi", "sv": "name_sv"}.get((get_language() or "")[:2], "name_en")


class Competence(BilingualName):
    """One entry of the shared competence taxonomy; staff extend it in the admin."""

    class Category(models.TextChoices):
        ICT = "ict", _("ICT and software")
        DATA = "data", _("Data and AI")
        BUSINESS = "business", _("Business and management")
        MARKETING = "marketing", _("Marketing and sales")
        WORKING_LIFE = "working_life", _("Working-life skills")

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category)

    class Meta:
        ordering = ["category", "name_en"]
        verbose_name = _("competence")
        verbose_name_plural = _("competences")


class Language(BilingualName):
    code = models.CharField(_("code"), max_length=8, unique=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")


class ProfileQuerySet(models.QuerySet["Profile"]):
    def visible_to(self, user: Any) -> ProfileQuerySet:
        """Profiles `user` may see: site staff see all; others see their own, those shown to all
        signed-in users, those shown to pilot members if they share a pilot, and, as a pilot's
        staff, every profile of its members."""
        active = self.filter(user__is_active=True)
        if user.is_staff:
            return active
        return active.filter(
            Q(visibility=Profile.Visibility.SIGNED_IN)
            | Q(user=user)
            | (Q(visibility=Profile.Visibility.PILOT_MEMBERS) & circles.members_q(user))
            | circles.managed_q(user)
        )

    def search(self, text: str) -> ProfileQuerySet:
        """Every word must match a name, headline, job, programme, organisation or competence.

        The name, organisation and competence are matched in subqueries, each run once per
        word (the name through the trigram index of migration 0004 on PostgreSQL), and listed
        first: a profile they match skips the LIKEs on its own columns.
        """
        qs = self
        for word in text.split()[:6]:
            by_competence = ProfileCompetence.objects.filter(
                Q(competence__name_en__icontains=word)
                | Q(competence__name_fi__icontains=word)
                | Q(competence__name_sv__icontains=word)
            ).values("profile_id")
            by_name = User.objects.filter(display_name__icontains=word).values("pk")
            by_organisation = Organisation.objects.filter(name__icontains=word).values("pk")
            qs = qs.filter(
                Q(pk__in=by_competence)
                | Q(pk__in=by_name)
                | Q(organisation__in=by_organisation)
                | Q(headline__icontains=word)
                | Q(job_title__icontains=word)
                | Q(degree_programme__icontains=word)
            )
        return qs

    def with_competence(self, competence: Competence | int, direction: str = "") -> ProfileQuerySet:
        links = ProfileCompetence.objects.filter(competence=competence)
        if direction:
            links = links.filter(direction=direction)
        return self.filter(pk__in=links.values("profile_id"))

    def for_cards(self) -> ProfileQuerySet:
        """What a profile card (profiles/card.html) shows, in a constant number of queries."""
        return self.select_related("user", "organisation").prefetch_related(
            models.Prefetch(
                "competence_links",
                queryset=ProfileCompetence.objects.select_related("competence").order_by(
                    "-level", "competence__name_en"
                ),
            ),
        )

    def for_listing(self) -> ProfileQuerySet:
        """A card's data and the languages (profile pages, suggestions), in constant queries."""
        return self.for_cards().prefetch_related("languages")


class Profile(models.Model):
    """A competence profile: who someone is in the mentoring network."""

    class Kind(models.TextChoices):
        STUDENT = "student", _("Student")
        PROFESSIONAL = "professional", _("Working-life professional")

    class Visibility(models.TextChoices):
        SIGNED_IN = "signed_in", _("All signed-in users")
        PILOT_MEMBERS = "pilot_members", _("Members of my pilots")
        STAFF = "staff", _("Project staff only")

    class StudyField(models.TextChoices):
        ICT = "ict", _("Information and communication technology")
        BUSINESS = "business", _("Business")
        OTHER = "other", _("Other")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="profile",
    )
    kind = models.CharField(_("I am a"), max_length=20, choices=Kind, default=Kind.STUDENT)
    headline = models.CharField(
        _("headline"),
        max_length=120,
        blank=True,
        validators=[validate_clean_text],
        help_text=_("One line about you, e.g. “Second-year ICT student into cloud and data”."),
    )
    bio = models.TextField(
        _("about me"), max_length=2000, blank=True, validators=[validate_clean_text]
    )
    # Students
    degree_programme = models.CharField(
        _("degree programme"), max_length=120, blank=True, validators=[validate_clean_text]
    )
    study_field = models.CharField(_("study field"), max_length=20, choices=StudyField, blank=True)
    study_year = models.PositiveSmallIntegerField(
        _("year of study"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    # Professionals
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="profiles",
    )
    job_title = models.CharField(
        _("job title"), max_length=120, blank=True, validators=[validate_clean_text]
    )
    career_story = models.TextField(
        _("career story"),
        max_length=4000,
        blank=True,
        validators=[validate_clean_text],
        help_text=_("How you got where you are: studies, turns, what you would tell a student."),
    )
    languages = models.ManyToManyField(
        Language, verbose_name=_("languages I speak"), blank=True, related_name="profiles"
    )
    interests = models.CharField(
        _("interests"),
        max_length=300,
        blank=True,
        validators=[validate_clean_text],
        help_text=_("Comma-separated, e.g. game design, start-ups, sustainability."),
    )
    website = models.URLField(_("website or portfolio"), max_length=300, blank=True)
    linkedin = models.URLField(_("LinkedIn profile"), max_length=300, blank=True)
    avatar = models.ImageField(_("photo"), upload_to="avatars/", blank=True)
    # Mentors
    is_available = models.BooleanField(
        _("open to new conversations"),
        default=True,
        help_text=_("Untick when you cannot take on new conversations for a while."),
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"),
        default=5,
        validators=[MaxValueValidator(50)],
        help_text=_("How many mentees or conversations you can follow at the same time."),
    )
    visibility = models.CharField(
        _("who can see my profile"),
        max_length=20,
        choices=Visibility,
        default=Visibility.SIGNED_IN,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(study_year__isnull=True) | Q(study_year__gte=1, study_year__lte=7),
                name="profile_study_year_range",
            ),
            models.CheckConstraint(condition=Q(capacity__lte=50), name="profile_capacity_max"),
        ]
        indexes = [models.Index(fields=["kind", "visibility"])]

    def __str__(self) -> str:
        return str(self.user)

    def get_absolute_url(self) -> str:
        return reverse("profiles:detail", args=[self.pk])

    @property
    def is_student(self) -> bool:
        return self.kind == self.Kind.STUDENT

    @property
    def is_professional(self) -> bool:
        return self.kind == self.Kind.PROFESSIONAL

    @property
    def avatar_url(self) -> str:
        return self.avatar.url if self.avatar else ""

    @property
    def interest_list(self) -> list[str]:
        return [item.strip() for item in self.interests.split(",") if item.strip()]

    def shares(self) -> list[ProfileCompetence]:
        return [
            c
            for c in self.competence_links.all()
            if c.direction == ProfileCompetence.Direction.SHARE
        ]

    def learns(self) -> list[ProfileCompetence]:
        return [
            c
            for c in self.competence_links.all()
            if c.direction == ProfileCompetence.Direction.LEARN
        ]

    def completeness_checks(self) -> list[tuple[bool, StrOrPromise]]:
        """Each part of a complete profile, whether it is there, and how to say it is missing."""
        checks: list[tuple[bool, StrOrPromise]] = [
            (bool(self.headline), _("a headline")),
            (bool(self.bio), _("a few words about you")),
        ]
        if self.is_student:
            checks += [
                (bool(self.degree_programme), _("your degree programme")),
                (bool(self.study_year), _("your year of study")),
            ]
        else:
            checks += [
                (bool(self.organisation_id), _("your organisation")),
                (bool(self.job_title), _("your job title")),
                (bool(self.career_story), _("your career story")),
            ]
        checks += [
            (bool(self.shares()), _("a competence you can share")),
            (bool(self.learns()), _("a competence you want to learn")),
            (bool(self.languages.all()), _("the languages you speak")),
            (bool(self.avatar), _("a photo")),
        ]
        return checks

    def missing_items(self) -> list[StrOrPromise]:
        """What the user could still add, in words; empty when the profile is complete."""
        return [label for done, label in self.completeness_checks() if not done]

    def completeness(self) -> int:
        """Percentage of the profile filled in."""
        checks = self.completeness_checks()
        return round(100 * sum(done for done, _label in checks) / len(checks))


class ProfileCompetence(models.Model):
    """A competence on a profile, with a level and a direction."""

    class Direction(models.TextChoices):
        SHARE = "share", _("Can share")
        LEARN = "learn", _("Want to learn")

    class Level(models.IntegerChoices):
        BEGINNER = 1, _("Beginner")
        INTERMEDIATE = 2, _("Intermediate")
        ADVANCED = 3, _("Advanced")
        EXPERT = 4, _("Expert")

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="competence_links")
    competence = models.ForeignKey(
        Competence, verbose_name=_("competence"), on_delete=models.CASCADE, related_name="links"
    )
    direction = models.CharField(_("direction"), max_length=5, choices=Direction)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level, default=Level.INTERMEDIATE)

    class Meta:
        verbose_name = _("profile competence")
        verbose_name_plural = _("profile competences")
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "competence", "direction"], name="profile_competence_unique"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="competence_level_range"
            ),
        ]
        indexes = [models.Index(fields=["competence", "direction"])]

    def __str__(self) -> str:
        return f"{self.competence} ({self.get_direction_display()})"
