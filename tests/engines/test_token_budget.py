"""A draft step's token budget follows its maxChars, measured on the served model's
tokenizer: every coworker reply of the tuning corpus, in all five languages, fits the
budget of its own length (with its end-of-turn token), and the budget stays close to the
length (a ramble runs out of tokens soon after the longest reply would have ended)."""

import json
from collections import defaultdict

import pytest

from engines.base import Step
from engines.model_engine import REPLY_CHARS_PER_TOKEN, max_tokens_for, reply_token_budget
from prospects.tuning_corpus import CORPUS


@pytest.fixture(scope="module")
def gemma_vocabulary():
    from llama_cpp import Llama

    from scripts.local_model_server import model_file

    return Llama(str(model_file()), vocab_only=True, verbose=False)


def test_every_corpus_reply_fits_the_budget_of_its_length(gemma_vocabulary):
    ratios = defaultdict(list)
    for line in CORPUS.read_text().splitlines():
        thread = json.loads(line)
        reply = thread["reply"]
        tokens = len(gemma_vocabulary.tokenize(reply.encode(), add_bos=False))
        assert tokens + 1 <= reply_token_budget(len(reply)), thread["thread"]
        ratios[thread["language"]].append(len(reply) / tokens)
    assert set(ratios) == {"en", "es", "fr", "de", "pt"}
    # The constant is the densest language's 5th percentile, rounded down: not far below it.
    densest = min(sorted(values)[len(values) // 20] for values in ratios.values())
    assert REPLY_CHARS_PER_TOKEN <= densest < REPLY_CHARS_PER_TOKEN + 0.5


def test_a_draft_step_budget_follows_its_max_chars_and_a_think_step_its_setting(settings):
    settings.GPU_THINK_MAX_TOKENS = 48
    assert max_tokens_for(Step(kind="draft", instruction="x", max_chars=300)) == 104
    assert max_tokens_for(Step(kind="draft", instruction="x", max_chars=120)) == 44
    assert max_tokens_for(Step(kind="think", instruction="x")) == 48
