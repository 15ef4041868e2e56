"""The live classifier: a setting beside the draft engine (admin, confirmed, in history),
reached through the engine registry, promoted through the same gate as drafters, and
carried on the GPU that serves the drafter."""

import json
import re

import pytest
import yaml
from django.core.exceptions import ValidationError

from bench.fixed_latency_server import FixedLatencyServer
from engines.classifier import classify_move
from engines.gpu.lifecycle import BuildLoad, last_activity, lifecycle_tick, plan_build
from engines.models.gpu import GpuInstance
from engines.models.training import Evaluation
from engines.registry import clients_close, endpoint_for
from engines.services import engine_build_register
from prospects.builds.gpu import build_loads, gpu_tick_run
from prospects.builds.promotion import PromotionRefused, build_promote
from prospects.drafting.runner import live_draft_run
from prospects.engine_switch import classifier_engine_set, draft_engine_set
from prospects.models import PipelineSettings
from prospects.selectors import pipeline_settings
from tests.support.drafting import ingest
from tests.support.factories import DO_BUILD, GEMMA, make_inbound
from tests.support.panel import csrf_post, logged_in

pytestmark = pytest.mark.django_db

MOVES = "endpoint-gemma3-270m_moves.2"
DO_MOVES = "do-gpu-mistral-nemo-12b_moves.1"


def classifier_build(engine_id=MOVES, **fields):
    return engine_build_register(engine_id=engine_id, head="classifier", **fields)


def evaluated(engine_id: str, head: str, **metrics) -> Evaluation:
    from engines.models import EngineBuild

    return Evaluation.objects.create(
        build=EngineBuild.objects.get(engine_id=engine_id),
        head=head,
        cases_sha256="c" * 64,
        status=Evaluation.Status.SUCCEEDED,
        metrics=metrics,
    )


def test_only_rules_or_a_classifier_build_can_classify_and_history_keeps_who(
    gemma_build, admin_user
):
    classifier_build()
    for engine_id, problem in [
        (GEMMA, "drafts replies"),
        ("endpoint-nothing_1", "not in the engine-build registry"),
        ("no such id", ""),
    ]:
        with pytest.raises(ValidationError) as refused:
            classifier_engine_set(engine_id=engine_id, user=admin_user)
        assert problem in " ".join(refused.value.message_dict["classifier_engine"])
    classifier_engine_set(engine_id=MOVES, user=admin_user)
    latest = PipelineSettings.history.first()
    assert (latest.classifier_engine, latest.history_user) == (MOVES, admin_user)
    with pytest.raises(ValidationError, match="classifier build"):
        draft_engine_set(engine_id=MOVES, user=admin_user)
    classifier_engine_set(engine_id="rules", user=admin_user)
    assert pipeline_settings().classifier_engine == "rules"


def test_the_api_reads_and_sets_it_and_names_the_field(api_for, admin_user, coworker):
    classifier_build()
    assert api_for(coworker).get("/api/settings/classifier-engine/").json() == {
        "classifier_engine": "rules"
    }
    admin = api_for(admin_user)
    bad = admin.put("/api/settings/classifier-engine/", {"classifier_engine": 3}, format="json")
    assert bad.status_code == 400
    assert "classifier_engine" in bad.json()
    voice = admin.put("/api/settings/classifier-engine/", {"classifier_engine": "template"})
    assert voice.status_code == 400
    ok = admin.put("/api/settings/classifier-engine/", {"classifier_engine": MOVES}, format="json")
    assert ok.json() == {"classifier_engine": MOVES}
    assert pipeline_settings().classifier_engine == MOVES


def test_the_settings_page_confirms_before_it_switches(admin_user, coworker):
    classifier_build()
    page = logged_in(coworker).get("/settings/").content.decode()
    assert "Only an admin can switch the move classifier." in page
    client = logged_in(admin_user)
    asked = csrf_post(client, "/settings/classifier_hx/", {"classifier_engine": MOVES})
    assert "Confirm: move classifier" in asked.content.decode()
    assert pipeline_settings().classifier_engine == "rules"
    csrf_post(client, "/settings/classifier_hx/", {"classifier_engine": MOVES, "confirm": "yes"})
    assert pipeline_settings().classifier_engine == MOVES
    refused = csrf_post(
        client, "/settings/classifier_hx/", {"classifier_engine": "template", "confirm": "yes"}
    )
    assert refused.status_code == 400
    assert 'id="id_classifier_engine_error">Select a valid choice.' in refused.content.decode()
    history = client.get("/settings/").content.decode()
    assert f"<td><code>{MOVES}</code></td>" in history


