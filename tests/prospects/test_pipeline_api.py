"""``GET/PUT /api/settings/pipeline/``: the service's rules, field errors, admin only."""

import pytest

from prospects.models import PipelineSettings
from prospects.selectors import pipeline_settings

pytestmark = pytest.mark.django_db

URL = "/api/settings/pipeline/"


def test_an_admin_reads_the_settings(admin_user, api_for):
    response = api_for(admin_user).get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "default_mode": "review",
        "auto_send_keys": [],
        "without_workflow": "hold",
        "engine_wait_fallback": "hold",
        "escalation_engine": "",
        "uncertain_move_threshold": 0.0,
        "daily_send_cap": None,
    }


def test_a_put_changes_what_it_names_and_keeps_who_and_why(admin_user, api_for):
    response = api_for(admin_user).put(
        URL,
        {"auto_send_keys": ["opener.welcome"], "daily_send_cap": 200, "reason": "Launch."},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["auto_send_keys"], body["daily_send_cap"], body["default_mode"]) == (
        ["opener.welcome"],
        200,
        "review",
    )
    assert body["changed"][0] == "1 template key will send without review: Opener: welcome."
    record = PipelineSettings.history.latest()
    assert (record.history_user, record.history_change_reason) == (admin_user, "Launch.")


def test_null_lifts_the_cap(admin_user, api_for):
    api = api_for(admin_user)
    api.put(URL, {"daily_send_cap": 5, "reason": "Cap."}, format="json")
    response = api.put(URL, {"daily_send_cap": None, "reason": "Uncap."}, format="json")
    assert response.json()["daily_send_cap"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"daily_send_cap": 0, "reason": "r"}, "daily_send_cap"),
        ({"daily_send_cap": "5", "reason": "r"}, "daily_send_cap"),
        ({"uncertain_move_threshold": 2, "reason": "r"}, "uncertain_move_threshold"),
        ({"auto_send_keys": ["nope.nothing"], "reason": "r"}, "auto_send_keys"),
        ({"default_mode": "always", "reason": "r"}, "default_mode"),
        ({"engine_wait_fallback": "wait", "reason": "r"}, "engine_wait_fallback"),
        ({"daily_send_cap": 5}, "reason"),
        ({"daily_send_cap": 5, "reason": "   "}, "reason"),
    ],
)
def test_a_refused_value_is_a_400_on_its_field(admin_user, api_for, data, field):
    response = api_for(admin_user).put(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert pipeline_settings().daily_send_cap is None


@pytest.mark.parametrize("role", ["coworker", "operator", "client_account"])
def test_only_an_admin_reads_or_changes_it(request, api_for, role):
    api = api_for(request.getfixturevalue(role))
    assert api.get(URL).status_code == 403
    assert api.put(URL, {"daily_send_cap": 1, "reason": "r"}, format="json").status_code == 403
