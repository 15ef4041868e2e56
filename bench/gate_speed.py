"""Gate time per reply: `engines.gate.reply_gate.check` over 1,000 replies made of the labelled
corpus's lines (tests/fixtures/gate/, safe and unsafe, so every rule's slow path runs),
four lines to a reply by default (about 200 characters, a draft's length), after a
warm-up. The gate runs on every draft; the target is under 1 ms a reply on the 2-core dev
machine.

Then the worst case: 10,000 adversarial characters (a few characters repeated that a
pattern without bounds would start reading again at every position: "a1", "12 ", "a-",
"www."...) through the gate, the move rules and Gate-2's safety screen; the target is
under 50 ms for each, on the slowest text.

    python bench/gate_speed.py [--replies 1000] [--lines-each 4] [--max-chars N]

Prints the total, p50/p95/max per reply and the normalisation's share, then each worst
case with its text; one line a figure: `RESULT gate_ms_per_reply=<mean>`,
`RESULT gate_worst_ms=…`, `RESULT move_rules_worst_ms=…`, `RESULT safety_worst_ms=…`.
"""

import argparse
import statistics
import time

from _setup import ROOT  # first: sets Django up, its database created and migrated
from django.conf import settings

from builder.taxonomy import ThreadState
from core.untrusted import normalise
from engines.gate import reply_gate
from engines.gate.corpus import parse_labelled
from prospects.deciding.classify import classify
from prospects.deciding.safety import safety_findings

CORPUS = ROOT / "tests" / "fixtures" / "gate"
WORST_CASE_CHARS = 10_000
# Each starts something a rule reads (a mailbox, a phone number, a hyphenated domain, a
# word spelled out, a number word, a markdown link) and never finishes it.
ADVERSARIAL_UNITS = (
    "a", "a.", "a ", "1", "1 ", "a@", "a at ", "a1.", "a-", "a+", "a . ", "A B ", "I'm ",
    "12 ", "a [at] ", "http", "www.", "1:", "A1", "a1", "a_", "1.", "1-", "1, ", "Aa ",
    "1a ", "a.a ", "[a](", "one-", "five5 ", "10 for ", "40.1 ",
)  # fmt: skip


def replies(count: int, lines_each: int) -> list[str]:
    """``count`` replies, each ``lines_each`` corpus lines joined (a draft is a few
    sentences; a corpus line is often one)."""
    texts = [
        parse_labelled(line).text
        for name in ("safe.jsonl", "unsafe.jsonl")
        for line in (CORPUS / name).read_text().splitlines()
        if line.strip()
    ]
    return [
        " ".join(texts[(index * lines_each + part) % len(texts)] for part in range(lines_each))
        for index in range(count)
    ]


def timed(function, texts: list[str]) -> list[float]:
    seconds = []
    for text in texts:
        start = time.perf_counter()
        function(text)
        seconds.append(time.perf_counter() - start)
    return seconds


def worst_case(function) -> tuple[float, str]:
    """The slowest of the adversarial texts through ``function``, in ms (the best of three
    runs, so a busy machine's pause is not counted), and the unit it repeats."""
    timings = []
    for unit in ADVERSARIAL_UNITS:
        text = (unit * WORST_CASE_CHARS)[:WORST_CASE_CHARS]
        timings.append((min(timed(function, [text] * 3)) * 1000, unit))
    return max(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--lines-each", type=int, default=4, help="corpus lines per reply")
    parser.add_argument(
        "--max-chars",
        type=int,
        default=settings.DRAFT_MAX_CHARS,
        help="the gate's max_chars (a workflow may allow up to 4000)",
    )
    args = parser.parse_args()
    texts = replies(args.replies, args.lines_each)
    check = lambda text: reply_gate.check(text, max_chars=args.max_chars)  # noqa: E731
    timed(check, texts[:100])  # warm-up: regex compilation, the suffix list, caches
    seconds = timed(check, texts)
    normalising = timed(normalise, texts)
    ms = sorted(second * 1000 for second in seconds)
    mean = statistics.fmean(ms)
    print(f"replies: {len(texts)}, mean length {statistics.fmean(map(len, texts)):.0f} chars")
    print(f"total: {sum(ms):.1f} ms")
    print(
        f"per reply: mean {mean:.3f} ms, p50 {ms[len(ms) // 2]:.3f}, "
        f"p95 {ms[int(len(ms) * 0.95)]:.3f}, max {ms[-1]:.3f}"
    )
    print(f"normalisation alone: {sum(normalising) * 1000 / len(texts):.3f} ms a reply")
    print(f"RESULT gate_ms_per_reply={mean:.3f}")
    print(f"worst case, {WORST_CASE_CHARS} adversarial characters (max_chars {args.max_chars}):")
    figures = {
        "gate_worst_ms": check,
        "move_rules_worst_ms": lambda text: classify(text, thread_state=ThreadState.NEW),
        # Uncached: the screen keeps its recent answers for the thread's memory.
        "safety_worst_ms": safety_findings.__wrapped__,
    }
    for name, function in figures.items():
        ms, unit = worst_case(function)
        print(f"{name}: slowest on {unit!r} repeated")
        print(f"RESULT {name}={ms:.1f}")


if __name__ == "__main__":
    main()
