"""The permissions matrix: every role against every API endpoint and every panel page.

One row per endpoint and method, one expected status per role; each cell is its own test.
The expected values are read from ``core/roles.py``, the views and docs/api.md, not
recorded from what the code answers.

The API is called with knox tokens (``api_for``), the panel with a session
(``force_login``). The walk of the URL resolver fails the suite for an endpoint (or an
API method) with no row here. Not listed: ``django-admin/`` (Django's own, staff only).
"""

from types import SimpleNamespace

import pytest
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.test import Client
from django.urls import path as url
from django.urls import resolve
from rest_framework.response import Response
from rest_framework.views import APIView

from builder.experiments import ArmSpec, experiment_create
from builder.models import Snippet
from core.clock import now
from engines.forms import GpuPolicyForm
from engines.gpu.droplet_access import new_api_key
from engines.gpu.lifecycle import policy_settings
from engines.models.gpu import GpuInstance
from engines.sealed import seal
from engines.training.evaluation import evaluation_create
from engines.training.runs import training_run_create
from prospects.events.models import WebhookDelivery
from prospects.events.services import subscription_create
from prospects.jobs.services import job_create
from prospects.models import Correction, Draft, PlaygroundRun, WorkflowPreviewRun
from prospects.review.services import draft_reject
from tests.support.drafting import ingest
from tests.support.factories import DO_BUILD, GEMMA, PASSWORD, definition, make_inbound
from tests.support.tiny_lm import SAMPLE_LINES
from tests.support.urls import routes

pytestmark = pytest.mark.django_db

# Who calls: the columns of the matrix.
ANON = "anon"  # no credentials at all
NO_ROLE = "no_role"  # signed in, in no group
COWORKER = "coworker"
OPERATOR = "operator"
ADMIN = "admin"
CLIENT = "client"  # the REST client's machine account
CALLERS = (ANON, NO_ROLE, COWORKER, OPERATOR, ADMIN, CLIENT)
SIGNED_IN = CALLERS[1:]

# The groups of roles that core/roles.py and the views grant things to.
ANY_ROLE = (COWORKER, OPERATOR, ADMIN, CLIENT)
PEOPLE = (COWORKER, OPERATOR, ADMIN)  # panel roles; corrections and exports (not clients)
REVIEWERS = (COWORKER, ADMIN)  # can_review
INGESTERS = (OPERATOR, ADMIN, CLIENT)  # can_ingest
OPERATORS = (OPERATOR, ADMIN)  # can_start_jobs, can_edit_workflows, can_read_training
ADMINS = (ADMIN,)  # can_change_engine, can_train, can_use_gpu_levers


def api(ok: int, *allowed: str) -> dict:
    """Token API: anonymous 401 (with WWW-Authenticate); ``allowed`` roles ``ok``; others 403."""
    return {ANON: 401, **{who: ok if who in allowed else 403 for who in SIGNED_IN}}


def panel(ok: int, *allowed: str) -> dict:
    """Panel page: anonymous 302 to the login page; ``allowed`` roles ``ok``; others 403."""
    return {ANON: 302, **{who: ok if who in allowed else 403 for who in SIGNED_IN}}


def everyone(status: int) -> dict:
    return dict.fromkeys(CALLERS, status)


def nora_credentials(o) -> dict:
    """The login endpoints ignore the caller: anyone exchanges valid credentials."""
    return {"username": "nora", "password": PASSWORD}


def arms(o, *, control_engine="template", challenger_engine="template") -> list[dict]:
    return [
        {"key": "A", "workflow_version": str(o.live.id), "engine_id": control_engine},
        {"key": "B", "workflow_version": str(o.challenger.id), "engine_id": challenger_engine},
    ]


def experiment_form(o) -> dict:
    return {
        "name": "Panel trial",
        "slug": "panel-trial",
        "metric": "accepted_unedited",
        "min_sample": "10",
        "template_keys": ["pursue.next_step"],
        "arm-TOTAL_FORMS": "2",
        "arm-INITIAL_FORMS": "0",
        **{
            f"arm-{index}-{field}": value
            for index, version in enumerate((o.live, o.challenger))
            for field, value in (
                ("key", "AB"[index]),
                ("workflow_version", str(version.id)),
                ("engine_id", "template"),
                ("weight", "1"),
            )
        },
    }


