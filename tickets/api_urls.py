"""REST API v1, mounted at /api/v1/ (see ../shared/API.md)."""

from django.urls import path

from . import api

urlpatterns = [
    path("signup/", api.SignupView.as_view(), name="api-signup"),
    path("auth/token/", api.TokenObtainView.as_view(), name="api-token"),
    path("users/", api.UserCreateView.as_view(), name="api-users"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("tickets/", api.TicketListView.as_view(), name="api-tickets"),
    # <str:id>, not <int:id>: a malformed id is a JSON 404 from the view, not Django's HTML one.
    path("tickets/<str:id>/", api.TicketDetailView.as_view(), name="api-ticket"),
    path(
        "tickets/<str:id>/messages/",
        api.TicketMessagesView.as_view(),
        name="api-ticket-messages",
    ),
    path(
        "tickets/<str:id>/not-answered/",
        api.TicketNotAnsweredView.as_view(),
        name="api-ticket-not-answered",
    ),
    path("replies/check/", api.ReplyCheckView.as_view(), name="api-replies-check"),
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/<str:id>/read/",
        api.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
]

# Abuse reports (issue 6)
from . import api_reports  # noqa: E402

urlpatterns += [
    path("reports/", api_reports.ReportListView.as_view(), name="api-reports"),
    path("reports/batch/", api_reports.ReportBatchView.as_view(), name="api-reports-batch"),
    path("reports/limit/", api_reports.ReportLimitView.as_view(), name="api-reports-limit"),
    path("reports/figures/", api_reports.ReportFiguresView.as_view(), name="api-reports-figures"),
    path(
        "reports/<str:id>/contest/",
        api_reports.ReportContestView.as_view(),
        name="api-report-contest",
    ),
    path(
        "report-contests/<str:id>/decide/",
        api_reports.ContestDecideView.as_view(),
        name="api-report-contest-decide",
    ),
    path("tickets/<str:id>/decide/", api_reports.TicketDecideView.as_view(), name="api-decide"),
]

# Products, questions, reviews and their moderation (tickets/api_moderation.py).
from . import api_moderation  # noqa: E402

urlpatterns += [
    path("products/", api_moderation.ProductListView.as_view(), name="api-products"),
    path(
        "products/<str:sku>/questions/",
        api_moderation.ProductQuestionsView.as_view(),
        name="api-product-questions",
    ),
    path(
        "products/<str:sku>/reviews/",
        api_moderation.ProductReviewsView.as_view(),
        name="api-product-reviews",
    ),
    path("moderation/", api_moderation.ModerationQueueView.as_view(), name="api-moderation"),
    path(
        "moderation/contests/",
        api_moderation.ContestListView.as_view(),
        name="api-moderation-contests",
    ),
    path(
        "moderation/contests/<str:id>/decide/",
        api_moderation.ContestDecideView.as_view(),
        name="api-moderation-contest-decide",
    ),
    path(
        "moderation/neutrality/",
        api_moderation.NeutralityView.as_view(),
        name="api-moderation-neutrality",
    ),
    path("tickets/<str:id>/moderate/", api_moderation.ModerateView.as_view(), name="api-moderate"),
    path("tickets/<str:id>/resubmit/", api_moderation.ResubmitView.as_view(), name="api-resubmit"),
    path(
        "tickets/<str:id>/contest/", api_moderation.ContestCreateView.as_view(), name="api-contest"
    ),
    path("tickets/<str:id>/answer/", api_moderation.AnswerView.as_view(), name="api-answer"),
]

# Data protection (tickets/api_privacy.py).
from . import api_privacy  # noqa: E402

urlpatterns += [
    path("me/export/", api_privacy.MeExportView.as_view(), name="api-me-export"),
    path("me/erase/", api_privacy.MeEraseView.as_view(), name="api-me-erase"),
    path(
        "audit/ticket-views/",
        api_privacy.TicketViewListView.as_view(),
        name="api-audit-ticket-views",
    ),
]
