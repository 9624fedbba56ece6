"""The web interface's pages. Names live in the ``web`` namespace (settings refer to
``web:login``, ``web:case_list`` and ``web:mfa``)."""

from django.urls import path
from django.views.i18n import set_language

from bridgeway.web.views import account, audit, cases, edit, register

app_name = "web"
urlpatterns = [
    path("", cases.case_list, name="case_list"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("mfa/", account.mfa, name="mfa"),
    path("account/tokens/", account.tokens, name="tokens"),
    path("language/", set_language, name="set_language"),
    path("register/", register.register, name="register"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", edit.case_edit, name="case_edit"),
    path("cases/<int:pk>/notes/", cases.case_note, name="case_note"),
    path("cases/<int:pk>/status/", cases.case_status, name="case_status"),
    path("cases/<int:pk>/closure/request/", cases.case_closure_request,
         name="case_closure_request"),
    path("cases/<int:pk>/closure/decide/", cases.case_closure_decide,
         name="case_closure_decide"),
    path("cases/<int:pk>/reopen/", cases.case_reopen, name="case_reopen"),
    path("cases/<int:pk>/assign/", cases.case_assign, name="case_assign"),
    path("audit/", audit.audit_log_view, name="audit_log"),
]
