"""OpenRosa endpoints, mounted at ``/odk/`` (the server URL to give ODK clients)."""

from django.urls import path

from bridgeway.forms import openrosa

app_name = "odk"
urlpatterns = [
    path("formList", openrosa.form_list, name="form_list"),
    path("forms/<str:form_id>/<str:version>/form.xml", openrosa.form_xml, name="form_xml"),
    path("forms/<str:form_id>/<str:version>/manifest", openrosa.manifest, name="manifest"),
    path("submission", openrosa.submission, name="submission"),
]
