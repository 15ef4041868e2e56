"""Held-out cases for evaluations, from reviewed work on the threads of a split (the same
per-thread split as the tuning export, so no build is scored on what it trained on).

- voice: each reviewed, sent-or-approved draft's prompt, the text the coworker let go,
  and what the gate holds a reply to there (maxChars, prompt text it must not repeat);
- classifier: each decision a person labelled (corrected its move in the review pane, or
  confirmed it by approving its draft unedited), with that person's move.
"""

from prospects.builds.tuning import Format, Split, split_of, tuning_lines
from prospects.drafting.pipeline import draft_request, gate_limits
from prospects.models import Draft, MoveLabel


def voice_cases(split: Split = Split.EVAL, limit: int | None = None) -> list[dict]:
    cases = []
    for line in tuning_lines(engine_id=None, fmt=Format.SFT, split=split):
        *prompt, reply = line["messages"]
        draft = Draft.objects.select_related("decision").get(id=line["metadata"]["draft_id"])
        max_chars, fragments = gate_limits(draft_request(draft.decision))
        cases.append(
            {
                "messages": prompt,
                "final_text": reply["content"],
                "max_chars": max_chars,
                "prompt_fragments": list(fragments),
            }
        )
        if len(cases) == limit:
            break
    return cases


def classifier_cases(split: Split = Split.EVAL, limit: int | None = None) -> list[dict]:
    """People's labels only: a move a coworker corrected, or one confirmed by approving the
    draft unedited. A decision no person looked at is never a label (it would teach a
    classifier the rules' own output)."""
    labels = MoveLabel.objects.select_related("decision__message").order_by(
        "decision__message__received_at", "id"
    )
    cases = []
    for label in labels.iterator(chunk_size=500):
        if split != Split.ALL and split_of(label.decision.thread_id) != split:
            continue
        cases.append(
            {
                "text": label.decision.message.body,
                "thread_state": label.decision.state,
                "is_prospect": label.is_prospect,
                "move": label.move,
                "trace": label.reason,
                "source": label.source,
            }
        )
        if len(cases) == limit:
            break
    return cases


CASES = {"voice": voice_cases, "classifier": classifier_cases}
