import threading
from datetime import UTC, datetime, time

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from knox.models import AuthToken
from rest_framework.test import APIClient

from bench.fixed_latency_server import FixedLatencyServer
from builder.services import canon_load_file
from core.clock import now
from core.roles import Role
from tests.support import parallel
from tests.support.bridge import BRIDGE_SECRET, Bridge
from tests.support.do_api import FakeDigitalOcean
from tests.support.factories import DO_BUILD, GEMMA, UserFactory, definition

# Under pytest-xdist: this worker's own Redis database, before any test connects.
parallel.worker_redis_isolate(django_settings)

# Django's PBKDF2 (a million iterations) costs about 0.4 s of CPU for each user a test makes
# and each password it checks: a quarter of a typical panel test. Django's own advice for
# tests is a fast hasher; no test is about the hash, and the processes tests start keep
# the configured ones (none of them checks a password made here).
django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_make_parametrize_id(config, val, argname):
    return parallel.stable_parametrize_id(val)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    # Marked before xdist reads the groups, sorted after pytest-django's own ordering.
    parallel.mark_by_fixture(items, groups=config.pluginmanager.hasplugin("xdist"))
    yield
    if parallel.worker_number() is not None:
        parallel.longest_first(items)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate limits and throttles count in the cache; each test starts with none used."""
    from django.core.cache import cache

    cache.clear()


DB_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _replies_leave_at_once(request):
    """Approved replies leave as soon as they are approved, unless a test sets a pace: the
    human pace (``drafting.pace``) is its own tests' subject, and every other test of a
    send would otherwise wait out a typing delay."""
    uses_database = request.node.get_closest_marker("django_db") or (
        DB_FIXTURES & set(request.fixturenames)
    )
    if not uses_database:
        return
    request.getfixturevalue("db")  # as the test's marker asks: transactional or not
    from prospects.models import SendPace

    no_waiting = {"quiet_start": time(0), "quiet_end": time(0)}
    no_waiting |= {"min_delay_seconds": 0, "max_delay_seconds": 0}
    SendPace.objects.update_or_create(id=SendPace.SINGLETON_ID, defaults=no_waiting)


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: Role) -> User:
        return UserFactory(username=username, roles=list(roles))

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("ada", Role.ADMIN)


@pytest.fixture
def operator(make_user):
    return make_user("otto", Role.OPERATOR)


@pytest.fixture
def coworker(make_user):
    return make_user("cora", Role.COWORKER)


@pytest.fixture
def client_account(make_user):
    return make_user("bridge-client", Role.CLIENT)


@pytest.fixture
def api_for():
    def client(user) -> APIClient:
        api = APIClient()
        if user is not None:
            _, token = AuthToken.objects.create(user)
            api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return api

    return client


@pytest.fixture
def canon(db):
    canon_load_file()


@pytest.fixture
def auto_send_opener(canon):
    """The opener and pursue keys auto-send: their drafts go to the bridge unreviewed."""
    from prospects.selectors import pipeline_settings

    row = pipeline_settings()
    row.auto_send_keys = ["opener.welcome", "opener.followup", "pursue.next_step"]
    row.save()


@pytest.fixture
def bridge(settings):
    """A real messaging-bridge webhook on loopback that records what it is sent."""
    server = Bridge()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.BRIDGE_WEBHOOK_URL = server.url
    settings.BRIDGE_SIGNING_SECRET = BRIDGE_SECRET
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscriber(settings):
    """A real webhook subscriber on loopback (issue 33's events) that checks the signature
    as the bridge does (deploy/bridge_verifier.py) and records each event once per key."""
    server = Bridge()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.BRIDGE_SIGNING_SECRET = BRIDGE_SECRET
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def gemma_build(db):
    from engines.services import engine_build_register

    return engine_build_register(engine_id=GEMMA)


@pytest.fixture
def published_workflow(canon, gemma_build):
    """Publishes a workflow; returns the live version."""
    from builder.services import workflow_create, workflow_publish

    def publish(slug: str = "welcome", **overrides):
        version = workflow_create(slug=slug, definition=definition(**overrides))
        return workflow_publish(version=version, note="test")

    return publish


@pytest.fixture
def experiment_versions(published_workflow):
    """The live welcome version and a draft challenger of the same workflow."""
    from builder.services import workflow_save_draft

    live = published_workflow()
    challenger = workflow_save_draft(workflow=live.workflow, definition=definition(name="Terse"))
    return live, challenger


@pytest.fixture
def experiment(experiment_versions):
    """A running welcome experiment: A (control) on the template engine, B on GEMMA."""
    from builder.experiments import ArmSpec, experiment_create, experiment_start

    live, challenger = experiment_versions
    created = experiment_create(
        slug="welcome-ab",
        name="Terse welcome",
        arms=[
            ArmSpec(key="A", workflow_version=live, engine_id="template"),
            ArmSpec(key="B", workflow_version=challenger, engine_id=GEMMA),
        ],
        scope={"template_keys": ["opener.welcome"]},
        min_sample=4,
    )
    return experiment_start(experiment=created)


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory):
    """A tiny random-init causal LM with its own tokenizer: the base model of training
    tests (no hub here)."""
    from tests.support.tiny_lm import build_tiny_lm

    return build_tiny_lm(tmp_path_factory.mktemp("tiny") / "base")


@pytest.fixture(scope="session")
def model_server():
    """The real llama.cpp server with Gemma 3 270M, started once per test session and
    warmed (``server.warm_latency``: seconds of one warm completion), so no test pays for
    the cold first completion and deadlines follow this machine's speed.

    The least of three warm-ups: in a parallel run the first often lands in the run's
    busiest minute (every worker collecting and creating its database, the demos
    migrating), and six such completions made a deadline that outlasted even the drip it
    is there to cut off. Its tests share one xdist worker, so this runs once per run."""
    from scripts.local_model_server import ModelServer

    server = ModelServer().start()
    server.warm_latency = min(server.warm() for _ in range(3))
    yield server
    server.stop()


@pytest.fixture
def fault_proxy(model_server):
    from engines.breaker import breaker_reset
    from tests.support.fault_proxy import FaultProxy

    proxy = FaultProxy(model_server.url).start()
    # Ports are reused: a breaker left open by an earlier test must not carry over.
    breaker_reset(proxy.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def gpu_path(settings, model_server):
    """Points the GPU path at the local model server; fresh breakers and clients."""
    from engines.breaker import breaker_reset, breakers_forget
    from engines.registry import clients_close
    from scripts.local_model_server import GENERATOR

    settings.GPU_INFERENCE_URL = model_server.url
    settings.GPU_LLM_MODEL = GENERATOR
    settings.GPU_JSON_DIALECT = "llama_cpp"
    settings.GPU_THINK_MAX_TOKENS = 24
    settings.BREAKER_RESET_SECONDS = 1.0
    settings.GPU_SEED = 7
    breakers_forget()
    clients_close()
    breaker_reset(model_server.url)
    yield settings
    breakers_forget()
    clients_close()


@pytest.fixture
def clock():
    """The product's clock, stopped; ``clock.shift(seconds)`` moves it on."""
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def fake_do(settings, clock):
    """pydo, unmodified, against a local DigitalOcean API on the product's clock."""
    fake = FakeDigitalOcean(boot_seconds=60, clock=lambda: now().timestamp()).start()
    settings.DO_TOKEN = "test-token"
    settings.DO_API_URL = fake.url
    settings.DO_API_CA_BUNDLE = fake.ca_file
    yield fake
    fake.stop()


@pytest.fixture
def gpu_box(settings):
    """What answers on the droplet's address: an OpenAI-compatible server on loopback."""
    from engines.breaker import breaker_reset
    from engines.registry import clients_close

    server = FixedLatencyServer(0.0).start()
    settings.GPU_SERVER_PORT = server.server_address[1]
    settings.GPU_APP_CIDR = "10.0.0.5/32"
    # The app in the droplets' VPC and region: they answer on the private address without
    # TLS, as this plain-HTTP server does (tests of the TLS path start their own).
    settings.DO_VPC_UUID = "5a4d7c1e-2f0b-4c4e-9b1a-3f2d6e8c9a01"
    settings.DO_APP_REGION = settings.DO_REGION
    # Where droplets fetch their credentials at boot (inside the VPC: plain HTTP will do).
    settings.DROPLET_API_URL = "http://10.0.0.5"
    settings.GPU_BOOT_SECONDS = 180
    clients_close()
    breaker_reset(server.url)
    yield server
    server.stop()
    clients_close()


@pytest.fixture
def do_build(db, fake_do, gpu_box):
    from engines.gpu.services import gpu_policy_update
    from engines.services import engine_build_register

    gpu_policy_update(user=None, hourly_prices={"gpu-h100x1-80gb": 3.39})
    return engine_build_register(
        engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/weights/nemo"
    )
