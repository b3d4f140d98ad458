"""Reads for public content: what a viewer may see of a product's questions and reviews,
the moderation queue, and the author's own items, each in a fixed number of queries."""

import re

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.http import Http404

from helpdesk.models import User

from .models import Message, ModerationContest, ModerationDecision, Product, Ticket

CONTENT_KINDS = (Ticket.Kind.QUESTION, Ticket.Kind.REVIEW)
PUBLISHED = Ticket.Moderation.PUBLISHED
PENDING = Ticket.Moderation.PENDING
# On the shop's pages: published, and not erased by its author (the row stays for the
# statistics, with its text removed).
SHOWN = Q(moderation=PUBLISHED, purged_at__isnull=True)
AGENT_AUTHOR = Q(author__role__in=[User.Role.AGENT, User.Role.MANAGER]) | Q(
    author__is_superuser=True
)


_SKU = re.compile(r"[-a-zA-Z0-9_]{1,64}")


def product_get(*, sku: str) -> Product:
    """The product, or 404; a SKU no product can have is not looked up (a NUL byte would
    make PostgreSQL fail the query)."""
    if not isinstance(sku, str) or not _SKU.fullmatch(sku):
        raise Http404("No such product.")
    try:
        return Product.objects.get(sku=sku)
    except (Product.DoesNotExist, ValueError):
        raise Http404("No such product.") from None


def product_list() -> QuerySet[Product]:
    return Product.objects.annotate(
        review_count=Count(
            "tickets",
            filter=Q(
                tickets__kind=Ticket.Kind.REVIEW,
                tickets__moderation=PUBLISHED,
                tickets__purged_at__isnull=True,
            ),
        ),
        rating_average=Avg(
            "tickets__rating",
            filter=Q(
                tickets__kind=Ticket.Kind.REVIEW,
                tickets__moderation=PUBLISHED,
                tickets__purged_at__isnull=True,
            ),
        ),
    ).order_by("name", "id")


def product_rating_summary(*, product: Product) -> dict:
    """Published reviews only: count, average and one bar per star, 5 first (one query)."""
    counts = Ticket.objects.filter(SHOWN, product=product, kind=Ticket.Kind.REVIEW).aggregate(
        total=Count("id"),
        average=Avg("rating"),
        **{f"s{n}": Count("id", filter=Q(rating=n)) for n in range(1, 6)},
    )
    total = counts["total"]
    bars = [
        {
            "stars": n,
            "count": counts[f"s{n}"],
            "percent": round(100 * counts[f"s{n}"] / total) if total else 0,
        }
        for n in range(5, 0, -1)
    ]
    average = round(counts["average"], 1) if counts["average"] is not None else None
    return {"count": total, "average": average, "bars": bars}


def _visible(qs: QuerySet[Ticket], viewer: User | None) -> QuerySet[Ticket]:
    """Published items, and the viewer's own pending ones."""
    if viewer is not None and viewer.is_authenticated:
        return qs.filter(SHOWN | Q(moderation=PENDING, requester=viewer))
    return qs.filter(SHOWN)


def product_reviews_for(*, product: Product, viewer: User | None) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(product=product, kind=Ticket.Kind.REVIEW)
    return (
        _visible(qs, viewer).select_related("requester", "product").order_by("-created_at", "-id")
    )


def answers_prefetch() -> Prefetch:
    """A question's published answers: agents' public replies, oldest first."""
    return Prefetch(
        "messages",
        queryset=Message.objects.filter(AGENT_AUTHOR, public=True, kind=Message.Kind.REPLY)
        .select_related("author")
        .order_by("created_at", "id"),
        to_attr="answers",
    )


def product_questions_for(*, product: Product, viewer: User | None) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(product=product, kind=Ticket.Kind.QUESTION)
    return (
        _visible(qs, viewer)
        .select_related("requester", "product")
        .prefetch_related(answers_prefetch())
        .order_by("-created_at", "-id")
    )


def content_get_for(*, user: User | None, ticket_id: int) -> Ticket:
    """A question or review; pending or rejected ones exist only for their author and agents."""
    qs = Ticket.objects.filter(kind__in=CONTENT_KINDS).select_related("product", "requester")
    if user is None or not user.is_authenticated:
        qs = qs.filter(SHOWN)
    elif not user.is_agent:
        qs = qs.filter(SHOWN | Q(requester=user))
    try:
        return qs.get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such question or review.") from None


def moderation_queue(
    *, kind: str = "", product: str = "", rating: int | None = None
) -> QuerySet[Ticket]:
    """Pending questions and reviews, oldest first (the partial index on pending content)."""
    qs = Ticket.objects.filter(moderation=PENDING, kind__in=CONTENT_KINDS)
    if kind:
        qs = qs.filter(kind=kind)
    if product:
        qs = qs.filter(product__sku=product)
    if rating is not None:
        qs = qs.filter(rating=rating)
    return qs.select_related("product", "requester").order_by("created_at", "id")


def my_content(*, user: User) -> QuerySet[Ticket]:
    """The author's questions and reviews, newest first, with their decisions."""
    return (
        Ticket.objects.filter(requester=user, kind__in=CONTENT_KINDS)
        .select_related("product")
        .prefetch_related(
            Prefetch(
                "moderation_decisions",
                queryset=ModerationDecision.objects.order_by("decided_at", "id"),
            )
        )
        .order_by("-created_at", "-id")
    )


def content_decisions(*, ticket: Ticket) -> list[ModerationDecision]:
    return list(
        ticket.moderation_decisions.select_related("moderator", "contest").order_by(
            "decided_at", "id"
        )
    )


def contests_open() -> QuerySet[ModerationContest]:
    return (
        ModerationContest.objects.filter(state=ModerationContest.State.OPEN)
        .select_related("decision__moderator", "ticket__product", "author")
        .order_by("created_at", "id")
    )


def questions_awaiting_answer() -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(
            kind=Ticket.Kind.QUESTION, moderation=PUBLISHED, status=Ticket.Status.OPEN
        )
        .select_related("product", "requester")
        .order_by("sla_due_at", "created_at", "id")
    )
