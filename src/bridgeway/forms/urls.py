"""Web pages of the forms app, mounted at ``/forms/``."""

from django.urls import path

from bridgeway.forms import views

app_name = "forms"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("cases/<int:case_id>/", views.case_forms, name="case_forms"),
    path("cases/<int:case_id>/<str:form_id>/new/", views.record_new, name="record_new"),
    path("cases/<int:case_id>/versions/<int:version_id>/refresh/", views.refresh,
         name="refresh"),
    path("records/<int:record_id>/", views.record_detail, name="record_detail"),
    path("records/<int:record_id>/edit/", views.record_edit, name="record_edit"),
    path("submissions/failed/", views.failed_list, name="failed_list"),
    path("submissions/<int:raw_id>/", views.raw_detail, name="raw_detail"),
]
