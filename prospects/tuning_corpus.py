"""The tuning corpus: threads with the reply a coworker sent (tests/fixtures/tuning/), loaded
as reviewed work on a model build, so that the export, training and evaluation read it
exactly as they read production corrections.

Each thread's message is ingested like any inbound message (the rules decide its move, its
template key and its workflow). Its draft is what the template engine writes, the canon,
filed under the build the corrections are for, with the prompt that build is asked for a
reply; the coworker's reply is then recorded as a correction of it (``draft_correct``).

Threads of the training split are corrected first: a held-out thread's prompt may quote
training replies as examples (retrieval), never the other way round.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from core.clock import now
from engines.chain import reply_prompt
from engines.holds import HoldReason
from prospects.builds.tuning import Split, split_of
from prospects.drafting.pipeline import draft_request
from prospects.drafting.runner import live_draft_run
from prospects.inbound.ingest import Inbound, inbound_ingest
from prospects.models import Draft
from prospects.review.services import draft_correct

CORPUS = Path(settings.BASE_DIR) / "tests" / "fixtures" / "tuning" / "threads.jsonl"
FIELDS = ("thread", "language", "sender", "template_key", "message", "reply")
LANGUAGES = ("en", "es", "fr", "de", "pt")


class CorpusInvalid(ValueError):
    pass


@dataclass
class CorpusLoad:
    loaded: dict[str, int] = field(default_factory=lambda: {str(s): 0 for s in Split})
    skipped: Counter = field(default_factory=Counter)
    # Threads whose template key the rules chose differently from the corpus's label.
    other_key: int = 0

    def as_dict(self) -> dict:
        return {
            "train": self.loaded[Split.TRAIN],
            "eval": self.loaded[Split.EVAL],
            "skipped": dict(self.skipped),
            "other_template_key": self.other_key,
        }


def corpus_threads(path: Path = CORPUS) -> list[dict]:
    """The corpus's threads, each checked; ``CorpusInvalid`` names the line and the field."""
    threads, seen = [], set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            thread = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusInvalid(f"{path.name}:{number}: not JSON ({error.msg}).") from error
        missing = [name for name in FIELDS if not str(thread.get(name) or "").strip()]
        if missing:
            raise CorpusInvalid(f"{path.name}:{number}: missing {', '.join(missing)}.")
        if thread["language"] not in LANGUAGES:
            raise CorpusInvalid(f"{path.name}:{number}: language is one of {LANGUAGES}.")
        if thread["thread"] in seen:
            raise CorpusInvalid(f"{path.name}:{number}: thread {thread['thread']} again.")
        seen.add(thread["thread"])
        threads.append(thread)
    return threads


def corpus_load(*, engine_id: str, reviewer, path: Path = CORPUS) -> CorpusLoad:
    """Loads the corpus as ``reviewer``'s corrections of ``engine_id``'s drafts; idempotent
    (a thread already ingested is skipped)."""
    from engines.models import EngineBuild

    if not EngineBuild.objects.filter(engine_id=engine_id).exists():
        raise ValidationError({"engine_id": f"'{engine_id}' is not a registered build."})
    threads = corpus_threads(path)
    start = now() - timedelta(days=30)
    report = CorpusLoad()
    pending = []
    for index, thread in enumerate(threads):
        result = inbound_ingest(
            inbound=Inbound(
                external_id=thread["thread"],
                thread=thread["thread"],
                sender=thread["sender"],
                body=thread["message"],
                received_at=start + timedelta(minutes=index * 90),
                archetype=thread.get("archetype"),
            )
        )
        if not result.created:
            report.skipped["already loaded"] += 1
        elif result.draft is None:
            report.skipped["no reply drafted"] += 1
        else:
            pending.append((split_of(result.decision.thread_id), result.draft, thread))
    pending.sort(key=lambda item: item[0] != Split.TRAIN)
    for split, draft, thread in pending:
        skip = _correct(draft, thread, engine_id, reviewer)
        if skip:
            report.skipped[skip] += 1
            continue
        report.loaded[split] += 1
        report.other_key += draft.decision.template_key != thread["template_key"]
    return report


def _correct(draft: Draft, thread: dict, engine_id: str, reviewer) -> str:
    """The coworker's correction of the build's draft; the reason it was skipped, else ""."""
    draft = live_draft_run(draft)
    if draft.status != Draft.Status.HELD or draft.hold_reason != HoldReason.REVIEW_MODE:
        return f"drafted {draft.status} {draft.hold_reason}".strip()
    request = draft_request(draft.decision)
    prompt = [dict(message) for message in reply_prompt(request)]
    step = {"kind": "draft", "messages": prompt, "output": draft.body, "model": engine_id}
    Draft.objects.filter(id=draft.id).update(engine_id=engine_id, steps=[step])
    draft_correct(draft_id=draft.id, user=reviewer, body=thread["reply"])
    return ""