def editor_form(o) -> dict:
    return {
        "slug": "fresh",
        "name": "Fresh",
        "priority": "0",
        "template_keys": ["opener.welcome"],
        "context_snippet": ["canon:opener.welcome"],
        "step-TOTAL_FORMS": "2",
        "step-INITIAL_FORMS": "0",
        "step-0-kind": "think",
        "step-0-text": "What do they want?",
        "step-1-kind": "draft",
        "step-1-text": "Write it.",
        "step-1-max_chars": "300",
        "then": "save",
    }


def gpu_policy_form(o) -> dict:
    """The policy as it stands, saved again: its numbers, and its prices as the page's rows."""
    policy = policy_settings()
    data = model_to_dict(policy, fields=GpuPolicyForm.Meta.fields)
    data = {name: "" if value is None else value for name, value in data.items()}
    count = len(policy.hourly_prices)
    data |= {"prices-TOTAL_FORMS": count, "prices-INITIAL_FORMS": count}
    for n, (slug, price) in enumerate(policy.hourly_prices.items()):
        data |= {f"prices-{n}-size_slug": slug, f"prices-{n}-usd_per_hour": price}
    return {**data, "rules-TOTAL_FORMS": 0, "rules-INITIAL_FORMS": 0}


MESSAGE = {
    "external_id": "api-ext-1",
    "thread": "api-thread",
    "sender": "Sam",
    "body": "Hi there, nice to meet you",
    "received_at": "2026-11-20T12:00:00Z",
}
W = "/api/workflows/{workflow}"
E = "/api/experiments/{experiment}"
D = "/api/experiments/{draft_experiment}"

