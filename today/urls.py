from django.urls import path

from today import views

app_name = "today"

urlpatterns = [
    path("availability/", views.availability, name="availability"),
]
