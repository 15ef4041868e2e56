import threading

import pytest

from prospects.events.services import subscription_create
from tests.support.bridge import BRIDGE_SECRET, Bridge
from tests.support.demo import spare_ports


@pytest.fixture
def subscriber(settings):
    """A real subscriber on loopback that checks the signature as the bridge does
    (deploy/bridge_verifier.py) and records each event it takes, once per key."""
    server = Bridge()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.BRIDGE_SIGNING_SECRET = BRIDGE_SECRET
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


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
