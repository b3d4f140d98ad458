from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tickets.retention import BATCH_SIZE, retention_purge


class Command(BaseCommand):
    help = (
        "Purge the personal data of tickets closed longer than RETENTION_CLOSED_TICKET_DAYS "
        "and delete audit-log entries older than AUDIT_LOG_RETENTION_DAYS (the worker runs "
        "the same daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be purged; change nothing."
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, dry_run: bool, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        started = timezone.now()
        r = retention_purge(now=started, dry_run=dry_run, batch_size=batch_size)
        elapsed = (timezone.now() - started).total_seconds()
        verb = "would be" if dry_run else "were"
        if r.days:
            line = f"Closed tickets untouched for {r.days} days: {r.tickets} {verb} purged"
            if not dry_run:
                batches = f"{r.batches} batch" + ("" if r.batches == 1 else "es")
                line += (
                    f" in {batches} ({r.messages} messages, {r.emails} e-mails, "
                    f"{r.attachments} attachments)"
                )
            self.stdout.write(line + ".")
        else:
            self.stdout.write("Ticket retention is off (RETENTION_CLOSED_TICKET_DAYS=0).")
        if r.audit_days:
            self.stdout.write(
                f"Audit-log entries older than {r.audit_days} days: {r.audit_entries} {verb} "
                "deleted."
            )
        else:
            self.stdout.write("Audit-log retention is off (AUDIT_LOG_RETENTION_DAYS=0).")
        self.stdout.write(f"Done in {elapsed:.2f} s.")