# (method, path, body, {caller: status}); a body may be a function of the objects.
MATRIX = [
    # --- public: probes, metrics (loopback), logging in and out ------------------------
    ("GET", "/healthz", None, everyone(200)),
    ("GET", "/readyz", None, everyone(200)),
    # Any other path under /api/: the API's JSON 404, to anyone, whatever the method.
    ("GET", "/api/no-such-endpoint/", None, everyone(404)),
    ("POST", "/api/no-such-endpoint/", {}, everyone(404)),
    ("PUT", "/api/no-such-endpoint/", {}, everyone(404)),
    ("PATCH", "/api/no-such-endpoint/", {}, everyone(404)),
    ("DELETE", "/api/no-such-endpoint/", None, everyone(404)),
    ("GET", "/metrics", None, everyone(200)),  # the test client's address is loopback
    ("GET", "/accounts/login/", None, everyone(200)),
    ("POST", "/accounts/login/", nora_credentials, everyone(302)),
    ("POST", "/accounts/logout/", None, everyone(302)),
    ("POST", "/api/auth/token/", nora_credentials, everyone(200)),
    # knox: any authenticated user may revoke their own tokens, roles or not.
    ("POST", "/api/auth/logout/", None, {ANON: 401, **dict.fromkeys(SIGNED_IN, 204)}),
    ("POST", "/api/auth/logout-all/", None, {ANON: 401, **dict.fromkeys(SIGNED_IN, 204)}),
    # The OpenAPI schema and its viewer are public, as docs/api.md is.
    ("GET", "/api/schema/", None, everyone(200)),
    ("GET", "/api/docs/", None, everyone(200)),
    # --- API: ingest, drafts, threads, the engine switch -------------------------------
    ("POST", "/api/inbound/", MESSAGE, api(201, *INGESTERS)),
    ("GET", "/api/drafts/", None, api(200, *ANY_ROLE)),
    ("GET", "/api/drafts/{draft}/", None, api(200, *ANY_ROLE)),
    ("GET", "/api/threads/", None, api(200, *ANY_ROLE)),
    ("GET", "/api/decisions/", None, api(200, *ANY_ROLE)),
    ("GET", "/api/threads/{thread}/", None, api(200, *ANY_ROLE)),
    ("POST", "/api/threads/{thread}/safety-clear/", {"reason": "Checked."}, api(200, *ADMINS)),
    # can_record_outcome: reviewers and the bridge or CRM (REST client); 201 on each first try.
    (
        "POST",
        "/api/threads/{thread}/outcome/",
        {"outcome": "booked"},
        api(201, *REVIEWERS, CLIENT),
    ),
    ("GET", "/api/settings/draft-engine/", None, api(200, *ANY_ROLE)),
    ("PUT", "/api/settings/draft-engine/", {"draft_engine": "template"}, api(200, *ADMINS)),
    ("GET", "/api/settings/classifier-engine/", None, api(200, *ANY_ROLE)),
    ("PUT", "/api/settings/classifier-engine/", {"classifier_engine": "rules"}, api(200, *ADMINS)),
    ("GET", "/api/settings/uncertain-move-threshold/", None, api(200, *ANY_ROLE)),
    ("GET", "/api/settings/pace/", None, api(200, *ANY_ROLE)),
    ("GET", "/api/scores/", {"by": "workflow_version"}, api(200, *ANY_ROLE)),
    (
        "PUT",
        "/api/settings/pace/",
        {
            "quiet_start": "22:00",
            "quiet_end": "08:00",
            "typing_chars_per_minute": 200,
            "min_delay_seconds": 0,
            "max_delay_seconds": 0,
            "reason": "matrix",
        },
        api(200, *ADMINS),
    ),
    (
        "PUT",
        "/api/settings/uncertain-move-threshold/",
        {"uncertain_move_threshold": 0.5},
        api(200, *ADMINS),
    ),
    ("GET", "/api/settings/pipeline/", None, api(200, *ADMINS)),
    (
        "PUT",
        "/api/settings/pipeline/",
        {"daily_send_cap": 200, "reason": "A cautious start."},
        api(200, *ADMINS),
    ),
    # --- API: review, corrections, tuning export ---------------------------------------
    ("POST", "/api/drafts/{draft}/approve/", {}, api(200, *REVIEWERS)),
    ("POST", "/api/drafts/{draft}/correct/", {"body": "Hello!"}, api(200, *REVIEWERS)),
    ("POST", "/api/drafts/{draft}/reject/", {"reason_tags": ["tone"]}, api(200, *REVIEWERS)),
    # Held, not scheduled: nothing to cancel once authorized.
    ("POST", "/api/drafts/{draft}/cancel-send/", None, api(409, *REVIEWERS)),
    # The template engine's draft has a body: 409 once authorized.
    ("POST", "/api/drafts/{draft}/draft-again/", None, api(409, *REVIEWERS)),
    ("POST", "/api/decisions/{decision}/label/", {"move": "spam"}, api(200, *REVIEWERS)),
    ("GET", "/api/decisions/to-label/", None, api(200, *REVIEWERS)),
    (
        "POST",
        "/api/decisions/labels/",
        lambda o: {"decisions": [str(o.decision.id)], "move": "spam"},
        api(200, *REVIEWERS),
    ),
    ("GET", "/api/corrections/", None, api(200, *PEOPLE)),
    ("GET", "/api/corrections/{correction}/", None, api(200, *PEOPLE)),
    ("GET", "/api/exports/tuning/?engine=template&format=sft", None, api(200, *PEOPLE)),
    # --- API: drafting jobs (start admin, operator, as in the panel; read any role) -----
    ("GET", "/api/jobs/", None, api(200, *ANY_ROLE)),
    ("POST", "/api/jobs/", lambda o: {"thread_ids": [str(o.thread.id)]}, api(201, *OPERATORS)),
    ("GET", "/api/jobs/backlog/", None, api(200, *ANY_ROLE)),
    ("GET", "/api/jobs/{job}/", None, api(200, *ANY_ROLE)),
    ("POST", "/api/jobs/{job}/cancel/", None, api(200, *OPERATORS)),
    ("POST", "/api/jobs/{job}/retry/", None, api(200, *OPERATORS)),
    # --- API: training runs and evaluations (start admin; read admin and operators) ----
    ("GET", "/api/training-runs/", None, api(200, *OPERATORS)),
    # An admin passes the permission check and meets the field errors.
    ("POST", "/api/training-runs/", {"source_engine_ids": []}, api(400, *ADMINS)),
    ("GET", "/api/training-runs/{training_run}/", None, api(200, *OPERATORS)),
    # The droplet's endpoints take its run's report token, never a user's.
    ("GET", "/api/training-runs/{training_run}/job/", None, everyone(403)),
    ("POST", "/api/training-runs/{training_run}/report/", {"status": "running"}, everyone(403)),
    ("GET", "/api/evaluations/", None, api(200, *OPERATORS)),
    ("POST", "/api/evaluations/", {"engine_id": "endpoint-nothing_1"}, api(400, *ADMINS)),
    ("GET", "/api/evaluations/{evaluation}/", None, api(200, *OPERATORS)),
    # --- API: GPU (read any role, levers admin) ----------------------------------------
    ("GET", "/api/gpu/", None, api(200, *ANY_ROLE)),
    ("POST", "/api/gpu/hold/", {"engine_id": DO_BUILD, "minutes": 10}, api(200, *ADMINS)),
    ("POST", "/api/gpu/release/", {"engine_id": DO_BUILD}, api(200, *ADMINS)),
    # A booting droplet's one-time fetch takes its own token, never a user's.
    ("POST", "/api/gpu/instances/{gpu_instance}/credentials/", None, everyone(403)),
    # --- API: workflows and snippets (read any role, write operators) ------------------
    ("GET", "/api/workflows/", None, api(200, *ANY_ROLE)),
    (
        "POST",
        "/api/workflows/",
        lambda o: {"slug": "fresh", "definition": definition()},
        api(201, *OPERATORS),
    ),
    (
        "GET",
        "/api/workflows/resolve/?archetype=new_contact&state=new&template_key=opener.welcome",
        None,
        api(200, *ANY_ROLE),
    ),
    ("GET", W + "/", None, api(200, *ANY_ROLE)),
    ("GET", W + "/versions/", None, api(200, *ANY_ROLE)),
    (
        "POST",
        W + "/versions/",
        lambda o: {"definition": definition(name="Edited")},
        api(201, *OPERATORS),
    ),
    ("GET", W + "/versions/1/", None, api(200, *ANY_ROLE)),
    ("POST", W + "/versions/2/publish/", {"note": "Ship it."}, api(200, *OPERATORS)),
    ("POST", W + "/versions/1/rollback/", {}, api(201, *OPERATORS)),
    ("POST", W + "/versions/2/archive/", None, api(200, *OPERATORS)),
    ("GET", W + "/diff/?a=1&b=2", None, api(200, *ANY_ROLE)),
    ("GET", "/api/snippets/", None, api(200, *ANY_ROLE)),
    (
        "POST",
        "/api/snippets/",
        {"kind": "voice", "key": "plain", "text": "Be plain."},
        api(201, *OPERATORS),
    ),
    ("GET", "/api/snippets/{snippet}/", None, api(200, *ANY_ROLE)),
    ("PUT", "/api/snippets/{snippet}/", {"text": "Hello again."}, api(200, *OPERATORS)),
    # --- API: experiments (read any role, write operators) -----------------------------
    ("GET", "/api/experiments/", None, api(200, *ANY_ROLE)),
    (
        "POST",
        "/api/experiments/",
        lambda o: {"slug": "api-trial", "name": "API trial", "arms": arms(o)},
        api(201, *OPERATORS),
    ),
    ("GET", E + "/", None, api(200, *ANY_ROLE)),
    # Only a draft experiment is edited or deleted: these use the draft one.
    ("PUT", D + "/", lambda o: {"name": "Renamed", "arms": arms(o)}, api(200, *OPERATORS)),
    ("DELETE", D + "/", None, api(204, *OPERATORS)),
    ("POST", D + "/start/", None, api(200, *OPERATORS)),
    ("POST", E + "/pause/", None, api(200, *OPERATORS)),
    ("GET", E + "/results/", None, api(200, *ANY_ROLE)),
    ("GET", E + "/results.csv", None, api(200, *ANY_ROLE)),
    # No arm has its minimum sample yet (400) and nothing was promoted (409), once
    # authorized.
    ("POST", E + "/promote/", {}, api(400, *OPERATORS)),
    ("POST", E + "/rollback/", {}, api(409, *OPERATORS)),
    # --- panel: dashboard, threads, review ---------------------------------------------
    ("GET", "/", None, panel(200, *ANY_ROLE)),
    ("GET", "/threads/", None, panel(200, *ANY_ROLE)),
    ("GET", "/threads/{thread}/", None, panel(200, *ANY_ROLE)),
    ("POST", "/threads/{thread}/safety-clear/", {"reason": "Checked."}, panel(302, *ADMINS)),
    ("POST", "/threads/{thread}/outcome/", {"outcome": "booked"}, panel(302, *REVIEWERS, CLIENT)),
    ("GET", "/decisions/", None, panel(200, *REVIEWERS)),
    (
        "POST",
        "/decisions/label/",
        lambda o: {"decisions": [str(o.decision.id)], "move": "spam"},
        panel(302, *REVIEWERS),
    ),
    (
        "POST",
        "/decisions/{decision}/label_hx/",
        lambda o: {f"d{o.decision.id.hex}-move": "spam"},
        panel(200, *REVIEWERS),
    ),
    ("POST", "/drafts/{draft}/approve_hx/", None, panel(200, *REVIEWERS)),
    ("POST", "/drafts/{draft}/reject_hx/", None, panel(200, *REVIEWERS)),
    ("GET", "/review/", None, panel(200, *REVIEWERS)),
    ("POST", "/review/{draft}/approve/", None, panel(200, *REVIEWERS)),
    ("POST", "/review/{draft}/move/", {"move": "spam"}, panel(200, *REVIEWERS)),
    # --- panel: corrections, engine builds and their export ----------------------------
    (
        "GET",
        "/corrections/",
        None,
        panel(200, *PEOPLE),
    ),
    (
        "GET",
        "/corrections/{correction}/",
        None,
        panel(200, *PEOPLE),
    ),
    ("GET", "/engines/", None, panel(200, *ANY_ROLE)),
    ("GET", "/engines/template/", None, panel(200, *ANY_ROLE)),
    (
        "GET",
        "/engines/template/export/",
        None,
        panel(200, *PEOPLE),
    ),
    ("GET", "/workflows/{workflow}/scores_hx/", None, panel(200, *ANY_ROLE)),
    # --- panel: experiments ------------------------------------------------------------
    ("GET", "/experiments/", None, panel(200, *ANY_ROLE)),
    ("GET", "/experiments/new/", None, panel(200, *OPERATORS)),
    ("POST", "/experiments/new/", experiment_form, panel(302, *OPERATORS)),
    ("GET", "/experiments/{experiment}/", None, panel(200, *ANY_ROLE)),
    ("GET", "/experiments/{experiment}/results.csv", None, panel(200, *ANY_ROLE)),
    # No winner yet, nothing promoted: the page comes back with the error by the form.
    ("POST", "/experiments/{experiment}/promote/", None, panel(400, *OPERATORS)),
    ("POST", "/experiments/{experiment}/rollback/", None, panel(400, *OPERATORS)),
    ("POST", "/experiments/{experiment}/pause/", None, panel(302, *OPERATORS)),
    # --- panel: the build page's tuning loop (read any role; levers admin) ------------
    ("GET", f"/engines/{GEMMA}/tuning_hx/", None, panel(200, *ANY_ROLE)),
    # No reviewed cases or lines here: the page comes back with the errors by the fields.
    ("POST", f"/engines/{GEMMA}/evaluate/", {"head": "voice"}, panel(400, *ADMINS)),
    ("POST", f"/engines/{GEMMA}/train/", {"head": "voice"}, panel(400, *ADMINS)),
    ("POST", f"/engines/{GEMMA}/promote/", None, panel(302, *ADMINS)),
    ("POST", f"/engines/{GEMMA}/concurrency/", {"max_concurrency": "4"}, panel(302, *ADMINS)),
    (
        "POST",
        f"/engines/{GEMMA}/guards/",
        {"guard_hold_rate": "1", "margin_hold_rate": "0.02"},
        panel(302, *ADMINS),
    ),
    # --- panel: settings, jobs, workflow preview, GPU ----------------------------------
    ("GET", "/settings/", None, panel(200, *ANY_ROLE)),
    (
        "POST",
        "/settings/engine_hx/",
        {"draft_engine": "template", "confirm": "yes"},
        panel(302, *ADMINS),
    ),
    (
        "POST",
        "/settings/classifier_hx/",
        {"classifier_engine": "rules", "confirm": "yes"},
        panel(302, *ADMINS),
    ),
    (
        "POST",
        "/settings/uncertain_move_hx/",
        {"uncertain_move_threshold": "0.5"},
        panel(302, *ADMINS),
    ),
    ("GET", "/pipeline/", None, panel(200, *ADMINS)),
    (
        "POST",
        "/pipeline/",
        {
            "default_mode": "review",
            "without_workflow": "hold",
            "engine_wait_fallback": "hold",
            "uncertain_move_threshold": "0",
            "daily_send_cap": "200",
            "reason": "A cautious start.",
            "confirm": "yes",
        },
        panel(302, *ADMINS),
    ),
    ("GET", "/jobs/", None, panel(200, *ANY_ROLE)),
    ("POST", "/jobs/new/", lambda o: {"thread_ids": [str(o.thread.id)]}, panel(302, *OPERATORS)),
    ("GET", "/jobs/{job}/", None, panel(200, *ANY_ROLE)),
    ("GET", "/jobs/{job}/detail_hx/", None, panel(200, *ANY_ROLE)),
    ("GET", "/jobs/{job}/progress_hx/", None, panel(200, *ANY_ROLE)),
    ("POST", "/jobs/{job}/cancel/", None, panel(302, *OPERATORS)),
    ("POST", "/jobs/{job}/retry/", None, panel(302, *OPERATORS)),
    ("GET", "/workflows/{workflow}/versions/1/preview/", None, panel(200, *ANY_ROLE)),
    (
        "POST",
        "/workflows/{workflow}/versions/1/preview/run/",
        lambda o: {"thread": str(o.thread.id)},
        panel(302, *OPERATORS),  # can_run_preview_on_model
    ),
    ("GET", "/preview-runs/{preview_run}/progress_hx/", None, panel(286, *ANY_ROLE)),
    ("GET", "/sends/", None, panel(200, *REVIEWERS)),
    ("POST", "/sends/{draft}/cancel/", None, panel(302, *REVIEWERS)),  # not scheduled: said
    ("GET", "/settings/pace/", None, panel(200, *ANY_ROLE)),
    (
        "POST",
        "/settings/pace/",
        {
            "quiet_start": "22:00",
            "quiet_end": "08:00",
            "typing_chars_per_minute": "200",
            "min_delay_seconds": "0",
            "max_delay_seconds": "0",
            "reason": "matrix",
        },
        panel(302, *ADMINS),
    ),
    ("GET", "/playground/", None, panel(200, *OPERATORS)),  # can_run_preview_on_model
    (
        "POST",
        "/playground/run/",
        {
            "text": "Hi there",
            "engine_id": "template",
            "thread_state": "new",
            "archetype": "new_contact",
        },
        panel(302, *OPERATORS),
    ),
    ("GET", "/playground/runs/{playground_run}/hx/", None, panel(286, *OPERATORS)),
    ("GET", "/gpu/", None, panel(200, *ANY_ROLE)),
    ("POST", "/gpu/", gpu_policy_form, panel(302, *ADMINS)),
    ("GET", "/gpu/builds_hx/", None, panel(200, *ANY_ROLE)),
    (
        "POST",
        "/gpu/action_hx/",
        {"engine_id": DO_BUILD, "action": "hold", "minutes": "10"},
        panel(400, *ADMINS),  # DO_BUILD is not registered here: named next to the field
    ),
    # --- webhooks for integrators (can_manage_webhooks: admins), panel and API ---------
    ("GET", "/webhooks/", None, panel(200, *ADMINS)),
    (
        "POST",
        "/webhooks/new/",
        {"url": "https://crm.example/hooks", "events": ["draft.sent"]},
        panel(302, *ADMINS),
    ),
    ("GET", "/webhooks/{subscription}/", None, panel(200, *ADMINS)),
    (
        "POST",
        "/webhooks/{subscription}/",
        {"url": "https://crm.example/v2", "events": ["draft.held"]},
        panel(302, *ADMINS),
    ),
    ("POST", "/webhooks/{subscription}/deactivate/", None, panel(302, *ADMINS)),
    ("GET", "/webhooks/deliveries/", None, panel(200, *ADMINS)),
    ("POST", "/webhooks/deliveries/{delivery}/send-again/", None, panel(302, *ADMINS)),
    ("GET", "/api/webhooks/", None, api(200, *ADMINS)),
    (
        "POST",
        "/api/webhooks/",
        {"url": "https://crm.example/hooks", "events": ["draft.ready"]},
        api(201, *ADMINS),
    ),
    ("GET", "/api/webhooks/{subscription}/", None, api(200, *ADMINS)),
    ("PATCH", "/api/webhooks/{subscription}/", {"events": ["draft.sent"]}, api(200, *ADMINS)),
    ("DELETE", "/api/webhooks/{subscription}/", None, api(204, *ADMINS)),
    ("GET", "/api/webhooks/deliveries/", None, api(200, *ADMINS)),
    ("POST", "/api/webhooks/deliveries/{delivery}/redeliver/", None, api(200, *ADMINS)),
    # --- panel: workflow builder and snippets ------------------------------------------
    ("GET", "/workflows/", None, panel(200, *ANY_ROLE)),
    ("GET", "/workflows/new/", None, panel(200, *OPERATORS)),
    ("POST", "/workflows/new/", editor_form, panel(302, *OPERATORS)),
    (
        "POST",
        "/workflows/steps_hx/",
        lambda o: {**editor_form(o), "op": "up:1"},
        panel(200, *OPERATORS),
    ),
    ("GET", "/workflows/snippet_hx/?ref=canon:opener.welcome", None, panel(200, *ANY_ROLE)),
    ("GET", "/workflows/{workflow}/edit/", None, panel(200, *OPERATORS)),
    ("POST", "/workflows/{workflow}/edit/", editor_form, panel(302, *OPERATORS)),
    ("GET", "/workflows/{workflow}/", None, panel(200, *ANY_ROLE)),
    ("GET", "/workflows/{workflow}/diff/?a=1&b=2", None, panel(200, *ANY_ROLE)),
    ("GET", "/workflows/{workflow}/versions/2/publish/", None, panel(200, *OPERATORS)),
    (
        "POST",
        "/workflows/{workflow}/versions/2/publish/",
        {"note": "Ship it."},
        panel(302, *OPERATORS),
    ),
    ("POST", "/workflows/{workflow}/versions/1/rollback/", None, panel(302, *OPERATORS)),
    ("POST", "/workflows/{workflow}/versions/2/archive/", None, panel(302, *OPERATORS)),
    ("GET", "/snippets/", None, panel(200, *ANY_ROLE)),
    (
        "POST",
        "/snippets/new/",
        {"kind": "voice", "key": "plain", "text": "Be plain."},
        panel(302, *OPERATORS),
    ),
    ("GET", "/snippets/{snippet}/", None, panel(200, *ANY_ROLE)),
    ("POST", "/snippets/{snippet}/", {"text": "Hello again."}, panel(302, *OPERATORS)),
]


