"""Fault drill: Redis stops while the helpdesk serves; background work waits, then runs once.

    .venv/bin/python scripts/fault_redis_down.py [--rounds-up 2] [--rounds-down 3] [--wait 120]

Everything is the drill's own: a redis-server on a free port (the shared one is never
touched), the database `helpdesk_fault_redis` (created, migrated, dropped at the end), a
gunicorn web server (production settings: DEBUG off, SECRET_KEY, ALLOWED_HOSTS; the client
sends X-Forwarded-Proto as the TLS proxy in front would) and a `manage.py qcluster` worker,
both with REDIS_URL on that Redis, and a file e-mail backend in a temporary folder.

A round, through the HTTP API, starts the three kinds of background work the outbox carries:
a customer's e-mail arrives (inbound API) and an agent answers it in public (an e-mail reply
to send); a customer asks a product question and an agent publishes it (a notification
e-mail to the author); a customer opens a ticket, an agent takes it and replies, and the
customer says it did not answer the question (escalation processing, which notifies the
assignee by e-mail).

1. Redis up: `--rounds-up` rounds; their e-mails arrive (the work flows).
2. Redis stopped: `--rounds-down` rounds. Every request must answer 2xx (none 500); the
   work is pending in the outbox, nothing is sent; /healthz answers 200 and /readyz 503
   naming the broker.
3. Redis restarted on the same port: within `--wait` seconds the outbox drains (the worker's
   "outbox-drain" schedule, once the django-q2 scheduler can enqueue again) and every
   expected effect exists: one e-mail per reply, one notification e-mail per decision, one
   escalation and one e-mail per "not answered"; a few seconds later, still nothing twice.

Prints progress on stderr and one JSON line (the verdict and the figures) on stdout; exit
status 0 only when every point holds. Every process and the database are removed on exit,
failure included (the logs' folder is kept on failure and named).
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts._faults import (
    PYTHON,
    ROOT,
    Http,
    Processes,
    database_create,
    django_setup,
    drill_main,
    free_port,
    log,
    wait_until,
)

DATABASE = "helpdesk_fault_redis"
INBOUND_SECRET = "fault-drill-inbound"
SKU = "KET-200"
REPLY_TASK = "tickets.email.tasks.email_reply_send"
NOTIFY_TASK = "helpdesk.notifications.notification_email_send"
EVENTS_TASK = "escalation.tasks.events_process_task"
SETTLE_SECONDS = 3
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


class Drill:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.procs = Processes("helpdesk-fault-redis-")
        self.redis_port = free_port()
        self.web_port = free_port()
        self.http = Http(f"http://127.0.0.1:{self.web_port}")
        self.mail_dir = self.procs.dir / "mail"
        self.statuses: dict[str, Counter] = {"up": Counter(), "down": Counter()}
        self.failures: list[str] = []
        self.figures: dict = {
            "requests_up": self.statuses["up"],
            "requests_down": self.statuses["down"],
        }
        self.last_effects: dict = {}
        self.began = time.monotonic()

    # --- processes ------------------------------------------------------------------------

    def redis_start(self) -> None:
        self.procs.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            dict(os.environ),
        )  # fmt: skip
        ok, _ = wait_until(self.redis_answers, seconds=15, every=0.1)
        if not ok:
            raise SystemExit("redis-server did not start:\n" + self.procs.log_tail("redis"))

    def redis_answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.redis_port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def environment(self, url: str) -> dict[str, str]:
        settings = self.procs.dir / "fault_settings.py"
        settings.write_text(
            "from helpdesk.settings.production import *  # noqa: F403\n"
            f"EMAIL_FILE_PATH = {str(self.mail_dir)!r}\n"
        )
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(self.procs.dir), str(ROOT)]),
            "DJANGO_SETTINGS_MODULE": "fault_settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "INBOUND_EMAIL_SECRET": INBOUND_SECRET,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "Q_WORKERS": "2",
            "LOG_LEVEL": "INFO",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        return env

    def servers_start(self, env: dict[str, str]) -> None:
        self.procs.start(
            "web",
            [str(ROOT / ".venv/bin/gunicorn"), "helpdesk.wsgi", "--bind",
             f"127.0.0.1:{self.web_port}", "--workers", "2", "--timeout", "30",
             "--access-logfile", "-"],
            env,
        )  # fmt: skip
        self.procs.start("worker", [PYTHON, "manage.py", "qcluster"], env)
        ok, _ = wait_until(self.http.up, seconds=60, every=0.2)
        if not ok:
            raise SystemExit("gunicorn did not start:\n" + self.procs.log_tail("web"))

    # --- the people and the work ----------------------------------------------------------

    def people(self) -> None:
        from rest_framework.authtoken.models import Token

        from helpdesk.models import User
        from tickets.models import Product

        def user(username: str, role: str) -> tuple[int, str]:
            person = User.objects.create_user(
                username=username, email=f"{username}@example.org", role=role
            )
            return person.pk, Token.objects.create(user=person).key

        self.agent_id, self.agent = user("alex", User.Role.AGENT)
        _, self.customer = user("carla", User.Role.CUSTOMER)
        user("mia", User.Role.MANAGER)
        Product.objects.create(sku=SKU, name="KET-200 kettle")

    def call(self, phase: str, label: str, method: str, path: str, **kwargs) -> object:
        status, body = self.http.request(method, path, **kwargs)
        self.statuses[phase][status] += 1
        if not 200 <= status < 300:
            self.failures.append(f"{phase}: {label} answered {status}: {str(body)[:300]}")
            return None
        return body

    def round(self, phase: str, n: int) -> None:
        tag = f"{phase}-{n}"
        mail = EmailMessage()
        mail["From"] = f"Buyer {tag} <buyer-{tag}@example.net>"
        mail["To"] = "support@helpdesk.localhost"
        mail["Subject"] = f"Order {tag}: the kettle lid is cracked"
        mail["Message-ID"] = make_msgid(domain="example.net")
        mail.set_content(f"My kettle from order {tag} arrived with a cracked lid. Refund?")
        intake = self.call(
            phase, "inbound e-mail", "POST", "/api/v1/inbound/email/", raw=bytes(mail),
            headers={"Authorization": f"Bearer {INBOUND_SECRET}",
                     "Content-Type": "message/rfc822"},
        )  # fmt: skip
        if intake:
            self.call(
                phase, "agent reply by e-mail", "POST",
                f"/api/v1/tickets/{intake['ticket']}/messages/", token=self.agent,
                data={"body": f"Sorry about the cracked lid of order {tag}: a new kettle "
                      "is on its way and the refund of the lid follows.", "public": True},
            )  # fmt: skip
        question = self.call(
            phase, "question", "POST", f"/api/v1/products/{SKU}/questions/", token=self.customer,
            data={"body": f"Does the KET-200 switch itself off when empty? ({tag})"},
        )  # fmt: skip
        if question:
            self.call(
                phase, "publish", "POST", f"/api/v1/tickets/{question['id']}/moderate/",
                token=self.agent, data={"decision": "publish"},
            )  # fmt: skip
        ticket = self.call(
            phase, "open ticket", "POST", "/api/v1/tickets/", token=self.customer,
            data={"subject": f"Descaling {tag}", "body": "How often must I descale it?"},
        )  # fmt: skip
        if ticket:
            path = f"/api/v1/tickets/{ticket['id']}/"
            self.call(phase, "assign", "PATCH", path, token=self.agent,
                      data={"assignee": self.agent_id})  # fmt: skip
            self.call(
                phase, "agent reply", "POST", path + "messages/", token=self.agent,
                data={"body": "Descale the kettle every month with citric acid.",
                      "public": True},
            )  # fmt: skip
            self.call(phase, "not answered", "POST", path + "not-answered/",
                      token=self.customer, data={"comment": "Which acid, how much?"})  # fmt: skip

    # --- what happened --------------------------------------------------------------------

    def mails(self) -> list:
        parser = BytesParser(policy=policy.default)
        found = []
        for path in sorted(self.mail_dir.glob("*")):
            for chunk in path.read_bytes().split(MAIL_SEPARATOR):
                if chunk.strip():
                    found.append(parser.parsebytes(chunk, headersonly=True))
        return found

    def effects(self) -> dict[str, int]:
        from escalation.models import Escalation
        from helpdesk.models import Notification, OutboxTask
        from sla.models import Event
        from tickets.email.models import EmailRecord

        emailed = Notification.objects.exclude(emailed_at=None)
        return {
            "replies_sent": EmailRecord.objects.filter(direction="out", status="sent").count(),
            "decisions_mailed": emailed.filter(kind="moderation_decision").count(),
            "not_answered_events": Event.objects.filter(kind="not_answered").count(),
            "not_answered_escalations": Escalation.objects.filter(trigger="not_answered").count(),
            "not_answered_mailed": emailed.filter(kind="escalation_not_answered").count(),
            "outbox_pending": OutboxTask.objects.filter(dispatched_at=None).count(),
            "mails": len(self.mails()),
        }

    def done(self, rounds: int, since: float | None = None) -> bool:
        e = self.effects()
        if since is not None and e != self.last_effects:
            log(f"fault: {time.monotonic() - since:5.1f} s after the restart: {e}")
            self.last_effects = e
        wanted = ("replies_sent", "decisions_mailed", "not_answered_escalations",
                  "not_answered_mailed")  # fmt: skip
        return all(e[key] == rounds for key in wanted) and e["outbox_pending"] == 0

    def nothing_twice(self) -> list[str]:
        """Each reply's Message-ID in exactly one mail; as many notification mails to each
        address with each subject as notifications were e-mailed; one escalation per event;
        no failed task."""
        from django_q.models import Task

        from escalation.models import Escalation
        from helpdesk.models import Notification
        from helpdesk.notifications import notification_email
        from tickets.email.models import EmailRecord

        problems = []
        mails = self.mails()
        ids = Counter(str(m["Message-ID"]) for m in mails)
        for record in EmailRecord.objects.filter(direction="out"):
            if ids[f"<{record.rfc_message_id}>"] != 1:
                problems.append(f"reply {record.rfc_message_id} mailed "
                                f"{ids[f'<{record.rfc_message_id}>']} times")  # fmt: skip
        sent = Counter(
            (str(m["To"]), str(m["Subject"])) for m in mails if ".notification@" in m["Message-ID"]
        )
        expected = Counter()
        for notification in Notification.objects.exclude(emailed_at=None).select_related("user"):
            rendered = notification_email(notification)
            expected[(rendered.to[0], rendered.subject)] += 1
        if sent != expected:
            problems.append(f"notification mails {dict(sent)} != e-mailed {dict(expected)}")
        if Escalation.objects.count() != Escalation.objects.values("event").distinct().count():
            problems.append("an event escalated twice")
        failed = list(Task.objects.filter(success=False).values_list("func", "result")[:3])
        if failed:
            problems.append(f"failed tasks: {failed}")
        return problems

    # --- the drill ------------------------------------------------------------------------

    def run(self) -> dict:
        options = self.options
        self.redis_start()
        url = database_create(DATABASE)
        env = self.environment(url)
        log("fault: migrating")
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        django_setup(url)
        self.people()
        self.servers_start(env)
        self.figures["setup_seconds"] = round(time.monotonic() - self.began, 1)

        log(f"fault: Redis up, {options.rounds_up} rounds")
        for n in range(options.rounds_up):
            self.round("up", n)
        flowed, seconds = wait_until(lambda: self.done(options.rounds_up), seconds=60)
        self.figures["up_effects_seconds"] = round(seconds, 1)
        if not flowed:
            self.failures.append(f"with Redis up the work did not flow: {self.effects()}")
        before = self.effects()

        log("fault: stopping Redis")
        self.procs.stop("redis")
        down_at = time.monotonic()
        for n in range(options.rounds_down):
            self.round("down", n)
        self.figures["down_request_seconds"] = round(time.monotonic() - down_at, 1)
        from helpdesk.models import OutboxTask

        pending = Counter(
            OutboxTask.objects.filter(dispatched_at=None).values_list("func", flat=True)
        )
        self.figures["pending_while_down"] = dict(pending)
        if (
            pending[REPLY_TASK] != options.rounds_down
            or pending[NOTIFY_TASK] != options.rounds_down
        ):
            self.failures.append(f"pending while Redis is down: {dict(pending)}")
        if pending[EVENTS_TASK] < options.rounds_down:
            self.failures.append(f"escalation hand-overs not pending: {dict(pending)}")
        during = self.effects()
        if during["mails"] != before["mails"]:
            self.failures.append("mail went out while Redis was down")
        health = self.http.request("GET", "/healthz")
        ready = self.http.request("GET", "/readyz")
        self.figures["healthz"], self.figures["readyz"] = health, ready
        if health[0] != 200:
            self.failures.append(f"/healthz answered {health}")
        problems = ready[1].get("problems", []) if isinstance(ready[1], dict) else []
        if ready[0] != 503 or "broker: ConnectionError" not in problems:
            self.failures.append(f"/readyz answered {ready}")

        log("fault: restarting Redis on the same port")
        back_at = time.monotonic()
        self.redis_start()
        rounds = options.rounds_up + options.rounds_down
        recovered, _ = wait_until(
            lambda: self.done(rounds, since=back_at), seconds=options.wait, every=0.5
        )
        self.figures["recovery_seconds"] = round(time.monotonic() - back_at, 1)
        if not recovered:
            self.failures.append(f"not recovered in {options.wait} s: {self.effects()}")
        time.sleep(SETTLE_SECONDS)
        self.figures["effects"] = self.effects()
        self.failures += self.nothing_twice()
        for name in ("web", "worker"):
            if not self.procs.alive(name):
                self.failures.append(f"{name} exited:\n{self.procs.log_tail(name)}")
        return self.figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds-up", type=int, default=2, help="rounds while Redis is up")
    parser.add_argument("--rounds-down", type=int, default=3, help="rounds while it is down")
    parser.add_argument("--wait", type=float, default=120, help="seconds allowed to recover")
    parser.add_argument("--keep-logs", action="store_true", help="keep the logs' folder")
    options = parser.parse_args(argv)
    return drill_main(
        Drill(options), check="fault_redis_down", database=DATABASE, keep_logs=options.keep_logs
    )


if __name__ == "__main__":
    sys.exit(main())
