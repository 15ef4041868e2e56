"""The GPU page and /api/gpu/: wiring, permissions and field errors."""

import pytest
from django.test import Client

from engines.gpu.lifecycle import hourly_price, lifecycle_tick, policy_settings
from engines.gpu.services import gpu_hold_warm
from engines.models.gpu import GpuInstance, GpuOperatorAction, GpuPolicySettings
from prospects.builds.gpu import build_loads
from tests.support.factories import DO_BUILD, PASSWORD


@pytest.fixture
def booted(do_build, fake_do, clock, admin_user):
    """A do-gpu build held warm by an admin: one instance provisioning."""
    gpu_hold_warm(engine_id=DO_BUILD, minutes=30, user=admin_user)
    lifecycle_tick(loads=build_loads())
    return GpuInstance.objects.get()


def logged_in(user) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.login(username=user.username, password=PASSWORD)
    return client


def test_api_reports_state_spend_and_timeline_per_build(booted, api_for, coworker):
    response = api_for(coworker).get("/api/gpu/")

    assert response.status_code == 200
    [build] = response.json()["builds"]
    assert build["engine_id"] == DO_BUILD
    assert build["state"] == "provisioning"
    assert build["instances"][0]["droplet_id"] == booted.droplet_id
    assert response.json()["timeline"][0]["to_state"] == "provisioning"
    assert response.json()["provider_configured"] is True


def test_only_an_admin_may_hold_or_release(do_build, api_for, operator, admin_user):
    denied = api_for(operator).post("/api/gpu/hold/", {"engine_id": DO_BUILD, "minutes": 10})
    held = api_for(admin_user).post("/api/gpu/hold/", {"engine_id": DO_BUILD, "minutes": 10})

    assert denied.status_code == 403
    assert held.status_code == 200
    assert GpuOperatorAction.objects.get().by == admin_user


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"engine_id": DO_BUILD, "minutes": 0}, "minutes"),
        ({"engine_id": DO_BUILD, "minutes": 99_999}, "minutes"),
        ({"engine_id": "template", "minutes": 10}, "engine_id"),
        ({"engine_id": "not an id", "minutes": 10}, "engine_id"),
        ({"minutes": 10}, "engine_id"),
    ],
)
def test_bad_hold_requests_get_field_errors(db, api_for, admin_user, payload, field):
    response = api_for(admin_user).post("/api/gpu/hold/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_release_marks_the_instance_and_the_next_tick_destroys_it(
    booted, api_for, admin_user, fake_do
):
    response = api_for(admin_user).post("/api/gpu/release/", {"engine_id": DO_BUILD})

    assert response.json()["released"] == 1
    lifecycle_tick(loads={})
    assert GpuInstance.objects.get().state == GpuInstance.State.OFF
    assert fake_do.droplets == {}


def test_the_page_shows_each_build_and_the_admin_levers(booted, admin_user, coworker):
    admin_page = logged_in(admin_user).get("/gpu/")
    coworker_page = logged_in(coworker).get("/gpu/")

    assert DO_BUILD in admin_page.content.decode()
    assert "Release now" in admin_page.content.decode()
    assert DO_BUILD in coworker_page.content.decode()
    assert "Release now" not in coworker_page.content.decode()


def test_an_action_asks_for_confirmation_first(booted, admin_user):
    client = logged_in(admin_user)
    payload = {"engine_id": DO_BUILD, "action": "release"}

    asked = client.post("/gpu/action_hx/", payload, HTTP_HX_REQUEST="true")
    assert "Release now?" in asked.content.decode()
    assert GpuInstance.objects.get().state == GpuInstance.State.PROVISIONING

    done = client.post("/gpu/action_hx/", {**payload, "confirm": "yes"}, HTTP_HX_REQUEST="true")
    assert done.headers["HX-Refresh"] == "true"
    assert GpuInstance.objects.get().state == GpuInstance.State.RELEASING


def test_a_coworker_cannot_use_the_levers(booted, coworker):
    response = logged_in(coworker).post(
        "/gpu/action_hx/", {"engine_id": DO_BUILD, "action": "release", "confirm": "yes"}
    )
    assert response.status_code == 403


def test_a_bad_price_stored_before_validation_still_opens_the_pages_and_provisions_nothing(
    db, admin_user, api_for
):
    policy_settings()
    GpuPolicySettings.objects.update(hourly_prices={"gpu-h100x1-80gb": "3,39"})

    page = logged_in(admin_user).get("/gpu/")
    api = api_for(admin_user).get("/api/gpu/")

    assert (page.status_code, api.status_code) == (200, 200)
    assert hourly_price(GpuPolicySettings.objects.get()) == 0.0
