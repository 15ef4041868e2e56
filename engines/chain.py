"""Chain-of-thought prompt assembly: the one place that says what each step sends.

Each ``think`` step is a model call whose output joins the context of the next; the
final ``draft`` step produces the body. Context snippets go in the system message; the
thread, its decision and earlier step outputs go in the user message.
"""

from dataclasses import dataclass

from engines.base import DraftRequest, Step

SYSTEM_PREAMBLE = (
    "You write replies in the voice of an independent, appointment-based professional. "
    "Follow the voice and safety rules exactly."
)
DRAFT_SUFFIX = "Write only the reply text, at most {max_chars} characters, with no labels."


@dataclass(frozen=True)
class StepPrompt:
    index: int
    step: Step
    messages: tuple[dict, ...]


def _system(request: DraftRequest) -> str:
    blocks = [SYSTEM_PREAMBLE]
    for title, text in request.workflow.context:
        blocks.append(f"## {title}\n{text.strip()}")
    return "\n\n".join(blocks)


def _situation(request: DraftRequest) -> str:
    lines = [
        f"Situation: archetype={request.archetype or '-'}, state={request.state or '-'}, "
        f"move={request.move or '-'}, template key={request.template_key}.",
        "Conversation so far:",
    ]
    turns = request.history or ()
    lines += [f"{turn.sender}: {turn.body}" for turn in turns]
    if not turns:
        lines.append(f"{request.thread_handle or 'Client'}: {request.inbound_body}")
    return "\n".join(lines + _exemplar_lines(request))


def _exemplar_lines(request: DraftRequest) -> list[str]:
    accepted = [e for e in request.exemplars if e.accepted]
    rejected = [e for e in request.exemplars if not e.accepted]
    lines = []
    if accepted:
        lines.append("\nReplies a coworker approved in similar situations (match their style):")
        lines += [f"- Client: {e.message}\n  Reply: {e.reply}" for e in accepted]
    if rejected:
        lines.append("\nReplies a coworker rejected in similar situations (never write these):")
        lines += [f"- Client: {e.message}\n  Rejected: {e.reply} ({e.note})" for e in rejected]
    return lines


def step_prompt(request: DraftRequest, index: int, earlier_outputs: list[str]) -> StepPrompt:
    """The chat messages step ``index`` sends, given the outputs of the steps before it."""
    step = request.workflow.steps[index]
    parts = [_situation(request)]
    for number, output in enumerate(earlier_outputs, start=1):
        parts.append(f"Notes from step {number}:\n{output.strip()}")
    instruction = step.instruction.strip()
    if step.kind == "draft":
        instruction += "\n" + DRAFT_SUFFIX.format(max_chars=step.max_chars)
    parts.append(instruction)
    messages = (
        {"role": "system", "content": _system(request)},
        {"role": "user", "content": "\n\n".join(parts)},
    )
    return StepPrompt(index=index, step=step, messages=messages)


def reply_prompt(request: DraftRequest) -> tuple[dict, ...]:
    """A one-step prompt for a reply drafted without a workflow (the template engine's),
    so its reviewed text can still be a tuning example."""
    instruction = DRAFT_SUFFIX.format(max_chars=request.max_chars)
    return (
        {"role": "system", "content": _system(request) if request.workflow else SYSTEM_PREAMBLE},
        {"role": "user", "content": f"{_situation(request)}\n\n{instruction}"},
    )


def preview_prompts(request: DraftRequest) -> list[StepPrompt]:
    """Every step's prompt with placeholders where earlier model outputs will go."""
    placeholders = [f"<output of step {n + 1}>" for n in range(len(request.workflow.steps))]
    return [
        step_prompt(request, index, placeholders[:index])
        for index in range(len(request.workflow.steps))
    ]


LEAK_MIN_CHARS = 24


def leak_fragments(request: DraftRequest) -> tuple[str, ...]:
    """Prompt text that must never appear in a reply: the preamble, rules, instructions.

    Canon is left out on purpose: it is the model answer, and reusing its wording is fine.
    """
    texts = [SYSTEM_PREAMBLE, DRAFT_SUFFIX.split("{")[0]]
    texts += [text for title, text in request.workflow.context if not title.startswith("Canon")]
    texts += [step.instruction for step in request.workflow.steps]
    lines = (line.strip() for text in texts for line in text.splitlines())
    return tuple(line for line in lines if len(line) >= LEAK_MIN_CHARS)
