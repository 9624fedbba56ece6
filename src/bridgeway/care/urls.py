"""Care pages, mounted at ``/care/``."""

from django.urls import path

from bridgeway.care import views

app_name = "care"
urlpatterns = [
    path("cases/<int:case_id>/", views.overview, name="overview"),
    path("cases/<int:case_id>/services/", views.service_add, name="service_add"),
    path("cases/<int:case_id>/reviews/", views.review_add, name="review_add"),
    path("cases/<int:case_id>/actions/<int:action_id>/status/", views.action_status,
         name="action_status"),
    path("cases/<int:case_id>/goals/<int:goal_id>/status/", views.goal_status,
         name="goal_status"),
    path("cases/<int:case_id>/records/<int:record_id>/approval-request/",
         views.approval_request, name="approval_request"),
    path("records/<int:record_id>/decision/", views.decision, name="decision"),
]
