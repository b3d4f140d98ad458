import factory
from django.utils import timezone

from helpdesk.models import User
from tickets.models import Message, Product, Queue, Ticket

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = User.Role.CUSTOMER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"queue-{n}")
    name = factory.LazyAttribute(lambda q: q.slug.replace("-", " ").title())


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"sku-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """Rows for list and permission tests; behaviour tests go through tickets.services."""

    class Meta:
        model = Ticket

    kind = Ticket.Kind.SUPPORT
    subject = factory.Sequence(lambda n: f"Ticket subject {n}")
    body = "The kettle stopped heating after two weeks."
    requester = factory.SubFactory(UserFactory)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda t: t.created_at)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda m: m.ticket.requester)
    body = "Any news?"
    public = True
    created_at = factory.LazyFunction(timezone.now)
