"""Sharing pages, mounted at ``/sharing/``. Names live in the ``sharing`` namespace."""

from django.urls import path

from bridgeway.referrals import views

app_name = "sharing"
urlpatterns = [
    path("cases/<int:case_id>/", views.case_sharing, name="case"),
    path("cases/<int:case_id>/consents/new/", views.consent_new, name="consent_new"),
    path("consents/<int:consent_id>/withdraw/", views.consent_withdraw,
         name="consent_withdraw"),
    path("consents/<int:consent_id>/review/", views.consent_review, name="consent_review"),
    path("cases/<int:case_id>/referrals/new/", views.referral_new, name="referral_new"),
    path("cases/<int:case_id>/shared/", views.shared_record, name="shared_record"),
    path("cases/<int:case_id>/transfers/new/", views.transfer_new, name="transfer_new"),
    path("cases/<int:case_id>/export/", views.subject_export, name="export"),
    path("cases/<int:case_id>/export.json", views.subject_export_json, name="export_json"),
    path("cases/<int:case_id>/corrections/", views.corrections, name="corrections"),
    path("corrections/<int:correction_id>/decide/", views.correction_decide,
         name="correction_decide"),
    path("referrals/incoming/", views.referrals_incoming, name="incoming"),
    path("referrals/outgoing/", views.referrals_outgoing, name="outgoing"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral"),
    path("referrals/<int:referral_id>/<slug:action>/", views.referral_act,
         name="referral_act"),
    path("transfers/incoming/", views.transfers_incoming, name="transfers_incoming"),
    path("transfers/<int:transfer_id>/<slug:action>/", views.transfer_act,
         name="transfer_act"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("break-glass/review/", views.break_glass_review_list, name="break_glass_review"),
    path("break-glass/<int:use_id>/end/", views.break_glass_end, name="break_glass_end"),
    path("break-glass/<int:use_id>/review/", views.break_glass_review,
         name="break_glass_review_one"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all,
         name="notifications_read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read,
         name="notification_read"),
]
