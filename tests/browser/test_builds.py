import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from bench.fixed_latency_server import FixedLatencyServer
from engines.breaker import breakers_forget
from engines.evaluation import evaluation_create, evaluation_execute
from engines.registry import clients_close
from engines.services import engine_build_register
from engines.training import adapter_name, training_run_create, training_run_execute
from prospects.demo import demo_load
from prospects.selectors import pipeline_settings
from prospects.services import draft_engine_set
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD
from tests.support.tiny_lm import SAMPLE_LINES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHAMPION = "endpoint-tiny_1"
CANDIDATE = "endpoint-tiny_2"
CASES = [
    {"messages": [{"role": "user", "content": f"Free on day {n}?"}], "final_text": "Yes!"}
    for n in range(4)
]


@pytest.fixture
def fixed_server():
    # The candidate's adapter answers with a price, which the validation gate holds.
    server = FixedLatencyServer(0.0, answers={"voice-2": "It is $200 a night."}).start()
    breakers_forget()
    clients_close()
    yield server
    clients_close()
    server.stop()


def test_an_admin_compares_two_builds_and_promotes_through_the_gate(
    page, screenshot, fixed_server, tiny_base, settings, tmp_path
):
    settings.TRAINING_OUTPUT_DIR = str(tmp_path)
    demo_load(password=PASSWORD, experiment=False)
    admin = User.objects.get(username="admin")
    engine_build_register(
        engine_id=CHAMPION,
        endpoint_url=fixed_server.url,
        served_model="tiny",
        model_path=str(tiny_base),
    )
    draft_engine_set(engine_id=CHAMPION, user=admin)
    run = training_run_create(
        lines=SAMPLE_LINES,
        parent_engine_id=CHAMPION,
        source_engine_ids=[CHAMPION],
        new_engine_id=CANDIDATE,
        hyper_parameters={"max_steps": 4, "batch_size": 4, "max_length": 64},
    )
    run = training_run_execute(run.id)
    assert run.status == "succeeded", run.status_detail
    assert adapter_name(run) == "voice-2"
    for engine_id in (CHAMPION, CANDIDATE):
        evaluation = evaluation_create(engine_id=engine_id, head="voice", cases=CASES)
        assert evaluation_execute(evaluation.id).status == "succeeded"

    log_in(page, "admin", PASSWORD)
    page.goto(f"/engines/{CANDIDATE}/")
    expect(page.locator("h1")).to_contain_text(CANDIDATE)
    expect(page.locator("#build-tuning")).to_contain_text(f"from {CHAMPION}")
    expect(page.locator("#build-tuning")).to_contain_text("--lora-modules voice-2=")
    table = page.locator("table.compare").first
    expect(table.locator("thead")).to_contain_text(CHAMPION)
    expect(table.locator("tr", has_text="hold rate")).to_contain_text("1.00")
    expect(page.locator("ul.gate2")).to_contain_text("hold rate: 1.000 against the champion")
    expect(page.locator("button:has-text('Promote to champion')")).to_be_disabled()
    screenshot("build-compare")

    page.uncheck("input[name=guard_hold_rate]")
    page.uncheck("input[name=guard_gate_pass_rate]")
    page.check("input[name=guard_edit_distance_mean]")
    page.fill("input[name=margin_edit_distance_mean]", "1")
    page.click("button:has-text('Save guards')")
    expect(page.locator("#messages")).to_contain_text("Promotion guards saved")
    expect(page.locator("#build-tuning")).to_contain_text("it may replace the champion")
    page.click("button:has-text('Promote to champion')")
    expect(page.locator("#messages")).to_contain_text(f"{CANDIDATE} is now the draft engine")
    assert pipeline_settings().draft_engine == CANDIDATE
    screenshot("build-promoted")
