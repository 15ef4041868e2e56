"""Demo data for `make run`: roles, users, canon, snippets, builds, workflows, threads and
an experiment with reviewed outcomes."""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction

from builder.experiments import ArmSpec, experiment_create, experiment_start
from builder.files import workflow_import
from builder.models import Experiment, Workflow
from builder.services import (
    DEMO_WORKFLOWS_DIR,
    canon_load_file,
    snippets_load_file,
    workflow_save_draft,
)
from core.clock import now
from core.roles import Role
from engines.gpu.costs import DO_LIST_PRICES
from engines.gpu.lifecycle import policy_settings
from engines.gpu.services import gpu_policy_update
from engines.holds import HoldReason
from engines.services import engine_build_register
from prospects.drafting.runner import live_draft_run
from prospects.inbound.ingest import Inbound, inbound_ingest
from prospects.models import Draft
from prospects.review.services import draft_approve, draft_correct, draft_reject

DEMO_USERS = {"admin": Role.ADMIN, "operator": Role.OPERATOR, "coworker": Role.COWORKER}

# The build the local model server drafts for (`make run-llm`), and whose corrections the
# tuning loop trains a child of (`manage.py tuning_loop`).
DEMO_ENDPOINT_BUILD = "endpoint-gemma3-270m_2026-11-23.1"
# Engine id -> how it is registered (max_concurrency None: the default of its kind, 64 for
# vLLM; llama-cpp-python's server answers one request at a time, under the model's alias).
DEMO_BUILDS = {
    "do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1": {
        "description": "Mistral Nemo 12B, tuned voice build, on an on-demand GPU droplet",
        "max_concurrency": None,
    },
    DEMO_ENDPOINT_BUILD: {
        "description": "Gemma 3 270M on a local llama.cpp server (development)",
        "max_concurrency": 1,
        "served_model": "gemma3-270m",
        "json_dialect": "llama_cpp",
    },
}
# The local server's move-classifier alias (make run-llm), to pick on the Settings page.
DEMO_CLASSIFIER = ("endpoint-gemma3-270m_moves.1", "gemma3-270m-moves")

DEMO_MESSAGES = [
    (
        "demo-1",
        "anna.k",
        "Anna",
        "Hi there! Saw your profile, would love to meet sometime.",
        "new_contact",
    ),
    ("demo-2", "anna.k", "Anna", "Are you available this weekend? Saturday evening maybe", None),
    ("demo-3", "marco.r", "Marco", "hello, what's your address? which area are you in", "referral"),
    ("demo-4", "ben.t", "Ben", "Could we do a quick 30 min visit tonight?", "new_contact"),
    ("demo-5", "lena.p", "Lena", "It's me again! as usual, next Thursday?", "returning"),
    ("demo-6", "seo-bot", "Promo", "Boost your ranking with our SEO services, click here", None),
]


def ensure_roles() -> None:
    for role in Role:
        Group.objects.get_or_create(name=role.value)


@transaction.atomic
def demo_users(*, password: str) -> list[str]:
    ensure_roles()
    for username, role in DEMO_USERS.items():
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = role == Role.ADMIN
        user.is_superuser = role == Role.ADMIN
        user.save()
        user.groups.set([Group.objects.get(name=role.value)])
    return list(DEMO_USERS)


def demo_load(*, password: str, experiment: bool = True) -> dict:
    """Idempotent: running it twice adds nothing new. ``experiment`` adds the A/B test."""
    users = demo_users(password=password)
    canon = canon_load_file()
    snippets_load_file()
    for engine_id, registration in DEMO_BUILDS.items():
        engine_build_register(engine_id=engine_id, **registration)
    classifier_id, served_model = DEMO_CLASSIFIER
    engine_build_register(
        engine_id=classifier_id,
        description="Gemma 3 270M as the move classifier, on the local llama.cpp server",
        served_model=served_model,
        json_dialect="llama_cpp",
        max_concurrency=1,
        head="classifier",
    )
    if not policy_settings().hourly_prices:
        # The GPU page then shows real costs; a size without a price is never rented.
        gpu_policy_update(user=None, hourly_prices=dict(DO_LIST_PRICES))
    workflows = workflow_import(DEMO_WORKFLOWS_DIR, only_missing=True)
    start = now() - timedelta(hours=len(DEMO_MESSAGES))
    created = 0
    for index, (external_id, thread, sender, body, archetype) in enumerate(DEMO_MESSAGES):
        result = inbound_ingest(
            inbound=Inbound(
                external_id=external_id,
                thread=thread,
                sender=sender,
                body=body,
                received_at=start + timedelta(hours=index),
                archetype=archetype,
            )
        )
        created += result.created
    return {
        "users": users,
        "canon_entries": canon,
        "workflows": len(workflows.created),
        "messages": created,
        "experiment": demo_experiment() if experiment else None,
    }


