"""Evaluations: exact scores against a deterministic server, then end to end against the
local llama.cpp server through `eval_build` and POST /api/evaluations/."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bench.fixed_latency_server import ANSWER, FixedLatencyServer
from engines.breaker import breakers_forget
from engines.dialect import Dialect
from engines.inference import InferenceClient
from engines.models.training import Evaluation
from engines.registry import clients_close
from engines.services import engine_build_register
from engines.training.evaluation import classifier_scores, evaluation_create, voice_scores
from prospects.review.labels import move_label_correct
from prospects.review.services import draft_approve, draft_correct, draft_reject
from tests.support.drafting import gemma_served, ingest
from tests.support.factories import GEMMA, make_inbound

CASES = [
    {"text": "We supply office chairs.", "is_prospect": False, "move": "vendor"},
    {"text": "Hi, free on Friday?", "is_prospect": True, "move": "opener"},
]


@pytest.fixture
def fixed():
    answers = {
        "good-head": json.dumps({"is_prospect": False, "move": "vendor", "trace": "agency"}),
        "broken-head": json.dumps({"is_prospect": False, "move": "pursue", "trace": "x"}),
        "loose-head": json.dumps({"is_prospect": False, "move": "vendor"}),
        "chatty-head": "Sure! Here is my answer: vendor",
        "price-voice": "It is $200 a night.",
    }
    server = FixedLatencyServer(0.0, answers=answers).start()
    breakers_forget()
    clients_close()
    with InferenceClient(server.url, dialect=Dialect.OPENAI, record_calls=False) as client:
        yield client
    clients_close()
    server.stop()


def test_classifier_scores_count_every_case(fixed):
    good = classifier_scores(fixed, "good-head", CASES)
    assert good["is_prospect_accuracy"] == 0.5
    assert good["move_accuracy"] == 0.5
    assert good["valid_json_rate"] == 1.0
    assert good["invariant_violations"] == 0
    assert good["confusion"] == {"vendor": {"vendor": 1}, "opener": {"vendor": 1}}

    broken = classifier_scores(fixed, "broken-head", CASES)
    assert broken["valid_json_rate"] == 1.0  # JSON, on schema, but the invariant is broken
    assert broken["invariant_violations"] == 2
    assert broken["move_accuracy"] == 0.0
    assert broken["confusion"] == {}

    assert classifier_scores(fixed, "loose-head", CASES)["off_schema"] == 2
    chatty = classifier_scores(fixed, "chatty-head", CASES)
    assert chatty["valid_json_rate"] == 0.0
    assert chatty["is_prospect_accuracy"] == 0.0


def test_voice_scores_gate_hold_length_and_distance(fixed):
    cases = [
        {"messages": [{"role": "user", "content": "Hi"}], "final_text": ANSWER},
        {"messages": [{"role": "user", "content": "Hi"}], "final_text": "See you Friday!"},
    ]
    clean = voice_scores(fixed, "voice", cases)
    assert clean["gate_pass_rate"] == 1.0
    assert clean["hold_rate"] == 0.0
    assert clean["length_chars"]["p50"] == len(ANSWER)
    assert 0.0 < clean["edit_distance_mean"] < 1.0  # one exact, one far off
    # all-MiniLM-L6-v2: the exact answer scores 1, the other less, so the mean is between.
    assert 0.3 < clean["embedding_similarity_mean"] < 0.999

    priced = voice_scores(fixed, "price-voice", cases)
    assert priced["gate_pass_rate"] == 0.0
    assert priced["hold_rate"] == 1.0
    # A held draft leaves the coworker everything to write; the text it held still scores.
    assert priced["edit_distance_mean"] == 1.0
    assert priced["edit_distance_written_mean"] < 1.0


def test_voice_scores_hold_a_reply_to_its_cases_limits(fixed):
    case = {"messages": [{"role": "user", "content": "Hi"}], "final_text": ANSWER}
    assert voice_scores(fixed, "voice", [case])["gate_pass_rate"] == 1.0
    short = {**case, "max_chars": len(ANSWER) - 1}
    assert voice_scores(fixed, "voice", [short])["gate_pass_rate"] == 0.0
    leaked = {**case, "prompt_fragments": [ANSWER[:30]]}
    assert voice_scores(fixed, "voice", [leaked])["gate_pass_rate"] == 0.0


@pytest.fixture
def reviewed(canon, coworker, settings):
    """Four decided messages on threads that all fall in the eval split."""
    settings.TUNING_EVAL_PERCENT = 100
    drafts = [ingest(make_inbound(f"Hi there, free on day {n}?")).draft for n in range(3)]
    draft_approve(draft_id=drafts[0].id, user=coworker)
    draft_correct(draft_id=drafts[1].id, user=coworker, body="Hi! Lovely to hear from you.")
    draft_reject(draft_id=drafts[2].id, user=coworker, reason_tags=["tone"])
    move_label_correct(
        decision_id=drafts[2].decision_id, move="spam", reason="A bot's template.", user=coworker
    )
    return drafts


@pytest.fixture
def served_gemma(gpu_path, model_server):
    return gemma_served(model_server.url)


@pytest.mark.django_db
@pytest.mark.integration
def test_eval_build_scores_a_served_build_on_the_held_out_split(reviewed, served_gemma):
    out = StringIO()
    call_command("eval_build", engine=GEMMA, split="eval", head="voice", stdout=out)
    voice = json.loads(out.getvalue())
    assert voice["cases"] == 2  # the approved and the corrected draft; not the rejected one
    assert voice["gate_pass_rate"] + voice["hold_rate"] == pytest.approx(1.0)
    assert 0.0 <= voice["edit_distance_mean"] <= 1.0
    if voice["length_chars"]:
        assert voice["length_chars"]["max"] <= 1000
    else:  # Gemma cut off every reply: each is an engine error, held, with no text to score
        assert (voice["hold_rate"], voice["edit_distance_written_mean"]) == (1.0, None)

    out = StringIO()
    call_command("eval_build", engine=GEMMA, head="classifier", stdout=out)
    classifier = json.loads(out.getvalue())
    # People's labels only: the unedited approval confirmed its move, the rejected draft's
    # move was corrected; the edited draft's move was never looked at.
    assert (classifier["cases"], classifier["corrected_labels"]) == (2, 1)
    answered = sum(sum(row.values()) for row in classifier["confusion"].values())
    assert answered <= 2
    assert 0.0 <= classifier["move_accuracy"] <= classifier["valid_json_rate"] <= 1.0

    stored = Evaluation.objects.get(id=voice["evaluation"])
    assert stored.status == Evaluation.Status.SUCCEEDED
    assert [case["final_text"] for case in stored.cases][1] == "Hi! Lovely to hear from you."


@pytest.mark.django_db
def test_eval_build_names_what_is_wrong(reviewed, gemma_build):
    with pytest.raises(CommandError, match="not a registered build"):
        call_command("eval_build", engine="endpoint-nothing_1")
    engine_build_register(engine_id="template")
    with pytest.raises(CommandError, match="nothing to ask"):
        call_command("eval_build", engine="template")
    with pytest.raises(CommandError, match="no reviewed cases"):
        call_command("eval_build", engine=GEMMA, split="train")


@pytest.mark.django_db
def test_a_build_that_is_not_served_fails_with_the_reason(settings):
    from engines.training.evaluation import evaluation_execute

    settings.GPU_INFERENCE_URL = ""
    build = engine_build_register(engine_id="do-gpu-gemma3-270m_1")
    evaluation = evaluation_create(engine_id=build.engine_id, head="voice", cases=CASES)
    done = evaluation_execute(evaluation.id)
    assert done.status == Evaluation.Status.FAILED
    assert "not served now" in done.status_detail


@pytest.mark.django_db
@pytest.mark.integration
def test_the_api_starts_an_evaluation_that_runs_on_the_worker(
    api_for, admin_user, reviewed, served_gemma, django_capture_on_commit_callbacks
):
    api = api_for(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/evaluations/", {"engine_id": GEMMA, "head": "voice"}, format="json"
        )
    assert response.status_code == 201, response.json()
    done = api.get(f"/api/evaluations/{response.json()['id']}/").json()
    assert done["status"] == "succeeded", done["status_detail"]
    assert done["metrics"]["cases"] == 2
    assert done["engine_id"] == GEMMA


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "engine_id"),
        ({"engine_id": "endpoint-nothing_1"}, "engine_id"),
        ({"engine_id": GEMMA, "head": "oracle"}, "head"),
        ({"engine_id": GEMMA, "split": "tomorrow"}, "split"),
        ({"engine_id": GEMMA, "split": "train"}, "split"),  # nothing reviewed there
    ],
)
def test_bad_evaluation_requests_get_field_errors(
    api_for, admin_user, reviewed, gemma_build, body, field
):
    response = api_for(admin_user).post("/api/evaluations/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Evaluation.objects.exists()
