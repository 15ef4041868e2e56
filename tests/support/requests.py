"""A draft request as the pipeline hands one to an engine."""

from engines.base import DraftRequest, Step, Turn, WorkflowSpec

SPEC = WorkflowSpec(
    label="welcome@1",
    context=(("Voice rule: warm", "Warm and brief."),),
    steps=(Step("think", "What do they want?"), Step("draft", "Write the reply.", 200)),
)


def request(body: str = "Hi! Are you free this weekend?", workflow=SPEC) -> DraftRequest:
    return DraftRequest(
        template_key="pursue.next_step",
        canon_text="Send me your preferred day.",
        max_chars=1000,
        inbound_body=body,
        thread_handle="anna",
        history=(Turn("Anna", body),),
        workflow=workflow,
    )
