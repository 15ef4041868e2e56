"""The fast rules measured on the labelled moves corpus (tests/fixtures/moves/, every
file): at least 80% of moves and 95% of is_prospect right, the contract's floor for rules
(../shared/MOVES.md). labelled.jsonl was written first; second_set.jsonl later, by
another hand, and scored before the rules were changed for it (docs/benchmarks.md has
that first score)."""

from collections import Counter
from pathlib import Path

from engines.moves import all_moves
from prospects.deciding.classify import classify
from prospects.deciding.move_corpus import MoveScore, parse_labelled

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "moves"
LABELLED = [
    parse_labelled(line, labelled=True)
    for path in sorted(CORPUS.glob("*.jsonl"))
    for line in path.read_text().splitlines()
    if line.strip()
]


def test_every_move_has_at_least_twenty_varied_messages():
    per_move = Counter(item.move for item in LABELLED)
    assert set(per_move) == set(all_moves())
    assert min(per_move.values()) >= 20, per_move
    assert len({item.body.casefold() for item in LABELLED}) == len(LABELLED)


def test_the_rules_reach_the_contracts_floor():
    score = MoveScore()
    for item in LABELLED:
        score.add(item, classify(item.body, thread_state=item.thread_state))
    assert score.move_accuracy >= 0.80, score.confusions.most_common(10)
    assert score.is_prospect_accuracy >= 0.95, score.confusions.most_common(10)
