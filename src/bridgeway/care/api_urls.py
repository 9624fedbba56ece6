"""Care API routes. Mounted by ``bridgeway.api.urls`` under ``/api/v1/care/`` (before the
catch-all 404 route). Names live in the ``care_api`` namespace."""

from django.urls import path

from bridgeway.care import api

app_name = "care_api"
urlpatterns = [
    path("cases/<bwid:case_id>/assessments/", api.AssessmentsView.as_view(),
         name="assessments"),
    path("assessments/<bwid:record_id>/", api.AssessmentView.as_view(), name="assessment"),
    path("assessments/<bwid:record_id>/decision/", api.DecisionView.as_view(),
         name="decision"),
    path("assessments/<bwid:record_id>/approval-request/",
         api.ApprovalRequestView.as_view(), name="approval_request"),
    path("cases/<bwid:case_id>/plan/", api.PlanView.as_view(), name="plan"),
    path("plan-goals/<bwid:goal_id>/", api.GoalView.as_view(), name="plan_goal"),
    path("plan-actions/<bwid:action_id>/", api.ActionView.as_view(), name="plan_action"),
    path("cases/<bwid:case_id>/services/", api.ServicesView.as_view(), name="services"),
    path("cases/<bwid:case_id>/reviews/", api.ReviewsView.as_view(), name="reviews"),
]
