"""Fault drill: PostgreSQL restarts while the helpdesk is under load.

    .venv/bin/python scripts/fault_postgres_restart.py [--seconds 30] [--restart-at 10]

Starts a private PostgreSQL cluster (initdb into a temporary folder, a free port: the
machine's own server is never touched), then bench/load.py's set-up and clients against it:
gunicorn (production settings), the django-q2 worker on a private Redis, customers, agents
and managers. `--restart-at` seconds into the run the server is restarted (`pg_ctl restart
-m fast`: every connection is cut, new ones are refused until it is back).

Verdict (one JSON line; exit 1 when a point fails):
- the outage was met (some requests answered 503) and no request got a 500, 502 or 504 or
  a dropped connection;
- every 503 carries the sentence that says what happened, and a Retry-After;
- service resumed by itself: from a few seconds after the restart on, every request
  succeeds, answered by the same gunicorn worker processes as before (none restarted), and
  the django-q2 worker is still running;
- nothing was lost: every 201 has its row, the run wrote no row it did not report, and every
  ticket it opened has its SLA clocks.
"""

import argparse
import asyncio
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _faults import free_port  # noqa: E402

from bench import load  # noqa: E402

RECOVERY_GRACE_SECONDS = 5.0
MESSAGE_MARK = "cannot reach its database"


def postgres_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return versions[-1]


class PrivatePostgres:
    """A throw-away cluster, run as the `postgres` user when this script runs as root."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="helpdesk-fault-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def command(self, *argv: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_postgres else list(argv)

    def pg_ctl(self, *argv: str) -> list[str]:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        return self.command(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
            "-o", options, "-w", "-t", "60", *argv,
        )  # fmt: skip

    def start(self) -> str:
        subprocess.run(
            self.command(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                         "-U", "postgres", "--no-sync"),
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(self.pg_ctl("start"), check=True, capture_output=True)
        return f"postgres://postgres@127.0.0.1:{self.port}/helpdesk_fault"

    def restart_command(self) -> str:
        return shlex.join(self.pg_ctl("restart", "-m", "fast"))

    def stop(self) -> None:
        subprocess.run(self.pg_ctl("stop", "-m", "immediate"), capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def verdict(result: dict, restart: dict) -> dict:
    tally = result["tally"]
    statuses: dict[int, int] = {}
    for _, _, status, _ in tally.timeline:
        statuses[status] = statuses.get(status, 0) + 1
    bad = {s: c for s, c in statuses.items() if s >= 500 and s != 503}
    resumed_at = restart["done"] + RECOVERY_GRACE_SECONDS
    after = [status for t, _, status, _ in tally.timeline if t >= resumed_at]
    failed_after = [status for status in after if status >= 500]
    bodies_ok = all(MESSAGE_MARK in body for body in tally.bodies_503)
    points = {
        "outage_met_with_503": statuses.get(503, 0) > 0,
        "no_500_502_504": not bad,
        "no_dropped_connections": result["summary"]["transport_errors"] == 0,
        "every_503_says_why": bodies_ok and tally.without_retry_after == 0,
        "resumed_by_itself": bool(after) and not failed_after,
        "same_web_processes": result["web_pids_before"] == result["web_pids_after"],
        "worker_still_running": result["worker_alive"],
        "no_lost_writes": result["lost_writes"] == 0 and result["unaccounted_rows"] == 0,
        "every_ticket_has_its_clocks": result["checks"]["tickets_without_clocks"] == 0,
    }
    return {
        "check": "fault_postgres_restart",
        "ok": all(points.values()),
        "points": points,
        "restart_seconds": round(restart["done"] - restart["at"], 2),
        "restart_at": round(restart["at"], 2),
        "requests": len(tally.timeline),
        "statuses": dict(sorted(statuses.items())),
        "requests_after_recovery": len(after),
        "failed_after_recovery": len(failed_after),
        "tickets_201": result["checks"]["tickets_201"],
        "messages_201": result["checks"]["messages_201"],
        "lost_writes": result["lost_writes"],
        "unaccounted_rows": result["unaccounted_rows"],
        "sample_503": sorted(tally.bodies_503, key=len)[:1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--restart-at", type=float, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--n", type=int, default=2000, help="tickets seeded")
    options = parser.parse_args(argv)
    args = load.parse_args(
        ["--seconds", str(options.seconds), "--warmup", "2", "--clients", str(options.clients),
         "--rate", str(options.rate), "--n", str(options.n), "--web-workers", "3"]
    )  # fmt: skip
    server = PrivatePostgres()
    restart: dict = {}
    try:
        url = server.start()
        load.log(f"fault: private PostgreSQL on port {server.port}")

        async def restart_postgres(record_from: float, until: float) -> None:
            await asyncio.sleep(max(0.0, record_from + options.restart_at - time.monotonic()))
            restart["at"] = time.monotonic() - record_from
            load.log(f"fault: restarting PostgreSQL at {restart['at']:.1f} s")
            proc = await asyncio.create_subprocess_shell(
                server.restart_command(),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            restart["exit"] = await proc.wait()
            restart["done"] = time.monotonic() - record_from
            load.log(f"fault: PostgreSQL back at {restart['done']:.1f} s")

        result = load.run(args, url=url, during=restart_postgres)
    finally:
        server.stop()
    if restart.get("exit") != 0:
        print(json.dumps({"check": "fault_postgres_restart", "ok": False, "restart": restart}))
        return 1
    outcome = verdict(result, restart)
    print(json.dumps(outcome))
    if not outcome["ok"]:
        load.log("web log tail:\n" + result["web_log_tail"])
    return 0 if outcome["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
