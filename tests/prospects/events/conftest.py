import pytest

from prospects.events.services import subscription_create
from tests.support.bridge import BRIDGE_SECRET
from tests.support.demo import spare_ports


@pytest.fixture(autouse=True)
def _signing_secret(settings):
    settings.BRIDGE_SIGNING_SECRET = BRIDGE_SECRET


@pytest.fixture
def down_url():
    """An address where nothing listens: the connection is refused."""
    (port,) = spare_ports(1)
    return f"http://127.0.0.1:{port}/events"


@pytest.fixture
def subscribe(db, admin_user):
    def make(url: str, *events: str, **fields):
        return subscription_create(url=url, events=list(events), user=admin_user, **fields)

    return make
