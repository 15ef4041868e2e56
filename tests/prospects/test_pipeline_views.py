"""The Pipeline page: admin only, a confirmation that says what changes, field errors
next to their fields, and the history."""

import pytest

from prospects.models import PipelineSettings
from prospects.selectors import pipeline_settings
from prospects.vocabulary import raw_codes
from tests.support.panel import csrf_post, logged_in

pytestmark = pytest.mark.django_db

FORM = {
    "default_mode": "review",
    "auto_send_keys": ["opener.welcome", "opener.followup", "pursue.next_step"],
    "without_workflow": "hold",
    "engine_wait_fallback": "hold",
    "uncertain_move_threshold": "0",
    "daily_send_cap": "200",
    "reason": "Launch week.",
}


def test_saving_asks_first_and_says_what_changes(admin_user):
    client = logged_in(admin_user, csrf_checks=True)

    asked = csrf_post(client, "/pipeline/", FORM)
    page = asked.content.decode()

    assert asked.status_code == 200
    assert "3 template keys will send without review: Opener: followup" in page
    assert "At most 200 replies a day (UTC) will be sent without a person" in page
    assert not raw_codes(page.split("<form")[0])
    assert pipeline_settings().daily_send_cap is None

    saved = csrf_post(client, "/pipeline/", {**FORM, "confirm": "yes"})

    assert saved.status_code == 302
    row = pipeline_settings()
    assert (row.daily_send_cap, row.auto_send_keys) == (
        200,
        ["opener.followup", "opener.welcome", "pursue.next_step"],
    )
    record = PipelineSettings.history.latest()
    assert (record.history_user, record.history_change_reason) == (admin_user, "Launch week.")


def test_the_history_shows_who_what_and_why(admin_user):
    client = logged_in(admin_user)
    client.post("/pipeline/", {**FORM, "confirm": "yes"})

    page = client.get("/pipeline/").content.decode()

    assert "Launch week." in page
    assert "ada" in page
    assert "3 template keys will send without review" in page
    assert not raw_codes(page.split('class="pipeline-history"')[1])


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("daily_send_cap", "0", "From 1 to 1,000,000 replies a day, or empty: no cap."),
        ("uncertain_move_threshold", "1.5", "From 0 (never hold) to 1"),
        ("reason", "", "This field is required."),
    ],
)
def test_a_refused_value_shows_its_error_next_to_its_field(admin_user, field, value, error):
    response = logged_in(admin_user).post("/pipeline/", {**FORM, field: value, "confirm": "yes"})

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert error in page
    assert pipeline_settings().daily_send_cap is None


def test_an_unknown_template_key_is_refused(admin_user):
    response = logged_in(admin_user).post("/pipeline/", {**FORM, "auto_send_keys": ["x.y"]})
    assert response.status_code == 400
    assert 'id="id_auto_send_keys_error"' in response.content.decode()


def test_nothing_changed_is_said(admin_user):
    same = {**FORM, "auto_send_keys": [], "daily_send_cap": ""}
    response = logged_in(admin_user).post("/pipeline/", same)
    assert response.status_code == 400
    assert "Nothing changes" in response.content.decode()


@pytest.mark.parametrize("role", ["coworker", "operator"])
def test_only_an_admin_opens_or_saves_it(request, role):
    client = logged_in(request.getfixturevalue(role))
    assert client.get("/pipeline/").status_code == 403
    assert client.post("/pipeline/", {**FORM, "confirm": "yes"}).status_code == 403
    assert pipeline_settings().daily_send_cap is None
