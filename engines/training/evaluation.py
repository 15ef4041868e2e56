"""The evaluation harness: a held-out split asked of a served build over the
OpenAI-compatible API, and the scores it earns.

Cases arrive as plain dicts (prospects builds them from reviewed work):
- classifier: ``{"text", "is_prospect", "move"}``;
- voice (drafter): ``{"messages": [system, user], "final_text"}``, the final text being
  what the coworker sent.
"""

import hashlib
import json
import statistics

from django.conf import settings
from django.core.exceptions import ValidationError
from rapidfuzz.distance import Levenshtein

from core.clock import now
from core.untrusted import strip_invisible
from engines.classifier import (
    MalformedAnswer,
    MoveAnswer,
    local_move_answer,
    move_messages,
    move_schema,
    parse_move_answer,
)
from engines.embeddings import cosine_similarities
from engines.gate import reply_gate
from engines.inference import Failure, InferenceClient, InferenceError
from engines.model_engine import reply_token_budget
from engines.model_tasks import DRAFT, MOVE
from engines.models import EngineBuild
from engines.models.training import Evaluation
from engines.move_head import HeadUnusable
from engines.registry import client_for, endpoint_for


def classifier_scores(client: InferenceClient, model: str, cases: list[dict], engine_id="") -> dict:
    """A served head, asked over the OpenAI-compatible API with the strict move schema."""

    def ask(case: dict) -> MoveAnswer:
        text = client.chat(
            task=MOVE,
            model=model,
            messages=move_messages(case["text"]),
            max_tokens=160,
            schema=move_schema(),
            engine_id=engine_id,
        ).text
        return parse_move_answer(text)

    return classifier_metrics(cases, ask)


def local_classifier_scores(engine_id: str, cases: list[dict]) -> dict:
    """An in-process head (a local build), held to the same contract."""
    return classifier_metrics(cases, lambda case: local_move_answer(case["text"], engine_id))


def classifier_metrics(cases: list[dict], ask) -> dict:
    """Accuracy counts every case: no answer (``ask`` raising ``InferenceError``), or a
    malformed one (``MalformedAnswer``), is a miss."""
    valid_json = violations = off_schema = errors = prospect_hits = move_hits = 0
    confusion: dict[str, dict[str, int]] = {}
    for case in cases:
        try:
            answer = ask(case)
        except InferenceError:
            errors += 1
            continue
        except MalformedAnswer as malformed:
            valid_json += malformed.kind != MalformedAnswer.NOT_JSON
            violations += malformed.kind == MalformedAnswer.INVARIANT
            off_schema += malformed.kind == MalformedAnswer.OFF_SCHEMA
            continue
        valid_json += 1
        prospect_hits += answer.is_prospect == case["is_prospect"]
        move_hits += answer.move == case["move"]
        row = confusion.setdefault(case["move"], {})
        row[answer.move] = row.get(answer.move, 0) + 1
    total = len(cases)
    return {
        "cases": total,
        # Cases are people's labels; how many a person corrected (the rest they confirmed).
        "corrected_labels": sum(case.get("source") == "corrected" for case in cases),
        "is_prospect_accuracy": _share(prospect_hits, total),
        "move_accuracy": _share(move_hits, total),
        "valid_json_rate": _share(valid_json, total),
        "invariant_violations": violations,
        "off_schema": off_schema,
        "engine_errors": errors,
        "confusion": confusion,
    }


