from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from profiles.models import Competence, Language, Organisation, Profile, ProfileCompetence, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")},
        ),
    )


class ProfileCompetenceInline(admin.TabularInline):
    model = ProfileCompetence
    extra = 0
    autocomplete_fields = ["competence"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "kind",
        "organisation",
        "headline",
        "is_available",
        "visibility",
        "updated_at",
    ]
    list_filter = ["kind", "visibility", "is_available", "study_field", "organisation"]
    search_fields = [
        "user__display_name",
        "user__email",
        "headline",
        "job_title",
        "degree_programme",
    ]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation"]
    filter_horizontal = ["languages"]
    inlines = [ProfileCompetenceInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "website"]
    list_filter = ["kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_fi", "name_sv", "category", "slug"]
    list_filter = ["category"]
    search_fields = ["name_en", "name_fi", "name_sv", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_fi", "name_sv", "code"]
    search_fields = ["name_en", "name_fi", "name_sv", "code"]
