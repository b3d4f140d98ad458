from datetime import UTC, datetime

import pytest

from tests.factories import ProductFactory, TicketFactory


@pytest.mark.django_db
def test_product_page_links_to_the_prefilled_report_form_for_product_and_published_content(
    client, customer
):
    product = ProductFactory(sku="ket-200", name="Kettle")
    review = TicketFactory(
        kind="review",
        product=product,
        rating=2,
        moderation="published",
        subject="Leaks",
        requester=customer,
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
    )

    page = client.get("/products/ket-200/").content.decode()
    client.force_login(customer)
    form = client.get(
        f"/reports/new/?target=http://testserver/products/ket-200/%23review-{review.pk}"
        f"&content={review.pk}"
    )

    assert "Report this product" in page
    assert (
        f"?target=http%3A//testserver/products/ket-200/%23review-{review.pk}&amp;content={review.pk}"
        in page
    )
    assert form.status_code == 200
    assert (
        f'value="http://testserver/products/ket-200/#review-{review.pk}"' in form.content.decode()
    )
