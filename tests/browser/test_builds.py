import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from bench.fixed_latency_server import FixedLatencyServer
from engines.breaker import breakers_forget
from engines.models import AdapterHead, EngineBuild
from engines.registry import clients_close
from engines.services import engine_build_register
from engines.training.evaluation import evaluation_create, evaluation_execute
from engines.training.runs import adapter_name, training_run_create, training_run_execute
from prospects.demo import demo_load
from prospects.engine_switch import draft_engine_set
from prospects.selectors import pipeline_settings
from tests.browser.conftest import log_in
from tests.support.factories import PASSWORD
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

    page.fill("#id_learning_rate", "0")
    page.click("button:has-text('Start training')")
    expect(page.locator("#id_learning_rate_error")).to_contain_text(
        "Ensure this value is greater than or equal to 1e-07."
    )
    expect(page.locator("#id_learning_rate")).to_have_value("0")
    screenshot("build-train-error")

    page.fill("input[name=margin_hold_rate]", "-1")
    page.click("button:has-text('Save guards')")
    expect(page.locator("#id_margin_hold_rate_error")).to_contain_text(
        "Ensure this value is greater than or equal to 0."
    )
    expect(page.locator("#messages")).not_to_contain_text("Promotion guards saved")
    page.locator("#id_margin_hold_rate").scroll_into_view_if_needed()
    screenshot("build-guards-error")

    page.fill("input[name=margin_hold_rate]", "0.02")
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
    # The champion now: its scores stand beside the parent it was trained from.
    expect(page.locator("#build-tuning")).to_contain_text("Evaluations beside the parent")
    expect(page.locator("table.compare").first.locator("thead")).to_contain_text(
        f"parent {CHAMPION}"
    )
    screenshot("build-promoted")


def test_an_admin_sets_a_builds_max_concurrency_and_sees_its_history(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    gpu_build = "do-gpu-mistral-nemo-12b-uncensored_2026-06-29.1"
    log_in(page, "admin", PASSWORD)
    page.goto(f"/engines/{gpu_build}/")
    serving = page.locator("section.serving")
    expect(serving).to_contain_text("at most 64 model calls")
    expect(serving).to_contain_text("(the default for its kind)")
    expect(serving.locator("tbody tr")).to_have_count(1)  # registered by the demo
    expect(serving.locator("tbody tr").first).to_contain_text("systemdefault")
    screenshot("build-serving-default")

    page.fill("#id_max_concurrency", "0")
    serving.locator("button:has-text('Save')").click()
    expect(serving.locator("#id_max_concurrency_error")).to_have_text(
        "Ensure this value is greater than or equal to 1."
    )
    expect(page.locator("#id_max_concurrency")).to_have_value("0")
    expect(serving).to_contain_text("at most 64 model calls")
    screenshot("build-serving-error")

    page.fill("#id_max_concurrency", "96")
    serving.locator("button:has-text('Save')").click()
    expect(page.locator("#messages")).to_contain_text("Max concurrency saved")
    expect(serving).to_contain_text("at most 96 model calls")
    expect(serving.locator("tbody tr")).to_have_count(2)
    expect(serving.locator("tbody tr").first).to_contain_text("admin96")
    screenshot("build-serving")

    llama = page.context.new_page()
    llama.goto(f"{page.url.split('/engines/')[0]}/engines/endpoint-gemma3-270m_2026-11-23.1/")
    expect(llama.locator("section.serving")).to_contain_text("at most 1 model call ")
    llama.close()


def test_a_switch_to_a_build_gone_meanwhile_is_named_next_to_the_select(page, screenshot):
    demo_load(password=PASSWORD, experiment=False)
    gemma = "endpoint-gemma3-270m_2026-11-23.1"
    log_in(page, "admin", PASSWORD)
    page.goto("/settings/")
    page.select_option("select[name=draft_engine]", gemma)
    # Another admin re-registers it as a classifier build: it drafts no more.
    EngineBuild.objects.filter(engine_id=gemma).update(head=AdapterHead.CLASSIFIER)
    page.click("text=Switch active draft engine…")
    form = page.locator("#engine-form")
    expect(form.locator("#id_draft_engine_error")).to_contain_text("Select a valid choice")
    expect(form.locator("#id_draft_engine")).to_have_attribute("aria-invalid", "true")
    screenshot("settings-switch-error")
    assert pipeline_settings().draft_engine == "template"
