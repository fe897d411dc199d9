from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.static import serve

from mentoring import views

# The admin login goes through allauth: the same rate limits, verification and enumeration
# protection as the site's own login.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Mentoring"

handler500 = "mentoring.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("", views.home, name="today"),  # the same page: signed in, it is Today (today/)
    path("today/", include("today.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("profiles.urls")),
    path("", include("messaging.urls")),
    path("pilots/", include("pilots.urls")),
    # Where starting a conversation and reporting someone lived until pilots took them over.
    path(
        "people/<int:user_id>/talk/",
        RedirectView.as_view(pattern_name="pilots:start_conversation", permanent=True),
    ),
    path(
        "people/<int:user_id>/report/",
        RedirectView.as_view(
            pattern_name="pilots:report_person", permanent=True, query_string=True
        ),
    ),
    path("", include("groups.urls")),  # /groups/ and /pilots/<slug>/staff/groups/
    # Avatars are re-encoded JPEGs we wrote ourselves; serving them from the app keeps the
    # deployment to one kind of process. A CDN or proxy may take this over.
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:path>",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
]