def voice_scores(client: InferenceClient, model: str, cases: list[dict], engine_id="") -> dict:
    """A draft is usable when the engine answers within the step's token budget and the
    gate passes it (as a live draft step would be held otherwise). The edit distance to
    the coworker's reply counts every case: one with no usable draft is 1 (the coworker
    wrote it all); ``edit_distance_written_mean`` is over the texts the model returned,
    usable or not."""
    passed = held = truncated = 0
    lengths, distances, written, pairs = [], [], [], []
    for case in cases:
        max_chars = case.get("max_chars") or settings.DRAFT_MAX_CHARS
        try:
            text = client.chat(
                task=DRAFT,
                model=model,
                messages=case["messages"],
                max_tokens=reply_token_budget(max_chars),
                engine_id=engine_id,
            ).text
        except InferenceError as error:
            held += 1
            truncated += error.failure == Failure.TRUNCATED
            distances.append(1.0)
            continue
        text = strip_invisible(text).text.strip()
        verdict = reply_gate.check(
            text, max_chars=max_chars, prompt_fragments=tuple(case.get("prompt_fragments", ()))
        )
        passed += verdict.ok
        held += not verdict.ok
        lengths.append(len(text))
        distance = Levenshtein.normalized_distance(text, case["final_text"])
        written.append(distance)
        distances.append(distance if verdict.ok else 1.0)
        pairs.append((text, case["final_text"]))
    total = len(cases)
    similarities = cosine_similarities(pairs)
    return {
        "cases": total,
        "gate_pass_rate": _share(passed, total),
        "hold_rate": _share(held, total),
        "truncated": truncated,
        "length_chars": _distribution(lengths),
        "edit_distance_mean": round(statistics.fmean(distances), 4) if distances else None,
        "edit_distance_written_mean": round(statistics.fmean(written), 4) if written else None,
        "embedding_similarity_mean": (
            round(statistics.fmean(similarities), 4) if similarities else None
        ),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _distribution(values: list[int]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return {"min": ordered[0], "p10": pick(0.1), "p50": pick(0.5), "p90": pick(0.9),
            "max": ordered[-1], "mean": round(statistics.fmean(values), 1)}  # fmt: skip


SCORERS = {Evaluation.Head.CLASSIFIER: classifier_scores, Evaluation.Head.VOICE: voice_scores}


def cases_digest(cases: list[dict]) -> str:
    return hashlib.sha256(json.dumps(cases, sort_keys=True).encode()).hexdigest()


def evaluation_create(
    *, engine_id: str, head: str, cases: list[dict], split: str = "eval", user=None
) -> Evaluation:
    """A queued evaluation of a registered model build; field errors otherwise."""
    errors = {}
    build = EngineBuild.objects.filter(engine_id=engine_id).first()
    if build is None:
        errors["engine_id"] = [f"'{engine_id}' is not a registered build."]
    elif build.parsed.is_template:
        errors["engine_id"] = ["The template engine is not a model: there is nothing to ask."]
    if head not in Evaluation.Head.values:
        errors["head"] = [f"One of: {', '.join(Evaluation.Head.values)}."]
    if not cases:
        errors["split"] = [f"The '{split}' split has no reviewed cases to ask."]
    if errors:
        raise ValidationError(errors)
    return Evaluation.objects.create(
        build=build,
        head=head,
        split=split,
        cases=cases,
        cases_sha256=cases_digest(cases),
        created_by=user,
    )


def evaluation_execute(evaluation_id) -> Evaluation:
    """Asks the build every case once; a second call finds it claimed and returns it."""
    claimed = Evaluation.objects.filter(id=evaluation_id, status=Evaluation.Status.QUEUED).update(
        status=Evaluation.Status.RUNNING, started_at=now()
    )
    evaluation = Evaluation.objects.select_related("build").get(id=evaluation_id)
    if not claimed:
        return evaluation
    engine_id = evaluation.build.engine_id
    try:
        metrics = _scores(evaluation, engine_id)
    except HeadUnusable as error:
        return _finish(evaluation, Evaluation.Status.FAILED, f"{engine_id}: {error}")
    except Exception as error:  # noqa: BLE001 - any failure is the evaluation's, named
        return _finish(evaluation, Evaluation.Status.FAILED, f"{type(error).__name__}: {error}")
    if metrics is None:
        return _finish(evaluation, Evaluation.Status.FAILED, f"{engine_id} is not served now.")
    return _finish(evaluation, Evaluation.Status.SUCCEEDED, "", metrics)


def _scores(evaluation: Evaluation, engine_id: str) -> dict | None:
    """The build's scores on the evaluation's cases; None when nothing serves it now."""
    if evaluation.build.parsed.runs_in_process:
        if evaluation.head != Evaluation.Head.CLASSIFIER:
            raise HeadUnusable("an in-process head decides moves: evaluate it as a classifier")
        return local_classifier_scores(engine_id, evaluation.cases)
    endpoint = endpoint_for(engine_id)
    if endpoint is None:
        return None
    client = client_for(endpoint)
    return SCORERS[evaluation.head](client, endpoint.model, evaluation.cases, engine_id)


def _finish(evaluation: Evaluation, status: str, detail: str, metrics=None) -> Evaluation:
    Evaluation.finish(evaluation.id, status, detail, metrics=metrics or {})
    evaluation.refresh_from_db()
    return evaluation
