"""The forms of the build page, the settings switches and the GPU levers: typed numbers
with bounds, choices from what exists, and every error next to its field."""

import pytest
from django.core.exceptions import ValidationError

from core.forms import add_service_error
from engines.forms import BuildConcurrencyForm
from engines.models.gpu import GpuOperatorAction
from engines.services import MAX_HOLD_MINUTES, engine_build_register
from prospects.builds.forms import (
    EngineSwitchForm,
    GpuActionForm,
    PromotionGuardsForm,
    TrainForm,
)
from prospects.selectors import pipeline_settings
from tests.support.factories import DO_BUILD, GEMMA
from tests.support.html import field_error
from tests.support.panel import HTMX, logged_in

pytestmark = pytest.mark.django_db


def test_train_form_hands_on_only_the_numbers_set_typed():
    form = TrainForm({"head": "voice", "max_steps": "-1", "learning_rate": "2e-5", "r": ""})
    assert form.is_valid(), form.errors
    assert form.hyper_parameters() == {"max_steps": -1, "learning_rate": 2e-5}
    assert isinstance(form.hyper_parameters()["max_steps"], int)


def test_train_form_puts_the_services_hyper_parameter_errors_on_their_fields():
    form = TrainForm({"head": "voice"})
    assert form.is_valid()
    add_service_error(
        form,
        ValidationError(
            {
                "hyper_parameters.epochs": ["At least 0.01."],
                "base_model": ["Name the base weights' folder."],
            }
        ),
    )
    assert form.errors["epochs"] == ["At least 0.01."]
    assert form.non_field_errors() == ["Name the base weights' folder."]


def test_guards_form_takes_the_ticked_metrics_and_maps_the_services_errors():
    form = PromotionGuardsForm(
        {"guard_hold_rate": "on", "margin_hold_rate": "0.1", "margin_move_accuracy": "0.3"}
    )
    assert form.is_valid(), form.errors
    assert form.guards() == {"hold_rate": 0.1}
    add_service_error(form, ValidationError({"hold_rate": ["The margin is a number."]}))
    assert form.errors["margin_hold_rate"] == ["The margin is a number."]


def test_guards_form_starts_from_the_policy():
    form = PromotionGuardsForm.from_guards({"hold_rate": 0.05})
    assert form["guard_hold_rate"].value() is True
    assert form["margin_hold_rate"].value() == 0.05
    assert form["guard_gate_pass_rate"].value() is False


def test_switch_form_offers_only_its_choices_under_its_own_name():
    form = EngineSwitchForm({"draft_engine": "nope"}, field="draft_engine", choices=["template"])
    assert not form.is_valid()
    assert "Select a valid choice" in form.errors["draft_engine"][0]
    form = EngineSwitchForm(
        {"draft_engine": "template"}, field="draft_engine", choices=["template"]
    )
    assert form.is_valid()
    add_service_error(form, ValidationError({"draft_engine": "Not now."}))
    assert form.errors["draft_engine"] == ["Not now."]


def test_gpu_form_needs_minutes_for_a_hold_only(do_build):
    assert GpuActionForm({"engine_id": DO_BUILD, "action": "release"}).is_valid()
    hold = GpuActionForm({"engine_id": DO_BUILD, "action": "hold"})
    assert not hold.is_valid()
    assert hold.errors["minutes"] == ["Say how many minutes to hold it warm."]
    bad = GpuActionForm({"engine_id": DO_BUILD, "action": "hold", "minutes": "abc"})
    assert not bad.is_valid()
    assert bad.errors["minutes"] == ["Enter a whole number."]


def test_gpu_form_offers_only_do_gpu_builds(do_build, gemma_build):
    choices = [value for value, _ in GpuActionForm().fields["engine_id"].choices]
    assert choices == [DO_BUILD]


@pytest.mark.parametrize(
    ("payload", "field", "problem"),
    [
        ({"action": "hold", "minutes": "0"}, "minutes", "greater than or equal to 1"),
        (
            {"action": "hold", "minutes": str(MAX_HOLD_MINUTES + 1)},
            "minutes",
            f"less than or equal to {MAX_HOLD_MINUTES}",
        ),
        ({"action": "hold", "minutes": "ten"}, "minutes", "Enter a whole number."),
        ({"action": "hold"}, "minutes", "Say how many minutes"),
        ({"action": "nap", "minutes": "10"}, "action", "Select a valid choice"),
        (
            {"action": "hold", "minutes": "10", "engine_id": GEMMA},
            "engine_id",
            "Select a valid choice",
        ),
    ],
)
@pytest.mark.parametrize("confirm", [{}, {"confirm": "yes"}])
def test_a_bad_gpu_lever_is_named_next_to_its_field_and_nothing_happens(
    do_build, gemma_build, admin_user, payload, field, problem, confirm
):
    response = logged_in(admin_user).post(
        "/gpu/action_hx/", {"engine_id": DO_BUILD, **payload, **confirm}, **HTMX
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert problem in field_error(page, f"id_{field}")
    assert "Continue…" in page
    assert not GpuOperatorAction.objects.exists()


def test_a_hold_is_confirmed_with_its_minutes_then_written(do_build, admin_user):
    client = logged_in(admin_user)
    payload = {"engine_id": DO_BUILD, "action": "hold", "minutes": "45"}
    asked = client.post("/gpu/action_hx/", payload, **HTMX)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "up for 45 minutes" in page
    assert '<input type="hidden" name="minutes" value="45">' in page
    assert not GpuOperatorAction.objects.exists()
    done = client.post("/gpu/action_hx/", {**payload, "confirm": "yes"}, **HTMX)
    assert done.headers["HX-Refresh"] == "true"
    action = GpuOperatorAction.objects.get()
    assert (action.engine_id, action.kind) == (DO_BUILD, GpuOperatorAction.Kind.HOLD_WARM)


def test_an_invalid_policy_comes_back_with_400_and_errors_by_the_fields(db, admin_user):
    response = logged_in(admin_user).post("/gpu/", {"max_instances": "-1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "greater than or equal to 0" in field_error(page, "id_max_instances")
    assert field_error(page, "id_daily_budget_usd") == "This field is required."


def test_a_switch_to_an_unknown_engine_is_named_next_to_the_select(gemma_build, admin_user):
    client = logged_in(admin_user)
    for confirm in ({}, {"confirm": "yes"}):
        response = client.post(
            "/settings/engine_hx/", {"draft_engine": "endpoint-nope_1", **confirm}, **HTMX
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "Select a valid choice" in field_error(page, "id_draft_engine")
        assert page.lstrip().startswith('<section class="card" id="engine-form">')
    assert pipeline_settings().draft_engine == "template"


def test_the_settings_page_shows_each_switch_with_the_current_engine_selected(
    gemma_build, admin_user
):
    engine_build_register(engine_id="endpoint-gemma3-270m_2026-11-24.1")
    page = logged_in(admin_user).get("/settings/").content.decode()
    assert '<select name="draft_engine" id="id_draft_engine">' in page
    assert '<option value="template" selected>template</option>' in page
    assert '<option value="rules" selected>rules</option>' in page


def test_a_model_form_takes_the_services_errors_by_the_same_names(gemma_build):
    form = BuildConcurrencyForm({"max_concurrency": "4"}, instance=gemma_build)
    assert form.is_valid()
    add_service_error(
        form,
        ValidationError({"max_concurrency": ["Too many."], "engine_id": ["Not registered."]}),
    )
    assert form.errors["max_concurrency"] == ["Too many."]
    assert form.non_field_errors() == ["Not registered."]
