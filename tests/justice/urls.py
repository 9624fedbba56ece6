"""The project's URLs with the justice API mounted where ``bridgeway.api.urls`` will mount
it (``/api/v1/justice/``), ahead of the API's catch-all."""

from django.urls import include, path

from bridgeway.urls import urlpatterns as project

urlpatterns = [
    path("api/v1/justice/", include("bridgeway.justice.api_urls")),
    *project,
]
