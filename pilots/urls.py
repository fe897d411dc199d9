from django.urls import path

from pilots import conversation_views, invitation_views, moderation_views, staff_views, views

app_name = "pilots"

urlpatterns = [
    path("", views.my_pilots, name="list"),
    path("calendar/<uuid:token>.ics", views.calendar, name="calendar"),
    path("new/", staff_views.create, name="create"),
    path("join/", views.join, name="join"),
    path("invitations/<str:token>/", invitation_views.accept, name="accept"),
    path(
        "people/<int:user_id>/talk/",
        conversation_views.start_conversation,
        name="start_conversation",
    ),
    path("people/<int:user_id>/report/", conversation_views.report_person, name="report_person"),
    path("<slug:slug>/", views.home, name="home"),
    path("<slug:slug>/materials/<int:pk>/", views.material, name="material"),
    path("<slug:slug>/materials/<int:pk>/done/", views.material_done, name="material_done"),
    path("<slug:slug>/announcements/<int:pk>/", views.announcement, name="announcement"),
    # Staff pages (pilots/staff_views.py)
    path("<slug:slug>/staff/", staff_views.dashboard, name="staff"),
    path("<slug:slug>/staff/edit/", staff_views.edit, name="edit"),
    path("<slug:slug>/staff/weeks/", staff_views.weeks, name="weeks"),
    path("<slug:slug>/staff/weeks/<int:number>/", staff_views.edit_week, name="edit_week"),
    path("<slug:slug>/staff/materials/", staff_views.materials, name="materials"),
    path("<slug:slug>/staff/materials/new/", staff_views.new_material, name="new_material"),
    path("<slug:slug>/staff/materials/<int:pk>/", staff_views.edit_material, name="edit_material"),
    path("<slug:slug>/staff/participants/", staff_views.participants, name="participants"),
    path("<slug:slug>/staff/announcements/", staff_views.announcements, name="announcements"),
    path(
        "<slug:slug>/staff/announcements/new/",
        staff_views.new_announcement,
        name="new_announcement",
    ),
    path(
        "<slug:slug>/staff/announcements/<int:pk>/",
        staff_views.announcement_status,
        name="announcement_status",
    ),
    # Invitations (pilots/invitation_views.py)
    path("<slug:slug>/staff/invitations/", invitation_views.invitations, name="invitations"),
    path(
        "<slug:slug>/staff/join-code/",
        invitation_views.rotate_code,
        name="rotate_join_code",
    ),
    path("<slug:slug>/staff/invitations/import/", invitation_views.invite_csv, name="invite_csv"),
    path(
        "<slug:slug>/staff/invitations/import/confirm/",
        invitation_views.invite_csv_confirm,
        name="invite_csv_confirm",
    ),
    path("<slug:slug>/staff/invitations/<int:pk>/resend/", invitation_views.resend, name="resend"),
    path("<slug:slug>/staff/invitations/<int:pk>/revoke/", invitation_views.revoke, name="revoke"),
    # Moderation (pilots/moderation_views.py)
    path("<slug:slug>/staff/moderation/", moderation_views.moderation, name="moderation"),
    path("<slug:slug>/staff/moderation/<int:pk>/hide/", moderation_views.hide, name="hide_message"),
    path(
        "<slug:slug>/staff/moderation/<int:pk>/dismiss/",
        moderation_views.dismiss,
        name="dismiss_report",
    ),
    path("<slug:slug>/staff/moderation/<int:pk>/warn/", moderation_views.warn, name="warn"),
    path(
        "<slug:slug>/staff/moderation/<int:pk>/remove/",
        moderation_views.remove,
        name="remove_participant",
    ),
]
