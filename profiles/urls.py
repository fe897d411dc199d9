from django.urls import path

from profiles import views

app_name = "profiles"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/edit/", views.edit, name="edit"),
    path("me/photo/", views.avatar, name="avatar"),
    path("people/", views.directory, name="directory"),
    path("people/<int:pk>/", views.detail, name="detail"),
    path("organisations/<slug:slug>/", views.organisation, name="organisation"),
]
