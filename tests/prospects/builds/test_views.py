"""The build page's actions: evaluate, train, promote and the guards; field errors shown."""

import pytest

from engines.models.training import Evaluation, TrainingRun
from engines.services import engine_build_register
from engines.training.promotion import promotion_policy
from prospects.engine_switch import draft_engine_set
from prospects.review.services import draft_approve, draft_correct
from prospects.selectors import pipeline_settings
from tests.support.drafting import ingest
from tests.support.factories import GEMMA, make_inbound, scored
from tests.support.html import field_error
from tests.support.panel import logged_in

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


def test_evaluate_names_a_bad_head_or_an_empty_split_next_to_the_field(
    builds, admin_user, django_capture_on_commit_callbacks
):
    client = logged_in(admin_user)
    empty = client.post(f"/engines/{CANDIDATE}/evaluate/", {"head": "voice"})
    assert empty.status_code == 400
    assert "no reviewed cases" in field_error(empty.content.decode(), "id_evaluate_split")
    oracle = client.post(f"/engines/{CANDIDATE}/evaluate/", {"head": "oracle", "split": "eval"})
    assert oracle.status_code == 400
    assert "Select a valid choice" in field_error(oracle.content.decode(), "id_evaluate_head")
    bad_split = client.post(f"/engines/{CANDIDATE}/evaluate/", {"head": "voice", "split": "x"})
    assert "Select a valid choice" in field_error(bad_split.content.decode(), "id_evaluate_split")
    assert not Evaluation.objects.exists()


@pytest.fixture
def reviewed(canon, coworker, settings):
    """Two reviewed drafts, both in the train split."""
    settings.TUNING_EVAL_PERCENT = 0
    drafts = [ingest(make_inbound(f"Hi there {n}")).draft for n in range(2)]
    draft_approve(draft_id=drafts[0].id, user=coworker)
    draft_correct(draft_id=drafts[1].id, user=coworker, body="Hi! Lovely to hear from you.")


def test_evaluate_queues_on_the_split_chosen(reviewed, builds, admin_user):
    response = logged_in(admin_user).post(
        f"/engines/{CANDIDATE}/evaluate/", {"head": "voice", "split": "train"}
    )
    assert response.status_code == 302
    assert Evaluation.objects.get().split == "train"


@pytest.mark.parametrize(
    ("field", "bad", "problem"),
    [
        ("max_steps", "lots", "Enter a whole number."),
        ("max_steps", "2.5", "Enter a whole number."),
        ("max_steps", "-2", "greater than or equal to -1"),
        ("epochs", "1e9", "less than or equal to 100"),
        ("learning_rate", "-1", "greater than or equal to 1e-07"),
        ("learning_rate", "nan", "Enter a number."),
        ("r", "0", "greater than or equal to 1"),
        ("alpha", "many", "Enter a whole number."),
        ("head", "oracle", "Select a valid choice"),
    ],
)
def test_train_names_a_bad_number_next_to_its_field_keeps_the_input_and_writes_nothing(
    builds, admin_user, field, bad, problem
):
    response = logged_in(admin_user).post(
        f"/engines/{CANDIDATE}/train/", {"head": "voice", "epochs": "2", field: bad}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert problem in field_error(page, f"id_{field}")
    if field != "head":
        assert f'value="{bad}"' in page
    assert not TrainingRun.objects.exists()


def test_train_service_errors_come_back_on_the_form(builds, admin_user):
    response = logged_in(admin_user).post(
        f"/engines/{CANDIDATE}/train/", {"head": "voice", "new_engine_id": "not an id"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "id_new_engine_id_error" in page
    assert "No training lines" in page.split('class="errorlist nonfield"', 1)[1]
    assert not TrainingRun.objects.exists()


def test_train_hands_the_typed_numbers_to_the_run(reviewed, builds, admin_user, settings):
    settings.TRAINING_BASE_MODEL = "/weights/base"
    response = logged_in(admin_user).post(
        f"/engines/{CANDIDATE}/train/",
        {"head": "classifier", "max_steps": "12", "epochs": "2", "learning_rate": "1e-4", "r": "8"},
    )
    assert response.status_code == 302
    hyper = TrainingRun.objects.get().hyper_parameters
    assert (hyper["max_steps"], hyper["epochs"], hyper["learning_rate"], hyper["r"]) == (
        12,
        2.0,
        0.0001,
        8,
    )
    assert hyper["alpha"] == 32  # left blank: the head's default


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


@pytest.mark.parametrize(
    ("bad", "problem"),
    [("a lot", "Enter a number."), ("-0.1", "greater than or equal to 0"), ("inf", "number")],
)
def test_bad_guards_are_named_next_to_the_margin_and_not_saved(builds, admin_user, bad, problem):
    response = logged_in(admin_user).post(
        f"/engines/{CANDIDATE}/guards/", {"guard_hold_rate": "on", "margin_hold_rate": bad}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert problem in field_error(page, "id_margin_hold_rate")
    assert 'name="guard_hold_rate" id="id_guard_hold_rate" checked' in page
    assert promotion_policy().guards == {"hold_rate": 0.02, "gate_pass_rate": 0.02}


def test_a_ticked_guard_with_no_margin_guards_with_none(builds, admin_user):
    logged_in(admin_user).post(f"/engines/{CANDIDATE}/guards/", {"guard_move_accuracy": "on"})
    assert promotion_policy().guards == {"move_accuracy": 0.0}


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
        response = admin.post(f"/engines/{gpu_build}/concurrency/", {"max_concurrency": bad})
        assert response.status_code == 400
        page = response.content.decode()
        assert field_error(page, "id_max_concurrency") == problem
        assert f'value="{bad}"' in page
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
