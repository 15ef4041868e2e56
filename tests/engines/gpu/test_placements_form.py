"""The placements on the GPU page: rows of size slug and region, saved in the order they
are tried, with errors by the field (unknown region, the same placement twice) and a
refusal of an empty list (issue 34, item 4)."""

import pytest
from django.core.exceptions import ValidationError

from engines.gpu.services import gpu_policy_update
from engines.models.gpu import GpuPolicySettings
from tests.prospects.builds.test_gpu_policy_form import KNOBS, rows
from tests.support.html import field_error
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db

H100, L40S = "gpu-h100x1-80gb", "gpu-l40sx1-48gb"


def placement(size: str, region: str, **more) -> dict:
    return {"size_slug": size, "region": region, **more}


def post(client, *placements, stored: int = 1):
    """The form as the page posts it; ``stored`` rows were drawn from the stored placements
    (a new install has one: DO_GPU_SIZE in DO_REGION)."""
    data = {**KNOBS, **rows("prices"), **rows("rules")}
    return client.post("/gpu/", {**data, **rows("placements", *placements, initial=stored)})


def test_placements_are_saved_in_the_order_they_are_tried(db, admin_user):
    response = post(
        logged_in(admin_user),
        placement(H100, "nyc2"),
        placement(H100, "tor1"),
        placement(L40S, "nyc2"),
    )

    assert response.status_code == 302
    assert GpuPolicySettings.objects.get().placements == [
        {"size_slug": H100, "region": "nyc2"},
        {"size_slug": H100, "region": "tor1"},
        {"size_slug": L40S, "region": "nyc2"},
    ]


def test_the_page_shows_the_stored_placements_as_rows(db, admin_user):
    gpu_policy_update(user=admin_user, placements=[{"size_slug": L40S, "region": "tor1"}])

    page = logged_in(admin_user).get("/gpu/").content.decode()

    assert f'name="placements-0-size_slug" value="{L40S}"' in page
    assert '<option value="tor1" selected>tor1</option>' in page


def test_an_unknown_region_is_named_by_its_field(db, admin_user):
    refused = post(logged_in(admin_user), placement(H100, "nyc9"))

    assert refused.status_code == 400
    page = refused.content.decode()
    assert field_error(page, "id_placements-0-region") == "nyc9 is not a DigitalOcean region."
    assert "Row 1, Region: nyc9 is not a DigitalOcean region." in page


def test_the_same_placement_twice_is_named_on_the_second_row(db, admin_user):
    refused = post(logged_in(admin_user), placement(H100, "nyc2"), placement(H100, "nyc2"))

    assert refused.status_code == 400
    assert field_error(refused.content.decode(), "id_placements-1-region") == (
        "Row 1 has this size and region already."
    )


def test_removing_every_placement_is_refused_and_the_stored_ones_kept(db, admin_user):
    gpu_policy_update(user=admin_user, placements=[{"size_slug": H100, "region": "nyc2"}])

    refused = post(logged_in(admin_user), placement(H100, "nyc2", DELETE="on"))

    assert refused.status_code == 400
    assert "List at least one placement" in refused.content.decode()
    assert GpuPolicySettings.objects.get().placements == [{"size_slug": H100, "region": "nyc2"}]


def test_the_service_refuses_what_the_page_refuses(db, admin_user):
    for placements in ([], [{"size_slug": H100, "region": "nyc9"}], [{"size_slug": H100}]):
        with pytest.raises(ValidationError):
            gpu_policy_update(user=admin_user, placements=placements)
