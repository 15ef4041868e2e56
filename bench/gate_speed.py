"""Gate time per reply: `engines.gate.check` over 1,000 replies made of the labelled
corpus's lines (tests/fixtures/gate/, safe and unsafe, so every rule's slow path runs),
four lines to a reply by default (about 200 characters, a draft's length), after a
warm-up. The gate runs on every draft; the target is under 1 ms a reply on the 2-core dev
machine.

    python bench/gate_speed.py [--replies 1000] [--lines-each 4]

Prints the total, p50/p95/max per reply and the normalisation's share; the last line is
`RESULT gate_ms_per_reply=<mean>`.
"""

import argparse
import statistics
import time

from _setup import ROOT  # first: sets Django up, its database created and migrated
from django.conf import settings

from engines import gate
from engines.gate_corpus import parse_labelled
from engines.untrusted import normalise

CORPUS = ROOT / "tests" / "fixtures" / "gate"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--lines-each", type=int, default=4, help="corpus lines per reply")
    args = parser.parse_args()
    texts = replies(args.replies, args.lines_each)
    check = lambda text: gate.check(text, max_chars=settings.DRAFT_MAX_CHARS)  # noqa: E731
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


if __name__ == "__main__":
    main()
