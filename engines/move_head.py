"""The linear move head: a classifier build small enough to answer in-process, on the CPU.

The model. TF-IDF over character n-grams within word boundaries (``char_wb``, 2 to 5)
and over words and word pairs (1 to 2), side by side, into a multinomial logistic
regression.
- Character n-grams carry what senders actually write: misspellings, "2nite", "u up",
  inflections across the five languages, emoji. Word pairs carry the phrases a move turns
  on ("half hour", "free pics", "wrong number").
- Logistic regression gives class probabilities directly (a softmax of the linear
  scores): the chosen move's probability is the decision's confidence, which the
  uncertain-move threshold reads. A LinearSVC has no probabilities: calibrating it
  (``CalibratedClassifierCV``) fits it on folds of an already thin set (a few dozen labels
  a move), and scored no better in cross-validation (docs/benchmarks.md).
- ``is_prospect`` is the chosen move's side, so the invariant holds by construction.
  Deciding the side first, from the prospect moves' probabilities summed, was the first
  design; in cross-validation on the first two corpus sets it lost up to 3 points of both
  accuracies (docs/benchmarks.md): eight prospect moves' small probabilities add up past
  a not-a-prospect move that is plainly the likeliest one.
- ``C=30``: the rows are L2-normalised TF-IDF vectors over tens of thousands of n-grams; at
  the default ``C=1`` the few hundred labels leave every probability near 1/12 (and the
  accuracy 10 to 15 points lower), so a confidence threshold would have nothing to separate.
- lbfgs is deterministic: the same lines fit the same head. A fit takes a few seconds
  for hundreds of lines; an answer well under a millisecond.

Pure scikit-learn and no database: ``engines.registry`` loads a build's head by its
engine id, and prospects feeds the training lines (people's labels).
"""

import pickle
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np

from core.untrusted import normalise

# How a head is fitted, recorded on its training run.
DEFAULT_HYPER_PARAMETERS = {
    "char_ngrams": [2, 5],
    "word_ngrams": [1, 2],
    "C": 30.0,
    "max_iter": 2000,
}
CUES = 3
# scikit-learn itself is imported only to fit, and by unpickling a head: every web and
# worker process imports this module, and importing scikit-learn takes seconds.
SKLEARN_VERSION = version("scikit-learn")
LIBRARY = f"scikit-learn {SKLEARN_VERSION}"


class HeadUnusable(ValueError):
    """An artefact this process cannot load (another scikit-learn made it, or it is not a
    head at all)."""


@dataclass(frozen=True)
class HeadAnswer:
    is_prospect: bool
    move: str
    trace: str
    confidence: float  # the chosen move's probability, 0..1


@dataclass(frozen=True)
class _Block:
    """One vectoriser's share of the features: what ``_Block.features`` computes is what
    its ``TfidfVectorizer.transform`` computes (sublinear tf, idf, L2 per block)."""

    analyse: object  # the vectoriser's own analyzer: lower-casing, tokens, n-grams
    vocabulary: dict
    idf: np.ndarray
    offset: int

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(term for term in self.analyse(text) if term in self.vocabulary)
        if not counts:
            return np.empty(0, dtype=np.intp), np.empty(0)
        index = np.fromiter((self.vocabulary[term] for term in counts), np.intp, len(counts))
        value = 1.0 + np.log(np.fromiter(counts.values(), float, len(counts)))
        value *= self.idf[index]
        return index + self.offset, value / np.sqrt(value @ value)


