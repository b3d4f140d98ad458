from django.core.management.base import BaseCommand
from django.db.models import Q

from sla.fetch import policies_snapshot
from sla.models import Clock
from sla.services import clocks_recompute
from tickets.models import Ticket
from tickets.services import ticket_facts, ticket_sla_due_refresh

CHUNK = 2000


class Command(BaseCommand):
    help = (
        "Re-baseline running and paused SLA clocks on the current policies and calendars "
        "(a policy change otherwise applies to new clocks only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ticket", type=int, action="append", help="Only these tickets.")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, ticket=None, dry_run=False, **options):
        policies = policies_snapshot()
        live = Clock.objects.filter(state__in=(Clock.State.RUNNING, Clock.State.PAUSED))
        tickets = (
            Ticket.objects.filter(Q(pk__in=live.values("ticket_id")))
            .select_related("queue__calendar")
            .order_by("pk")
        )
        if ticket:
            tickets = tickets.filter(pk__in=ticket)
        total = tickets.count()
        self.stdout.write(f"{total} tickets with running or paused clocks.")
        if dry_run or not total:
            return
        done = changed = 0
        last_pk = 0
        while True:
            chunk = list(tickets.filter(pk__gt=last_pk)[:CHUNK])
            if not chunk:
                break
            last_pk = chunk[-1].pk
            changed += clocks_recompute(
                facts=[ticket_facts(t) for t in chunk],
                queue_calendars={t.pk: t.queue.calendar if t.queue_id else None for t in chunk},
                policies=policies,
            )
            ticket_sla_due_refresh(ticket_ids=[t.pk for t in chunk])
            done += len(chunk)
            self.stdout.write(
                f"  {done}/{total} tickets ({100 * done // total} %), {changed} clocks changed"
            )
        self.stdout.write(self.style.SUCCESS(f"Re-baselined {changed} clocks on {done} tickets."))