def _cells():
    for method, path, body, expected in MATRIX:
        assert set(expected) == set(CALLERS), f"{method} {path} misses a caller"
        for who in CALLERS:
            yield pytest.param(method, path, body, who, expected[who], id=f"{method} {path} {who}")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Six hundred cells each make five users: a fast hasher keeps the matrix quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def callers(make_user, coworker, operator, admin_user, client_account) -> dict:
    return {
        ANON: None,
        NO_ROLE: make_user("nora"),
        COWORKER: coworker,
        OPERATOR: operator,
        ADMIN: admin_user,
        CLIENT: client_account,
    }


@pytest.fixture
def objects(request, canon, gemma_build, callers):
    """One of everything the URLs name, fresh for each cell.

    Drafts are made before the experiment starts, so they come from the template engine
    (held for review) whichever arm a thread would have been bucketed into.
    """
    first = ingest(make_inbound(thread="matrix-a"))
    second = ingest(make_inbound(thread="matrix-b"))
    draft_reject(draft_id=second.draft.id, user=callers[COWORKER])
    experiment = request.getfixturevalue("experiment")  # welcome-ab, running
    live, challenger = (arm.workflow_version for arm in experiment.arms.order_by("key"))
    draft_experiment = experiment_create(
        slug="followup-ab",
        name="Follow-up",
        arms=[
            ArmSpec(key="A", workflow_version=live, engine_id="template"),
            ArmSpec(key="B", workflow_version=challenger, engine_id="template"),
        ],
        scope={"template_keys": ["opener.followup"]},
    )
    job = job_create(user=callers[OPERATOR], thread_ids=[first.decision.thread_id])
    training_run = training_run_create(
        lines=SAMPLE_LINES,
        parent_engine_id=GEMMA,
        source_engine_ids=[GEMMA],
        base_model="/nonexistent/never-trained-here",
    )
    evaluation = evaluation_create(
        engine_id=GEMMA, head="voice", cases=[{"messages": [], "final_text": "x"}]
    )
    preview_run = WorkflowPreviewRun.objects.create(
        version=live,
        thread=first.decision.thread,
        decision=first.decision,
        engine_id=GEMMA,
        status=WorkflowPreviewRun.Status.DONE,
    )
    playground_run = PlaygroundRun.objects.create(
        text="Hi there", engine_id="template", status=PlaygroundRun.Status.DONE
    )
    gpu_instance = GpuInstance.objects.create(
        engine_id=DO_BUILD,
        size_slug="gpu-h100x1-80gb",
        hourly_price=3.39,
        state=GpuInstance.State.BOOTING,
        state_changed_at=now(),
        api_key_sealed=seal(new_api_key()),
    )
    subscription = subscription_create(
        url="https://crm.example/hooks", events=["draft.held"], user=callers[ADMIN]
    )
    # Given up: "send again" has something to do (its task, run inline, gives up again).
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="draft.held",
        payload={"event": "draft.held", "data": {}},
        idempotency_key="matrix-delivery",
        status=WebhookDelivery.Status.GAVE_UP,
        attempts=8,
    )
    o = SimpleNamespace(
        subscription=subscription,
        delivery=delivery,
        evaluation=evaluation,
        gpu_instance=gpu_instance,
        preview_run=preview_run,
        playground_run=playground_run,
        thread=first.decision.thread,
        decision=first.decision,
        draft=first.draft,
        correction=Correction.objects.get(draft=second.draft),
        job=job,
        training_run=training_run,
        workflow=live.workflow,
        live=live,
        challenger=challenger,
        experiment=experiment,
        draft_experiment=draft_experiment,
        snippet=Snippet.objects.get(kind=Snippet.Kind.CANON, key="opener.welcome"),
    )
    assert o.draft.status == Draft.Status.HELD
    assert (live.number, challenger.number) == (1, 2)
    return o


