"""Rows and values for tests, made the way the product makes them: factory_boy for plain
values and users, the services for everything with rules (an ingest, a build)."""

from datetime import UTC, datetime

import factory
from django.contrib.auth.models import Group, User

from core.roles import Role
from engines.models.training import Evaluation
from engines.services import engine_build_register
from prospects.inbound.ingest import Inbound

PASSWORD = "a-long-test-password"
GEMMA = "endpoint-gemma3-270m_2026-11-23.1"
DO_BUILD = "do-gpu-mistral-nemo-12b_2026-06-29.1"
MOVES_BUILD = "endpoint-gemma3-270m_moves.1"


class InboundFactory(factory.Factory):
    """An inbound message as a bridge posts it: each one in a thread of its own."""

    class Meta:
        model = Inbound

    external_id = factory.Sequence(lambda n: f"ext-{n}")
    thread = factory.Sequence(lambda n: f"thread-{n}")
    sender = "Sam"
    body = "Hi there, nice to meet you"
    received_at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def make_inbound(body: str = InboundFactory.body, **overrides) -> Inbound:
    return InboundFactory.build(body=body, **overrides)


class UserFactory(factory.django.DjangoModelFactory):
    """A user with the test password and the roles given as ``roles=[Role.ADMIN, ...]``."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        # Groups are a many-to-many: adding them saves nothing on the user itself.
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user-{n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(user, create, roles: list[Role] | None, **kwargs):
        for role in roles or ():
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])


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


class EvaluationFactory(factory.django.DjangoModelFactory):
    """A finished evaluation of a build on held-out cases, with the metrics given."""

    class Meta:
        model = Evaluation

    head = "voice"
    cases_sha256 = "a" * 64
    status = Evaluation.Status.SUCCEEDED
    metrics = factory.Dict({})


def scored(engine_id: str, head: str = "voice", cases_sha256: str = "a" * 64, **metrics):
    """The build ``engine_id`` (registered if new), evaluated with ``metrics``."""
    build = engine_build_register(engine_id=engine_id)
    return EvaluationFactory(build=build, head=head, cases_sha256=cases_sha256, metrics=metrics)
