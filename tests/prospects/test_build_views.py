"""The build page's actions: evaluate, train, promote and the guards; field errors shown."""

import pytest

from engines.models import Evaluation, TrainingRun
from engines.promotion import promotion_policy
from engines.services import engine_build_register
from prospects.engine_switch import draft_engine_set
from prospects.selectors import pipeline_settings
from tests.conftest import GEMMA
from tests.prospects.test_promotion import scored
from tests.prospects.test_views import logged_in

pytestmark = pytest.mark.django_db

CANDIDATE = "endpoint-gemma3-270m_2026-11-24.1"


@pytest.fixture
def builds(gemma_build, admin_user, canon):
    engine_build_register(engine_id=CANDIDATE)
    draft_engine_set(engine_id=GEMMA, user=admin_user)


def page_text(client, engine_id=CANDIDATE) -> str:
    return client.get(f"/engines/{engine_id}/").content.decode()


def test_any_role_reads_the_tuning_section_and_only_admins_see_the_levers(
    builds, admin_user, coworker
):
    assert "Start training" in page_text(logged_in(admin_user))
    page = page_text(logged_in(coworker))
    assert "Evaluations beside the champion" in page
    assert "Start training" not in page
    assert "Save guards" not in page
    assert "Lineage and serving" not in page_text(logged_in(coworker), "template")


def test_evaluate_queues_or_says_why_not(
    builds, admin_user, settings, django_capture_on_commit_callbacks
):
    client = logged_in(admin_user)
    response = client.post(f"/engines/{CANDIDATE}/evaluate/", {"head": "voice"}, follow=True)
    assert "no reviewed cases" in response.content.decode()
    assert not Evaluation.objects.exists()
    response = client.post(f"/engines/{CANDIDATE}/evaluate/", {"head": "oracle"}, follow=True)
    assert "head: One of" in response.content.decode()


def test_train_names_bad_numbers_and_writes_nothing(builds, admin_user):
    client = logged_in(admin_user)
    response = client.post(
        f"/engines/{CANDIDATE}/train/",
        {"head": "voice", "max_steps": "lots", "learning_rate": "-1"},
        follow=True,
    )
    page = response.content.decode()
    assert "hyper_parameters.max_steps: A number." in page
    assert "hyper_parameters.learning_rate: At least" in page
    assert not TrainingRun.objects.exists()


def test_a_refused_promotion_names_the_metric_and_a_passing_one_flips(builds, admin_user):
    scored(GEMMA, hold_rate=0.1, gate_pass_rate=0.9)
    scored(CANDIDATE, hold_rate=0.5, gate_pass_rate=0.9)
    client = logged_in(admin_user)
    page = client.post(f"/engines/{CANDIDATE}/promote/", follow=True).content.decode()
    assert "Not promoted: hold rate: 0.500" in page
    assert pipeline_settings().draft_engine == GEMMA

    client.post(
        f"/engines/{CANDIDATE}/guards/",
        {"guard_gate_pass_rate": "1", "margin_gate_pass_rate": "0.05"},
    )
    assert promotion_policy().guards == {"gate_pass_rate": 0.05}
    page = client.post(f"/engines/{CANDIDATE}/promote/", follow=True).content.decode()
    assert f"{CANDIDATE} is now the draft engine" in page
    assert pipeline_settings().draft_engine == CANDIDATE


def test_bad_guards_are_named_and_not_saved(builds, admin_user):
    client = logged_in(admin_user)
    page = client.post(
        f"/engines/{CANDIDATE}/guards/",
        {"guard_hold_rate": "1", "margin_hold_rate": "a lot"},
        follow=True,
    ).content.decode()
    assert "hold_rate: The margin is a number" in page
    assert promotion_policy().guards == {"hold_rate": 0.02, "gate_pass_rate": 0.02}


def test_the_section_polls_while_work_is_under_way(builds, admin_user):
    Evaluation.objects.create(
        build_id=engine_build_register(engine_id=CANDIDATE).id,
        head="voice",
        cases_sha256="c" * 64,
    )
    client = logged_in(admin_user)
    assert 'hx-trigger="every 2s"' in page_text(client)
    partial = client.get(f"/engines/{CANDIDATE}/tuning_hx/").content.decode()
    assert partial.lstrip().startswith('<section id="build-tuning"')
    Evaluation.objects.update(status=Evaluation.Status.SUCCEEDED)
    assert 'hx-trigger="every 2s"' not in page_text(client)


def test_max_concurrency_is_edited_by_admins_with_history_and_bad_values_named(
    builds, admin_user, coworker
):
    gpu_build = "do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1"
    engine_build_register(engine_id=gpu_build)
    admin = logged_in(admin_user)
    page = page_text(admin, gpu_build)
    assert "at most <strong>64</strong> model calls" in page
    assert "(the default for its kind)" in page

    admin.post(f"/engines/{gpu_build}/concurrency/", {"max_concurrency": "96"})
    page = page_text(admin, gpu_build)
    assert "at most <strong>96</strong> model calls" in page
    assert "Max concurrency saved" in page
    assert f"<td>{admin_user.username}</td><td>96</td>" in page

    for bad, problem in (
        ("0", "Ensure this value is greater than or equal to 1."),
        ("1025", "Ensure this value is less than or equal to 1024."),
        ("many", "Enter a whole number."),
    ):
        admin.post(f"/engines/{gpu_build}/concurrency/", {"max_concurrency": bad})
        page = page_text(admin, gpu_build)
        assert f"max_concurrency: {problem}" in page
        assert "at most <strong>96</strong> model calls" in page

    admin.post(f"/engines/{gpu_build}/concurrency/", {"max_concurrency": ""})
    assert "at most <strong>64</strong> model calls" in page_text(admin, gpu_build)

    reader = logged_in(coworker)
    refused = reader.post(f"/engines/{gpu_build}/concurrency/", {"max_concurrency": "1"})
    assert refused.status_code == 403
    page = page_text(reader, gpu_build)
    assert "at most <strong>64</strong>" in page
    assert 'name="max_concurrency"' not in page
    assert admin.post("/engines/endpoint-nope_2026-01-01.1/concurrency/", {}).status_code == 404
