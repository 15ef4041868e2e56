"""Reviewed drafts as fine-tuning data, per engine build: SFT chat lines and DPO pairs.

Lines stream from a database cursor (an export never sits whole in memory), are
deduplicated, split train/eval by thread (the same thread always lands in the same
split), and each is checked against the JSON Schemas in ``prospects/builds/schemas/``.
"""

import hashlib
import json
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from engines.chain import DATA_MARK, reply_prompt
from prospects.drafting.pipeline import draft_request
from prospects.models import Correction, Draft

SCHEMAS = Path(__file__).parent / "schemas"
BATCH = 200


class Format(StrEnum):
    SFT = "sft"
    DPO = "dpo"


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
    schema = json.loads((SCHEMAS / f"tuning_{fmt}.schema.json").read_text())
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


def _drafts(engine_id: str | None, fmt: Format, since):
    reviewed = Q(reviewed_at__isnull=False)
    if engine_id is not None:
        reviewed &= Q(engine_id=engine_id)
    if since is not None:
        reviewed &= Q(reviewed_at__gte=since)
    if fmt == Format.DPO:
        reviewed &= Q(correction__kind=Correction.Kind.EDITED)
    else:
        reviewed &= ~Q(status=Draft.Status.REJECTED)
    return (
        Draft.objects.filter(reviewed)
        .select_related(
            "correction", "workflow_version__workflow", "decision__message", "decision__thread"
        )
        .order_by("reviewed_at", "id")
    )


def _line(draft: Draft, fmt: Format, split: Split) -> dict:
    prompt = prompt_messages(draft)
    correction = getattr(draft, "correction", None)
    edited = correction is not None and correction.kind == Correction.Kind.EDITED
    metadata = {
        "draft_id": str(draft.id),
        "thread_id": str(draft.thread_id),
        "workflow_version": draft.workflow_version.label if draft.workflow_version else None,
        "engine_id": draft.engine_id,
        "split": str(split),
        "outcome": "corrected" if edited else "accepted",
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


def _fingerprint(line: dict) -> str:
    content = {key: value for key, value in line.items() if key != "metadata"}
    # Each prompt has its own random data boundary: examples differing only there are one.
    text = DATA_MARK.sub(r"[\1data]", json.dumps(content, sort_keys=True))
    return hashlib.sha256(text.encode()).hexdigest()


def tuning_lines(
    *, engine_id: str | None, fmt: Format, since=None, split: Split = Split.ALL
) -> Iterator[dict]:
    """The export's lines in review order; the first of identical examples wins.
    ``engine_id=None`` takes every build's (the held-out split evaluations ask).

    Raises ``jsonschema.ValidationError`` if a line breaks the schema (a bug, never
    written out).
    """
    seen: set[str] = set()
    check = validator(Format(fmt))
    for draft in _drafts(engine_id, Format(fmt), since).iterator(chunk_size=BATCH):
        line_split = split_of(draft.thread_id)
        if split != Split.ALL and line_split != split:
            continue
        line = _line(draft, Format(fmt), line_split)
        fingerprint = _fingerprint(line)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        check.validate(line)
        yield line


def tuning_jsonl(**kwargs) -> Iterator[str]:
    for line in tuning_lines(**kwargs):
        yield json.dumps(line, ensure_ascii=False) + "\n"
