"""Reviewed drafts as fine-tuning data, per engine build: SFT chat lines and DPO pairs.

Lines stream from a database cursor (an export never sits whole in memory), are
deduplicated, split train/eval by thread (the same thread always lands in the same
split), and each is checked against the JSON Schemas in ``prospects/builds/schemas/``.

Formats:

- ``sft``: each reviewed, not rejected draft; the assistant turn is the text sent.
- ``dpo``: each edited draft; the coworker's correction is chosen, the draft rejected.
- ``dpo-booked``: replies that led to a booking preferred over replies that did not.
  Only sent drafts with a recorded thread outcome take part (``OutcomeAttribution``): a
  reply is *booked* when a ``booked`` outcome of its thread followed it, *not booked* when
  only other outcomes (declined, no reply, blocked) followed it; a thread with no outcome
  yet is left out. Replies are grouped by template key and by the split of their thread;
  within a group both sides are taken oldest sent first and paired in order (the first
  booked reply with the first not-booked one, and so on), each reply in one pair at most,
  the surplus of the longer side left out. The prompt is the chosen reply's: the two
  replies answered different messages in the same situation (template key), which is
  what makes them comparable.

``outcome`` (``--outcome booked`` on the command, ``?outcome=`` on the API and the panel)
keeps ``sft`` and ``dpo`` lines to drafts sent before a recorded outcome of that kind;
each line's ``metadata.thread_outcome`` names the latest outcome that followed its draft.
"""

import hashlib
import json
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from engines.chain import DATA_MARK, reply_prompt
from prospects.drafting.pipeline import draft_request
from prospects.models import Correction, Draft, Outcome, OutcomeAttribution

SCHEMAS = Path(__file__).parent / "schemas"
BATCH = 200


class Format(StrEnum):
    SFT = "sft"
    DPO = "dpo"
    DPO_BOOKED = "dpo-booked"


# What the panel says for each format (its values are file names, not words).
FORMAT_WORDS = {
    Format.SFT: "SFT: the text sent",
    Format.DPO: "DPO: the correction over the draft",
    Format.DPO_BOOKED: "DPO: a reply that booked over one that did not",
}


class Split(StrEnum):
    TRAIN = "train"
    EVAL = "eval"
    ALL = "all"


@cache
def validator(fmt: Format) -> Draft202012Validator:
    schemas = [json.loads(path.read_text()) for path in SCHEMAS.glob("tuning_*.schema.json")]
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    # A booking pair has the shape of any preference pair.
    name = Format.DPO if fmt == Format.DPO_BOOKED else fmt
    schema = json.loads((SCHEMAS / f"tuning_{name}.schema.json").read_text())
    return Draft202012Validator(schema, registry=registry)


def split_of(thread_id) -> Split:
    """Deterministic per thread: a stable hash, not Python's salted ``hash``."""
    bucket = int.from_bytes(hashlib.sha256(str(thread_id).encode()).digest()[:8], "big") % 100
    return Split.EVAL if bucket < settings.TUNING_EVAL_PERCENT else Split.TRAIN


def prompt_messages(draft: Draft) -> list[dict]:
    """The system and user turns the engine answered: the draft step's own prompt when a
    model drafted it, else the same prompt rebuilt from the decision."""
    for step in reversed(draft.steps or []):
        if step.get("kind") == "draft" and step.get("messages"):
            return [dict(message) for message in step["messages"]]
    return list(reply_prompt(draft_request(draft.decision)))


def _latest_outcome() -> Subquery:
    """The latest recorded outcome that followed a draft; None when none did."""
    return Subquery(
        OutcomeAttribution.objects.filter(draft=OuterRef("pk"))
        .order_by("-outcome__recorded_at")
        .values("outcome__outcome")[:1]
    )


def _followed_by(outcome: str) -> Exists:
    return Exists(OutcomeAttribution.objects.filter(draft=OuterRef("pk"), outcome__outcome=outcome))


def _drafts(engine_id: str | None, fmt: Format, since, outcome: str | None = None):
    reviewed = Q(reviewed_at__isnull=False)
    if engine_id is not None:
        reviewed &= Q(engine_id=engine_id)
    if since is not None:
        reviewed &= Q(reviewed_at__gte=since)
    if fmt == Format.DPO:
        reviewed &= Q(correction__kind=Correction.Kind.EDITED)
    else:
        reviewed &= ~Q(status=Draft.Status.REJECTED)
    if outcome is not None:
        reviewed &= Q(_followed_by(outcome))
    return (
        Draft.objects.filter(reviewed)
        .annotate(thread_outcome=_latest_outcome())
        .select_related(
            "correction", "workflow_version__workflow", "decision__message", "decision__thread"
        )
        .order_by("reviewed_at", "id")
    )


