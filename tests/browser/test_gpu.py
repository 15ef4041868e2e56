from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from config.celery import app as celery_app
from engines.gpu.lifecycle import lifecycle_tick
from engines.gpu.services import gpu_policy_update
from engines.models.gpu import GpuInstance, GpuOperatorAction
from engines.services import engine_build_register
from prospects.builds.gpu import build_loads
from prospects.demo import demo_load
from prospects.engine_switch import draft_engine_set
from prospects.jobs.services import job_create
from prospects.models import DraftJobItem, Thread
from tests.browser.conftest import log_in, open_from_menu
from tests.support.do_api import FakeDigitalOcean
from tests.support.factories import DO_BUILD, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cloud(settings, gpu_box):
    """A local DigitalOcean API whose droplets come up at once, on the real clock (the live
    server runs in its own thread)."""
    fake = FakeDigitalOcean(boot_seconds=0).start()
    settings.DO_TOKEN = "test-token"
    settings.DO_API_URL = fake.url
    settings.DO_API_CA_BUNDLE = fake.ca_file
    # Jobs go to the broker, which nobody consumes here: the test ticks by hand.
    celery_app.conf.task_always_eager = False
    yield fake
    celery_app.conf.task_always_eager = True
    fake.stop()


def test_admin_watches_a_gpu_come_up_holds_it_warm_and_releases_it(page, screenshot, cloud):
    demo_load(password=PASSWORD, experiment=False)
    admin = User.objects.get(username="admin")
    engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")
    gpu_policy_update(user=admin, hourly_prices={"gpu-h100x1-80gb": 3.39})
    threads = list(Thread.objects.filter(decisions__template_key__gt="").distinct()[:2])
    job_create(user=admin, thread_ids=[thread.id for thread in threads], engine_id=DO_BUILD)
    for _ in range(3):  # provision, droplet active, model server healthy
        lifecycle_tick(loads=build_loads())

    log_in(page, "admin", PASSWORD)
    open_from_menu(page, "GPU")
    row = page.locator("table.gpu-builds tbody tr", has_text=DO_BUILD)
    expect(row.locator(".pill")).to_have_text("ready")
    expect(row).to_contain_text("2 job items")
    expect(page.locator("table.timeline")).to_contain_text("The model server answers")
    screenshot("gpu")

    # A stale or forged choice: the server names it next to the field and keeps the rest.
    row.locator("select[name=minutes]").evaluate("s => { s.options[s.selectedIndex].value = '0'; }")
    row.locator("text=Hold warm…").click()
    lever = page.locator("#gpu-confirm .gpu-lever")
    expect(lever.locator("#id_minutes_error")).to_have_text(
        "Ensure this value is greater than or equal to 1."
    )
    expect(lever.locator("#id_engine_id")).to_have_value(DO_BUILD)
    screenshot("gpu-lever-error")
    lever.locator("#id_minutes").fill("30")
    lever.locator("text=Continue…").click()
    expect(page.locator(".confirm")).to_contain_text("Hold warm?")
    expect(page.locator(".confirm")).to_contain_text("up for 30 minutes")
    screenshot("gpu-confirm")
    page.click(".confirm >> text=Confirm")
    expect(row).to_contain_text("held warm until")

    row.locator("text=Release now…").click()
    expect(page.locator(".confirm")).to_contain_text("Release now?")
    page.click(".confirm >> text=Confirm")
    expect(row.locator(".pill")).to_have_text("releasing")
    lifecycle_tick(loads={})
    assert GpuInstance.objects.get().state == GpuInstance.State.OFF
    assert cloud.droplets == {}

    page.reload()
    expect(page.locator("table.timeline")).to_contain_text("An admin released it")
    expect(row.locator(".pill")).to_have_text("off")
    screenshot("gpu-released")


