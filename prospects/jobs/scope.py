"""A drafting job's scope in words, as the job page shows it: the threads ticked, or the
filter that picked them (``DraftJob.scope`` keeps what ``job_create`` was given)."""

from prospects.vocabulary import say

# Each filter key of ``job_create`` (its FILTER_FIELDS), named and read for a person.
FILTER_WORDS = {
    "draft_status": ("Draft status", lambda code: say("draft_status", code)),
    "hold_reason": ("Hold reason", lambda code: say("hold_reason", code)),
    "template_key": ("Situation", lambda code: say("template_key", code)),
    "engine": ("Drafted by", str),
}


def scope_words(scope: dict) -> list[tuple[str, str]]:
    """(what, which) pairs: ``{"thread_ids": [a, b]}`` -> [("Threads", "2 ticked on the
    threads page")]; ``{"filter": {"hold_reason": "review_mode"}}`` -> [("Hold reason",
    "Review mode: waiting for a coworker")]."""
    if "thread_ids" in scope:
        count = len(scope["thread_ids"])
        return [("Threads", f"{count} ticked on the threads page")]
    filters = scope.get("filter") or {}
    return [
        (label, words(filters[key]))
        for key, (label, words) in FILTER_WORDS.items()
        if filters.get(key)
    ]
