from collections.abc import Callable

from django.http import HttpResponseBase
from django.urls import path
from django.views.generic import RedirectView

from groups import staff_views, views

app_name = "groups"

STAFF = "pilots/<slug:slug>/staff/groups/"
# Until issue 9 groups were called "loops": their old addresses, in bookmarks and e-mails,
# redirect permanently to the pages that replaced them.
OLD_STAFF = "pilots/<slug:slug>/staff/loops/"


def moved(name: str) -> Callable[..., HttpResponseBase]:
    return RedirectView.as_view(pattern_name=f"groups:{name}", permanent=True, query_string=True)


urlpatterns = [
    path("groups/", views.my_groups, name="list"),
    path("groups/discussions/", views.discussions, name="discussions"),
    path("groups/<int:pk>/", views.detail, name="detail"),
    path("groups/<int:pk>/join/", views.join, name="join"),
    path("groups/<int:pk>/leave/", views.leave, name="leave"),
    # Staff pages (groups/staff_views.py), beside the pilot's other staff pages
    path(STAFF, staff_views.group_list, name="staff"),
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
    # The old addresses of the pages one can open (forms posted to them are not bookmarked).
    path("loops/", moved("list")),
    path("loops/discussions/", moved("discussions")),
    path("loops/<int:pk>/", moved("detail")),
    path(OLD_STAFF, moved("staff")),
    path(f"{OLD_STAFF}pair/", moved("form_pair")),
    path(f"{OLD_STAFF}new/", moved("new")),
    path(f"{OLD_STAFF}<int:pk>/", moved("manage")),
]