# What a client might write next, for `make run-llm` to draft with the live engine when it
# starts (after `make tune`, the promoted child).
DEMO_NEW_MESSAGES = [
    ("Sofia", "Hi! I found your profile and would love to meet. Are you free on Friday?"),
    ("Jonas", "Hallo, ich bin nächste Woche in der Stadt. Hast du am Dienstag Zeit?"),
    ("Lucía", "Hola, ¿podemos vernos el sábado por la tarde?"),
    ("Marc", "can we do just 20 min tonight?"),
]


def demo_new_messages() -> int:
    """Ingests ``DEMO_NEW_MESSAGES`` as new threads (named by the moment, so each start adds
    its own); the worker drafts them with the live draft engine."""
    stamp = now().strftime("%Y%m%d%H%M%S")
    created = 0
    for index, (sender, body) in enumerate(DEMO_NEW_MESSAGES):
        thread = f"demo-new-{stamp}-{index}"
        inbound = Inbound(
            external_id=thread,
            thread=thread,
            sender=sender,
            body=body,
            received_at=now(),
            archetype="new_contact",
        )
        created += inbound_ingest(inbound=inbound).created
    return created


DEMO_EXPERIMENT = "welcome-shorter"
DEMO_EXPERIMENT_THREADS = 120
# Per arm, out of every 20 drafts: how many coworkers approve as drafted and correct
# (the rest they reject).
DEMO_OUTCOMES = {"A": (10, 7), "B": (16, 3)}
# Steps through each block of 20 in a mixed order (7 is coprime to 20).
_STRIDE = 7


def demo_experiment() -> str:
    """A running A/B test of the welcome workflow with a week of reviewed drafts.

    Arm B is a shorter draft of the welcome workflow; coworkers' verdicts follow a fixed
    schedule per arm, so B wins clearly on every machine whatever the split of threads.
    """
    if Experiment.objects.filter(slug=DEMO_EXPERIMENT).exists():
        return DEMO_EXPERIMENT
    workflow = Workflow.objects.get(slug="opener-welcome")
    live = workflow.live_version
    shorter = dict(live.definition)
    shorter["steps"] = [
        {"draft": "Reply in two short sentences and end with one question.", "maxChars": 200}
    ]
    challenger = workflow_save_draft(
        workflow=workflow, definition=shorter, notes="Shorter welcome", new_version=True
    )
    experiment = experiment_create(
        slug=DEMO_EXPERIMENT,
        name="Shorter welcome replies",
        arms=[
            ArmSpec(key="A", workflow_version=live, engine_id="template"),
            ArmSpec(key="B", workflow_version=challenger, engine_id="template"),
        ],
        scope={"template_keys": ["opener.welcome"]},
        min_sample=40,
    )
    experiment_start(experiment=experiment)
    demo_reviewed_traffic()
    return DEMO_EXPERIMENT


def demo_reviewed_traffic(threads: int = DEMO_EXPERIMENT_THREADS) -> None:
    """New contacts saying hello over the past week, each draft reviewed by the demo
    coworker as ``DEMO_OUTCOMES`` says for its experiment arm (A or B)."""
    reviewer = User.objects.get(username="coworker")
    seen = {arm: 0 for arm in DEMO_OUTCOMES}
    start = now() - timedelta(days=7)
    for index in range(threads):
        moment = start + timedelta(hours=index * 7 * 24 / threads)
        draft = inbound_ingest(
            inbound=Inbound(
                external_id=f"demo-exp-{index}",
                thread=f"demo-exp-{index}",
                sender="Visitor",
                body="Hi! Saw your profile and wanted to say hello.",
                received_at=moment,
                archetype="new_contact",
            )
        ).draft
        if draft is None:
            continue
        # A week of past traffic, reviewed below: drafted here, as the worker would have
        # (with a move head configured, it may re-decide the message out of the test).
        draft = live_draft_run(draft)
        if not draft.experiment_arm or draft.hold_reason != HoldReason.REVIEW_MODE:
            continue
        Draft.objects.filter(id=draft.id).update(created_at=moment)
        arm = draft.experiment_arm.rpartition(":")[2]
        accept, correct = DEMO_OUTCOMES[arm]
        position = seen[arm] * _STRIDE % 20
        seen[arm] += 1
        if position < accept:
            draft_approve(draft_id=draft.id, user=reviewer)
        elif position < accept + correct:
            draft_correct(
                draft_id=draft.id, user=reviewer, body="Hello! Lovely to hear from you. When suits?"
            )
        else:
            draft_reject(draft_id=draft.id, user=reviewer, reason_tags=["too_long"])
