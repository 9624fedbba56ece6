"""Justice API routes. Mounted by ``bridgeway.api.urls`` under ``/api/v1/justice/``::

    path("justice/", include("bridgeway.justice.api_urls")),

(before the catch-all 404 route). Names live in the ``justice_api`` namespace.
"""

from django.urls import path

from bridgeway.justice import api

app_name = "justice_api"
urlpatterns = [
    path("cases/<bwid:pk>/timeline/", api.TimelineView.as_view(), name="timeline"),
    path("cases/<bwid:pk>/timeline/sealed/", api.SealedTimelineView.as_view(),
         name="timeline_sealed"),
    path("cases/<bwid:pk>/events/", api.EventsView.as_view(), name="events"),
    path("cases/<bwid:pk>/episodes/", api.EpisodesView.as_view(), name="episodes"),
    path("cases/<bwid:pk>/agencies/", api.InvolvementsView.as_view(), name="agencies"),
    path("events/<bwid:pk>/correction/", api.EventCorrectionView.as_view(),
         name="event_correction"),
    path("episodes/<bwid:pk>/release/", api.ReleaseView.as_view(), name="episode_release"),
    path("episodes/<bwid:pk>/transfer/", api.TransferView.as_view(), name="episode_transfer"),
    path("episodes/<bwid:pk>/correction/", api.EpisodeCorrectionView.as_view(),
         name="episode_correction"),
    path("deprived-of-liberty/", api.DeprivedView.as_view(), name="deprived"),
    path("rules/", api.RulesView.as_view(), name="rules"),
    path("facilities/", api.FacilitiesView.as_view(), name="facilities"),
]
