"""Tuning exports: the lines trainers load, deduplicated, split by thread, schema-checked."""

import uuid
from datetime import timedelta
from io import StringIO

import datasets
import pytest
from django.core.management import CommandError, call_command

from core.clock import now
from prospects.builds.tuning import Format, Split, split_of, tuning_lines, validator
from prospects.models import Draft
from prospects.review.services import draft_approve, draft_correct, draft_reject
from tests.support.drafting import ingest
from tests.support.factories import make_inbound

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