def test_promotion_sets_the_classifier_never_the_drafter(gemma_build, admin_user):
    draft_engine_set(engine_id=GEMMA, user=admin_user)
    classifier_build()
    champion = classifier_build("endpoint-gemma3-270m_moves.1")
    classifier_engine_set(engine_id=champion.engine_id, user=admin_user)
    evaluated(
        champion.engine_id,
        "classifier",
        move_accuracy=0.80,
        is_prospect_accuracy=0.95,
        valid_json_rate=1.0,
        invariant_violations=0,
    )
    evaluated(
        MOVES,
        "classifier",
        move_accuracy=0.70,
        is_prospect_accuracy=0.95,
        valid_json_rate=1.0,
        invariant_violations=0,
    )
    with pytest.raises(PromotionRefused) as refused:
        build_promote(engine_id=MOVES, user=admin_user)
    assert [problem.split(":")[0] for problem in refused.value.verdict.problems] == [
        "move accuracy"
    ]
    Evaluation.objects.filter(build__engine_id=MOVES).update(
        metrics={
            "move_accuracy": 0.81,
            "is_prospect_accuracy": 0.96,
            "valid_json_rate": 1.0,
            "invariant_violations": 0,
        }
    )
    build_promote(engine_id=MOVES, user=admin_user)
    row = pipeline_settings()
    assert (row.classifier_engine, row.draft_engine) == (MOVES, GEMMA)


def test_a_decision_records_the_build_that_decided(canon, settings):
    head = {"is_prospect": True, "move": "subhour", "trace": "Asks for half an hour."}
    server = FixedLatencyServer(0.0, answers={"moves": json.dumps(head)}).start()
    clients_close()
    try:
        classifier_build(endpoint_url=server.url, served_model="moves", json_dialect="openai")
        classifier_engine_set(engine_id=MOVES, user=None)
        decision = ingest(make_inbound("Hello, nice to meet you")).decision
    finally:
        server.stop()
        clients_close()
    assert (decision.classified_by, decision.move) == (MOVES, "subhour")
    assert decision.trace == "Asks for half an hour."


def test_the_classifier_rides_on_the_drafters_gpu_and_its_calls_keep_it_warm(
    do_build, fake_do, clock, gpu_box
):
    classifier_build(
        DO_MOVES,
        model_path=do_build.model_path,
        lora_modules={"moves-1": "/mnt/weights/adapters/moves-1"},
        lora_ranks={"moves-1": 32},
        adapter="moves-1",
    )
    elsewhere = classifier_build(
        "do-gpu-qwen-7b_moves.1",
        model_path="/mnt/weights/qwen",
        lora_modules={"qwen-moves": "/mnt/weights/adapters/qwen-moves"},
        adapter="qwen-moves",
    )
    assert classify_move("Hi", DO_MOVES).problem.endswith("no ready instance serves it")

    work = {DO_BUILD: BuildLoad(items=3)}
    companions = (DO_MOVES, elsewhere.engine_id)
    lifecycle_tick(loads=work, companions=companions)
    clock.shift(fake_do.boot_seconds + 1)
    lifecycle_tick(loads=work, companions=companions)
    lifecycle_tick(loads=work, companions=companions)
    instance = GpuInstance.objects.get()
    assert instance.state == GpuInstance.State.READY
    assert instance.adapters == ["moves-1"]  # the head on other weights cannot ride along
    [create] = [call for call in fake_do.requests if call.method == "POST"]
    served = yaml.safe_dump(yaml.safe_load(create.body["user_data"]))
    assert "moves-1=/mnt/weights/adapters/moves-1" in served
    assert re.search(r"--max-lora-rank\W+32\b", served)
    assert re.search(r"--max-loras\W+1\b", served)
    assert "qwen-moves" not in served

    assert endpoint_for(DO_MOVES).url == instance.endpoint_url
    assert endpoint_for(elsewhere.engine_id) is None
    before = last_activity(instance)
    clock.shift(60)
    gpu_box.answers["moves-1"] = json.dumps(
        {"is_prospect": False, "move": "spam", "trace": "A parcel scam."}
    )
    assert classify_move("Your parcel is held", DO_MOVES).answer.move == "spam"
    assert last_activity(instance) > (before or instance.created_at)


