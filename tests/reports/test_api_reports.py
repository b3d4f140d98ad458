"""Reports through HTTP and the services, as a reporter and agents live them."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from helpdesk.models import Notification
from sla.models import Clock
from tests.factories import UserFactory
from tickets import reports
from tickets.models import (
    Report,
    ReportCase,
    ReportContest,
    ReporterStanding,
    ReportIntake,
    ReportSanction,
    Ticket,
)

from .conftest import T0, report_body

pytestmark = pytest.mark.django_db


def _decide(client, ticket_id, outcome="upheld", statement="Photos match yours.", **extra):
    return client.post(
        f"/api/v1/tickets/{ticket_id}/decide/",
        {"outcome": outcome, "statement": statement, **extra},
        format="json",
    )


def test_40_reports_in_a_row_are_accepted_decided_and_explained(customer, agent, api_client):
    reporter, decider = api_client(customer), api_client(agent)
    with time_machine.travel(T0, tick=False):
        created = [
            reporter.post("/api/v1/reports/", report_body(n), format="json") for n in range(40)
        ]
        assert [r.status_code for r in created] == [201] * 40
        first = created[0].json()
        assert first["kind"] == "report"
        assert first["decision_due_at"] == "2026-03-03T09:00:00Z"  # the 24 h default target
        assert first["outcome"] is None and first["statement"] is None
        limit = reporter.get("/api/v1/reports/limit/").json()
        assert (limit["limit"], limit["used"], limit["remaining"]) == (60, 40, 20)

    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        decided = [_decide(decider, r.json()["id"]) for r in created]
        assert [r.status_code for r in decided] == [200] * 40

    mine = reporter.get("/api/v1/reports/?page_size=100").json()
    assert mine["count"] == 40
    assert {r["outcome"] for r in mine["results"]} == {"upheld"}
    statement = mine["results"][0]["statement"]
    assert statement.startswith("Decision: Upheld: the content at https://shop.example.com/")
    assert "Facts: Photos match yours." in statement
    assert "Rule applied: Terms of sale §4.2" in statement
    assert "No automated means were used" in statement
    assert "You can contest this decision until 2026-09-01" in statement
    assert Notification.objects.filter(user=customer, kind="report_decided").count() == 40
    assert not Clock.objects.filter(metric="report_decision", state="running").exists()
    assert not Clock.objects.filter(metric="report_decision", breached=True).exists()
    # Accuracy is rewarded: the limit grew.
    assert reporter.get("/api/v1/reports/limit/").json()["limit"] == 327


def test_over_the_limit_is_a_429_saying_how_long_and_the_form_says_when(
    customer, api_client, client
):
    reporter = api_client(customer)
    for n in range(60):  # one every 30 seconds, 09:00:00 to 09:29:30
        with time_machine.travel(T0 + timedelta(seconds=30 * n), tick=False):
            assert (
                reporter.post("/api/v1/reports/", report_body(n), format="json").status_code == 201
            )

    with time_machine.travel(T0 + timedelta(minutes=45), tick=False):
        response = reporter.post("/api/v1/reports/", report_body(99), format="json")
        assert response.status_code == 429
        assert response["Retry-After"] == "900"
        assert response.json() == {
            "detail": "You have reached your limit of 60 reports per hour (0 left, this report "
            "would not fit). You can send this report from 10:00 UTC.",
            "limit": 60,
            "remaining": 0,
            "window_seconds": 3600,
            "resets_at": "2026-03-02T10:00:00Z",
        }
        client.force_login(customer)
        page = client.get("/reports/new/").content.decode()
        assert "You have used your 60 reports for this hour." in page
        assert "Sending is unavailable until" in page

    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert reporter.post("/api/v1/reports/", report_body(99), format="json").status_code == 201
        assert reporter.post("/api/v1/reports/", report_body(98), format="json").status_code == 429
        assert Report.objects.count() == 61


def test_the_form_says_how_many_are_left(customer, client):
    client.force_login(customer)
    with time_machine.travel(T0, tick=False):
        page = client.get("/reports/new/?target=https://shop.example.com/p/kettle")
    html = page.content.decode()
    assert "You can send 60 more reports this hour (limit 60)." in html
    assert 'value="https://shop.example.com/p/kettle"' in html


def test_batch_of_50_is_all_or_nothing(customer, api_client):
    reporter = api_client(customer)
    urls = [f"https://shop.example.com/listing/{n}" for n in range(50)]
    body = {
        "target_urls": urls,
        "reason": "counterfeit",
        "explanation": "Fakes.",
        "good_faith": True,
    }
    with time_machine.travel(T0, tick=False):
        response = reporter.post("/api/v1/reports/batch/", body, format="json")
        assert response.status_code == 201
        assert len(response.json()) == 50
        again = reporter.post(
            "/api/v1/reports/batch/", {**body, "target_urls": urls[:11]}, format="json"
        )
    assert again.status_code == 429
    assert again.json()["remaining"] == 10
    assert Report.objects.count() == 50
    too_many = reporter.post(
        "/api/v1/reports/batch/",
        {**body, "target_urls": [*urls, "https://x.example/"]},
        format="json",
    )
    assert too_many.status_code == 400


def _rejected_batch(client, agent_client, start, n=10, unfounded=8):
    ids = []
    with time_machine.travel(start, tick=False):
        for i in range(n):
            ids.append(
                client.post(
                    "/api/v1/reports/", report_body(int(start.timestamp()) + i), format="json"
                ).json()["id"]
            )
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        for i, pk in enumerate(ids):
            r = _decide(
                agent_client,
                pk,
                "rejected",
                "It is the seller's own photo.",
                manifestly_unfounded=i < unfounded,
            )
            assert r.status_code == 200


def test_warning_then_suspension_then_its_end(customer, agent, api_client):
    reporter, decider = api_client(customer), api_client(agent)
    # 10 decided, 8 manifestly unfounded: a warning, not a suspension.
    _rejected_batch(reporter, decider, T0)
    warning = ReportSanction.objects.get()
    assert warning.kind == "warning"
    assert warning.reason.startswith("8 of your last 10 decided reports within 30 days")
    assert Notification.objects.filter(user=customer, kind="report_warning").count() == 1
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert (
            reporter.post("/api/v1/reports/", report_body(1000), format="json").status_code == 201
        )
        _decide(
            decider,
            Report.objects.latest("created_at").pk,
            "rejected",
            "No.",
            manifestly_unfounded=True,
        )
    assert ReportSanction.objects.count() == 1  # the next rejection alone does not suspend

    # A later repeat, on decisions after the warning: suspended for 14 days.
    _rejected_batch(reporter, decider, T0 + timedelta(days=3), unfounded=9)
    suspension = ReportSanction.objects.get(kind="suspension")
    assert suspension.ends_at == T0 + timedelta(days=3, hours=1) + timedelta(days=14)
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        refused = reporter.post("/api/v1/reports/", report_body(2000), format="json")
        assert refused.status_code == 403
        body = refused.json()
        assert set(body) == {"detail", "reason", "until"}
        assert body["until"] == "2026-03-19T10:00:00Z"
        assert body["reason"] == suspension.reason
        assert body["detail"].startswith(
            "Reporting is suspended for misuse until 2026-03-19 10:00 UTC."
        )
    with time_machine.travel(T0 + timedelta(days=17, hours=1, seconds=1), tick=False):
        assert (
            reporter.post("/api/v1/reports/", report_body(3000), format="json").status_code == 201
        )


@override_settings(REPORT_MISUSE={"min_decided": 3, "share": 1.0})
def test_misuse_rule_is_configurable_and_accurate_reporters_are_never_sanctioned(
    customer, other_customer, agent, api_client
):
    decider = api_client(agent)
    accurate = api_client(other_customer)
    with time_machine.travel(T0, tick=False):
        ids = [
            accurate.post("/api/v1/reports/", report_body(n), format="json").json()["id"]
            for n in range(30)
        ]
        for pk in ids:
            _decide(decider, pk)
    assert not ReportSanction.objects.exists()
    _rejected_batch(api_client(customer), decider, T0, n=3, unfounded=3)
    assert ReportSanction.objects.get().user == customer


def test_reports_about_one_target_are_one_case_and_one_decision_tells_every_reporter(
    customer, other_customer, agent, api_client
):
    third = UserFactory(username="tina")
    urls = [
        "https://shop.example.com/listing/7",
        "https://SHOP.example.com/listing/7/?utm_source=mail",
        "https://www.shop.example.com/listing/7#photos",
    ]
    with time_machine.travel(T0, tick=False):
        ids = [
            api_client(user)
            .post("/api/v1/reports/", {**report_body(), "target_url": url}, format="json")
            .json()["id"]
            for user, url in zip([customer, other_customer, third], urls, strict=True)
        ]
        seller = [
            api_client(customer)
            .post(
                "/api/v1/reports/", {**report_body(n), "seller": "Bargain Kettles"}, format="json"
            )
            .json()["id"]
            for n in (8, 9)
        ]
    assert ReportCase.objects.count() == 2
    response = _decide(api_client(agent), ids[1], "upheld", "The photos are the reporter's.")
    assert response.status_code == 200
    assert response.json()["reports"] == sorted(ids)
    for user in (customer, other_customer, third):
        assert Notification.objects.get(user=user, kind="report_decided").text.startswith(
            "Decision on your report"
        )
    assert set(Ticket.objects.filter(pk__in=ids).values_list("outcome", flat=True)) == {"upheld"}
    assert Ticket.objects.get(pk=seller[0]).outcome is None
    again = _decide(api_client(agent), ids[0])
    assert again.status_code == 409
    # A decision on a seller's case covers both listings.
    assert _decide(api_client(agent), seller[1]).json()["reports"] == sorted(seller)


def test_upheld_report_on_a_review_tells_its_author_who_may_contest(
    customer, agent, bob, api_client
):
    author = UserFactory(username="rita")
    review = Ticket.objects.create(
        kind="review",
        subject="Awful",
        body="...",
        requester=author,
        rating=1,
        moderation="published",
        created_at=T0,
        updated_at=T0,
    )
    with time_machine.travel(T0, tick=False):
        pk = (
            api_client(customer)
            .post(
                "/api/v1/reports/",
                {**report_body(), "reason": "hate", "content": review.pk},
                format="json",
            )
            .json()["id"]
        )
        decision_id = _decide(api_client(agent), pk).json()["id"]
    notice = Notification.objects.get(user=author)
    assert notice.kind == "content_report_upheld"
    assert notice.url == f"/reports/decisions/{decision_id}/"
    assert "Rule applied: Community rules §2" in notice.text


def test_appeal_is_handled_by_another_agent_and_a_reversal_tells_the_reporter(
    customer, agent, bob, api_client
):
    reporter = api_client(customer)
    with time_machine.travel(T0, tick=False):
        pk = reporter.post("/api/v1/reports/", report_body(), format="json").json()["id"]
        _decide(api_client(agent), pk, "rejected", "The seller has a licence.")
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        contest = reporter.post(
            f"/api/v1/reports/{pk}/contest/",
            {"explanation": "The licence is forged."},
            format="json",
        )
        assert contest.status_code == 201
        contest_id = contest.json()["id"]
        assert (
            reporter.post(
                f"/api/v1/reports/{pk}/contest/", {"explanation": "Again"}, format="json"
            ).status_code
            == 409
        )
        same = api_client(agent).post(
            f"/api/v1/report-contests/{contest_id}/decide/",
            {"outcome": "reversed", "reply": "Mine."},
            format="json",
        )
        assert same.status_code == 403
        assert (
            same.json()["detail"] == "Another agent than the one who decided must review a contest."
        )
        other = api_client(bob).post(
            f"/api/v1/report-contests/{contest_id}/decide/",
            {"outcome": "reversed", "reply": "The licence was forged; the listing is removed."},
            format="json",
        )
    assert other.status_code == 200
    assert other.json()["reviewer"] == bob.pk
    mine = reporter.get("/api/v1/reports/").json()["results"][0]
    assert mine["outcome"] == "upheld"
    assert mine["statement"].startswith(
        "Decision: On review of the contested decision of 2026-03-02: Upheld"
    )
    standing = ReporterStanding.objects.get(user=customer)
    assert (standing.upheld, standing.rejected) == (1, 0)
    assert ReportContest.objects.get().outcome == "reversed"


def test_contest_after_six_months_is_refused(customer, agent, api_client):
    reporter = api_client(customer)
    with time_machine.travel(T0, tick=False):
        pk = reporter.post("/api/v1/reports/", report_body(), format="json").json()["id"]
        _decide(api_client(agent), pk, "rejected", "No.")
    with time_machine.travel(T0 + timedelta(days=184), tick=False):
        late = reporter.post(f"/api/v1/reports/{pk}/contest/", {"explanation": "x"}, format="json")
    assert late.status_code == 409
    assert late.json()["detail"] == "The six months to contest this have passed."


def test_trusted_flagger_reports_go_to_the_priority_lane(customer, api_client):
    reporter = api_client(customer)
    with time_machine.travel(T0, tick=False):
        reporter.post("/api/v1/reports/", report_body(1), format="json")
        customer.report_standing.trusted_flagger = True
        customer.report_standing.save()
        fast = reporter.post("/api/v1/reports/", report_body(2), format="json").json()
    assert fast["lane"] == "priority" and fast["priority"] == "high"
    assert fast["decision_due_at"] == "2026-03-02T13:00:00Z"  # the lane's 4 h target


def test_maintenance_queues_reports_and_the_clock_starts_when_it_ends(
    customer, manager, api_client, client
):
    reporter = api_client(customer)
    with time_machine.travel(T0, tick=False):
        reports.report_intake_set(actor=manager, maintenance=True, now=T0)
        held = reporter.post("/api/v1/reports/", report_body(), format="json")
        assert held.status_code == 201
        assert held.json()["held"] is True and held.json()["decision_due_at"] is None
        client.force_login(customer)
        assert (
            "Report handling is paused for maintenance."
            in client.get("/reports/new/").content.decode()
        )
    later = T0 + timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        reports.report_intake_set(actor=manager, maintenance=False, now=later)
    mine = reporter.get("/api/v1/reports/").json()["results"][0]
    assert mine["held"] is False
    assert mine["decision_due_at"] == "2026-03-03T12:00:00Z"


def test_decide_is_for_agents_and_reports_only(customer, agent, api_client):
    with time_machine.travel(T0, tick=False):
        pk = (
            api_client(customer).post("/api/v1/reports/", report_body(), format="json").json()["id"]
        )
    assert _decide(api_client(customer), pk).status_code == 403
    support = Ticket.objects.create(
        subject="s", body="b", requester=customer, created_at=T0, updated_at=T0
    )
    assert _decide(api_client(agent), support.pk).status_code == 409
    assert _decide(api_client(agent), 999999).status_code == 404
    bad = _decide(api_client(agent), pk, "upheld", "x", manifestly_unfounded=True)
    assert bad.status_code == 400
    assert (
        api_client(agent).post("/api/v1/reports/", report_body(), format="json").status_code == 403
    )


def test_figures_for_a_transparency_report(customer, agent, bob, manager, api_client):
    reporter = api_client(customer)
    with time_machine.travel(T0, tick=False):
        ids = [
            reporter.post("/api/v1/reports/", report_body(n), format="json").json()["id"]
            for n in range(4)
        ]
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        _decide(api_client(agent), ids[0])
        _decide(api_client(agent), ids[1])
        _decide(api_client(agent), ids[2], "rejected", "No.")
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        c = reporter.post(
            f"/api/v1/reports/{ids[2]}/contest/",
            {"explanation": "Please look again."},
            format="json",
        ).json()
        api_client(bob).post(
            f"/api/v1/report-contests/{c['id']}/decide/",
            {"outcome": "reversed", "reply": "Right."},
            format="json",
        )
    figures = (
        api_client(manager)
        .get(
            "/api/v1/reports/figures/",
            {"since": "2026-03-01T00:00:00Z", "until": "2026-03-04T00:00:00Z"},
        )
        .json()
    )
    assert figures["received"] == 4
    assert figures["by_reason"] == {"copyright": 4}
    assert figures["decided"] == 3
    assert figures["upheld"] == 3  # the reversal counts
    assert figures["share_upheld"] == 1.0
    assert figures["median_seconds_to_decision"] == 7200.0
    assert (figures["appeals"], figures["appeals_decided"], figures["reversals"]) == (1, 1, 1)
    assert (figures["warnings"], figures["suspensions"]) == (0, 0)
    assert api_client(customer).get("/api/v1/reports/figures/").status_code == 403


def test_decision_e_mails_the_reporter_after_commit(
    customer, agent, api_client, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        pk = (
            api_client(customer).post("/api/v1/reports/", report_body(), format="json").json()["id"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        _decide(api_client(agent), pk)
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert re.fullmatch(r"\[#\d+\] Decision on your report #\d+:", mail.outbox[0].subject)


def test_the_admin_switch_releases_held_reports_when_maintenance_ends(
    customer, manager, api_client, client
):
    reporter = api_client(customer)
    with time_machine.travel(T0, tick=False):
        reports.report_intake_set(actor=manager, maintenance=True, now=T0)
        assert reporter.post("/api/v1/reports/", report_body(), format="json").json()["held"]
    manager.is_staff = True  # as services.user_create makes managers
    manager.save(update_fields=["is_staff"])
    client.force_login(manager)
    row = ReportIntake.objects.get()

    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        response = client.post(
            f"/admin/tickets/reportintake/{row.pk}/change/",
            {"message": "Back soon."},  # maintenance unticked
        )

    assert response.status_code == 302
    assert response["Location"] == "/admin/tickets/reportintake/"
    mine = reporter.get("/api/v1/reports/").json()["results"][0]
    assert mine["held"] is False
    assert mine["decision_due_at"] == "2026-03-03T10:00:00Z"
    assert ReportIntake.objects.get().message == "Back soon."
