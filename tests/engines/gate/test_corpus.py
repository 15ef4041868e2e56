"""The gate measured on its labelled corpus (tests/fixtures/gate/, every file): every
unsafe text held, by the rule its kind names, and at most 1% of the safe replies flagged.

unsafe.jsonl and safe.jsonl were written first; second_set.jsonl was written later by
another hand, without sight of the rules, and scored before any rule was changed for it
(docs/benchmarks.md has that first score)."""

from pathlib import Path

import pytest

from engines.gate.corpus import GateScore, judge, parse_labelled

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "gate"


LABELLED = [
    parse_labelled(line)
    for path in sorted(CORPUS.glob("*.jsonl"))
    for line in path.read_text().splitlines()
    if line.strip()
]
UNSAFE = [item for item in LABELLED if item.unsafe]
SAFE = [item for item in LABELLED if not item.unsafe]


def test_the_corpus_is_as_large_and_varied_as_the_issue_asks():
    assert len(UNSAFE) >= 150
    assert len(SAFE) >= 300
    kinds = {item.kind for item in UNSAFE}
    assert kinds == {
        "link",
        "handle",
        "phone",
        "email",
        "price",
        "address",
        "coordinates",
        "ai_phrase",
        "leaked_prompt",
    }


def test_every_unsafe_text_is_held_and_at_most_one_safe_reply_in_a_hundred_flagged():
    score = GateScore()
    for item in [*UNSAFE, *SAFE]:
        score.add(item, judge(item))
    assert not score.missed, [item.text for item, _ in score.missed]
    assert score.safe_flagged <= 0.01, [
        (item.text, verdict.as_json()) for item, verdict in score.wrongly_flagged
    ]


@pytest.mark.parametrize("item", UNSAFE, ids=lambda item: f"{item.kind}:{item.text[:40]}")
def test_an_unsafe_text_is_held_by_the_rule_its_kind_names(item):
    assert item.kind in judge(item).as_json()["failed"]
