from django.contrib import admin
from django.urls import include, path

from bridgeway.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("bridgeway.api.urls")),
    path("justice/", include("bridgeway.justice.urls")),
    path("odk/", include("bridgeway.forms.openrosa_urls")),
    path("forms/", include("bridgeway.forms.urls")),
    path("care/", include("bridgeway.care.urls")),
    path("sharing/", include("bridgeway.referrals.urls")),
    path("", include("bridgeway.web.urls")),
]
