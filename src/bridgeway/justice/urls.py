"""Justice pages, mounted at ``/justice/`` (namespace ``justice``)."""

from django.urls import path

from bridgeway.justice import views

app_name = "justice"
urlpatterns = [
    path("deprived-of-liberty/", views.deprived, name="deprived"),
    path("notifications/", views.notifications, name="notifications"),
    path("cases/<bwid:pk>/", views.timeline, name="timeline"),
    path("cases/<bwid:pk>/sealed/", views.timeline_sealed, name="timeline_sealed"),
    path("cases/<bwid:pk>/events/new/", views.event_new, name="event_new"),
    path("cases/<bwid:pk>/episodes/new/", views.episode_open, name="episode_open"),
    path("cases/<bwid:pk>/agencies/", views.involvement_add, name="involvement_add"),
    path("episodes/<bwid:pk>/release/", views.episode_release, name="episode_release"),
    path("episodes/<bwid:pk>/transfer/", views.episode_transfer, name="episode_transfer"),
    path("rules/", views.rules_list, name="rules"),
    path("rules/new/", views.rules_new, name="rules_new"),
]