def _request(user, method, url, data, api_for):
    if url.startswith("/api/"):
        client = api_for(user)  # a knox token; none for ANON
        return getattr(client, method.lower())(url, data, format="json")
    client = Client()
    if user is not None:
        client.force_login(user)
    return getattr(client, method.lower())(url, data or {})


@pytest.mark.parametrize(("method", "path", "body", "who", "expected"), list(_cells()))
def test_permission(objects, callers, api_for, method, path, body, who, expected):
    url = path.format(**{name: getattr(value, "id", "") for name, value in vars(objects).items()})
    data = body(objects) if callable(body) else body
    response = _request(callers[who], method, url, data, api_for)

    assert response.status_code == expected, getattr(response, "content", b"")[:500]
    if expected == 401:
        assert response.has_header("WWW-Authenticate")
    if who == ANON and expected == 302 and path != "/accounts/login/":
        assert response["Location"].startswith("/accounts/login/")


# --- the walk: every URL the resolver knows has its rows -------------------------------

_METHODS = ("get", "post", "put", "patch", "delete")


def _route_of(path: str) -> str:
    example = path.split("?")[0].format_map(_AnyId())
    return resolve(example).route


class _AnyId(dict):
    def __missing__(self, key):
        return "00000000-0000-0000-0000-000000000001"


