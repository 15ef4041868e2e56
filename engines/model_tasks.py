"""The registry of model tasks: one place for each task's priority, timeout and schema."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelTask:
    name: str
    priority: int  # lower runs first when work queues for the GPU
    timeout_seconds: float  # the overall deadline of one call, retries included
    schema_name: str  # the structured-output schema the task asks for ("" = free text)
    temperature: float = 0.7
    stop: tuple[str, ...] = ()


# End-of-turn markers of the common chat formats: a model that runs past its turn stops
# there instead of at max_tokens (which would make the answer "truncated").
END_OF_TURN = ("[INST]", "<end_of_turn>", "<|im_end|>", "</s>")
# Where a reply ends by itself: a chat reply is one paragraph, and what a small model writes
# after a blank line, or after a speaker's label, is the next turn of a conversation it is
# imagining (the drafts then cut off at their token budget, and were held).
REPLY_END = ("\n\n", "\nClient:", "\n> ")

# The move head runs ahead of drafts in its lane: it is cheap, and everything after it
# (the template key, Gate-2, the draft) waits on its answer.
MOVE = ModelTask("prospect.move", 0, 20, "prospect_move", 0.0)
CLASSIFY = ModelTask("prospect.classify", 1, 20, "classification", 0.0)
DRAFT = ModelTask("prospect.draft", 1, 60, "", 0.7, END_OF_TURN + REPLY_END)
JUDGE = ModelTask("prospect.judge", 2, 60, "judgement", 0.0)

TASKS = {task.name: task for task in (MOVE, CLASSIFY, DRAFT, JUDGE)}
