from django.contrib.auth import views as auth_views
from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views
from .forms import ClaimablePasswordResetForm

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.HelpdeskLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            form_class=ClaimablePasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("tickets/", views.my_tickets, name="my_tickets"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/sla/", views.ticket_sla, name="ticket_sla"),
    path(
        "tickets/<int:ticket_id>/not-answered/",
        views.ticket_not_answered,
        name="ticket_not_answered",
    ),
    path(
        "agent/tickets/<int:ticket_id>/check/",
        views.agent_reply_check,
        name="agent_reply_check",
    ),
    path("agent/", views.agent_queue, name="agent_queue"),
    path("agent/tickets/<int:ticket_id>/", views.agent_ticket, name="agent_ticket"),
    path(
        "agent/tickets/<int:ticket_id>/update/",
        views.agent_ticket_update,
        name="agent_ticket_update",
    ),
]

# Abuse reports (issue 6)
from . import views_reports  # noqa: E402

urlpatterns += [
    path("reports/", views_reports.my_reports, name="my_reports"),
    path("reports/new/", views_reports.report_new, name="report_new"),
    path("reports/batch/", views_reports.report_batch, name="report_batch"),
    path("reports/<int:ticket_id>/", views_reports.report_detail, name="report_detail"),
    path(
        "reports/decisions/<int:decision_id>/",
        views_reports.report_decision_view,
        name="report_decision_view",
    ),
    path(
        "reports/decisions/<int:decision_id>/contest/",
        views_reports.report_contest,
        name="report_contest",
    ),
    path(
        "reports/sanctions/<int:sanction_id>/contest/",
        views_reports.sanction_contest,
        name="sanction_contest",
    ),
    path("agent/reports/", views_reports.agent_reports, name="agent_reports"),
    path(
        "agent/reports/cases/<int:case_id>/",
        views_reports.agent_report_case,
        name="agent_report_case",
    ),
    path(
        "agent/reports/contests/<int:contest_id>/",
        views_reports.agent_report_contest,
        name="agent_report_contest",
    ),
]

# Products, questions, reviews and their moderation (tickets/views_moderation.py).
from . import views_moderation as vm  # noqa: E402

urlpatterns += [
    path("products/", vm.product_list, name="product_list"),
    path("products/moderation/", vm.moderation_policy, name="moderation_policy"),
    path("products/<str:sku>/", vm.product_detail, name="product_detail"),
    path("products/<str:sku>/questions/", vm.product_question_new, name="product_question_new"),
    path("products/<str:sku>/reviews/", vm.product_review_new, name="product_review_new"),
    path("my/content/", vm.my_content, name="my_content"),
    path("my/content/<int:ticket_id>/", vm.my_content_detail, name="my_content_detail"),
    path(
        "my/content/<int:ticket_id>/resubmit/",
        vm.my_content_resubmit,
        name="my_content_resubmit",
    ),
    path("my/content/<int:ticket_id>/contest/", vm.my_content_contest, name="my_content_contest"),
    path("moderation/", vm.moderation_queue, name="moderation_queue"),
    path("moderation/bulk-publish/", vm.moderation_bulk_publish, name="moderation_bulk_publish"),
    path("moderation/neutrality/", vm.neutrality, name="moderation_neutrality"),
    path("moderation/<int:ticket_id>/decide/", vm.moderation_decide, name="moderation_decide"),
    path("moderation/<int:ticket_id>/answer/", vm.moderation_answer, name="moderation_answer"),
    path(
        "moderation/contests/<int:contest_id>/decide/",
        vm.moderation_contest_decide,
        name="moderation_contest_decide",
    ),
]

# Data protection: "Your data" (export, erasure) and the managers' audit log.
from . import views_privacy  # noqa: E402

urlpatterns += [
    path("account/data/", views_privacy.my_data, name="my_data"),
    path("account/data/export/", views_privacy.my_data_export, name="my_data_export"),
    path("account/data/erase/", views_privacy.my_data_erase, name="my_data_erase"),
    path("manager/audit/", views_privacy.audit_log, name="audit_log"),
]