def _line(draft: Draft, fmt: Format, split: Split) -> dict:
    prompt = prompt_messages(draft)
    correction = getattr(draft, "correction", None)
    metadata = {
        "draft_id": str(draft.id),
        "thread_id": str(draft.thread_id),
        "workflow_version": draft.workflow_version.label if draft.workflow_version else None,
        "engine_id": draft.engine_id,
        "split": str(split),
        "outcome": _review_outcome(draft),
        "thread_outcome": getattr(draft, "thread_outcome", None),
    }
    if fmt == Format.SFT:
        reply = {"role": "assistant", "content": draft.body}
        return {"messages": [*prompt, reply], "metadata": metadata}
    return {
        "prompt": prompt,
        "chosen": [{"role": "assistant", "content": correction.corrected_text}],
        "rejected": [{"role": "assistant", "content": correction.original_text}],
        "metadata": metadata,
    }


def _review_outcome(draft: Draft) -> str:
    """What review made of the draft: corrected, accepted, or (sent unreviewed) sent."""
    correction = getattr(draft, "correction", None)
    if correction is not None and correction.kind == Correction.Kind.EDITED:
        return "corrected"
    return "accepted" if draft.reviewed_at else "sent"


def _sent_with_outcome(engine_id: str | None, since):
    sent = Q(status=Draft.Status.SENT) & Q(
        Exists(OutcomeAttribution.objects.filter(draft=OuterRef("pk")))
    )
    if engine_id is not None:
        sent &= Q(engine_id=engine_id)
    if since is not None:
        sent &= Q(sent_at__gte=since)
    return (
        Draft.objects.filter(sent)
        .annotate(booked=_followed_by(Outcome.BOOKED), thread_outcome=_latest_outcome())
        .select_related("correction", "workflow_version__workflow", "decision__message")
        .order_by("sent_at", "id")
    )


def booking_pairs(*, engine_id: str | None, since=None) -> Iterator[tuple[Draft, Draft, Split]]:
    """(chosen, rejected, split): per template key and split, the booked replies and the
    not-booked ones, oldest sent first, zipped (see the module's docstring)."""
    groups: dict[tuple[str, Split], tuple[list[Draft], list[Draft]]] = {}
    for draft in _sent_with_outcome(engine_id, since).iterator(chunk_size=BATCH):
        key = (draft.decision.template_key, split_of(draft.thread_id))
        booked, not_booked = groups.setdefault(key, ([], []))
        (booked if draft.booked else not_booked).append(draft)
    for (_, split), (booked, not_booked) in groups.items():
        for chosen, rejected in zip(booked, not_booked, strict=False):
            yield chosen, rejected, split


def _booking_line(chosen: Draft, rejected: Draft, split: Split) -> dict:
    metadata = {
        "draft_id": str(chosen.id),
        "thread_id": str(chosen.thread_id),
        "workflow_version": chosen.workflow_version.label if chosen.workflow_version else None,
        "engine_id": chosen.engine_id,
        "split": str(split),
        "outcome": _review_outcome(chosen),
        "thread_outcome": chosen.thread_outcome,
        "rejected_draft_id": str(rejected.id),
        "rejected_thread_outcome": rejected.thread_outcome,
    }
    return {
        "prompt": prompt_messages(chosen),
        "chosen": [{"role": "assistant", "content": chosen.body}],
        "rejected": [{"role": "assistant", "content": rejected.body}],
        "metadata": metadata,
    }


def _fingerprint(line: dict) -> str:
    content = {key: value for key, value in line.items() if key != "metadata"}
    # Each prompt has its own random data boundary: examples differing only there are one.
    text = DATA_MARK.sub(r"[\1data]", json.dumps(content, sort_keys=True))
    return hashlib.sha256(text.encode()).hexdigest()


def _candidate_lines(engine_id, fmt: Format, since, outcome) -> Iterator[tuple[dict, Split]]:
    if fmt == Format.DPO_BOOKED:
        for chosen, rejected, line_split in booking_pairs(engine_id=engine_id, since=since):
            yield _booking_line(chosen, rejected, line_split), line_split
        return
    for draft in _drafts(engine_id, fmt, since, outcome).iterator(chunk_size=BATCH):
        line_split = split_of(draft.thread_id)
        yield _line(draft, fmt, line_split), line_split


def tuning_lines(
    *,
    engine_id: str | None,
    fmt: Format,
    since=None,
    split: Split = Split.ALL,
    outcome: str | None = None,
) -> Iterator[dict]:
    """The export's lines in review order (``dpo-booked``: pairs by template key); the
    first of identical examples wins. ``engine_id=None`` takes every build's (the held-out
    split evaluations ask). ``outcome`` keeps drafts a recorded outcome of that kind
    followed (``sft`` and ``dpo``; ``dpo-booked`` pairs are booked by definition).

    Raises ``jsonschema.ValidationError`` if a line breaks the schema (a bug, never
    written out), ``ValueError`` for an unknown outcome.
    """
    if outcome is not None and outcome not in Outcome.values:
        raise ValueError(f"'{outcome}' is not an outcome: {', '.join(Outcome.values)}.")
    seen: set[str] = set()
    fmt = Format(fmt)
    check = validator(fmt)
    for line, line_split in _candidate_lines(engine_id, fmt, since, outcome):
        if split != Split.ALL and line_split != split:
            continue
        fingerprint = _fingerprint(line)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        check.validate(line)
        yield line


def tuning_jsonl(**kwargs) -> Iterator[str]:
    for line in tuning_lines(**kwargs):
        yield json.dumps(line, ensure_ascii=False) + "\n"