def test_over_the_rules_a_build_must_beat_them_on_the_same_labelled_cases(admin_user):
    classifier_build()
    cases = [
        {
            "text": "How much for an hour on Friday?",
            "thread_state": "new",
            "move": "pursue",
            "is_prospect": True,
            "trace": "Asks a rate and a day.",
            "source": "confirmed",
        },
        {
            "text": "Your parcel is held, pay the fee here",
            "thread_state": "new",
            "move": "spam",
            "is_prospect": False,
            "trace": "A parcel scam.",
            "source": "corrected",
        },
    ]
    evaluation = evaluated(
        MOVES,
        "classifier",
        move_accuracy=0.5,
        is_prospect_accuracy=1.0,
        valid_json_rate=1.0,
        invariant_violations=0,
        cases=2,
    )
    Evaluation.objects.filter(id=evaluation.id).update(cases=cases)
    with pytest.raises(PromotionRefused) as refused:
        build_promote(engine_id=MOVES, user=admin_user)
    assert refused.value.verdict.problems == [
        "move accuracy: 0.500 against the champion's 1.000 is worse by 0.500, more than the "
        "margin of 0.020."
    ]
    page = logged_in(admin_user).get(f"/engines/{MOVES}/").content.decode()
    assert "Champion (the live classifier)" in page
    assert "each labelled by a person (0 corrected, the rest confirmed)" in page
    assert pipeline_settings().classifier_engine == "rules"


def test_a_classifier_on_other_weights_gets_a_machine_of_its_own_and_lets_it_go_on_its_own(
    do_build, fake_do, clock, gpu_box, published_workflow, admin_user
):
    qwen = "do-gpu-qwen-7b_moves.1"
    classifier_build(
        qwen,
        model_path="/mnt/weights/qwen",
        served_model="fixed",
        lora_modules={"qwen-moves": "/mnt/weights/adapters/qwen-moves"},
        adapter="qwen-moves",
    )
    classifier_engine_set(engine_id=qwen, user=admin_user)
    draft_engine_set(engine_id=DO_BUILD, user=admin_user)
    published_workflow(appliesTo={})
    queued = [ingest(make_inbound(f"Hi, free on day {n}?")).draft for n in range(3)]

    # What the classifier's machine answers (the same loopback server plays both droplets).
    gpu_box.answers["qwen-moves"] = json.dumps(
        {"is_prospect": True, "move": "subhour", "trace": "Asks for half an hour."}
    )
    loads = build_loads()
    assert (loads[DO_BUILD].items, loads[qwen].items) == (3, 3)
    gpu_tick_run()
    clock.shift(fake_do.boot_seconds + 1)
    gpu_tick_run()
    gpu_tick_run()
    machines = {instance.engine_id: instance for instance in GpuInstance.objects.all()}
    assert set(machines) == {DO_BUILD, qwen}
    assert {instance.state for instance in machines.values()} == {GpuInstance.State.READY}
    assert machines[qwen].adapters == ["qwen-moves"]
    assert machines[DO_BUILD].adapters == []  # the head on other weights does not ride along

    drafted = [live_draft_run(draft) for draft in queued]
    assert {draft.decision.classified_by for draft in drafted} == {qwen}
    assert build_loads()[qwen].items == 0

    graces = {
        engine_id: plan_build(engine_id, build_loads()[engine_id]).grace_seconds
        for engine_id in machines
    }
    clock.shift(min(graces.values()) + 61)
    gpu_tick_run()
    first = min(graces, key=graces.get)
    states = dict(GpuInstance.objects.values_list("engine_id", "state"))
    assert states[first] in {GpuInstance.State.OFF, GpuInstance.State.RELEASING}
    clock.shift(max(graces.values()) - min(graces.values()) + 61)
    gpu_tick_run()
    gpu_tick_run()
    assert set(GpuInstance.objects.values_list("state", flat=True)) == {GpuInstance.State.OFF}
