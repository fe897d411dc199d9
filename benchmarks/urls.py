"""The project's URLs plus a bare view: the baseline that every page is compared with."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from mentoring.urls import urlpatterns as project_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