class MoveHead:
    """A fitted head: ``answer`` one message, ``dumps``/``loads`` the artefact a build keeps.

    The fitted pipeline is the source of truth (it is what fits and what is stored), but
    one message goes through the same arithmetic without it: scikit-learn's per-call
    checks, sparse-matrix building and FeatureUnion's dispatch cost about 1.5 ms for one
    short message, the arithmetic 0.1 ms, and this runs inside the ingest request.
    ``probabilities`` equals the pipeline's ``predict_proba`` (tests hold it to that)."""

    def __init__(self, pipeline, prospect_moves: tuple[str, ...], hyper: dict):
        self.pipeline = pipeline
        self.prospect_moves = tuple(prospect_moves)
        self.hyper = dict(hyper)
        model = pipeline.named_steps["model"]
        self.moves = tuple(str(move) for move in model.classes_)
        self._blocks, offset = [], 0
        for _, vectoriser in pipeline.named_steps["features"].transformer_list:
            self._blocks.append(
                _Block(vectoriser.build_analyzer(), vectoriser.vocabulary_, vectoriser.idf_, offset)
            )
            offset += len(vectoriser.vocabulary_)
        # The word block comes last: its names make readable cues.
        words = pipeline.named_steps["features"].transformer_list[-1][1]
        self._word_offset = self._blocks[-1].offset
        self._word_names = words.get_feature_names_out()
        self._weights = np.ascontiguousarray(model.coef_.T)
        self._intercept = model.intercept_

    def probabilities(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each move's probability, with the message's feature indices and values."""
        parts = [block.features(normalise(text)) for block in self._blocks]
        index = np.concatenate([part[0] for part in parts])
        value = np.concatenate([part[1] for part in parts])
        scores = value @ self._weights[index] + self._intercept
        exp = np.exp(scores - scores.max())
        return exp / exp.sum(), index, value

    def answer(self, text: str) -> HeadAnswer:
        probabilities, index, value = self.probabilities(text)
        best = int(probabilities.argmax())
        move, confidence = self.moves[best], float(probabilities[best])
        cues = self._cues(index, value, best)
        said = f"; cues: {', '.join(cues)}" if cues else ""
        trace = f"Linear head: {move} at {confidence:.0%}{said}."
        return HeadAnswer(move in self.prospect_moves, move, trace, round(confidence, 4))

    def _cues(self, index: np.ndarray, value: np.ndarray, best: int) -> list[str]:
        """The message's words that pushed hardest towards the chosen move."""
        words = index >= self._word_offset
        pushes = value[words] * self._weights[index[words], best]
        strongest = np.argsort(-pushes)[:CUES]
        return [
            f'"{self._word_names[index[words][at] - self._word_offset]}"'
            for at in strongest
            if pushes[at] > 0
        ]

    def dumps(self) -> bytes:
        """The artefact: trusted bytes only (it is unpickled), kept in our own database.
        The fitted pipeline is pickled inside plain data that names the scikit-learn
        version, so another version is refused before its estimators are unpickled."""
        return pickle.dumps(
            {
                "sklearn": SKLEARN_VERSION,
                "pipeline": pickle.dumps(self.pipeline, protocol=pickle.HIGHEST_PROTOCOL),
                "prospect_moves": self.prospect_moves,
                "hyper": self.hyper,
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )

    @classmethod
    def loads(cls, data: bytes) -> "MoveHead":
        """Refuses an artefact another scikit-learn version pickled: its estimators may not
        mean the same there (retrain the build instead)."""
        try:
            stored = pickle.loads(data)  # noqa: S301 - our own artefact, from our database
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
            raise HeadUnusable(f"not a move head artefact: {error}") from error
        if not isinstance(stored, dict) or not isinstance(stored.get("pipeline"), bytes):
            raise HeadUnusable("not a move head artefact")
        if stored["sklearn"] != SKLEARN_VERSION:
            raise HeadUnusable(
                f"made with scikit-learn {stored['sklearn']}, this process has "
                f"{SKLEARN_VERSION}: retrain it"
            )
        pipeline = pickle.loads(stored["pipeline"])  # noqa: S301 - as above
        return cls(pipeline, stored["prospect_moves"], stored["hyper"])


def head_fit(
    texts: list[str],
    moves: list[str],
    *,
    prospect_moves: tuple[str, ...],
    hyper: dict | None = None,
) -> MoveHead:
    """Fits a head on ``texts`` labelled ``moves``; ``ValueError`` when there is not enough
    to learn from (fewer than two moves)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    if len(set(moves)) < 2:
        raise ValueError("A head needs labels of at least two moves to learn from.")
    hyper = {**DEFAULT_HYPER_PARAMETERS, **(hyper or {})}
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=tuple(hyper["char_ngrams"]), sublinear_tf=True
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=tuple(hyper["word_ngrams"]),
                    token_pattern=r"(?u)\b\w+\b",
                    sublinear_tf=True,
                ),
            ),
        ]
    )
    model = LogisticRegression(C=hyper["C"], max_iter=hyper["max_iter"])
    pipeline = Pipeline([("features", features), ("model", model)])
    pipeline.fit([normalise(text) for text in texts], moves)
    return MoveHead(pipeline, prospect_moves, hyper)
