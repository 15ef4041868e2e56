"""How sure the classifier must be: the uncertain-move threshold, set by an admin on the
Settings page or over the API, kept in the settings' history, refused with the field named
when it is not a number from 0 to 1."""

import pytest
from django.core.exceptions import ValidationError

from prospects.engine_switch import uncertain_move_threshold_set
from prospects.models import PipelineSettings
from prospects.selectors import pipeline_settings
from tests.support.html import field_error
from tests.support.panel import csrf_post, logged_in

pytestmark = pytest.mark.django_db


def test_an_admin_sets_it_and_history_keeps_who(admin_user):
    uncertain_move_threshold_set(threshold=0.6, user=admin_user)
    latest = PipelineSettings.history.first()
    assert (latest.uncertain_move_threshold, latest.history_user) == (0.6, admin_user)
    assert pipeline_settings().uncertain_move_threshold == 0.6


@pytest.mark.parametrize(
    ("value", "problem"), [(1.5, "From 0 (never hold) to 1"), (-0.1, "From 0"), ("0.5", "A number")]
)
def test_anything_but_a_number_from_0_to_1_is_refused(admin_user, value, problem):
    with pytest.raises(ValidationError) as refused:
        uncertain_move_threshold_set(threshold=value, user=admin_user)
    assert problem in refused.value.message_dict["uncertain_move_threshold"][0]
    assert pipeline_settings().uncertain_move_threshold == 0


def test_the_api_reads_it_for_anyone_and_an_admin_sets_it(api_for, admin_user, coworker):
    url = "/api/settings/uncertain-move-threshold/"
    assert api_for(coworker).get(url).json() == {"uncertain_move_threshold": 0.0}
    admin = api_for(admin_user)
    for bad in ("0.7", True, 2, None):
        refused = admin.put(url, {"uncertain_move_threshold": bad}, format="json")
        assert refused.status_code == 400, bad
        assert "uncertain_move_threshold" in refused.json()
    ok = admin.put(url, {"uncertain_move_threshold": 0.7}, format="json")
    assert ok.json() == {"uncertain_move_threshold": 0.7}
    assert api_for(coworker).put(url, {"uncertain_move_threshold": 0.1}).status_code == 403


def test_the_settings_page_sets_it_and_shows_its_history(admin_user, coworker):
    assert "Only an admin can change the threshold." in (
        logged_in(coworker).get("/settings/").content.decode()
    )
    client = logged_in(admin_user)
    refused = csrf_post(client, "/settings/uncertain_move_hx/", {"uncertain_move_threshold": "2"})
    assert refused.status_code == 400
    assert "less than or equal to 1" in field_error(
        refused.content.decode(), "id_uncertain_move_threshold"
    )
    saved = csrf_post(client, "/settings/uncertain_move_hx/", {"uncertain_move_threshold": "0.65"})
    assert saved.headers["HX-Refresh"] == "true"
    assert pipeline_settings().uncertain_move_threshold == 0.65
    page = client.get("/settings/").content.decode()
    assert '<code class="current-threshold">0.65</code>' in page
    assert "<td>0.65</td>" in page
