import json
import threading
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from knox.models import AuthToken
from rest_framework.test import APIClient

from bench.fixed_latency_server import FixedLatencyServer
from builder.services import canon_load_file
from config.roles import Role
from deploy.bridge_verifier import Deliveries, answer
from engines.clock import now
from prospects.inbound.pipeline import Inbound, IngestResult
from tests.support import parallel
from tests.support.do_api import FakeDigitalOcean

PASSWORD = "a-long-test-password"

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


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: Role) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD)
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        return user

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


def run_concurrently(function, times: int) -> tuple[list, list]:
    """Calls ``function`` from ``times`` threads at once; returns (results, errors).

    Each thread closes its own database connection, as a separate process would.
    """
    from django.db import connection

    results, errors = [], []

    def call():
        try:
            results.append(function())
        except Exception as error:  # noqa: BLE001 - handed back to the test to assert on
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=call) for _ in range(times)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results, errors


_counter = iter(range(1, 10**9))


def make_inbound(body: str = "Hi there, nice to meet you", **overrides) -> Inbound:
    number = next(_counter)
    values = {
        "external_id": f"ext-{number}",
        "thread": f"thread-{number}",
        "sender": "Sam",
        "body": body,
        "received_at": datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return Inbound(**values)


def ingest(inbound: Inbound) -> IngestResult:
    """Ingests a message and drafts it right away, as the worker does after the commit
    (the engine not ready: it stays queued). Tests of the queue itself call
    ``inbound_ingest``."""
    from prospects.inbound.pipeline import inbound_ingest
    from prospects.jobs.services import live_draft_run

    result = inbound_ingest(inbound=inbound)
    if result.draft is None:
        return result
    draft = live_draft_run(result.draft)
    return replace(result, draft=draft, decision=draft.decision)


# The bridge's copy of BRIDGE_SIGNING_SECRET (the `bridge` fixture sets both).
BRIDGE_SECRET = "a-test-bridge-signing-secret-well-over-32-bytes"


class _Bridge(ThreadingHTTPServer):
    """Answers as deploy/bridge_verifier.py says: forged or stale requests refused, a key
    delivered once."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _BridgeHandler)
        self.received: list[dict] = []  # delivered, once per key
        self.keys: list[str] = []  # the Idempotency-Key of every request
        self.deliveries = Deliveries()
        self.fail_with: int | None = None
        # Deliver, then never answer (until the test ends): a timeout after delivery.
        self.stall = False
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"


class _BridgeHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        self.server.keys.append(self.headers.get("Idempotency-Key"))
        if self.server.fail_with:
            self.send_response(self.server.fail_with)
            self.end_headers()
            return
        status, deliver = answer(
            raw_body=raw,
            headers=self.headers,
            secret=BRIDGE_SECRET.encode(),
            deliveries=self.server.deliveries,
        )
        if deliver:
            payload = json.loads(raw)
            payload["idempotency_key"] = self.headers.get("Idempotency-Key")
            payload["signature"] = self.headers.get("X-Prospector-Signature")
            payload["raw"] = raw
            self.server.received.append(payload)
        if deliver and self.server.stall:
            self.server.released.wait(timeout=60)
            return
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


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
    server = _Bridge()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.BRIDGE_WEBHOOK_URL = server.url
    settings.BRIDGE_SIGNING_SECRET = BRIDGE_SECRET
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


GEMMA = "endpoint-gemma3-270m_2026-11-23.1"


def definition(**overrides) -> dict:
    """A valid workflow definition; keyword arguments replace top-level fields."""
    values = {
        "name": "Welcome",
        "appliesTo": {"archetypes": [], "states": [], "templateKeys": ["opener.welcome"]},
        "context": [{"snippet": "canon:opener.welcome"}, {"text": "Be brief."}],
        "steps": [
            {"think": "What do they want?"},
            {"draft": "Write the reply.", "maxChars": 300},
        ],
        "priority": 0,
    }
    values.update(overrides)
    return values


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


def as_drafted(draft):
    """A draft as its engine would have made it: a queued one (its model build has no
    endpoint in these tests) is put in review with a reply."""
    from prospects.models import Draft

    if draft.status == Draft.Status.QUEUED:
        Draft.objects.filter(id=draft.id).update(
            status=Draft.Status.HELD,
            hold_reason="review_mode",
            drafted_hold_reason="",
            body="Lovely to hear from you! When suits you?",
        )
        draft.refresh_from_db()
    return draft


def review_with_winner(reviewer, drafts: int = 24) -> None:
    """Welcome drafts reviewed so that arm B wins: B's approved as drafted, A's corrected.

    B's model build has no endpoint in these tests, so its drafts are put back in review
    as a drafted reply would be.
    """
    from prospects.inbound.pipeline import inbound_ingest
    from prospects.review.services import draft_approve, draft_correct

    for _ in range(drafts):
        draft = as_drafted(inbound_ingest(inbound=make_inbound("Hi there")).draft)
        if draft.experiment_arm.endswith(":B"):
            draft_approve(draft_id=draft.id, user=reviewer)
        else:
            draft_correct(draft_id=draft.id, user=reviewer, body="Another reply altogether.")


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


DO_BUILD = "do-gpu-mistral-nemo-12b_2026-06-29.1"
MOVES_BUILD = "endpoint-gemma3-270m_moves.1"


def gemma_served(url: str):
    """The GEMMA build, drafting through the local llama.cpp server at ``url``."""
    from engines.services import engine_build_register
    from scripts.local_model_server import GENERATOR

    return engine_build_register(
        engine_id=GEMMA, endpoint_url=url, served_model=GENERATOR, json_dialect="llama_cpp"
    )


def classifier_live(served_model: str, *, url: str = "", dialect: str = "llama_cpp") -> str:
    """Registers an endpoint classifier build serving ``served_model`` and makes it the
    live classifier; its engine id."""
    from engines.services import engine_build_register
    from prospects.engine_switch import classifier_engine_set

    engine_build_register(
        engine_id=MOVES_BUILD,
        endpoint_url=url,
        served_model=served_model,
        json_dialect=dialect,
        head="classifier",
    )
    classifier_engine_set(engine_id=MOVES_BUILD, user=None)
    return MOVES_BUILD


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
    from engines.services import engine_build_register, gpu_policy_update

    gpu_policy_update(user=None, hourly_prices={"gpu-h100x1-80gb": 3.39})
    return engine_build_register(
        engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/weights/nemo"
    )
