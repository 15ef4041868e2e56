"""The GPU policy on the GPU page: its numbers, and its hourly prices and billing rules as
rows of fields (size slug, price; size slug, rule, minimum seconds) with rows added and
removed, errors naming the row and the field; stored as the same JSON objects (issue 36,
item 9)."""

import pytest
from django.core.exceptions import ValidationError

from engines.gpu.lifecycle import policy_settings
from engines.gpu.services import gpu_policy_update
from engines.models.gpu import GpuPolicySettings
from tests.support.html import field_error
from tests.support.panel import logged_in

pytestmark = pytest.mark.django_db

H100 = "gpu-h100x1-80gb"
L40 = "gpu-l40sx1-48gb"

# The policy's numbers at their defaults, as the page posts them.
KNOBS = {
    "idle_grace_seconds": "",
    "deep_backlog_items": 50,
    "max_instances": 1,
    "boot_timeout_seconds": 900,
    "max_lifetime_seconds": 43200,
    "daily_budget_usd": "100.00",
    "drain_items_per_second": 0.5,
}


def rows(prefix: str, *filled: dict, initial: int = 0) -> dict:
    """A formset's rows as the page posts them."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(filled)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for number, row in enumerate(filled):
        data |= {f"{prefix}-{number}-{name}": value for name, value in row.items()}
    return data


def price(slug: str, usd: str, **more) -> dict:
    return {"size_slug": slug, "usd_per_hour": usd, **more}


def rule(slug: str, name: str, minimum: str = "", **more) -> dict:
    return {"size_slug": slug, "rule": name, "minimum_seconds": minimum, **more}


def post(client, *, prices=(), rules=(), stored_prices=0, **more):
    """The policy form as posted; ``stored_prices`` rows were drawn from the stored policy."""
    prices = rows("prices", *prices, initial=stored_prices)
    return client.post("/gpu/", {**KNOBS, **prices, **rows("rules", *rules), **more})


def test_prices_and_rules_are_saved_as_the_same_json_objects_and_kept_in_history(db, admin_user):
    response = post(
        logged_in(admin_user),
        prices=[price(H100, "3.39"), price(L40, "1.57")],
        rules=[rule(H100, "per_started_hour"), rule(L40, "per_second", "60")],
        max_instances=2,
    )

    assert response.status_code == 302
    row = GpuPolicySettings.objects.get()
    assert row.hourly_prices == {H100: 3.39, L40: 1.57}
    assert row.billing_rules == {
        H100: {"rule": "per_started_hour"},
        L40: {"rule": "per_second", "minimum_seconds": 60},
    }
    assert row.max_instances == 2
    assert row.history.first().history_user == admin_user


def test_the_page_shows_the_stored_prices_and_rules_as_rows_and_the_rules_in_words(db, admin_user):
    gpu_policy_update(
        user=admin_user,
        hourly_prices={H100: 3.39},
        billing_rules={H100: {"rule": "per_started_hour"}},
    )

    page = logged_in(admin_user).get("/gpu/").content.decode()

    assert f'name="prices-0-size_slug" value="{H100}"' in page
    assert 'name="prices-0-usd_per_hour" value="3.39"' in page
    assert '<option value="per_started_hour" selected>Per started hour</option>' in page
    assert 'aria-label="US dollars an hour, row 1"' in page
    assert "<strong>per started hour</strong>" in page
    assert "per_started_hour</" not in page  # the history says it in words too
    assert "hourly_prices" not in page


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("3,39", "Enter a number of US dollars, written with a dot: 3.39."),
        ("NaN", "Enter a number of US dollars, written with a dot: 3.39."),
        ("Infinity", "Enter a number of US dollars, written with a dot: 3.39."),
        ("0", "Must be more than 0."),
        ("", "This field is required."),
    ],
)
def test_a_price_that_is_not_a_finite_positive_number_is_named_by_its_row_and_field(
    db, admin_user, typed, problem
):
    refused = post(logged_in(admin_user), prices=[price(H100, "3.39"), price(L40, typed)])

    assert refused.status_code == 400
    page = refused.content.decode()
    assert field_error(page, "id_prices-1-usd_per_hour") == problem
    assert f"Row 2, US dollars an hour: {problem}" in page
    assert GpuPolicySettings.objects.get().hourly_prices != {H100: 3.39}


def test_the_service_still_refuses_a_price_that_is_not_finite(db, admin_user):
    with pytest.raises(ValidationError):
        gpu_policy_update(user=admin_user, hourly_prices={H100: float("nan")})


def test_a_size_priced_twice_is_named_on_the_second_row(db, admin_user):
    refused = post(logged_in(admin_user), prices=[price(H100, "3.39"), price(H100, "2.99")])

    assert refused.status_code == 400
    assert field_error(refused.content.decode(), "id_prices-1-size_slug") == (
        "Row 1 has this size already."
    )


def test_a_size_slug_with_spaces_is_refused_by_its_field(db, admin_user):
    refused = post(logged_in(admin_user), prices=[price("gpu h100", "3.39")])

    assert refused.status_code == 400
    assert "Row 1, Size slug:" in refused.content.decode()


@pytest.mark.parametrize(
    ("bad", "field", "problem"),
    [
        (rule(H100, "per_minute"), "rule", "Select a valid choice."),
        (rule(H100, "per_second"), "minimum_seconds", "Say how many seconds are billed"),
        (rule(H100, "per_second", "-5"), "minimum_seconds", "greater than or equal to 0"),
    ],
)
def test_a_bad_billing_rule_is_named_by_its_field(db, admin_user, bad, field, problem):
    refused = post(logged_in(admin_user), prices=[price(H100, "3.39")], rules=[bad])

    assert refused.status_code == 400
    assert problem in field_error(refused.content.decode(), f"id_rules-0-{field}")
    assert GpuPolicySettings.objects.get().billing_rules == {}


def test_a_row_ticked_remove_is_left_out_and_a_blank_new_row_is_ignored(db, admin_user):
    gpu_policy_update(user=admin_user, hourly_prices={H100: 3.39, L40: 1.57})

    saved = post(
        logged_in(admin_user),
        prices=[price(H100, "3.39"), price(L40, "1.57", DELETE="on"), price("", "")],
        stored_prices=2,
    )

    assert saved.status_code == 302
    assert GpuPolicySettings.objects.get().hourly_prices == {H100: 3.39}


def test_add_a_row_draws_one_more_and_saves_nothing(db, admin_user):
    policy_settings()
    before = GpuPolicySettings.objects.get().hourly_prices

    response = post(logged_in(admin_user), prices=[price(H100, "9.99")], add_row="prices")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="prices-TOTAL_FORMS" value="2"' in page
    assert 'name="prices-1-size_slug"' in page
    assert 'name="prices-0-usd_per_hour" value="9.99"' in page
    assert GpuPolicySettings.objects.get().hourly_prices == before


def test_the_numbers_keep_their_field_errors(db, admin_user):
    refused = logged_in(admin_user).post("/gpu/", {"max_instances": "-1"})

    assert refused.status_code == 400
    page = refused.content.decode()
    assert "greater than or equal to 0" in field_error(page, "id_max_instances")
    assert field_error(page, "id_daily_budget_usd") == "This field is required."
