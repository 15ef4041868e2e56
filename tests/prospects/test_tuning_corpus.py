"""The tuning corpus loads as a coworker's corrections of the endpoint build: real Correction
rows that the export and the held-out cases read like production ones."""

import json

import pytest

from prospects.builds.evaluation_cases import voice_cases
from prospects.builds.tuning import Format, Split, tuning_lines
from prospects.demo import DEMO_ENDPOINT_BUILD, demo_load
from prospects.models import Correction, Draft
from prospects.tuning_corpus import CORPUS, LANGUAGES, CorpusInvalid, corpus_load, corpus_threads

pytestmark = pytest.mark.django_db


def test_the_corpus_has_four_hundred_threads_in_five_languages():
    threads = corpus_threads()
    assert len(threads) >= 400
    assert {thread["language"] for thread in threads} == set(LANGUAGES)
    assert len({thread["template_key"] for thread in threads}) >= 8


@pytest.fixture
def corpus_sample(tmp_path):
    """Twelve threads, two of each of six keys, in every language they come in."""
    lines = CORPUS.read_text().splitlines()
    path = tmp_path / "threads.jsonl"
    path.write_text("\n".join(lines[::37][:12]) + "\n")
    return path


def test_loading_files_each_reply_as_a_correction_of_the_builds_draft(corpus_sample):
    demo_load(password="pw-12345-demo", experiment=False)
    from django.contrib.auth.models import User

    coworker = User.objects.get(username="coworker")
    report = corpus_load(engine_id=DEMO_ENDPOINT_BUILD, reviewer=coworker, path=corpus_sample)

    threads = {t["thread"]: t for t in corpus_threads(corpus_sample)}
    loaded = report.loaded[Split.TRAIN] + report.loaded[Split.EVAL]
    assert loaded == len(threads) - sum(report.skipped.values())
    reviewed = Draft.objects.filter(engine_id=DEMO_ENDPOINT_BUILD, reviewed_at__isnull=False)
    assert reviewed.count() == loaded > 0
    # A reply that is the canon word for word approves the draft as it was: no correction.
    verbatim = sum(draft.body == draft.steps[-1]["output"] for draft in reviewed)
    corrections = Correction.objects.select_related("draft__thread").order_by("created_at")
    assert corrections.count() == loaded - verbatim > 0
    for correction in corrections:
        draft = correction.draft
        assert draft.engine_id == DEMO_ENDPOINT_BUILD
        assert correction.corrected_text == threads[draft.thread.handle]["reply"]
        assert correction.author == coworker
        assert draft.steps[-1]["kind"] == "draft"
    # The training split's corrections come first: no training prompt quotes a held-out reply.
    exported = list(tuning_lines(engine_id=DEMO_ENDPOINT_BUILD, fmt=Format.SFT))
    splits = [line["metadata"]["split"] for line in exported]
    assert splits == sorted(splits, key=lambda split: split != Split.TRAIN)
    assert len(exported) == loaded
    line = exported[0]
    sent = Draft.objects.get(id=line["metadata"]["draft_id"]).body
    assert line["messages"][-1]["content"] == sent
    cases = voice_cases(Split.ALL)
    assert {case["final_text"] for case in cases} == {draft.body for draft in reviewed}
    assert all(case["max_chars"] > 0 and case["prompt_fragments"] for case in cases)

    again = corpus_load(engine_id=DEMO_ENDPOINT_BUILD, reviewer=coworker, path=corpus_sample)
    assert again.skipped == {"already loaded": len(threads)}
    assert Correction.objects.count() == loaded - verbatim


def test_a_bad_line_is_named_with_its_field(tmp_path):
    path = tmp_path / "threads.jsonl"
    good = {"thread": "t1", "language": "en", "sender": "Tom", "template_key": "opener.welcome",
            "message": "hi", "reply": "Hello! Which day suits you?"}  # fmt: skip
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "thread": "t2", "reply": ""}))
    with pytest.raises(CorpusInvalid, match=r"threads.jsonl:2: missing reply"):
        corpus_threads(path)
    path.write_text(json.dumps({**good, "language": "it"}))
    with pytest.raises(CorpusInvalid, match="language"):
        corpus_threads(path)
