from engines.base import DraftRequest, Step, Turn, WorkflowSpec
from engines.chain import leak_fragments, preview_prompts, step_prompt
from engines.gate import GateRule, check

SPEC = WorkflowSpec(
    label="w@1",
    context=(
        ("Canon: opener.welcome", "Hi, thanks for reaching out! Which day suits you best?"),
        ("Safety rule: no-logistics", "Never write prices, amounts or addresses in a reply."),
    ),
    steps=(
        Step("think", "What does the person want, in one sentence?"),
        Step("draft", "Write it.", 300),
    ),
    engine_id="endpoint-x_1",
)
REQUEST = DraftRequest(
    template_key="opener.welcome",
    canon_text="",
    max_chars=1000,
    history=(Turn("Anna", "Hi there"),),
    workflow=SPEC,
)


def test_context_goes_to_the_system_message_and_earlier_outputs_to_the_next_step():
    prompt = step_prompt(REQUEST, 1, ["They want to meet on Friday."])
    system, user = prompt.messages
    assert "## Safety rule: no-logistics" in system["content"]
    assert "Anna: Hi there" in user["content"]
    assert "They want to meet on Friday." in user["content"]
    assert "at most 300 characters" in user["content"]


def test_preview_shows_placeholders_for_outputs_not_yet_produced():
    prompts = preview_prompts(REQUEST)
    assert len(prompts) == 2
    assert "<output of step 1>" in prompts[1].messages[1]["content"]


def test_leaked_rules_or_step_labels_fail_the_gate_but_canon_wording_does_not():
    fragments = leak_fragments(REQUEST)
    assert not check(
        "Hi, thanks for reaching out! Which day suits you best?",
        max_chars=300,
        prompt_fragments=fragments,
    ).failed
    leaked = "Never write prices, amounts or addresses in a reply. See you!"
    assert GateRule.LEAKED_PROMPT in check(leaked, max_chars=300, prompt_fragments=fragments).failed
    labelled = "Step 2: Hi! Friday works."
    assert GateRule.LEAKED_PROMPT in check(labelled, max_chars=300).failed
