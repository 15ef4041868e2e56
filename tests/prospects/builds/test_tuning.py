"""Tuning exports: the lines trainers load, deduplicated, split by thread, schema-checked."""

import uuid
from datetime import timedelta
from io import StringIO

import datasets
import pytest
from django.core.management import CommandError, call_command

from core.clock import now
from prospects.builds.tuning import (
    Format,
    Split,
    prompt_messages,
    split_of,
    tuning_lines,
    validator,
)
from prospects.models import Draft, Outcome
from prospects.outcomes import outcome_record
from prospects.review.services import draft_approve, draft_correct, draft_reject
from tests.support.drafting import ingest
from tests.support.factories import make_inbound
from tests.support.outcomes import sent_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(canon, coworker):
    """One approved, one corrected and one rejected draft, on three threads."""
    drafts = [ingest(make_inbound(f"Hi there {n}")).draft for n in range(3)]
    draft_approve(draft_id=drafts[0].id, user=coworker)
    draft_correct(draft_id=drafts[1].id, user=coworker, body="Hi! Lovely to hear from you.")
    draft_reject(draft_id=drafts[2].id, user=coworker, reason_tags=["tone"])
    return drafts


def test_sft_lines_are_chat_turns_ending_in_the_sent_text(reviewed):
    lines = list(tuning_lines(engine_id="template", fmt=Format.SFT))
    assert [line["metadata"]["draft_id"] for line in lines] == [
        str(reviewed[0].id),
        str(reviewed[1].id),
    ]
    approved, corrected = lines
    assert [turn["role"] for turn in approved["messages"]] == ["system", "user", "assistant"]
    assert approved["messages"][2]["content"] == Draft.objects.get(id=reviewed[0].id).body
    assert "Hi there 0" in approved["messages"][1]["content"]
    assert corrected["messages"][2]["content"] == "Hi! Lovely to hear from you."
    assert corrected["metadata"]["outcome"] == "corrected"
    assert approved["metadata"]["engine_id"] == "template"
    assert approved["metadata"]["split"] == split_of(reviewed[0].thread_id)


def test_dpo_pairs_choose_the_correction_over_the_draft(reviewed):
    [line] = tuning_lines(engine_id="template", fmt=Format.DPO)
    assert line["chosen"] == [{"role": "assistant", "content": "Hi! Lovely to hear from you."}]
    assert line["rejected"] == [{"role": "assistant", "content": reviewed[1].body}]
    assert [turn["role"] for turn in line["prompt"]] == ["system", "user"]


def test_identical_examples_are_exported_once(canon, coworker):
    """Same message, same situation, same reply on two threads: one training example."""
    drafts = [ingest(make_inbound("Twin")).draft for _ in range(2)]
    for draft in drafts:
        draft_approve(draft_id=draft.id, user=coworker)
    lines = list(tuning_lines(engine_id="template", fmt=Format.SFT))
    assert [line["metadata"]["draft_id"] for line in lines] == [str(drafts[0].id)]


def test_the_split_is_by_thread_and_stable(reviewed, settings):
    settings.TUNING_EVAL_PERCENT = 50
    first = [split_of(draft.thread_id) for draft in reviewed]
    assert first == [split_of(draft.thread_id) for draft in reviewed]
    buckets = [split_of(uuid.UUID(int=n)) for n in range(2000)]
    assert 0.45 < buckets.count(Split.EVAL) / 2000 < 0.55
    train = list(tuning_lines(engine_id="template", fmt=Format.SFT, split=Split.TRAIN))
    evals = list(tuning_lines(engine_id="template", fmt=Format.SFT, split=Split.EVAL))
    assert {line["metadata"]["split"] for line in train} <= {"train"}
    assert {line["metadata"]["split"] for line in evals} <= {"eval"}
    assert len(train) + len(evals) == 2


def test_since_filters_on_review_time(reviewed):
    later = list(
        tuning_lines(engine_id="template", fmt=Format.SFT, since=now() + timedelta(hours=1))
    )
    assert later == []


def test_the_export_command_writes_a_file_that_datasets_loads(reviewed, tmp_path):
    out = tmp_path / "sft.jsonl"
    err = StringIO()
    call_command("export_tuning", engine="template", format="sft", out=str(out), stderr=err)
    assert "2 sft lines exported" in err.getvalue()
    loaded = datasets.load_dataset("json", data_files=str(out), split="train")
    assert loaded.num_rows == 2
    assert loaded[1]["messages"][2] == {
        "role": "assistant",
        "content": "Hi! Lovely to hear from you.",
    }
    assert set(loaded.column_names) == {"messages", "metadata"}

    dpo = tmp_path / "dpo.jsonl"
    call_command("export_tuning", engine="template", format="dpo", out=str(dpo), stderr=err)
    pairs = datasets.load_dataset("json", data_files=str(dpo), split="train")
    assert pairs.column_names == ["prompt", "chosen", "rejected", "metadata"]