def test_without_a_price_nothing_is_rented_and_the_page_says_why(page, screenshot, cloud):
    demo_load(password=PASSWORD, experiment=False)
    admin = User.objects.get(username="admin")
    engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")
    gpu_policy_update(user=admin, hourly_prices={})
    threads = list(Thread.objects.filter(decisions__template_key__gt="").distinct()[:2])
    job_create(user=admin, thread_ids=[thread.id for thread in threads], engine_id=DO_BUILD)
    lifecycle_tick(loads=build_loads())
    assert not GpuInstance.objects.exists()

    log_in(page, "admin", PASSWORD)
    open_from_menu(page, "GPU")
    banner = page.locator("#provision-blocked")
    expect(banner).to_contain_text("No hourly price is set for gpu-h100x1-80gb")
    expect(page.locator("table.gpu-builds")).to_contain_text("2 job items")
    screenshot("gpu-no-price")

    # The prices are rows of fields: a size and its price, one more row on demand.
    prices = page.locator("#prices-rows")
    prices.locator("input[name='prices-0-size_slug']").fill("gpu-h100x1-80gb")
    prices.locator("input[name='prices-0-usd_per_hour']").fill("0")
    page.click("text=Add a price")
    expect(prices.locator("tbody tr")).to_have_count(2)
    expect(prices.locator("input[name='prices-0-usd_per_hour']")).to_have_value("0")
    page.click("text=Save policy")
    expect(page.locator("#id_prices-0-usd_per_hour_error")).to_have_text("Must be more than 0.")
    expect(prices.locator(".errorlist")).to_contain_text(
        "Row 1, US dollars an hour: Must be more than 0."
    )
    prices.scroll_into_view_if_needed()
    screenshot("gpu-policy-error")

    prices.locator("input[name='prices-0-usd_per_hour']").fill("3.39")
    page.click("text=Save policy")
    expect(page.locator(".flash.success")).to_contain_text("GPU policy saved.")
    expect(page.locator("#provision-blocked")).to_have_count(0)
    expect(prices.locator("input[name='prices-0-usd_per_hour']")).to_have_value("3.39")
    screenshot("gpu-policy")
    lifecycle_tick(loads=build_loads())
    assert GpuInstance.objects.count() == 1


def test_the_gpu_page_shows_why_a_build_holds_its_grace_and_when_work_is_expected(
    page, screenshot, cloud
):
    demo_load(password=PASSWORD, experiment=False)
    engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")
    admin = User.objects.get(username="admin")
    gpu_policy_update(user=admin, hourly_prices={"gpu-h100x1-80gb": 3.39})
    # A CRM batch of three every half hour for the last eight hours, all drafted.
    thread = Thread.objects.filter(decisions__template_key__gt="").first()
    decision = thread.decisions.first()
    last_slot = timezone.now().replace(minute=0, second=0, microsecond=0)
    DraftJobItem.objects.bulk_create(
        DraftJobItem(
            thread=thread,
            decision=decision,
            engine_id=DO_BUILD,
            status=DraftJobItem.Status.DRAFTED,
            created_at=last_slot - timedelta(minutes=30 * slot, seconds=-job),
        )
        for slot in range(16)
        for job in range(3)
    )

    log_in(page, "admin", PASSWORD)
    open_from_menu(page, "GPU")
    grace = page.locator(f'tr.grace-row[data-engine="{DO_BUILD}"] details.grace')
    expect(grace.locator(".grace-expects")).to_contain_text("Work comes every 30 min")
    expect(grace.locator(".grace-expects")).to_contain_text("next expected between")
    expect(grace.locator("rect.pause.foreseen")).not_to_have_count(0)
    expect(grace.locator("rect.pause.expected")).to_have_count(1)
    screenshot("gpu-grace")


def test_a_preview_on_a_cold_gpu_build_offers_to_start_a_machine(page, screenshot, cloud):
    demo_load(password=PASSWORD, experiment=False)
    engine_build_register(engine_id=DO_BUILD, served_model="fixed", model_path="/mnt/w")
    admin = User.objects.get(username="admin")
    gpu_policy_update(user=admin, hourly_prices={"gpu-h100x1-80gb": 3.39})
    draft_engine_set(engine_id=DO_BUILD, user=admin)

    log_in(page, "admin", PASSWORD)
    open_from_menu(page, "Workflows")
    page.click("#workflow-table >> text=opener-welcome")
    page.click("#version-1 >> text=Preview")
    page.select_option("select[name=thread]", label="anna.k")
    page.click("text=Run preview")
    offer = page.locator("#boot-offer")
    expect(offer).to_contain_text(f"No GPU machine is up for {DO_BUILD}")
    expect(offer).to_contain_text("costs about $1.02")
    screenshot("preview-boot-offer")

    page.click("text=Start a machine and run the chain")
    expect(page.locator("#preview-run")).to_contain_text("or for the machine it runs on to start")
    assert GpuOperatorAction.objects.get().kind == GpuOperatorAction.Kind.HOLD_WARM
    screenshot("preview-boot-waiting")
