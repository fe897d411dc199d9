from django.urls import path

from groups import staff_views, views

app_name = "groups"

STAFF = "pilots/<slug:slug>/staff/loops/"

urlpatterns = [
    path("loops/", views.my_loops, name="list"),
    path("loops/discussions/", views.discussions, name="discussions"),
    path("loops/<int:pk>/", views.detail, name="detail"),
    path("loops/<int:pk>/join/", views.join, name="join"),
    path("loops/<int:pk>/leave/", views.leave, name="leave"),
    # Staff pages (groups/staff_views.py), beside the pilot's other staff pages
    path(STAFF, staff_views.loops, name="staff"),
    path(f"{STAFF}pair/", staff_views.form_pair, name="form_pair"),
    path(f"{STAFF}new/", staff_views.new_group, name="new"),
    path(f"{STAFF}<int:pk>/", staff_views.manage, name="manage"),
    path(f"{STAFF}<int:pk>/members/add/", staff_views.add_member, name="add_member"),
    path(
        f"{STAFF}<int:pk>/members/<int:user_id>/remove/",
        staff_views.remove_member,
        name="remove_member",
    ),
    path(f"{STAFF}<int:pk>/archive/", staff_views.archive, name="archive"),
]
