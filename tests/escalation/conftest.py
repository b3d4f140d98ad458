from datetime import UTC, datetime

import pytest

from tests.browser.conftest import browser, new_page  # noqa: F401 (fixtures for the browser test)
from tests.factories import UserFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", role="agent", first_name="Bob", last_name="Nowak")


@pytest.fixture(autouse=True)
def no_figures_cache(settings):
    """Tests travel in time to the same instants: a cached figure would leak across them."""
    settings.ESCALATION_FIGURES_CACHE_SECONDS = 0
