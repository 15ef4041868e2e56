"""Demo data for `make run`: roles, users, canon, snippets, builds, workflows and threads."""

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction

from builder.files import workflow_import
from builder.services import DEMO_WORKFLOWS_DIR, canon_load_file, snippets_load_file
from config.roles import Role
from engines.clock import now
from engines.services import engine_build_register
from prospects.pipeline import Inbound, inbound_ingest

DEMO_USERS = {"admin": Role.ADMIN, "operator": Role.OPERATOR, "coworker": Role.COWORKER}

DEMO_BUILDS = {
    "do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1": (
        "Mistral Nemo 12B, tuned voice build, on an on-demand GPU droplet"
    ),
    "endpoint-gemma3-270m_2026-11-23.1": "Gemma 3 270M on a local llama.cpp server (development)",
}

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


def demo_load(*, password: str) -> dict:
    """Idempotent: running it twice adds nothing new."""
    users = demo_users(password=password)
    canon = canon_load_file()
    snippets_load_file()
    for engine_id, description in DEMO_BUILDS.items():
        engine_build_register(engine_id=engine_id, description=description)
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
    }