def test_the_export_command_to_stdout_and_bad_arguments(reviewed):
    out = StringIO()
    call_command("export_tuning", engine="template", format="dpo", stdout=out, stderr=StringIO())
    assert len(out.getvalue().splitlines()) == 1
    with pytest.raises(CommandError, match="--engine"):
        call_command("export_tuning", engine="not an id!", format="sft")
    with pytest.raises(CommandError, match="--since"):
        call_command("export_tuning", engine="template", format="sft", since="yesterday")


def test_a_line_that_breaks_the_schema_is_caught():
    bad = {"messages": [{"role": "user", "content": "x"}], "metadata": {}}
    assert not validator(Format.SFT).is_valid(bad)


class TestOutcomes:
    """Exports by thread outcome (issue 33): ``--outcome booked`` and ``dpo-booked`` pairs."""

    @pytest.fixture
    def outcomes(self, canon, coworker, bridge, settings):
        """Three welcome replies sent: t-booked booked (and a second reply there, another
        template key), t-declined declined, t-open with no outcome yet."""
        settings.TUNING_EVAL_PERCENT = 0
        booked = sent_reply(coworker, thread="t-booked", text="Hi! Coffee on Friday?")
        followup = sent_reply(coworker, "Friday works", thread="t-booked", text="Great, 3pm.")
        declined = sent_reply(coworker, thread="t-declined", text="Hello. Any questions?")
        sent_reply(coworker, thread="t-open", text="Hey, how are you?")
        outcome_record(thread=booked.thread, outcome=Outcome.BOOKED, user=coworker, source="api")
        outcome_record(
            thread=declined.thread, outcome=Outcome.DECLINED, user=coworker, source="api"
        )
        return booked, followup, declined

    def test_outcome_keeps_the_drafts_a_booking_followed(self, outcomes):
        booked, followup, declined = outcomes
        lines = list(tuning_lines(engine_id="template", fmt=Format.SFT, outcome="booked"))
        assert {line["metadata"]["draft_id"] for line in lines} == {
            str(booked.id),
            str(followup.id),
        }
        assert {line["metadata"]["thread_outcome"] for line in lines} == {"booked"}
        every = list(tuning_lines(engine_id="template", fmt=Format.SFT))
        assert {line["metadata"]["thread_outcome"] for line in every} == {
            "booked",
            "declined",
            None,
        }

    def test_booking_pairs_choose_the_booked_reply_of_the_same_template_key(self, outcomes):
        booked, followup, declined = outcomes
        assert booked.decision.template_key == declined.decision.template_key
        assert followup.decision.template_key != booked.decision.template_key

        [pair] = tuning_lines(engine_id="template", fmt=Format.DPO_BOOKED)

        assert pair["chosen"] == [{"role": "assistant", "content": "Hi! Coffee on Friday?"}]
        assert pair["rejected"] == [{"role": "assistant", "content": "Hello. Any questions?"}]
        # The chosen reply's prompt (each rebuild has its own random data boundary).
        assert [turn["role"] for turn in pair["prompt"]] == ["system", "user"]
        assert len(pair["prompt"][1]["content"]) == len(prompt_messages(booked)[1]["content"])
        metadata = pair["metadata"]
        assert (metadata["draft_id"], metadata["rejected_draft_id"]) == (
            str(booked.id),
            str(declined.id),
        )
        assert (metadata["thread_outcome"], metadata["rejected_thread_outcome"]) == (
            "booked",
            "declined",
        )

    def test_the_command_filters_by_outcome_and_trl_loads_the_booking_pairs(
        self, outcomes, tmp_path, tiny_base
    ):
        from transformers import AutoTokenizer
        from trl import DPOConfig, DPOTrainer
        from trl.data_utils import is_conversational

        sft = tmp_path / "sft-booked.jsonl"
        err = StringIO()
        call_command(
            "export_tuning", engine="template", format="sft", outcome="booked", out=str(sft),
            stderr=err,
        )  # fmt: skip
        assert "2 sft lines exported" in err.getvalue()
        dpo = tmp_path / "dpo-booked.jsonl"
        call_command("export_tuning", engine="template", format="dpo-booked", out=str(dpo))
        pairs = datasets.load_dataset("json", data_files=str(dpo), split="train")
        assert pairs.num_rows == 1
        assert is_conversational(pairs[0])

        trainer = DPOTrainer(
            model=str(tiny_base),
            args=DPOConfig(
                output_dir=str(tmp_path / "dpo"),
                per_device_train_batch_size=1,
                report_to="none",
                use_cpu=True,
                save_strategy="no",
            ),
            train_dataset=pairs.remove_columns("metadata"),
            processing_class=AutoTokenizer.from_pretrained(tiny_base),
        )
        # TRL applied the chat template and tokenized both sides of the pair.
        tokenized = trainer.train_dataset[0]
        assert {"prompt_ids", "chosen_ids", "rejected_ids"} <= set(tokenized)
        assert tokenized["chosen_ids"] != tokenized["rejected_ids"]

    def test_an_unknown_outcome_is_refused(self, reviewed):
        with pytest.raises(ValueError, match="not an outcome"):
            list(tuning_lines(engine_id="template", fmt=Format.SFT, outcome="ghosted"))
        with pytest.raises(CommandError, match="outcome"):
            call_command("export_tuning", engine="template", format="sft", outcome="ghosted")
