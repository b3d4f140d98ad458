"""Pure rules for abuse reports: how many a reporter may send, who goes to the priority lane,
when misuse earns a warning or a suspension. Plain values in, plain values out, no ORM.

The limit follows the reporter's accuracy as a Beta posterior: a prior worth
`prior_upheld + prior_rejected` decisions (by default 8 upheld and 2 rejected, i.e. 80 %
accurate, worth ten decisions) keeps a handful of decisions from swinging it. A reporter
without a record sits at the prior and gets the default limit; the limit grows
geometrically towards the maximum as accuracy approaches 100 %, and shrinks towards the
minimum as it approaches 0 %.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


@dataclass(frozen=True)
class LimitRule:
    window: timedelta = timedelta(hours=1)
    default: int = 60
    minimum: int = 10
    maximum: int = 500
    prior_upheld: float = 8.0
    prior_rejected: float = 2.0
    # Priority lane: trusted flaggers, and reporters at least this accurate over this many
    # decisions.
    lane_accuracy: float = 0.9
    lane_min_decided: int = 10

    @classmethod
    def from_settings(cls, values: dict | None) -> "LimitRule":
        values = dict(values or {})
        if "window_seconds" in values:
            values["window"] = timedelta(seconds=int(values.pop("window_seconds")))
        return cls(**values)


@dataclass(frozen=True)
class MisuseRule:
    """At least `min_decided` decided reports within `window`, at least `share` of them
    rejected as manifestly unfounded: a warning first; the same again after the warning (on
    decisions made after it) and while it is valid suspends for `suspension`."""

    window: timedelta = timedelta(days=30)
    min_decided: int = 10
    share: float = 0.8
    warning_valid: timedelta = timedelta(days=180)
    suspension: timedelta = timedelta(days=14)

    @classmethod
    def from_settings(cls, values: dict | None) -> "MisuseRule":
        values = dict(values or {})
        for key in ("window", "warning_valid", "suspension"):
            if f"{key}_days" in values:
                values[key] = timedelta(days=float(values.pop(f"{key}_days")))
        return cls(**values)


def accuracy(upheld: int, rejected: int, rule: LimitRule) -> float:
    """Posterior mean of the share of upheld reports."""
    return (upheld + rule.prior_upheld) / (
        upheld + rejected + rule.prior_upheld + rule.prior_rejected
    )


def reporter_limit(*, upheld: int, rejected: int, rule: LimitRule) -> int:
    """Reports allowed per rolling window: the default at the prior's accuracy, up to the
    maximum at 100 %, down to the minimum at 0 %."""
    p = accuracy(upheld, rejected, rule)
    p0 = rule.prior_upheld / (rule.prior_upheld + rule.prior_rejected)
    if p >= p0:
        span = (p - p0) / (1 - p0) if p0 < 1 else 0.0
        value = rule.default * (rule.maximum / rule.default) ** span
    else:
        span = (p0 - p) / p0
        value = rule.default * (rule.minimum / rule.default) ** span
    return max(rule.minimum, min(rule.maximum, round(value)))


def in_priority_lane(*, upheld: int, rejected: int, trusted_flagger: bool, rule: LimitRule) -> bool:
    if trusted_flagger:
        return True
    decided = upheld + rejected
    return decided >= rule.lane_min_decided and accuracy(upheld, rejected, rule) >= (
        rule.lane_accuracy
    )


@dataclass(frozen=True)
class LimitState:
    limit: int
    used: int
    remaining: int
    window_seconds: int
    # When the next report may be sent (over the limit), or when the oldest counted report
    # leaves the window (under it); None with nothing in the window.
    resets_at: datetime | None

    def retry_after(self, now: datetime) -> int:
        if self.resets_at is None:
            return 0
        return max(1, math.ceil((self.resets_at - now).total_seconds()))


def limit_state(
    *, limit: int, sent_at: Sequence[datetime], window: timedelta, now: datetime, wanted: int = 1
) -> LimitState:
    """`sent_at`: the reporter's reports inside the window, oldest first. `wanted`: how many
    the reporter wants to send now; `resets_at` is when that many fit."""
    recent = [t for t in sent_at if t > now - window]
    used = len(recent)
    remaining = max(0, limit - used)
    resets_at = None
    if recent:
        if wanted > remaining:
            # The (used - limit + wanted)-th oldest must leave the window first.
            index = min(len(recent) - 1, max(0, used - limit + wanted - 1))
            resets_at = recent[index] + window
        else:
            resets_at = recent[0] + window
    return LimitState(
        limit=limit,
        used=used,
        remaining=remaining,
        window_seconds=int(window.total_seconds()),
        resets_at=resets_at,
    )


@dataclass(frozen=True)
class DecidedReport:
    decided_at: datetime
    unfounded: bool  # rejected as manifestly unfounded


@dataclass(frozen=True)
class MisuseVerdict:
    action: str  # none | warn | suspend
    decided: int
    unfounded: int
    reason: str


def misuse_verdict(
    *,
    decisions: Sequence[DecidedReport],
    warned_at: datetime | None,
    suspended_until: datetime | None,
    trusted_flagger: bool,
    rule: MisuseRule,
    now: datetime,
) -> MisuseVerdict:
    """What the misuse rule says now. Only decisions after the last sanction count, so a
    warning is always followed by a fresh chance, and a suspension never follows directly
    from the decisions that earned the warning."""
    if trusted_flagger or (suspended_until is not None and suspended_until > now):
        return MisuseVerdict("none", 0, 0, "")
    since = max((t for t in (warned_at, suspended_until) if t is not None), default=None)
    relevant = [
        d
        for d in decisions
        if d.decided_at > now - rule.window and (since is None or d.decided_at > since)
    ]
    decided = len(relevant)
    unfounded = sum(1 for d in relevant if d.unfounded)
    if decided < rule.min_decided or unfounded < rule.share * decided:
        return MisuseVerdict("none", decided, unfounded, "")
    days = round(rule.window.total_seconds() / 86400)
    reason = (
        f"{unfounded} of your last {decided} decided reports within {days} days were "
        f"rejected as manifestly unfounded (the rule: at least {rule.min_decided} decided, "
        f"at least {round(rule.share * 100)} % manifestly unfounded)."
    )
    warning_valid = warned_at is not None and warned_at > now - rule.warning_valid
    return MisuseVerdict("suspend" if warning_valid else "warn", decided, unfounded, reason)


_DEFAULT_PORTS = {"http": "80", "https": "443"}
_TRACKING_PREFIXES = ("utm_",)
_TRACKING_NAMES = frozenset({"fbclid", "gclid", "ref", "mc_cid", "mc_eid"})


def normalise_url(url: str) -> str:
    """The same target, however it was copied: lower-case scheme and host, no default port,
    no fragment, no tracking parameters, sorted query, no trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:  # out of range: keep it as written
        port = parts.netloc.rpartition(":")[2]
    if port is not None and str(port) == _DEFAULT_PORTS.get(scheme):
        port = None
    netloc = f"{host}:{port}" if port else host
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_NAMES
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))