def test_every_endpoint_is_in_the_matrix():
    """A new URL, or a new method on an API view, fails here until its row says who may."""
    listed = {(method, _route_of(path)) for method, path, _, _ in MATRIX}
    listed_routes = {route for _, route in listed}
    missing = []
    for route in routes():
        if route.route not in listed_routes:
            missing.append(f"{route.example} (no row at all)")
        elif route.api_view is not None:
            implemented = [m.upper() for m in _METHODS if hasattr(route.api_view, m)]
            missing += [
                f"{m} {route.example}" for m in implemented if (m, route.route) not in listed
            ]
    assert not missing, "Not in the permissions matrix: " + ", ".join(missing)


def test_every_panel_view_declares_who_may_open_it():
    undeclared = [
        route.example
        for route in routes()
        if route.api_view is None and getattr(route.view, "access", None) is None
    ]
    assert not undeclared, "Panel views without @allow(...) or @public: " + ", ".join(undeclared)


# --- deny by default: a view that declares nothing is refused on both surfaces ---------


def undeclared_page(request):
    return HttpResponse("open")


class UndeclaredEndpoint(APIView):
    def get(self, request):
        return Response({"open": True})


urlpatterns = [
    url("undeclared/", undeclared_page),
    url("api/undeclared/", UndeclaredEndpoint.as_view()),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/undeclared/", "/api/undeclared/"])
def test_a_view_that_declares_nobody_refuses_even_an_admin(admin_user, api_for, url):
    if url.startswith("/api/"):
        client = api_for(admin_user)
    else:
        client = Client()
        client.force_login(admin_user)
    assert client.get(url).status_code == 403


@pytest.mark.urls(__name__)
def test_an_undeclared_endpoint_asks_an_anonymous_caller_for_credentials(api_for):
    response = api_for(None).get("/api/undeclared/")
    assert response.status_code == 401
