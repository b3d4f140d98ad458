from django.core.management.base import BaseCommand
from django.utils import timezone

from sla.sweep import sweep


class Command(BaseCommand):
    help = "Mark SLA warnings and breaches now (the scheduler runs the same every minute)."

    def handle(self, *args, **options):
        started = timezone.now()
        result = sweep(now=started)
        elapsed = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"Swept at {started:%Y-%m-%d %H:%M:%S %Z}: {result.warnings} new warnings, "
            f"{result.breaches} new breaches ({elapsed:.3f} s)."
        )
